package uring

import (
	"syscall"
	"unsafe"
)

// Opcodes (enum io_uring_op in include/uapi/linux/io_uring.h). Only the
// ones this package prepares are listed.
const (
	OpNop        uint8 = 0
	OpReadv      uint8 = 1
	OpWritev     uint8 = 2
	OpReadFixed  uint8 = 4
	OpWriteFixed uint8 = 5
	OpRead       uint8 = 22
	OpWrite      uint8 = 23
)

// SQE flags (sqe->flags).
const (
	// SQEFixedFile says SQE.Fd is an index into the files registered with
	// RegisterFiles rather than a file descriptor.
	SQEFixedFile uint8 = 1 << 0
)

// io_uring_setup(2) flags.
const (
	setupClamp        uint32 = 1 << 4  // clamp SQ/CQ sizes instead of EINVAL (5.6)
	setupRDisabled    uint32 = 1 << 6  // created disabled, enabled by IORING_REGISTER_ENABLE_RINGS (5.10)
	setupSubmitAll    uint32 = 1 << 7  // keep submitting after an SQE fails (5.18)
	setupCoopTaskrun  uint32 = 1 << 8  // no IPI to run completion task work (5.19)
	setupTaskrunFlag  uint32 = 1 << 9  // IORING_SQ_TASKRUN tells when to enter (5.19)
	setupSingleIssuer uint32 = 1 << 12 // only the creating (or enabling) task submits (6.0)
	setupDeferTaskrun uint32 = 1 << 13 // completion work waits for the issuer's GETEVENTS (6.1)
)

// Setup flags as reported by Ring.Flags, for callers and tests.
const (
	FlagClamp        = setupClamp
	FlagSubmitAll    = setupSubmitAll
	FlagCoopTaskrun  = setupCoopTaskrun
	FlagTaskrunFlag  = setupTaskrunFlag
	FlagSingleIssuer = setupSingleIssuer
	FlagRDisabled    = setupRDisabled
	FlagDeferTaskrun = setupDeferTaskrun
)

// io_uring_params.features.
const (
	FeatSingleMmap uint32 = 1 << 0 // SQ and CQ rings share one mapping (5.4)
	FeatNoDrop     uint32 = 1 << 1 // CQ overflow is kept, not dropped (5.5)
	FeatExtArg     uint32 = 1 << 8 // io_uring_enter takes a getevents_arg with a timeout (5.11)
)

// sq_ring->flags.
const (
	sqCQOverflow uint32 = 1 << 1
	sqTaskrun    uint32 = 1 << 2
)

// io_uring_enter(2) flags.
const (
	enterGetEvents uint32 = 1 << 0
	enterExtArg    uint32 = 1 << 3 // arg is a getEventsArg (FeatExtArg)
)

// io_uring_register(2) opcodes.
const (
	registerBuffers             = 0
	unregisterBuffers           = 1
	registerFiles               = 2
	unregisterFiles             = 3
	registerProbe               = 8
	registerEnableRings         = 12
	opSupportedProbeFlag        = 1 // IO_URING_OP_SUPPORTED
	probeOpsLen                 = 256
	maxEntries                  = 32768      // IORING_MAX_ENTRIES
	maxRW                       = 0x7ffff000 // MAX_RW_COUNT with 4 KiB pages
	offSQRing            uint64 = 0
	offCQRing            uint64 = 0x8000000
	offSQEs              uint64 = 0x10000000
)

// SQE is struct io_uring_sqe (64 bytes). The unions of the C struct are
// flattened to the members this package uses.
type SQE struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64 // file offset (union off/addr2)
	Addr        uint64 // buffer or iovec array address
	Len         uint32 // bytes, or number of iovecs
	OpFlags     uint32 // rw_flags and the other per-opcode flag unions
	UserData    uint64 // returned unchanged in the CQE
	BufIndex    uint16 // registered buffer index for READ_FIXED/WRITE_FIXED
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	_           uint64
}

// CQE is struct io_uring_cqe (16 bytes, no IORING_SETUP_CQE32).
type CQE struct {
	UserData uint64
	Res      int32 // bytes transferred, or -errno
	Flags    uint32
}

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// params is struct io_uring_params (120 bytes).
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqringOffsets
	cqOff                                                                  cqringOffsets
}

// getEventsArg is struct io_uring_getevents_arg, the argument of
// io_uring_enter(2) with IORING_ENTER_EXT_ARG: a signal mask (none here)
// and the address of a relative timeout for the wait.
type getEventsArg struct {
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32 // 6.12; zero: no minimum wait
	ts          uint64 // address of a kernelTimespec
}

