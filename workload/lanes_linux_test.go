package workload

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
)

// laneLog records, across every engine a job makes, what each was asked
// to do. Engines run on several goroutines, hence the mutex (the test's,
// not the hot path's).
type laneLog struct {
	mu      sync.Mutex
	depths  []int   // Options.Depth of each engine made, in order
	submits []int   // requests submitted to each
	offsets []int64 // every request's offset
	procs   int     // the largest GOMAXPROCS seen at a Submit
}

type loggedEngine struct {
	engine.Engine
	log *laneLog
	idx int
}

func (e *loggedEngine) Submit(reqs ...engine.Request) error {
	e.log.mu.Lock()
	e.log.submits[e.idx] += len(reqs)
	for _, r := range reqs {
		e.log.offsets = append(e.log.offsets, r.Offset)
	}
	e.log.procs = max(e.log.procs, runtime.GOMAXPROCS(0))
	e.log.mu.Unlock()
	return e.Engine.Submit(reqs...)
}

// TestSyncLanes checks that a sync job deeper than 1 runs one depth-1
// lane per request (the depth-N engine made first does no I/O), that a
// sequential job's lanes read one stream, each block once, that --ios
// counts per instance across its lanes, and that GOMAXPROCS gives each
// lane a P during the job and is restored after.
func TestSyncLanes(t *testing.T) {
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	const bs = 4096
	path := testdev.RandomFile(t, testdev.MemDir(t), 4<<20) // 1024 blocks
	base := runtime.GOMAXPROCS(0)
	tests := []struct {
		name       string
		rw         RW
		depth      int
		jobs       int
		ios        int64
		wantLanes  int     // lanes per instance that do I/O; 0: no lanes
		wantBlocks []int64 // sorted block numbers read, when rw is sequential
	}{
		{"sequential, depth 4, 100 I/Os", Read, 4, 1, 100, 4, seqBlocks(0, 100)},
		{"fewer I/Os than lanes", Read, 4, 1, 2, 2, seqBlocks(0, 2)},
		{"I/Os not a multiple of the depth", Read, 4, 1, 7, 4, seqBlocks(0, 7)},
		{"two instances of depth 3", Read, 3, 2, 10, 3, append(seqBlocks(0, 10), seqBlocks(512, 10)...)},
		{"random, depth 8", RandRead, 8, 1, 400, 8, nil},
		{"depth 1: no lanes", Read, 1, 1, 50, 0, seqBlocks(0, 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &laneLog{}
			newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
				e, fb, err := old(o)
				if err != nil {
					return e, fb, err
				}
				log.mu.Lock()
				defer log.mu.Unlock()
				log.depths = append(log.depths, o.Depth)
				log.submits = append(log.submits, 0)
				return &loggedEngine{Engine: e, log: log, idx: len(log.depths) - 1}, fb, nil
			}
			s := quick()
			s.RW, s.Depth, s.Jobs, s.IOs = []RW{tt.rw}, []int{tt.depth}, []int{tt.jobs}, tt.ios
			doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Results[0]
			checkConsistent(t, r)
			if want := tt.ios * int64(tt.jobs); r.IOs != want {
				t.Errorf("%d I/Os counted, want %d (%d per instance)", r.IOs, want, tt.ios)
			}
			if r.Depth != tt.depth || r.Engine != EngineSync {
				t.Errorf("result says depth %d engine %s, want %d sync", r.Depth, r.Engine, tt.depth)
			}
			// Engines that did I/O, by depth.
			busy := map[int]int{}
			for i, d := range log.depths {
				if log.submits[i] > 0 {
					busy[d]++
				}
			}
			if tt.wantLanes > 0 {
				if busy[tt.depth] != 0 || busy[1] != tt.wantLanes*tt.jobs {
					t.Errorf("engines doing I/O by depth %v, want %d of depth 1 and none of depth %d",
						busy, tt.wantLanes*tt.jobs, tt.depth)
				}
				if want := max(base, tt.wantLanes*tt.jobs+1); log.procs < want && tt.wantLanes*tt.jobs > 1 {
					t.Errorf("GOMAXPROCS %d during the job, want at least %d (one P per lane)", log.procs, want)
				}
			} else if busy[tt.depth] != tt.jobs || len(busy) != 1 {
				t.Errorf("engines doing I/O by depth %v, want %d of depth %d", busy, tt.jobs, tt.depth)
			}
			if got := runtime.GOMAXPROCS(0); got != base {
				t.Errorf("GOMAXPROCS %d after the job, want %d as before", got, base)
			}
			if len(log.offsets) != int(r.IOs) {
				t.Errorf("%d requests submitted for %d I/Os counted", len(log.offsets), r.IOs)
			}
			if tt.wantBlocks != nil {
				blocks := make([]int64, len(log.offsets))
				for i, o := range log.offsets {
					blocks[i] = o / bs
				}
				slices.Sort(blocks)
				if !slices.Equal(blocks, tt.wantBlocks) {
					t.Errorf("blocks read %v, want %v: one stream per instance, each block once", blocks, tt.wantBlocks)
				}
			}
		})
	}
}

