package workload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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

// slowFirstWait is an engine whose first Wait returns only after d, as a
// stalled device would.
type slowFirstWait struct {
	engine.Engine
	d     time.Duration
	slept bool
}

func (e *slowFirstWait) Wait(min int, out []engine.Completion) (int, error) {
	if !e.slept && min > 0 {
		e.slept = true
		time.Sleep(e.d)
	}
	return e.Engine.Wait(min, out)
}

// A runtime that ends before any I/O completes still gives a result: the
// window runs to the first completion, and the fallbacks say so.
func TestWindowRunsToFirstCompletion(t *testing.T) {
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	const stall = 200 * time.Millisecond
	newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
		e, fb, err := old(o)
		if err != nil {
			return e, fb, err
		}
		return &slowFirstWait{Engine: e, d: stall}, fb, nil
	}
	path := testdev.RandomFile(t, t.TempDir(), 4<<20)
	for _, jobs := range []int{1, 2} {
		t.Run(fmt.Sprintf("jobs %d", jobs), func(t *testing.T) {
			s := quick()
			s.Runtime = 20 * time.Millisecond
			s.Jobs = []int{jobs}
			doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Results[0]
			checkConsistent(t, r)
			if r.IOs != int64(jobs) {
				t.Errorf("%d I/Os counted, want the first of each of %d workers", r.IOs, jobs)
			}
			if r.Seconds < stall.Seconds() {
				t.Errorf("window %.3fs, want at least the %v to the first completion", r.Seconds, stall)
			}
			want := fmt.Sprintf("no I/O completed within the 20ms runtime (%d of %d workers); the window ran to the first completion", jobs, jobs)
			if len(doc.Fallbacks) != 1 || !strings.Contains(doc.Fallbacks[0], want) {
				t.Errorf("fallbacks %q, want one containing %q", doc.Fallbacks, want)
			}
		})
	}
	// With no stall the same runtime counts inside the window only and
	// reports nothing.
	newEngine = old
	s := quick()
	s.Runtime = 100 * time.Millisecond
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, doc.Results[0])
	if len(doc.Fallbacks) != 0 {
		t.Errorf("fallbacks %q without a stall", doc.Fallbacks)
	}
}
