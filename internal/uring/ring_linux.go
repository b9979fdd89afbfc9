package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Config chooses how New sets a ring up.
type Config struct {
	// Entries is the submission queue size, 1 to 32768; the kernel rounds
	// it up to a power of two. The completion queue is twice as large.
	Entries int

	// CoopTaskrun asks for IORING_SETUP_COOP_TASKRUN with
	// IORING_SETUP_TASKRUN_FLAG (Linux 5.19): completions are run on the
	// next kernel entry instead of interrupting the submitting thread with
	// an IPI, and the ring's flags say when an entry is needed to see
	// them. Dropped when the kernel answers EINVAL.
	CoopTaskrun bool

	// SingleIssuer asks for IORING_SETUP_SINGLE_ISSUER (Linux 6.0). The
	// kernel then accepts submissions only from the OS thread that called
	// New (EEXIST otherwise): call runtime.LockOSThread first. Dropped
	// when the kernel answers EINVAL.
	SingleIssuer bool

	// DeferTaskrun asks for IORING_SETUP_DEFER_TASKRUN (Linux 6.1), with
	// SINGLE_ISSUER and TASKRUN_FLAG, as fio 3.33 sets its rings up:
	// completion work is queued on the ring and run only when the issuing
	// thread enters the kernel to wait for completions (GETEVENTS),
	// never by interrupting it. The ring is created disabled
	// (IORING_SETUP_R_DISABLED, 5.10) so that it can be set up on one
	// thread and driven from another: until Enable, io_uring_enter fails
	// with EBADFD; the thread that calls Enable is the only one that may
	// submit, wait or register afterwards (EEXIST from any other), so
	// its goroutine must be locked to it (runtime.LockOSThread). Dropped
	// when the kernel answers EINVAL, like the other flags: check Flags.
	DeferTaskrun bool

	// WaitSlice, when positive, is the longest one io_uring_enter(2) may
	// sleep waiting for completions once waits have been seen to be long.
	// The Go runtime's sysmon thread takes the P of a goroutine that has
	// stayed in one system call, or gone without passing through the
	// scheduler, for 10 ms (retake and forcePreemptNS in
	// runtime/proc.go), and after every such retake it polls every 20 µs
	// for a millisecond and more: 1 MiB reads at depth 32 from a loop
	// device, whose completions came in bursts 11-14 ms apart, had sysmon
	// spend 45 ms of CPU a second, twice the I/O thread's own
	// (docs/benchmarks.md, "Waits cut short of sysmon").
	//
	// So after a wait that took more than half of WaitSlice, the waits of
	// the next second are each made of several calls with a timeout of
	// WaitSlice (IORING_ENTER_EXT_ARG, Linux 5.11) and runtime.Gosched
	// between them. The other waits are one call without a timeout: the
	// timer a timeout arms cost 4 KiB reads from zram at depth 1 about
	// 0.8 µs of system time per I/O and 7% of their rate. Choose
	// WaitSlice well under 10 ms. Zero: every wait is one call, as on a
	// kernel without FeatExtArg (WaitSlice reports the value in force).
	WaitSlice time.Duration
}

// Ring is one io_uring instance with its mapped queues.
type Ring struct {
	fd       int
	flags    uint32 // setup flags the kernel accepted
	features uint32

	ringMem []byte // SQ ring, and the CQ ring with FeatSingleMmap
	cqMem   []byte // the CQ ring when mapped on its own, else nil
	sqeMem  []byte

	sqHead, sqTail, sqFlags *uint32
	sqMask, sqEntries       uint32
	sqes                    []SQE
	sqeTail                 uint32 // next SQE handed out; published to *sqTail on submit

	cqHead, cqTail    *uint32
	cqMask, cqEntries uint32
	cqes              []CQE

	// iovecs and files keep what was registered; the kernel copies them
	// during io_uring_register(2), but holding them costs nothing and
	// makes the ring's registrations inspectable.
	iovecs []unix.Iovec
	files  []int32

	// slice is Config.WaitSlice when the kernel has FeatExtArg, else 0;
	// waitTS and waitArg are the timeout and the io_uring_enter(2)
	// argument that names it, set once by New and kept here, off the
	// stack, because waitArg holds waitTS's address as an integer. waitEnd is when the last wait
	// returned and longAt when a wait last took more than half the slice
	// (since base); sliceEnds counts the waits that ran out their slice
	// (for tests).
	slice     time.Duration
	waitTS    kernelTimespec
	waitArg   getEventsArg
	base      time.Time
	waitEnd   time.Duration
	longAt    time.Duration
	sliceEnds int

	enabled bool // Enable succeeded (rings created with FlagRDisabled)
	closed  bool
}