func seqBlocks(from, n int64) []int64 {
	b := make([]int64, n)
	for i := range b {
		b[i] = from + int64(i)
	}
	return b
}

// TestSyncLanesEngineFails checks that a lane whose engine cannot be made
// fails the job with the engine's error, closes every engine made before
// it (the depth-N one the lanes replace, and the lanes made so far) and
// leaves GOMAXPROCS alone.
func TestSyncLanesEngineFails(t *testing.T) {
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	path := testdev.RandomFile(t, t.TempDir(), 1<<20)
	base := runtime.GOMAXPROCS(0)
	boom := errors.New("no engine for lane 3")
	var made, closed int
	newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
		if o.Kind == EngineSync && o.Depth == 1 {
			if made++; made == 3 {
				return nil, engine.Fallback{}, boom
			}
		}
		e, fb, err := old(o)
		if err != nil {
			return e, fb, err
		}
		return &closeCounter{Engine: e, closed: &closed}, fb, nil
	}
	s := quick()
	s.Depth = []int{4}
	_, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if !errors.Is(err, boom) {
		t.Fatalf("Bench: %v, want the lane's engine error", err)
	}
	// The depth-4 engine (closed when the lanes replace it) and the two
	// lanes made before the failure.
	if closed != 3 {
		t.Errorf("%d engines closed, want 3", closed)
	}
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS %d after the failed job, want %d", got, base)
	}
}

type closeCounter struct {
	engine.Engine
	closed *int
}

func (e *closeCounter) Close() error {
	*e.closed++
	return e.Engine.Close()
}

// TestKeepP: a job's depth-1 sync engines make raw system calls
// (engine.Options.KeepP) when every runner of the job has a P of its own,
// that is when jobs × depth is below maxProcs, and ordinary ones past it.
func TestKeepP(t *testing.T) {
	path := testdev.RandomFile(t, testdev.MemDir(t), 4<<20)
	for _, tc := range []struct {
		depth, jobs int
		want        bool
	}{
		{1, 1, true},
		{32, 1, true},
		{8, 4, true},
		{maxProcs / 2, 2, false},
	} {
		old := newEngine
		var mu sync.Mutex
		var keep []bool
		newEngine = func(o engine.Options) (engine.Engine, engine.Fallback, error) {
			mu.Lock()
			keep = append(keep, o.KeepP)
			mu.Unlock()
			return old(o)
		}
		s := quick()
		s.Depth, s.Jobs, s.Runtime, s.IOs = []int{tc.depth}, []int{tc.jobs}, 0, int64(tc.depth*tc.jobs)
		_, err := Bench(context.Background(), Config{Target: path, Spec: s})
		newEngine = old
		if err != nil {
			t.Fatalf("depth %d jobs %d: %v", tc.depth, tc.jobs, err)
		}
		if len(keep) == 0 || slices.ContainsFunc(keep, func(k bool) bool { return k != tc.want }) {
			t.Errorf("depth %d jobs %d: KeepP %v over %d engines, want all %v", tc.depth, tc.jobs, keep[:min(len(keep), 3)], len(keep), tc.want)
		}
	}
}
