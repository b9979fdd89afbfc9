package engine

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rawio/rawio/internal/uring"
	"github.com/rawio/rawio/pin"
	"golang.org/x/sys/unix"
)

// uringEngine drives one io_uring. Each request in flight owns a slot;
// the slot's index is the SQE's user_data (an integer, never a pointer)
// and holds the caller's tag and the Submit time.
type uringEngine struct {
	ring     *uring.Ring
	depth    int
	fixed    bool
	deferred bool       // DEFER_TASKRUN (Options.DeferTaskrun, granted)
	files    []*os.File // kept so their finalizers cannot close the fds
	bufs     [][]byte
	slots    []uringSlot
	free     []uint32 // free slot indexes, used as a stack
	cqes     []uring.CQE
	base     time.Time
	inflight int
	closed   bool
	// submitBatch is the most SQEs handed over per io_uring_enter when
	// more are queued (Options.SubmitBatch).
	submitBatch int
}

type uringSlot struct {
	tag uint64
	t0  time.Duration // Submit time, since base
	op  uint8         // index into uringOpName
}

// Operation names for Completion.Err, indexed by Op + 2 when fixed.
var uringOpName = [...]string{"io_uring read", "io_uring write", "io_uring read_fixed", "io_uring write_fixed"}

// waitSlice is the longest one io_uring_enter(2) sleeps in Wait once
// waits have been long (uring.Config.WaitSlice): short enough that the
// goroutine passes through the Go scheduler well within sysmon's 10 ms
// even when the run loop yields only every 5 ms (workload's yieldEvery),
// long enough that a slow device costs one extra system call and yield
// per 4 ms of waiting. 1 MiB reads at depth 32 from a loop device: 10.7-15.6
// µs of system time per I/O against 42.6-54.9 with waits in one call, the
// same rate (docs/benchmarks.md, "Waits cut short of sysmon").
const waitSlice = 4 * time.Millisecond

// probeUring is uring.Probe; a variable so tests can make io_uring
// unavailable.
var probeUring = uring.Probe

func newUring(o Options, auto bool) (Engine, Fallback, error) {
	if err := probeUring(); err != nil {
		return nil, Fallback{}, fmt.Errorf("%w: %w", ErrUringUnavailable, err)
	}
	// A ring of Depth entries (rounded up to a power of two) and a CQ
	// twice that: with at most Depth in flight neither can overflow.
	// COOP_TASKRUN spares the IPI per completion; its IORING_SQ_TASKRUN
	// flag tells a polling Wait when it must enter the kernel.
	// SINGLE_ISSUER is not asked for unless DeferTaskrun needs it: it
	// ties the ring to one OS thread, and a goroutine may run on another
	// after any blocking call (internal/uring's TestSingleIssuer shows
	// the EEXIST that follows).
	ring, err := uring.New(uring.Config{Entries: o.Depth, CoopTaskrun: true, DeferTaskrun: o.DeferTaskrun, WaitSlice: waitSlice})
	if err != nil {
		return nil, Fallback{}, fmt.Errorf("%w: %w", ErrUringUnavailable, err)
	}
	var fb Fallback
	deferred := ring.Flags()&uring.FlagDeferTaskrun != 0
	if o.DeferTaskrun && !deferred {
		const why = "the kernel refused IORING_SETUP_DEFER_TASKRUN (Linux 6.1 and later have it)"
		if !auto {
			ring.Close()
			return nil, Fallback{}, fmt.Errorf("io_uring: %s; run without it", why)
		}
		fb = Fallback{Happened: true, Reason: why + ": completions run with COOP_TASKRUN"}
	}
	fds := make([]int, len(o.Files))
	for i, f := range o.Files {
		fds[i] = int(f.Fd())
	}
	if err := ring.RegisterFiles(fds); err != nil {
		ring.Close()
		return nil, Fallback{}, err
	}
	fixed := false
	if o.Fixed {
		if err := ring.RegisterBuffers(o.Buffers); err != nil {
			err = explainRegister(err, o.Buffers)
			if !auto {
				ring.Close()
				return nil, Fallback{}, err
			}
			fb = Fallback{Happened: true, Reason: joinReasons(fb.Reason, "registered buffers not used: "+err.Error())}
		} else {
			fixed = true
		}
	}
	e := &uringEngine{
		ring:     ring,
		depth:    o.Depth,
		fixed:    fixed,
		deferred: deferred,
		files:    o.Files,
		bufs:     o.Buffers,
		slots:    make([]uringSlot, o.Depth),
		free:     make([]uint32, o.Depth),
		cqes:     make([]uring.CQE, ring.CQEntries()),
		base:     time.Now(),

		submitBatch: o.SubmitBatch,
	}
	if e.submitBatch == 0 {
		e.submitBatch = DefaultSubmitBatch
	}
	for i := range e.free {
		e.free[i] = uint32(o.Depth - 1 - i)
	}
	return e, fb, nil
}