// New sets up a ring with io_uring_setup(2) and maps its queues. Setup
// flags the kernel refuses with EINVAL are dropped one at a time, newest
// first; Flags reports what was accepted. Errors wrap the errno
// (os.SyscallError).
func New(cfg Config) (*Ring, error) {
	if cfg.Entries < 1 || cfg.Entries > maxEntries {
		return nil, fmt.Errorf("io_uring: %d entries out of range 1..%d: %w", cfg.Entries, maxEntries, unix.EINVAL)
	}
	want := setupClamp | setupSubmitAll
	if cfg.CoopTaskrun {
		want |= setupCoopTaskrun | setupTaskrunFlag
	}
	if cfg.SingleIssuer {
		want |= setupSingleIssuer
	}
	// The flags DEFER_TASKRUN brings that the caller did not ask for on
	// their own go with it when the kernel refuses it: a ring without
	// DEFER_TASKRUN is not left single-issuer and disabled.
	var withDefer uint32
	if cfg.DeferTaskrun {
		withDefer = setupDeferTaskrun | setupRDisabled
		if !cfg.SingleIssuer {
			withDefer |= setupSingleIssuer
		}
		if !cfg.CoopTaskrun {
			withDefer |= setupTaskrunFlag
		}
		want |= withDefer
	}
	// Newest flag first: a kernel that lacks one lacks the later ones.
	optional := []uint32{setupDeferTaskrun, setupSingleIssuer, setupTaskrunFlag, setupCoopTaskrun, setupSubmitAll, setupRDisabled, setupClamp}
	var p params
	var fd int
	for {
		p = params{flags: want}
		var errno unix.Errno
		fd, errno = setupRing(uint32(cfg.Entries), &p)
		if errno == 0 {
			break
		}
		if errno != unix.EINVAL || want == 0 {
			return nil, os.NewSyscallError("io_uring_setup", errno)
		}
		for len(optional) > 0 && want&optional[0] == 0 {
			optional = optional[1:]
		}
		if len(optional) == 0 {
			return nil, os.NewSyscallError("io_uring_setup", errno)
		}
		if optional[0] == setupDeferTaskrun {
			want &^= withDefer
		}
		want &^= optional[0]
		optional = optional[1:]
	}
	r := &Ring{fd: fd, flags: want, features: p.features}
	if cfg.WaitSlice > 0 && p.features&FeatExtArg != 0 {
		r.slice = cfg.WaitSlice
		ns := cfg.WaitSlice.Nanoseconds()
		r.waitTS = kernelTimespec{sec: ns / 1e9, nsec: ns % 1e9}
		r.waitArg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&r.waitTS)))}
		r.base = time.Now()
		r.longAt = -sliceHold - 1
	}
	if err := r.mmap(&p); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// setupRing is setup; a variable so tests can play an older kernel.
var setupRing = setup

// setup calls io_uring_setup(2). It cannot be interrupted (no EINTR).
func setup(entries uint32, p *params) (int, unix.Errno) {
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), 0
}

