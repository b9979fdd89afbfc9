package workload

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RW is an access pattern, named as fio names it.
type RW string

// The access patterns.
const (
	Read      RW = "read"      // sequential reads
	Write     RW = "write"     // sequential writes
	RandRead  RW = "randread"  // random reads
	RandWrite RW = "randwrite" // random writes
	RandRW    RW = "randrw"    // random reads and writes, Job.Mix percent reads
)

// ParseRW returns the access pattern named s.
func ParseRW(s string) (RW, error) {
	switch rw := RW(strings.ToLower(strings.TrimSpace(s))); rw {
	case Read, Write, RandRead, RandWrite, RandRW:
		return rw, nil
	}
	return "", fmt.Errorf("unknown rw %q (want read, write, randread, randwrite or randrw)", s)
}

// Random reports whether offsets are drawn at random.
func (rw RW) Random() bool { return rw == RandRead || rw == RandWrite || rw == RandRW }

// Writes reports whether the pattern writes to the target.
func (rw RW) Writes() bool { return rw == Write || rw == RandWrite || rw == RandRW }

// Cache is how the target is opened: with O_DIRECT, or through the page
// cache.
type Cache string

// The cache modes. "both" on the command line expands to Direct then
// Buffered.
const (
	Direct   Cache = "direct"
	Buffered Cache = "buffered"
)

// Engine kinds, as engine.Options.Kind takes them.
const (
	EngineAuto  = "auto"
	EngineSync  = "sync"
	EngineURing = "uring"
)

// How an io_uring runs completion work (engine.Options.DeferTaskrun):
// COOP_TASKRUN, rawbench's default, or DEFER_TASKRUN with SINGLE_ISSUER,
// as fio 3.33 sets its rings up.
const (
	TaskrunCoop  = "coop"
	TaskrunDefer = "defer"
)

// ParseTaskrun checks a --taskrun value.
func ParseTaskrun(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case TaskrunCoop, TaskrunDefer:
		return v, nil
	}
	return "", fmt.Errorf("unknown taskrun %q (want coop or defer)", s)
}

// ParseEngine checks an engine name.
func ParseEngine(s string) (string, error) {
	switch e := strings.ToLower(strings.TrimSpace(s)); e {
	case EngineAuto, EngineSync, EngineURing:
		return e, nil
	}
	return "", fmt.Errorf("unknown engine %q (want auto, sync or uring)", s)
}

// ParseCache returns the cache modes named by s: "direct", "buffered", or
// "both" (direct then buffered).
func ParseCache(s string) ([]Cache, error) {
	switch c := strings.ToLower(strings.TrimSpace(s)); c {
	case "direct":
		return []Cache{Direct}, nil
	case "buffered":
		return []Cache{Buffered}, nil
	case "both":
		return []Cache{Direct, Buffered}, nil
	}
	return nil, fmt.Errorf("unknown cache mode %q (want direct, buffered or both)", s)
}

// Job is one measurement: one access pattern, block size, depth, number
// of parallel instances, engine and cache mode over one region of the
// target.
type Job struct {
	RW       RW
	Mix      int // percent reads, for RandRW
	BS       int // bytes per I/O
	Depth    int // I/Os in flight per instance
	Jobs     int // independent instances, each with its own file handle, engine and buffers
	Engine   string
	Fixed    bool // io_uring registered buffers (READ_FIXED/WRITE_FIXED)
	Vectored bool // sync engine: preadv/pwritev through sgl
	// Taskrun is TaskrunCoop or TaskrunDefer for an engine that may use
	// io_uring (uring, auto), "" for sync.
	Taskrun string
	Cache   Cache

	Offset int64 // start of the region, bytes
	Size   int64 // length of the region, bytes; 0 means to the end of the target

	Runtime time.Duration // length of the measurement window (ignored when IOs > 0)
	Ramp    time.Duration // time before the window opens; I/O done then is not counted
	IOs     int64         // when > 0: each instance stops after this many counted I/Os
}

// String names the job in one short line, e.g.
// "randread 4 KiB depth 32 uring+fixed direct".
func (j Job) String() string {
	var b strings.Builder
	b.WriteString(string(j.RW))
	if j.RW == RandRW {
		fmt.Fprintf(&b, " (%d%% reads)", j.Mix)
	}
	fmt.Fprintf(&b, " %s depth %d", formatBytes(uint64(j.BS)), j.Depth)
	if j.Jobs > 1 {
		fmt.Fprintf(&b, " jobs %d", j.Jobs)
	}
	b.WriteString(" " + engineLabel(j.Engine, j.Fixed, j.Taskrun))
	b.WriteString(" " + string(j.Cache))
	return b.String()
}

// engineLabel names an engine with what was asked of it beyond the
// defaults: "uring", "uring+fixed", "uring+fixed+defer".
func engineLabel(engine string, fixed bool, taskrun string) string {
	if fixed {
		engine += "+fixed"
	}
	if taskrun == TaskrunDefer {
		engine += "+defer"
	}
	return engine
}

// Bounds of Job.Depth and Job.Jobs. MaxDepth is the engines' own bound
// (IORING_MAX_ENTRIES, which package engine applies to the sync engine
// too), so a depth it would refuse is a usage error before any I/O rather
// than a failure in the middle of a sweep.
const (
	MaxDepth = 32768
	MaxJobs  = 1024
)

