package workload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
)

// withoutURing makes io_uring unavailable to the engines Bench creates, as
// kernel.io_uring_disabled=2 would, without touching that system-wide
// sysctl: "uring" fails with engine.ErrUringUnavailable and "auto" falls
// back to a real sync engine with the reason, as engine.New does.
func withoutURing(t *testing.T) (reason string) {
	t.Helper()
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	reason = "io_uring_disabled=2: io_uring is disabled for all processes"
	newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
		switch o.Kind {
		case engine.KindUring:
			return nil, engine.Fallback{}, fmt.Errorf("%w: %s", engine.ErrUringUnavailable, reason)
		case engine.KindAuto, "":
			o.Kind = engine.KindSync
			e, _, err := old(o)
			return e, engine.Fallback{Happened: true, Reason: engine.ErrUringUnavailable.Error() + ": " + reason}, err
		}
		return old(o)
	}
	return reason
}

func TestURingUnavailable(t *testing.T) {
	reason := withoutURing(t)
	path := testdev.RandomFile(t, t.TempDir(), 4<<20)

	t.Run("auto falls back and says so", func(t *testing.T) {
		s := quick()
		s.Engine, s.Fixed = []string{EngineAuto}, true
		doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
		if err != nil {
			t.Fatal(err)
		}
		r := doc.Results[0]
		checkConsistent(t, r)
		if r.Engine != EngineSync || r.Fixed {
			t.Errorf("ran as %s fixed %v, want sync without registered buffers", r.Engine, r.Fixed)
		}
		want := "engine auto ran as sync: io_uring unavailable: " + reason
		if len(doc.Fallbacks) != 1 || doc.Fallbacks[0] != want {
			t.Errorf("fallbacks %q, want [%q]", doc.Fallbacks, want)
		}
		var table strings.Builder
		if err := doc.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), "fallback: "+want) {
			t.Errorf("table does not report the fallback:\n%s", table.String())
		}
	})

	// An explicit uring job fails before any job of the sweep runs, the
	// sync one included.
	t.Run("uring fails before any I/O", func(t *testing.T) {
		s := quick()
		s.Engine = []string{EngineSync, EngineURing}
		doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
		if !errors.Is(err, engine.ErrUringUnavailable) {
			t.Fatalf("err = %v, want ErrUringUnavailable", err)
		}
		if !strings.Contains(err.Error(), reason) || strings.Contains(err.Error(), "\n") {
			t.Errorf("err %q: want one line with the reason", err)
		}
		if len(doc.Results) != 0 {
			t.Errorf("%d jobs ran before the refusal", len(doc.Results))
		}
	})
}