// kernelTimespec is struct __kernel_timespec, 64-bit fields on every
// architecture (unix.Timespec has 32-bit ones on 386 and arm).
type kernelTimespec struct {
	sec, nsec int64
}

// probeOp and probe are struct io_uring_probe_op and struct
// io_uring_probe with room for every opcode (IORING_REGISTER_PROBE, 5.6).
type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

type probe struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
	ops    [probeOpsLen]probeOp
}

// Compile-time checks of the ABI sizes: a wrong layout fails the build.
var (
	_ [64 - unsafe.Sizeof(SQE{})]byte
	_ [unsafe.Sizeof(SQE{}) - 64]byte
	_ [16 - unsafe.Sizeof(CQE{})]byte
	_ [unsafe.Sizeof(CQE{}) - 16]byte
	_ [120 - unsafe.Sizeof(params{})]byte
	_ [unsafe.Sizeof(params{}) - 120]byte
	_ [24 - unsafe.Sizeof(getEventsArg{})]byte
	_ [unsafe.Sizeof(getEventsArg{}) - 24]byte
)

// PrepNop makes s a no-op that completes with Res 0.
func (s *SQE) PrepNop(userData uint64) {
	*s = SQE{Opcode: OpNop, UserData: userData}
}

// PrepRead makes s read len(b) bytes at off from fd (a descriptor, or a
// registered file index when fixedFile). b must stay valid and unmoved
// until the CQE is reaped (see the package doc); only its address is kept.
func (s *SQE) PrepRead(fd int32, fixedFile bool, b []byte, off int64, userData uint64) {
	s.prepRW(OpRead, fd, fixedFile, b, off, userData)
}

// PrepWrite makes s write b at off to fd; see PrepRead.
func (s *SQE) PrepWrite(fd int32, fixedFile bool, b []byte, off int64, userData uint64) {
	s.prepRW(OpWrite, fd, fixedFile, b, off, userData)
}

// PrepReadFixed makes s read into b, which must lie inside the buffer
// registered at index bufIndex (the kernel checks and answers EFAULT).
func (s *SQE) PrepReadFixed(fd int32, fixedFile bool, b []byte, off int64, bufIndex uint16, userData uint64) {
	s.prepRW(OpReadFixed, fd, fixedFile, b, off, userData)
	s.BufIndex = bufIndex
}

// PrepWriteFixed makes s write b, inside registered buffer bufIndex.
func (s *SQE) PrepWriteFixed(fd int32, fixedFile bool, b []byte, off int64, bufIndex uint16, userData uint64) {
	s.prepRW(OpWriteFixed, fd, fixedFile, b, off, userData)
	s.BufIndex = bufIndex
}

// PrepReadv makes s read into the iovecs at iov (nr of them). The iovec
// array is read at submission time, the buffers it names until completion.
func (s *SQE) PrepReadv(fd int32, fixedFile bool, iov unsafe.Pointer, nr int, off int64, userData uint64) {
	s.prepVec(OpReadv, fd, fixedFile, iov, nr, off, userData)
}

// PrepWritev makes s write the iovecs at iov; see PrepReadv.
func (s *SQE) PrepWritev(fd int32, fixedFile bool, iov unsafe.Pointer, nr int, off int64, userData uint64) {
	s.prepVec(OpWritev, fd, fixedFile, iov, nr, off, userData)
}

func (s *SQE) prepRW(op uint8, fd int32, fixedFile bool, b []byte, off int64, userData uint64) {
	// The address even of an empty slice: READ_FIXED checks it against
	// the registered buffer whatever the length.
	addr := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	n := len(b)
	if n > maxRW {
		// The kernel caps a read or write at MAX_RW_COUNT anyway
		// (fs/read_write.c) and reports the short count; capping here
		// keeps a huge slice from wrapping the 32-bit len field.
		n = maxRW
	}
	*s = SQE{Opcode: op, Fd: fd, Off: uint64(off), Addr: addr, Len: uint32(n), UserData: userData}
	if fixedFile {
		s.Flags |= SQEFixedFile
	}
}

func (s *SQE) prepVec(op uint8, fd int32, fixedFile bool, iov unsafe.Pointer, nr int, off int64, userData uint64) {
	*s = SQE{Opcode: op, Fd: fd, Off: uint64(off), Addr: uint64(uintptr(iov)), Len: uint32(nr), UserData: userData}
	if fixedFile {
		s.Flags |= SQEFixedFile
	}
}

// Errno returns the error of a failed request (Res < 0), or 0.
func (c CQE) Errno() syscall.Errno {
	if c.Res < 0 {
		return syscall.Errno(-c.Res)
	}
	return 0
}