// mmap maps the rings and the SQE array (io_uring_setup(2), "the rings
// are mapped with mmap at the IORING_OFF_* offsets").
func (r *Ring) mmap(p *params) error {
	sqSize := int(p.sqOff.array) + int(p.sqEntries)*4
	cqSize := int(p.cqOff.cqes) + int(p.cqEntries)*int(unsafe.Sizeof(CQE{}))
	single := p.features&FeatSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	const prot = unix.PROT_READ | unix.PROT_WRITE
	const flags = unix.MAP_SHARED | unix.MAP_POPULATE
	var err error
	if r.ringMem, err = unix.Mmap(r.fd, int64(offSQRing), sqSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap io_uring sq ring", err)
	}
	cq := r.ringMem
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, int64(offCQRing), cqSize, prot, flags); err != nil {
			return os.NewSyscallError("mmap io_uring cq ring", err)
		}
		cq = r.cqMem
	}
	sqeSize := int(p.sqEntries) * int(unsafe.Sizeof(SQE{}))
	if r.sqeMem, err = unix.Mmap(r.fd, int64(offSQEs), sqeSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap io_uring sqes", err)
	}

	u32 := func(mem []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }
	sq := r.ringMem
	r.sqHead = u32(sq, p.sqOff.head)
	r.sqTail = u32(sq, p.sqOff.tail)
	r.sqFlags = u32(sq, p.sqOff.flags)
	r.sqMask = *u32(sq, p.sqOff.ringMask)
	r.sqEntries = *u32(sq, p.sqOff.ringEntries)
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), r.sqEntries)
	// SQEs are always used in ring order, so the indirection array is
	// the identity, written once (liburing does the same).
	array := unsafe.Slice(u32(sq, p.sqOff.array), r.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.sqeTail = atomic.LoadUint32(r.sqTail)

	r.cqHead = u32(cq, p.cqOff.head)
	r.cqTail = u32(cq, p.cqOff.tail)
	r.cqMask = *u32(cq, p.cqOff.ringMask)
	r.cqEntries = *u32(cq, p.cqOff.ringEntries)
	r.cqes = unsafe.Slice((*CQE)(unsafe.Pointer(&cq[p.cqOff.cqes])), r.cqEntries)
	return nil
}

// Close unregisters the files and buffers, unmaps the queues and closes
// the ring. Requests still in flight are cancelled by the kernel; their
// buffers must stay valid until then, so drain first. A second Close
// returns nil.
//
// Closing the ring fd alone would drop the registrations later, from a
// kernel worker (io_uring/io_uring.c io_ring_exit_work): a registered
// block device would stay open (a zram reset or an O_EXCL open would see
// EBUSY) and the pages stay charged to RLIMIT_MEMLOCK for a while after
// Close returned. Unregistering first releases both before Close returns.
// A ring with an issuer (FlagSingleIssuer, once enabled) accepts that only
// from the issuing thread: from any other the kernel answers EEXIST, and
// Close then leaves the registrations to go with the ring, later, as above.
func (r *Ring) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	unregister := func(op uintptr, what string) {
		errno := register(r.fd, op, nil, 0)
		if errno == unix.EEXIST && r.flags&setupSingleIssuer != 0 {
			return // not the issuer: released with the ring
		}
		if errno != 0 {
			errs = append(errs, os.NewSyscallError("io_uring_register unregister "+what, errno))
		}
	}
	if r.files != nil {
		unregister(unregisterFiles, "files")
		r.files = nil
	}
	if r.iovecs != nil {
		unregister(unregisterBuffers, "buffers")
		r.iovecs = nil
	}
	for _, m := range []*[]byte{&r.sqeMem, &r.cqMem, &r.ringMem} {
		if *m != nil {
			if err := unix.Munmap(*m); err != nil {
				errs = append(errs, os.NewSyscallError("munmap", err))
			}
			*m = nil
		}
	}
	r.sqHead, r.sqTail, r.sqFlags, r.cqHead, r.cqTail = nil, nil, nil, nil, nil
	r.sqes, r.cqes = nil, nil
	if r.fd >= 0 {
		if err := unix.Close(r.fd); err != nil {
			errs = append(errs, os.NewSyscallError("close", err))
		}
		r.fd = -1
	}
	return errors.Join(errs...)
}

// Fd returns the ring's file descriptor.
func (r *Ring) Fd() int { return r.fd }

// Flags returns the setup flags the kernel accepted (Flag* constants).
func (r *Ring) Flags() uint32 { return r.flags }

// Features returns io_uring_params.features (Feat* constants).
func (r *Ring) Features() uint32 { return r.features }

// Enable enables a ring created disabled (FlagRDisabled, as
// Config.DeferTaskrun asks) with IORING_REGISTER_ENABLE_RINGS; with
// FlagSingleIssuer the calling thread becomes the ring's only issuer. On
// a ring that is enabled already it does nothing.
func (r *Ring) Enable() error {
	if r.closed {
		return ErrClosed
	}
	if r.flags&setupRDisabled == 0 || r.enabled {
		return nil
	}
	if errno := register(r.fd, registerEnableRings, nil, 0); errno != 0 {
		return os.NewSyscallError("io_uring_register enable rings", errno)
	}
	r.enabled = true
	return nil
}

// WaitSlice returns the longest one wait may sleep (Config.WaitSlice) when
// the kernel takes a timeout with it, else 0: every wait is then one call.
func (r *Ring) WaitSlice() time.Duration { return r.slice }

