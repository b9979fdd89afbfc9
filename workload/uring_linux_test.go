package workload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/internal/uring"
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
	path := testdev.RandomFile(t, testdev.MemDir(t), 4<<20)

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
// window runs to the first completion, and the fallbacks say so. When
// only some workers stall, the others' count over the runtime is the
// result and the late I/O is dropped.
func TestWindowRunsToFirstCompletion(t *testing.T) {
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	// The runtime is long enough that a disk in a slow phase still
	// completes something for the unstalled worker, the stall well past it.
	const stall = 1500 * time.Millisecond
	const runtime = 400 * time.Millisecond
	// stallWorkers makes the first n depth-1 sync engines stall their
	// first Wait: a worker's own at depth 1, or its lanes' at a greater
	// depth (a sync job deeper than 1 runs one depth-1 engine per
	// request; TestSyncLanes), not checkURing's probe.
	stallWorkers := func(n int) {
		var made int
		newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
			e, fb, err := old(o)
			if err != nil || o.Kind != EngineSync || o.Depth != 1 || made >= n {
				return e, fb, err
			}
			made++
			return &slowFirstWait{Engine: e, d: stall}, fb, nil
		}
	}
	lateNote := func(doc *Document) string {
		for _, f := range doc.Fallbacks {
			if strings.Contains(f, "the window ran to the first completion") {
				return f
			}
		}
		return ""
	}
	path := testdev.RandomFile(t, testdev.MemDir(t), 4<<20)
	tests := []struct {
		name                 string
		jobs, depth, stalled int // stalled: depth-1 engines
	}{
		{"one worker, stalled", 1, 1, 1},
		{"two workers, both stalled", 2, 1, 2},
		{"two workers, one stalled", 2, 1, 1},
		{"no stall", 1, 1, 0},
		// A worker's lanes are one worker: the earliest late completion
		// of its four counts, one I/O, as at depth 4 with io_uring.
		{"one worker of depth 4, every lane stalled", 1, 4, 4},
		{"one worker of depth 4, one lane stalled", 1, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stallWorkers(tt.stalled)
			s := quick()
			s.Runtime = runtime
			s.Jobs = []int{tt.jobs}
			s.Depth = []int{tt.depth}
			doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Results[0]
			checkConsistent(t, r)
			note := lateNote(doc)
			if tt.stalled == tt.jobs*tt.depth {
				if r.IOs != int64(tt.jobs) {
					t.Errorf("%d I/Os counted, want the first of each of %d workers", r.IOs, tt.jobs)
				}
				if r.Seconds < stall.Seconds() {
					t.Errorf("window %.3fs, want at least the %v to the first completion", r.Seconds, stall)
				}
				want := fmt.Sprintf("no I/O completed within the %v runtime; the window ran to the first completion (%d of %d workers)", runtime, tt.jobs, tt.jobs)
				if !strings.Contains(note, want) {
					t.Errorf("fallbacks %q, want one containing %q", doc.Fallbacks, want)
				}
				return
			}
			// Some worker counted inside the window: the window is the
			// runtime, and a stalled worker's late I/O is not in it.
			if r.Seconds > runtime.Seconds()*1.5 {
				t.Errorf("window %.3fs, want about the %v runtime", r.Seconds, runtime)
			}
			if r.IOs < 2 {
				t.Errorf("%d I/Os counted in %v by an unstalled worker", r.IOs, runtime)
			}
			if note != "" {
				t.Errorf("fallback %q, though a worker counted inside the window", note)
			}
		})
	}
}

// reapedLater reports every completion as reaped an hour after it was.
type reapedLater struct{ engine.Engine }

func (e reapedLater) Wait(min int, out []engine.Completion) (int, error) {
	n, err := e.Engine.Wait(min, out)
	for i := range out[:n] {
		out[i].Reaped = out[i].Reaped.Add(time.Hour)
	}
	return n, err
}

// The run loop takes the time from Completion.Reaped, not from a clock of
// its own: completions an engine reports as reaped after the window close
// it at once, and the first of them is the late one the result counts.
func TestWindowFollowsReaped(t *testing.T) {
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
		e, fb, err := old(o)
		if err != nil {
			return e, fb, err
		}
		return reapedLater{e}, fb, nil
	}
	path := testdev.RandomFile(t, testdev.MemDir(t), 4<<20)
	s := quick()
	s.Runtime = 2 * time.Second
	start := time.Now()
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r := doc.Results[0]
	if r.IOs != 1 || r.Seconds < time.Hour.Seconds() {
		t.Errorf("%d I/Os over %.0fs, want the first completion, an hour after the window opened", r.IOs, r.Seconds)
	}
	if took >= s.Runtime {
		t.Errorf("Bench took %v, want the window closed by the first completion, well before the %v runtime", took, s.Runtime)
	}
}

// TestTaskrunDefer runs io_uring jobs with each taskrun: the results say
// which ran, with no fallback. After a DEFER_TASKRUN job on zram nothing
// holds the device: it can be reset at once (EBUSY otherwise). The runner
// closes that ring on its own thread, the ring's only issuer, where Close
// can unregister the target itself; closed from another thread the ring
// leaves that to a kernel worker, which here too was done before the
// reset (the test passes either way; it guards against a ring left open).
func TestTaskrunDefer(t *testing.T) {
	if err := uring.Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	s := quick()
	s.Engine, s.Taskrun, s.Fixed = []string{EngineURing}, []string{TaskrunCoop, TaskrunDefer}, true
	doc, err := Bench(context.Background(), Config{Target: testdev.RandomFile(t, testdev.MemDir(t), 4<<20), Spec: s})
	if err != nil {
		if strings.Contains(err.Error(), "DEFER_TASKRUN") {
			t.Skipf("skipping: %v", err)
		}
		t.Fatal(err)
	}
	if len(doc.Fallbacks) != 0 {
		t.Errorf("fallbacks %q, want none", doc.Fallbacks)
	}
	if len(doc.Results) != 2 {
		t.Fatalf("%d results, want 2", len(doc.Results))
	}
	for i, want := range []string{TaskrunCoop, TaskrunDefer} {
		r := doc.Results[i]
		checkConsistent(t, r)
		if r.Engine != EngineURing || !r.Fixed || r.Taskrun != want {
			t.Errorf("result %d: engine %s fixed %v taskrun %q, want uring fixed %q", i, r.Engine, r.Fixed, r.Taskrun, want)
		}
	}

	t.Run("zram released", func(t *testing.T) {
		dev := testdev.Zram(t, 16<<20)
		s := quick()
		s.Engine, s.Taskrun = []string{EngineURing}, []string{TaskrunDefer}
		if _, err := Bench(context.Background(), Config{Target: dev, Spec: s}); err != nil {
			t.Fatal(err)
		}
		// zram refuses a reset (EBUSY) while anything holds it open.
		reset := "/sys/block/" + filepath.Base(dev) + "/reset"
		if err := os.WriteFile(reset, []byte("1"), 0); err != nil {
			t.Fatalf("reset of %s right after the job: %v, want the ring's hold released", dev, err)
		}
	})
}