// Spec is a sweep: every combination of its lists is one Job. The lists
// are expanded in the order RW, BS, Depth, Jobs, Engine, Taskrun, Cache,
// the last varying fastest, so the two cache modes of one job run back to
// back. Taskrun applies to the engines that may use io_uring: a sync job
// is expanded once, with Taskrun "". An empty Taskrun list means
// TaskrunCoop.
type Spec struct {
	RW      []RW
	BS      []int
	Depth   []int
	Jobs    []int
	Engine  []string
	Taskrun []string
	Cache   []Cache

	Mix      int
	Fixed    bool
	Vectored bool
	Offset   int64
	Size     int64
	Runtime  time.Duration
	Ramp     time.Duration
	IOs      int64
}

// Expand returns the jobs of the sweep. Repeated values in a list are
// dropped (the first occurrence keeps its place). It fails on an empty
// list or a value out of range.
func (s Spec) Expand() ([]Job, error) {
	rws, bss, depths, jobs := dedup(s.RW), dedup(s.BS), dedup(s.Depth), dedup(s.Jobs)
	engines, caches := dedup(s.Engine), dedup(s.Cache)
	taskruns := make([]string, 0, len(s.Taskrun))
	for _, v := range s.Taskrun {
		tr, err := ParseTaskrun(v) // case-folded, as the runner compares it
		if err != nil {
			return nil, err
		}
		taskruns = append(taskruns, tr)
	}
	if taskruns = dedup(taskruns); len(taskruns) == 0 {
		taskruns = []string{TaskrunCoop}
	}
	switch {
	case len(rws) == 0:
		return nil, fmt.Errorf("no rw given")
	case len(bss) == 0:
		return nil, fmt.Errorf("no bs given")
	case len(depths) == 0:
		return nil, fmt.Errorf("no depth given")
	case len(jobs) == 0:
		return nil, fmt.Errorf("no jobs count given")
	case len(engines) == 0:
		return nil, fmt.Errorf("no engine given")
	case len(caches) == 0:
		return nil, fmt.Errorf("no cache mode given")
	}
	for _, v := range bss {
		if v <= 0 {
			return nil, fmt.Errorf("bs %d must be positive", v)
		}
	}
	for _, v := range depths {
		if v <= 0 || v > MaxDepth {
			return nil, fmt.Errorf("depth %d out of range 1..%d", v, MaxDepth)
		}
	}
	for _, v := range jobs {
		if v <= 0 || v > MaxJobs {
			return nil, fmt.Errorf("jobs %d out of range 1..%d", v, MaxJobs)
		}
	}
	for _, e := range engines {
		if _, err := ParseEngine(e); err != nil {
			return nil, err
		}
	}
	for _, rw := range rws {
		if _, err := ParseRW(string(rw)); err != nil {
			return nil, err
		}
	}
	for _, c := range caches {
		if c != Direct && c != Buffered {
			return nil, fmt.Errorf("unknown cache mode %q (want direct, buffered or both)", c)
		}
	}
	if s.Mix < 0 || s.Mix > 100 {
		return nil, fmt.Errorf("mix %d out of range 0..100", s.Mix)
	}
	if s.Offset < 0 || s.Size < 0 || s.IOs < 0 || s.Runtime < 0 || s.Ramp < 0 {
		return nil, fmt.Errorf("offset, size, ios, runtime and ramp must not be negative")
	}
	if s.IOs == 0 && s.Runtime == 0 {
		return nil, fmt.Errorf("either a runtime or an I/O count is needed")
	}
	var out []Job
	for _, rw := range rws {
		for _, bs := range bss {
			for _, d := range depths {
				for _, n := range jobs {
					for _, e := range engines {
						trs := taskruns
						if e == EngineSync {
							trs = []string{""}
						}
						for _, tr := range trs {
							for _, c := range caches {
								out = append(out, Job{
									RW: rw, Mix: s.Mix, BS: bs, Depth: d, Jobs: n,
									Engine: e, Fixed: s.Fixed, Vectored: s.Vectored, Taskrun: tr, Cache: c,
									Offset: s.Offset, Size: s.Size,
									Runtime: s.Runtime, Ramp: s.Ramp, IOs: s.IOs,
								})
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

// DefaultSuite is the embedded default: sequential read and write of
// 1 MiB and random read and write of 4 KiB, each at depth 1 and 32. The
// engines, cache modes, job counts and the scalar fields come from base;
// its RW, BS and Depth lists are ignored. With writes false only the two
// read patterns run.
func DefaultSuite(base Spec, writes bool) ([]Job, error) {
	type pat struct {
		rw RW
		bs int
	}
	pats := []pat{{Read, 1 << 20}, {Write, 1 << 20}, {RandRead, 4 << 10}, {RandWrite, 4 << 10}}
	var out []Job
	for _, p := range pats {
		if p.rw.Writes() && !writes {
			continue
		}
		s := base
		s.RW, s.BS, s.Depth = []RW{p.rw}, []int{p.bs}, []int{1, 32}
		jobs, err := s.Expand()
		if err != nil {
			return nil, err
		}
		out = append(out, jobs...)
	}
	return out, nil
}

func dedup[T comparable](in []T) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