// SQEntries returns the submission queue size.
func (r *Ring) SQEntries() int { return int(r.sqEntries) }

// CQEntries returns the completion queue size.
func (r *Ring) CQEntries() int { return int(r.cqEntries) }

// NextSQE returns the next free submission queue entry, which the caller
// fills (a Prep method overwrites all of it). It only writes memory: the
// SQE is handed to the kernel by the next Submit or SubmitAndWait.
// ErrQueueFull when none is free.
func (r *Ring) NextSQE() (*SQE, error) {
	if r.closed {
		return nil, ErrClosed
	}
	// The kernel advances the head (release) once it has consumed SQEs.
	if r.sqeTail-atomic.LoadUint32(r.sqHead) >= r.sqEntries {
		return nil, ErrQueueFull
	}
	s := &r.sqes[r.sqeTail&r.sqMask]
	r.sqeTail++
	return s, nil
}

// Unsubmitted returns how many SQEs were handed out by NextSQE and not
// yet consumed by the kernel.
func (r *Ring) Unsubmitted() int {
	if r.closed {
		return 0
	}
	return int(r.sqeTail - atomic.LoadUint32(r.sqHead))
}

// Discard takes back the last n SQEs handed out by NextSQE, as far as the
// kernel has not consumed them, and returns how many it took back. It is
// for undoing a batch that io_uring_enter(2) refused; the kernel reads the
// tail only inside io_uring_enter, so lowering it in between is safe.
func (r *Ring) Discard(n int) int {
	if r.closed || n <= 0 {
		return 0
	}
	n = min(n, int(r.sqeTail-atomic.LoadUint32(r.sqHead)))
	r.sqeTail -= uint32(n)
	atomic.StoreUint32(r.sqTail, r.sqeTail)
	return n
}

// Submit hands the queued SQEs to the kernel with one io_uring_enter(2)
// and returns how many it consumed. Fewer than were queued is not an
// error (the kernel stopped early); the rest stay queued for the next
// call.
func (r *Ring) Submit() (int, error) {
	return r.SubmitAndWait(0)
}

// SubmitAndWait submits the queued SQEs and blocks until at least waitNr
// CQEs are ready to Reap, in one io_uring_enter(2) with both to_submit
// and min_complete (IORING_ENTER_GETEVENTS) when the kernel takes the
// whole batch; at least waitNr requests must be outstanding, or it blocks
// for good. It enters the kernel only when there is something to submit
// or to wait for. GETEVENTS is passed whenever it enters, even for
// waitNr 0: it costs nothing when there is nothing to wait for, and it
// runs the completion work CoopTaskrun deferred (io_uring/io_uring.c
// io_cqring_wait), so a submit-and-poll sees what has finished. EINTR is
// retried. It returns how many SQEs the kernel consumed; on an error the
// kernel consumed none of those still queued (io_uring_enter(2)).
func (r *Ring) SubmitAndWait(waitNr int) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	// Publish the new SQEs: every field was written before this store,
	// which the kernel pairs with a load-acquire of the tail. Without
	// SQPOLL the kernel reads the tail only inside io_uring_enter, so
	// publishing here rather than in NextSQE loses nothing.
	atomic.StoreUint32(r.sqTail, r.sqeTail)
	submitted := 0
	for {
		toSubmit := r.sqeTail - atomic.LoadUint32(r.sqHead)
		need := waitNr - r.Ready()
		if toSubmit == 0 && need <= 0 {
			return submitted, nil
		}
		// min_complete counts every CQE in the ring, those already there
		// included (io_cqring_wait), so ask for waitNr, not the
		// difference: asking for less returns at once and spins.
		minComplete := 0
		if need > 0 {
			minComplete = waitNr
		}
		n, errno := r.wait(toSubmit, uint32(minComplete))
		if errno == unix.EINTR || errno == unix.ETIME {
			// Nothing was submitted (io_uring_enter returns the count
			// when it was): wait again for what is still missing.
			continue
		}
		if errno != 0 {
			return submitted, os.NewSyscallError("io_uring_enter", errno)
		}
		submitted += n
		if n < int(toSubmit) && need <= 0 {
			return submitted, nil
		}
		// With GETEVENTS the kernel may return the submitted count after
		// a signal cut the wait short: the loop checks Ready again.
	}
}

