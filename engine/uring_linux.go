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
	files    []*os.File // kept so their finalizers cannot close the fds
	bufs     [][]byte
	slots    []uringSlot
	free     []uint32 // free slot indexes, used as a stack
	cqes     []uring.CQE
	base     time.Time
	inflight int
	closed   bool
}

type uringSlot struct {
	tag uint64
	t0  time.Duration // Submit time, since base
	op  uint8         // index into uringOpName
}

// Operation names for Completion.Err, indexed by Op + 2 when fixed.
var uringOpName = [...]string{"io_uring read", "io_uring write", "io_uring read_fixed", "io_uring write_fixed"}

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
	// SINGLE_ISSUER is not asked for: it ties the ring to one OS thread,
	// and a goroutine may run on another after any blocking call
	// (internal/uring's TestSingleIssuer shows the EEXIST that follows).
	ring, err := uring.New(uring.Config{Entries: o.Depth, CoopTaskrun: true})
	if err != nil {
		return nil, Fallback{}, fmt.Errorf("%w: %w", ErrUringUnavailable, err)
	}
	fds := make([]int, len(o.Files))
	for i, f := range o.Files {
		fds[i] = int(f.Fd())
	}
	if err := ring.RegisterFiles(fds); err != nil {
		ring.Close()
		return nil, Fallback{}, err
	}
	var fb Fallback
	fixed := false
	if o.Fixed {
		if err := ring.RegisterBuffers(o.Buffers); err != nil {
			err = explainRegister(err, o.Buffers)
			if !auto {
				ring.Close()
				return nil, Fallback{}, err
			}
			fb = Fallback{Happened: true, Reason: "registered buffers not used: " + err.Error()}
		} else {
			fixed = true
		}
	}
	e := &uringEngine{
		ring:  ring,
		depth: o.Depth,
		fixed: fixed,
		files: o.Files,
		bufs:  o.Buffers,
		slots: make([]uringSlot, o.Depth),
		free:  make([]uint32, o.Depth),
		cqes:  make([]uring.CQE, ring.CQEntries()),
		base:  time.Now(),
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

// Submit prepares one SQE per request and enters the kernel once for the
// whole batch.
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
	t0 := time.Since(e.base)
	for i := range reqs {
		r := &reqs[i]
		sqe, err := e.ring.NextSQE()
		if err != nil {
			// Cannot happen: the SQ holds at least Depth entries and
			// every SQE handed out is in flight. Undo this batch.
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
	if _, err := e.ring.Submit(); err != nil {
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY) {
			// The kernel is short of memory for requests, or its CQ
			// overflow list is full: the SQEs stay queued and go in with
			// the next Wait, which reaps first (io_uring_enter(2)).
			e.inflight += len(reqs)
			return nil
		}
		// io_uring_enter returns an error only when it consumed no SQE,
		// so the whole batch can be taken back.
		e.unqueue(len(reqs))
		return err
	}
	e.inflight += len(reqs)
	return nil
}

// unqueue takes back the last n SQEs of a batch the kernel did not
// consume and frees their slots.
func (e *uringEngine) unqueue(n int) {
	e.ring.Discard(n)
	// The batch popped its slots off the top of the stack and pushed
	// nothing since: they are still in the backing array past len.
	e.free = e.free[:len(e.free)+n]
}

func (e *uringEngine) Wait(min int, out []Completion) (int, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if err := checkWait(min, len(out), e.inflight); err != nil {
		return 0, err
	}
	n, err := e.reap(out)
	if err != nil {
		return n, err
	}
	switch {
	case n < min || (n < len(out) && e.ring.Unsubmitted() > 0):
		// Block in the kernel for the rest, submitting whatever an
		// earlier EAGAIN left queued.
		if _, err := e.ring.SubmitAndWait(min - n); err != nil {
			return n, err
		}
	case n == 0 && e.inflight > 0 && e.ring.NeedsEnter():
		// A poll: with COOP_TASKRUN finished requests may wait for the
		// next kernel entry before their CQEs appear.
		if err := e.ring.Poll(); err != nil {
			return n, err
		}
	default:
		return n, nil
	}
	m, err := e.reap(out[n:])
	return n + m, err
}

// reap moves ready CQEs into out and frees their slots. The clock is read
// once per batch: every completion in it was reaped at that moment.
func (e *uringEngine) reap(out []Completion) (int, error) {
	k := e.ring.Reap(e.cqes[:min(len(out), len(e.cqes))])
	if k == 0 {
		return 0, nil
	}
	now := time.Since(e.base)
	for i, c := range e.cqes[:k] {
		if c.UserData >= uint64(len(e.slots)) {
			return i, fmt.Errorf("io_uring completion with unknown user_data %d", c.UserData)
		}
		s := &e.slots[c.UserData]
		out[i] = Completion{Tag: s.tag, Latency: now - s.t0}
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

func (e *uringEngine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.ring.Close()
}