// explainRegister adds to an ENOMEM from IORING_REGISTER_BUFFERS what the
// user can do about it: the kernel charges registered pages to
// RLIMIT_MEMLOCK (io_uring/rsrc.c io_account_mem) unless the process has
// CAP_IPC_LOCK, in a count of its own, apart from mlock'ed memory.
func explainRegister(err error, bufs [][]byte) error {
	if !errors.Is(err, unix.ENOMEM) {
		return err
	}
	var total uint64
	for _, b := range bufs {
		total += uint64(len(b))
	}
	limit := "unknown"
	if soft, _, lerr := pin.MemlockLimit(); lerr == nil {
		limit = "unlimited"
		if soft != pin.Unlimited {
			limit = pin.FormatBytes(soft)
		}
	}
	return fmt.Errorf("%w: registering %s of buffers counts against RLIMIT_MEMLOCK (%s) without CAP_IPC_LOCK, apart from mlock; raise ulimit -l or run without registered buffers",
		err, pin.FormatBytes(total), limit)
}

func (e *uringEngine) Name() string  { return KindUring }
func (e *uringEngine) Fixed() bool   { return e.fixed }
func (e *uringEngine) InFlight() int { return e.inflight }

// DeferTaskrun reports whether the ring runs completion work with
// DEFER_TASKRUN (Options.DeferTaskrun, granted by the kernel).
func (e *uringEngine) DeferTaskrun() bool { return e.deferred }

