package engine

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/rawio/rawio/sgl"
)

// Op is what a Request does.
type Op uint8

const (
	OpRead Op = iota
	OpWrite
)

func (o Op) String() string {
	switch o {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Request is one read or write.
type Request struct {
	Op     Op
	File   int    // index into Options.Files
	Buf    int    // index into Options.Buffers; checked (and used) when Fixed
	Data   []byte // sub-slice of Buffers[Buf] to read into or write from
	Offset int64
	Tag    uint64 // returned in the Completion
}

// Completion is the outcome of one Request.
type Completion struct {
	Tag     uint64
	N       int           // bytes transferred; may be short
	Err     error         // *os.SyscallError carrying the errno, or nil
	Latency time.Duration // Submit call -> completion reaped by Wait
	// Reaped is when Wait reaped the completion: the one clock read of
	// that Wait, which ends Latency, so the same for every completion it
	// returned. A caller that needs the time after a Wait can use it
	// instead of reading the clock again. Its monotonic reading is the
	// clock's; its wall clock is the engine's start plus the monotonic
	// time since, so compare it with other times rather than print it.
	Reaped time.Time
}

// reaped ends the Latency of every completion in out, which holds its
// Submit time since base until then, with one clock read, and sets its
// Reaped. Every completion a Wait returns was reaped at that moment.
func reaped(base time.Time, out []Completion) {
	if len(out) == 0 {
		return
	}
	now := time.Since(base)
	at := base.Add(now)
	for i := range out {
		out[i].Latency = now - out[i].Latency
		out[i].Reaped = at
	}
}

// Engine queues requests and reaps their completions. See the package
// doc for the guarantees common to every engine.
type Engine interface {
	// Name returns "uring" or "sync".
	Name() string
	// Fixed reports whether registered buffers (READ_FIXED/WRITE_FIXED)
	// are in use.
	Fixed() bool
	// Submit queues reqs without waiting for them: the sync engine
	// hands them to its workers, the uring engine to the kernel in the
	// next Wait (see the package doc). It fails with ErrQueueFull when
	// more than Depth would be in flight, or with an error naming a bad
	// request; when it fails nothing was queued.
	Submit(reqs ...Request) error
	// Wait first starts whatever Submit queued, then blocks until at
	// least min completions are available (0 polls: it never blocks),
	// stores up to len(out) of them in out and returns how many. min
	// must not exceed len(out) nor InFlight(). Wait(0, nil) only starts
	// the queued requests.
	Wait(min int, out []Completion) (int, error)
	// InFlight returns how many submitted requests were not yet reaped,
	// whether or not the kernel has seen them yet. It makes no system
	// call.
	InFlight() int
	// Close releases the engine's resources (ring, workers). It does not
	// wait for or cancel requests in flight: drain them with Wait first.
	// Requests queued and not yet started (not handed to the kernel, or
	// to a sync worker) are dropped and never run. A second Close
	// returns nil.
	Close() error
}

// Options configures New.
type Options struct {
	Kind     string     // "auto" (default, also for ""), "uring" or "sync"
	Depth    int        // most requests in flight, 1 (default) to 32768
	Files    []*os.File // files the requests address by index
	Buffers  [][]byte   // pinned memory; registered with the ring when Fixed
	Fixed    bool       // uring: register Buffers, use READ_FIXED/WRITE_FIXED
	Vectored bool       // sync: preadv/pwritev through sgl with Limits
	Limits   sgl.Limits // for Vectored

	// SubmitBatch is the most requests the uring engine hands to the
	// kernel in one io_uring_enter when more are queued; 0 means
	// DefaultSubmitBatch. The kernel plugs the block layer for all the
	// requests of one entry and dispatches them at its end, so a device
	// that finishes 32 requests at once and gets 32 new ones in one
	// entry sits idle while the kernel prepares them all: 4 KiB random
	// reads at depth 32 on an ext4 file ran at 0.87 of fio's IOPS so,
	// and at 0.99 with one request per entry, what fio does by default
	// (iodepth_batch_submit=1; docs/benchmarks.md). Ignored by the sync
	// engine.
	SubmitBatch int

	// DeferTaskrun sets the uring engine's ring up as fio 3.33 sets up
	// its own: IORING_SETUP_DEFER_TASKRUN with SINGLE_ISSUER, where the
	// kernel runs completion work only when the driving thread waits for
	// completions, instead of the default COOP_TASKRUN, where it runs at
	// that thread's next kernel entry of any kind. New may run on any
	// thread; the first Wait enables the ring and makes its OS thread the
	// only one that may Submit, Wait and Close afterwards (the kernel
	// answers EEXIST from another), so the goroutine driving the engine
	// must be locked to its thread (runtime.LockOSThread) from before
	// that Wait to after Close. Which of the two setups is faster
	// depends on the device (docs/benchmarks.md, "fio's ring flags").
	// Kind "uring" fails when the kernel refuses it (Linux 6.1); "auto"
	// falls back to COOP_TASKRUN and says so. Ignored by the sync engine.
	DeferTaskrun bool

	// KeepP makes the sync engine at Depth 1 issue each pread or pwrite
	// as a raw system call (unix.RawSyscall6), which the Go scheduler is
	// not told of: the calling goroutine keeps its P (the runtime's
	// processor) through the call. The runtime's sysmon thread takes the
	// P of a goroutine that stays 10 ms in an ordinary system call and
	// then polls every 20 µs for a millisecond and more: 1 MiB reads 32
	// deep behind a loop device, 14 ms each, spent 13-28 µs of user and
	// 28-45 µs of system time per I/O so, against 5-8 and 10-15 with
	// KeepP at the same rate (docs/benchmarks.md, "Waits cut short of
	// sysmon"). Only for callers that give every goroutine doing such
	// calls a P of its own, with one to spare (GOMAXPROCS): a goroutine
	// in a raw call holds its P, so with fewer Ps other goroutines wait
	// for the call to return, and a garbage collection's stop-the-world
	// always does. Ignored at Depth above 1, with Vectored, and by the
	// uring engine.
	KeepP bool
}

// DefaultSubmitBatch is Options.SubmitBatch's default.
const DefaultSubmitBatch = 1

// Fallback says whether New used something other than what was asked,
// and why. Callers report it; the engine never falls back silently.
type Fallback struct {
	Happened bool
	Reason   string // e.g. "io_uring unavailable: io_uring_disabled=2: ..."
}

// Engine kinds.
const (
	KindAuto  = "auto"
	KindUring = "uring"
	KindSync  = "sync"
)

// maxDepth is IORING_MAX_ENTRIES; the sync engine keeps the same bound.
const maxDepth = 32768

// maxFixedBuffers is IORING_MAX_REG_BUFFERS (io_uring/rsrc.c).
const maxFixedBuffers = 1 << 14

// New returns an engine of opts.Kind. "uring" fails with an error wrapping
// ErrUringUnavailable when io_uring cannot be used. "auto" tries uring and
// falls back to sync when it is unavailable, and to uring without
// registered buffers when only registering the buffers failed (for
// example RLIMIT_MEMLOCK); the Fallback says which and why.
func New(opts Options) (Engine, Fallback, error) {
	if opts.Kind == "" {
		opts.Kind = KindAuto
	}
	if opts.Depth == 0 {
		opts.Depth = 1
	}
	if err := opts.check(); err != nil {
		return nil, Fallback{}, err
	}
	switch opts.Kind {
	case KindSync:
		e, err := newSync(opts)
		return e, Fallback{}, err
	case KindUring:
		return newUring(opts, false)
	}
	if dev := blockingDevice(opts.Files); dev != "" {
		s, err := newSync(opts)
		if err != nil {
			return nil, Fallback{}, err
		}
		return s, Fallback{Happened: true, Reason: dev + " does not take non-blocking I/O (preadv2 RWF_NOWAIT: operation not supported), so io_uring would hand every request to a kernel worker thread"}, nil
	}
	e, fb, err := newUring(opts, true)
	if err == nil {
		return e, fb, nil
	}
	s, serr := newSync(opts)
	if serr != nil {
		return nil, Fallback{}, serr
	}
	return s, Fallback{Happened: true, Reason: err.Error()}, nil
}

func (o *Options) check() error {
	switch o.Kind {
	case KindAuto, KindUring, KindSync:
	default:
		return fmt.Errorf("unknown engine %q (want auto, uring or sync)", o.Kind)
	}
	if o.Depth < 1 || o.Depth > maxDepth {
		return fmt.Errorf("engine depth %d out of range 1..%d", o.Depth, maxDepth)
	}
	if o.SubmitBatch < 0 {
		return fmt.Errorf("engine submit batch %d is negative", o.SubmitBatch)
	}
	if len(o.Files) == 0 {
		return errors.New("engine needs at least one file")
	}
	for i, f := range o.Files {
		if f == nil {
			return fmt.Errorf("engine file %d is nil", i)
		}
	}
	if o.Fixed {
		if len(o.Buffers) == 0 {
			return errors.New("registered buffers (Fixed) need at least one buffer")
		}
		if len(o.Buffers) > maxFixedBuffers {
			return fmt.Errorf("%d buffers, more than the %d io_uring can register", len(o.Buffers), maxFixedBuffers)
		}
		for i, b := range o.Buffers {
			if len(b) == 0 {
				return fmt.Errorf("buffer %d is empty", i)
			}
		}
	}
	return nil
}

// checkBatch validates reqs before anything is queued, so that Submit
// queues all or nothing.
func checkBatch(reqs []Request, inflight, depth, files int, bufs [][]byte, fixed bool) error {
	if inflight+len(reqs) > depth {
		return fmt.Errorf("%w: %d in flight + %d submitted > depth %d", ErrQueueFull, inflight, len(reqs), depth)
	}
	for i := range reqs {
		r := &reqs[i]
		if r.Op > OpWrite {
			return fmt.Errorf("request %d: unknown op %d", i, r.Op)
		}
		if r.File < 0 || r.File >= files {
			return fmt.Errorf("request %d: file %d out of range (%d files)", i, r.File, files)
		}
		if r.Offset < 0 {
			return fmt.Errorf("request %d: negative offset %d", i, r.Offset)
		}
		if fixed && !within(r.Data, r.Buf, bufs) {
			return fmt.Errorf("request %d: data is not inside registered buffer %d", i, r.Buf)
		}
	}
	return nil
}

// within reports whether d lies inside bufs[i]: READ_FIXED would fail
// with EFAULT otherwise.
func within(d []byte, i int, bufs [][]byte) bool {
	if i < 0 || i >= len(bufs) {
		return false
	}
	if len(d) == 0 {
		return true
	}
	b := bufs[i]
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(d)))
	return p >= start && p+uintptr(len(d)) <= start+uintptr(len(b))
}