// SubmitUpTo hands the kernel at most max of the queued SQEs, oldest
// first, in one io_uring_enter(2) that does not wait, and returns how many
// it consumed. Submitting a long queue in pieces lets the first requests
// reach the device while the kernel still prepares the later ones: one
// io_uring_enter plugs the block layer for all the SQEs it takes
// (io_uring/io_uring.c io_submit_state_start) and dispatches them only at
// the end. EINTR is retried.
func (r *Ring) SubmitUpTo(max int) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if max <= 0 {
		return 0, nil
	}
	head := atomic.LoadUint32(r.sqHead)
	pub := atomic.LoadUint32(r.sqTail)
	target := r.sqeTail
	if target-head > uint32(max) {
		target = head + uint32(max)
	}
	if int32(target-pub) < 0 {
		target = pub // what is published stays published
	}
	atomic.StoreUint32(r.sqTail, target)
	toSubmit := target - head
	if toSubmit == 0 {
		return 0, nil
	}
	for {
		n, errno := enter(r.fd, toSubmit, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0, os.NewSyscallError("io_uring_enter", errno)
		}
		return n, nil
	}
}

// WaitReady blocks until at least waitNr CQEs are ready to Reap without
// submitting anything; at least that many requests must be in the
// kernel. With waitNr 0 it is Poll. EINTR is retried.
func (r *Ring) WaitReady(waitNr int) error {
	if r.closed {
		return ErrClosed
	}
	for {
		minComplete := 0 // see SubmitAndWait: min_complete counts CQEs already there
		if waitNr-r.Ready() > 0 {
			minComplete = waitNr
		}
		_, errno := r.wait(0, uint32(minComplete))
		switch {
		case errno == unix.EINTR || errno == unix.ETIME:
			continue
		case errno != 0:
			return os.NewSyscallError("io_uring_enter", errno)
		case r.Ready() >= waitNr:
			return nil
		}
	}
}

// Poll enters the kernel without submitting or waiting, only to run
// pending completion work (see NeedsEnter), when there is any.
func (r *Ring) Poll() error {
	return r.WaitReady(0)
}

// NeedsEnter reports whether completions may be waiting in the kernel for
// an io_uring_enter(2) with GETEVENTS (Poll) before Reap can see them:
// task work pending with CoopTaskrun (IORING_SQ_TASKRUN), or an overflowed
// CQ (IORING_SQ_CQ_OVERFLOW). Without FlagTaskrunFlag it cannot tell and
// answers true.
func (r *Ring) NeedsEnter() bool {
	if r.closed {
		return false
	}
	if r.flags&setupTaskrunFlag == 0 {
		return true
	}
	return atomic.LoadUint32(r.sqFlags)&(sqTaskrun|sqCQOverflow) != 0
}

// sliceHold is how long after a long wait the waits stay sliced (see
// Config.WaitSlice).
const sliceHold = time.Second

// wait is io_uring_enter(2) with GETEVENTS: it submits toSubmit SQEs and
// sleeps until minComplete CQEs are ready. Within sliceHold of a long
// wait it sleeps at most the slice (see Config.WaitSlice); a wait that
// ran out its slice returns ETIME, after runtime.Gosched, and the caller
// enters again.
//
// A wait's length is told by one clock read, when it returns: the time
// since the previous wait returned is the wait plus whatever the caller
// did in between, which is short next to half a slice; a pause of the
// caller's errs towards slicing. The first wait is not judged: the time
// before it is the ring's setup.
func (r *Ring) wait(toSubmit, minComplete uint32) (int, unix.Errno) {
	if minComplete == 0 || r.slice == 0 {
		return enter(r.fd, toSubmit, minComplete, enterGetEvents)
	}
	var n int
	var errno unix.Errno
	if r.waitEnd-r.longAt > sliceHold {
		n, errno = enter(r.fd, toSubmit, minComplete, enterGetEvents)
	} else {
		n, errno = enterArg(r.fd, toSubmit, minComplete, enterGetEvents|enterExtArg, unsafe.Pointer(&r.waitArg), unsafe.Sizeof(r.waitArg))
	}
	end := time.Since(r.base)
	if r.waitEnd > 0 && end-r.waitEnd > r.slice/2 {
		r.longAt = end
	}
	r.waitEnd = end
	if errno == unix.ETIME {
		// The kernel returns ETIME only when it submitted nothing (it
		// returns the count when it did). Pass through the scheduler
		// before the next slice: see Config.WaitSlice.
		r.sliceEnds++
		runtime.Gosched()
	}
	return n, errno
}

