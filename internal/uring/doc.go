// Package uring is a small io_uring binding on golang.org/x/sys/unix: it
// sets up a ring, maps its submission and completion queues, prepares
// read, write, fixed-buffer and no-op submission queue entries (SQEs),
// registers buffers and files, enters the kernel and reaps completion
// queue entries (CQEs). It covers what package engine needs and no more.
//
// The layouts and constants follow include/uapi/linux/io_uring.h; the
// protocol follows io_uring_setup(2), io_uring_enter(2) and
// io_uring_register(2).
//
// # Memory
//
// The rings and the SQE array are mmap'd from the ring file descriptor and
// shared with the kernel. The head and tail indexes in them are read and
// written only with sync/atomic, which gives the acquire/release ordering
// io_uring(7) asks for: an SQE is fully written before the tail that
// publishes it, and a CQE is read only after the tail that announced it.
// No Go pointer is ever stored in shared memory: user_data is an integer
// tag chosen by the caller.
//
// A buffer named in an SQE (by address, or registered with
// RegisterBuffers) is used by the kernel after the call that queued it
// returns, until its CQE is reaped. It must therefore not be Go heap or
// stack memory, which the garbage collector may free or (for stacks) move:
// use mmap'd memory, such as a pin.Region.
//
// # Concurrency
//
// A Ring is not safe for concurrent use; one goroutine drives it. With
// Config.SingleIssuer the kernel also insists that every submission comes
// from the OS thread that created the ring (it answers EEXIST otherwise),
// so that goroutine must call runtime.LockOSThread before New; with
// Config.DeferTaskrun the ring is created disabled and the thread that
// calls Enable becomes its issuer instead, so it may be set up elsewhere.
// With Config.WaitSlice a long wait yields the goroutine to the Go
// scheduler (runtime.Gosched) between its slices.
//
// # Platforms
//
// Linux only. Elsewhere New and Probe return ErrNotSupported.
package uring