// joinReasons joins two fallback reasons, either of which may be empty.
func joinReasons(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// Submit prepares one SQE per request and enters the kernel not at all:
// the SQEs go in with the next Wait, as often as not in the same
// io_uring_enter(2) that waits for completions (see enter), and several
// Submit calls share one entry. The SQ cannot
// fill up before then: it holds at least Depth entries and checkBatch
// keeps the requests in flight, submitted or not, to Depth.
func (e *uringEngine) Submit(reqs ...Request) error {
	if e.closed {
		return ErrClosed
	}
	if err := checkBatch(reqs, e.inflight, e.depth, len(e.files), e.bufs, e.fixed); err != nil {
		return err
	}
	if len(reqs) == 0 {
		return nil
	}
	// The latency of every request runs from here, not from the
	// io_uring_enter in Wait that hands it to the kernel.
	t0 := time.Since(e.base)
	for i := range reqs {
		r := &reqs[i]
		sqe, err := e.ring.NextSQE()
		if err != nil {
			// Cannot happen (see above). Undo this batch.
			e.unqueue(i)
			return err
		}
		slot := e.free[len(e.free)-1]
		e.free = e.free[:len(e.free)-1]
		op := uint8(r.Op)
		switch {
		case e.fixed && r.Op == OpRead:
			sqe.PrepReadFixed(int32(r.File), true, r.Data, r.Offset, uint16(r.Buf), uint64(slot))
			op += 2
		case e.fixed:
			sqe.PrepWriteFixed(int32(r.File), true, r.Data, r.Offset, uint16(r.Buf), uint64(slot))
			op += 2
		case r.Op == OpRead:
			sqe.PrepRead(int32(r.File), true, r.Data, r.Offset, uint64(slot))
		default:
			sqe.PrepWrite(int32(r.File), true, r.Data, r.Offset, uint64(slot))
		}
		e.slots[slot] = uringSlot{tag: r.Tag, t0: t0, op: op}
	}
	e.inflight += len(reqs)
	return nil
}

// unqueue takes back the last n SQEs of a batch not yet handed to the
// kernel and frees their slots.
func (e *uringEngine) unqueue(n int) {
	e.ring.Discard(n)
	// The batch popped its slots off the top of the stack and pushed
	// nothing since: they are still in the backing array past len.
	e.free = e.free[:len(e.free)+n]
}

// Wait first hands the kernel every SQE queued since the last Wait, so
// no request is left behind whatever min is, then reaps.
func (e *uringEngine) Wait(min int, out []Completion) (int, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if err := checkWait(min, len(out), e.inflight); err != nil {
		return 0, err
	}
	if e.deferred {
		// A DEFER_TASKRUN ring is created disabled: the first Wait's
		// thread becomes its issuer (Options.DeferTaskrun); later calls
		// return at once.
		if err := e.ring.Enable(); err != nil {
			return 0, err
		}
	}
	n := 0
	var err error
	for {
		if err = e.enter(min - n); err != nil {
			break
		}
		var m int
		m, err = e.reap(out[n:])
		n += m
		// One pass unless the kernel refused the SQEs for a while
		// (submit below): then wait again for what is missing.
		if err != nil || n >= min {
			break
		}
	}
	reaped(e.base, out[:n])
	return n, err
}

// enter submits what is queued and makes at least want CQEs ready (want
// <= 0: none, a poll), entering the kernel only when that takes it:
//
//   - Nothing queued: wait if fewer than want CQEs are ready; for a poll,
//     enter only when completion work is pending (NeedsEnter).
//   - Queued, and enough CQEs ready, or nothing else in the kernel (at
//     depth 1, always): one io_uring_enter(2) with to_submit and
//     min_complete together. Requests just handed over have rarely
//     finished before the same call would wait, so nothing is lost.
//   - Queued, too few CQEs ready, and other requests in the kernel: one
//     of those often completes while these go in. Submit alone, look at
//     the CQ, and wait in a second call only if it is still short:
//     sleeping in the submitting call made 4 KiB reads on zram at depth
//     32 5-8% slower on a 2-vCPU VM, where a sleep and its wakeup cost
//     more than the extra system call (docs/benchmarks.md).
func (e *uringEngine) enter(want int) error {
	// A long queue goes in pieces of submitBatch, each its own entry, so
	// the first requests reach the device while the kernel prepares the
	// rest (Options.SubmitBatch). An error leaves the rest queued for the
	// submit below, which handles it.
	for e.ring.Unsubmitted() > e.submitBatch {
		if n, err := e.ring.SubmitUpTo(e.submitBatch); err != nil || n == 0 {
			break
		}
	}
	pending := e.ring.Unsubmitted()
	if pending == 0 && want <= 0 {
		// With COOP_TASKRUN finished requests may wait for a kernel
		// entry before their CQEs appear (IORING_SQ_TASKRUN says so).
		if e.inflight == 0 || e.ring.Ready() > 0 || !e.ring.NeedsEnter() {
			return nil
		}
		return e.ring.Poll()
	}
	if pending > 0 && want > 0 {
		ready := e.ring.Ready()
		if ready < want && e.inflight-pending-ready > 0 {
			if err := e.submit(0); err != nil {
				return err
			}
		}
	}
	return e.submit(want)
}

// submit hands the kernel what is queued and waits until at least want
// CQEs are ready (want <= 0: not at all).
func (e *uringEngine) submit(want int) error {
	_, err := e.ring.SubmitAndWait(max(want, 0))
	if err == nil || !(errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY)) {
		// On an error the SQEs stay queued: the kernel consumed none.
		return err
	}
	// The kernel is short of memory for requests (EAGAIN) or its CQ
	// overflow list is full (EBUSY), and took none of the SQEs
	// (io_uring_enter(2)): they stay queued for the next try. Meanwhile
	// wait for the requests it does have, which frees both.
	inKernel := e.inflight - e.ring.Unsubmitted()
	switch {
	case want <= 0:
		return nil // try again on the next call
	case inKernel == 0:
		return err // nothing can complete: the caller must know
	}
	return e.ring.WaitReady(min(want, inKernel))
}

// reap moves ready CQEs into out and frees their slots. Each completion's
// Latency holds its Submit time until Wait reads the clock (see reaped).
func (e *uringEngine) reap(out []Completion) (int, error) {
	k := e.ring.Reap(e.cqes[:min(len(out), len(e.cqes))])
	if k == 0 {
		return 0, nil
	}
	for i, c := range e.cqes[:k] {
		if c.UserData >= uint64(len(e.slots)) {
			return i, fmt.Errorf("io_uring completion with unknown user_data %d", c.UserData)
		}
		s := &e.slots[c.UserData]
		out[i] = Completion{Tag: s.tag, Latency: s.t0}
		if c.Res >= 0 {
			out[i].N = int(c.Res)
		} else {
			out[i].Err = os.NewSyscallError(uringOpName[s.op], c.Errno())
		}
		e.free = append(e.free, uint32(c.UserData))
		e.inflight--
	}
	return k, nil
}

// Close closes the ring. SQEs queued by Submit that no Wait has handed to
// the kernel yet are dropped with it: the kernel never sees them, so they
// never run.
func (e *uringEngine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.ring.Close()
}