func enter(fd int, toSubmit, minComplete, flags uint32) (int, unix.Errno) {
	return enterArg(fd, toSubmit, minComplete, flags, nil, 0)
}

// enterArg is io_uring_enter(2) with its argument: a getEventsArg with
// enterExtArg, else none.
func enterArg(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, size uintptr) (int, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), uintptr(arg), size)
	return int(n), errno
}

// Ready returns how many CQEs are waiting to be reaped.
func (r *Ring) Ready() int {
	if r.closed {
		return 0
	}
	// We own the head; the kernel publishes the tail after writing CQEs.
	return int(atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead))
}

// Reap copies up to len(out) ready CQEs into out, frees their slots and
// returns how many it copied. It never blocks.
func (r *Ring) Reap(out []CQE) int {
	if r.closed {
		return 0
	}
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail) // acquire: the CQEs before tail are written
	n := 0
	for head != tail && n < len(out) {
		out[n] = r.cqes[head&r.cqMask]
		head++
		n++
	}
	if n > 0 {
		// Release the slots only after they were copied.
		atomic.StoreUint32(r.cqHead, head)
	}
	return n
}

// RegisterBuffers registers bufs as fixed buffers 0..len(bufs)-1
// (IORING_REGISTER_BUFFERS) for READ_FIXED and WRITE_FIXED. The kernel
// pins their pages and charges them to RLIMIT_MEMLOCK unless the process
// has CAP_IPC_LOCK, separately from any mlock of the same memory. The
// memory must be mmap'd (see the package doc) and stay mapped while the
// ring lives; each buffer is at most 1 GiB.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	if r.closed {
		return ErrClosed
	}
	if len(bufs) == 0 {
		return fmt.Errorf("io_uring register buffers: no buffers: %w", unix.EINVAL)
	}
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		if len(b) == 0 {
			return fmt.Errorf("io_uring register buffers: buffer %d is empty: %w", i, unix.EINVAL)
		}
		iov[i].Base = unsafe.SliceData(b)
		iov[i].SetLen(len(b))
	}
	if errno := register(r.fd, registerBuffers, unsafe.Pointer(&iov[0]), len(iov)); errno != 0 {
		return os.NewSyscallError("io_uring_register buffers", errno)
	}
	r.iovecs = iov
	return nil
}

// RegisterFiles registers fds as fixed files 0..len(fds)-1
// (IORING_REGISTER_FILES), for SQEs with fixedFile set. The kernel holds
// its own references: closing an fd later does not affect the ring.
func (r *Ring) RegisterFiles(fds []int) error {
	if r.closed {
		return ErrClosed
	}
	if len(fds) == 0 {
		return fmt.Errorf("io_uring register files: no files: %w", unix.EINVAL)
	}
	files := make([]int32, len(fds))
	for i, fd := range fds {
		files[i] = int32(fd)
	}
	if errno := register(r.fd, registerFiles, unsafe.Pointer(&files[0]), len(files)); errno != 0 {
		return os.NewSyscallError("io_uring_register files", errno)
	}
	r.files = files
	return nil
}

// register calls io_uring_register(2), retrying EINTR (the kernel may be
// interrupted while it waits for the ring to quiesce).
func register(fd int, op uintptr, arg unsafe.Pointer, nr int) unix.Errno {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), op, uintptr(arg), uintptr(nr), 0, 0)
		if errno != unix.EINTR {
			runtime.KeepAlive(arg)
			return errno
		}
	}
}

// Supports reports whether the kernel implements every opcode in ops
// (IORING_REGISTER_PROBE, Linux 5.6; older kernels answer EINVAL).
func (r *Ring) Supports(ops ...uint8) (bool, error) {
	if r.closed {
		return false, ErrClosed
	}
	p := new(probe)
	if errno := register(r.fd, registerProbe, unsafe.Pointer(p), probeOpsLen); errno != 0 {
		return false, os.NewSyscallError("io_uring_register probe", errno)
	}
	for _, op := range ops {
		if op > p.lastOp || p.ops[op].flags&opSupportedProbeFlag == 0 {
			return false, nil
		}
	}
	return true, nil
}
