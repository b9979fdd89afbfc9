// Package engine issues reads and writes of pinned buffers at file offsets
// and reaps their completions, with one interface over two
// implementations: "uring" (io_uring through internal/uring, with the
// files always registered and the buffers registered for
// READ_FIXED/WRITE_FIXED when Options.Fixed) and "sync" (Depth worker
// goroutines doing pread/pwrite, or preadv/pwritev through package sgl
// when Options.Vectored). "auto" picks uring when the kernel allows it and
// otherwise sync, and says so in the Fallback New returns; asking for
// "uring" never falls back. "auto" also picks sync when one of the files is
// a block device that does not take non-blocking I/O (preadv2 with
// RWF_NOWAIT fails with EOPNOTSUPP, as on zram): io_uring would hand every
// request on it to a kernel worker thread, which measured slower than
// pread/pwrite there (docs/benchmarks.md).
//
// # Guarantees
//
//   - At most Options.Depth requests are in flight; Submit refuses more
//     (ErrQueueFull) and queues nothing when it returns an error.
//   - Completion.N is what the kernel transferred: a short read at the end
//     of a file or device is reported as such, not retried (with Vectored,
//     sgl resumes a transfer cut short before the end); a read at or past
//     the end gives N 0 and no error.
//   - Completion.Err wraps the errno in an *os.SyscallError ("pread",
//     "pwrite", "io_uring read", "io_uring write_fixed", ...; with
//     Vectored, sgl's error, which wraps the errno too), so
//     errors.Is(err, unix.EINVAL) works.
//   - Completion.Latency is, for every engine, the time from the start of
//     the Submit call that queued the request to the moment Wait reaped
//     its completion. The clock is read once at the start of Submit and
//     once per batch of completions a Wait reaps (every completion in the
//     batch was reaped at that moment), never once per request: once per
//     Wait, however many times it entered the kernel. Completion.Reaped is
//     that moment, so the caller need not read the clock again after a
//     Wait.
//   - Submit only queues: the uring engine writes the SQEs and enters the
//     kernel not at all; the next Wait hands them over, in the same
//     io_uring_enter(2) that waits for completions (to_submit and
//     min_complete together) when enough completions are ready or nothing
//     else is in the kernel, so at depth 1 a Submit-Wait cycle is one
//     system call instead of two. When it has to wait while other requests
//     are in the kernel it submits, looks, and waits in a second call only
//     if nothing finished meanwhile (measured faster; see enter in
//     uring_linux.go). More than Options.SubmitBatch queued requests (1 by
//     default, as fio) go over in entries of that many before the last one,
//     so the device starts on the first while the kernel prepares the
//     rest. Every Wait, Wait(0) included, first hands over
//     everything queued before it, so nothing queued can be left behind;
//     Wait(0, nil) does only that. A caller that does other, blocking
//     work between Submit and Wait (a write to a pipe, say) and wants the
//     device busy meanwhile calls Wait(0, nil) right after Submit. Close
//     drops what no Wait has handed over: it never runs.
//   - Wait(0) polls: it submits, reaps what has finished and never
//     blocks; a Wait(0) with nothing to submit and nothing pending in the
//     kernel makes no system call.
//   - Neither engine allocates per I/O. The sync engine hands each
//     request to a worker goroutine through a preallocated ring guarded
//     by a mutex, wakes only as many idle workers as there are new
//     requests, and wakes Wait once, when the completions it asked for
//     are in; at Depth 1, where nothing can overlap, Submit does the
//     pread or pwrite itself and Wait returns its result. The hand-off
//     costs a lock and a wake-up per request: for rawcp's pieces of 1 to
//     8 MiB that is a few thousand a second at most, for 4 KiB reads on
//     zram hundreds of thousands (0.8 of fio's IOPS at depth 32), so
//     rawbench instead runs a sync job deeper than 1 as that many depth-1
//     engines, one per goroutine (package workload).
//   - The uring engine sets its ring up with COOP_TASKRUN unless
//     Options.DeferTaskrun asks for what fio 3.33 uses,
//     IORING_SETUP_DEFER_TASKRUN with SINGLE_ISSUER. That ties the ring
//     to one OS thread (EEXIST from any other), so the ring is created
//     disabled and enabled by the first Wait, whose thread must drive the
//     engine from then on. Neither setup is faster everywhere: with
//     fio's own setup replaced by this engine's default
//     (bench/ringflags.c), fio's 4 KiB reads at depth 32 on zram, where
//     every request goes to an io-wq worker, were 13-18% faster, and at
//     depth 1 on a loop device 2% slower, with 1.7 µs more system time
//     per I/O (docs/benchmarks.md, "fio's ring flags").
//   - The uring engine never leaves its goroutine in one system call, nor
//     away from the Go scheduler, for as long as 10 ms, past which the
//     runtime's sysmon thread takes the goroutine's P and then polls every
//     20 µs for a millisecond and more. Once a wait has taken more than
//     2 ms, the waits of the next second sleep at most 4 ms per
//     io_uring_enter(2) and yield between entries (internal/uring's
//     Config.WaitSlice); faster devices wait in one call with no timer.
//     1 MiB reads at depth 32 from a loop device, whose completions came
//     11-14 ms apart: 11-16 µs of system time per I/O instead of 43-55,
//     at the same rate.
//
// # Caveats
//
//   - The sync engine cannot cut a pread or pwrite short: one that takes
//     10 ms or more (1 MiB requests queued 32 deep behind a loop device)
//     loses its P to sysmon, which then polls every 20 µs. With
//     Options.KeepP, at Depth 1, it makes raw system calls instead,
//     which sysmon leaves alone, for callers that give each such
//     goroutine a P of its own (package workload's lanes): user 5-8 and
//     system 10-15 µs per I/O on that job against 13-28 and 28-45
//     (docs/benchmarks.md, "Waits cut short of sysmon").
//   - Devices without non-blocking submission (bio-based drivers such as
//     zram lack BLK_FEAT_NOWAIT) make io_uring hand every request to a
//     kernel worker thread (io-wq): at depth 1 that costs several times a
//     pread (fio shows the same); at higher depths the workers overlap.
//   - Closing the sync engine waits for the reads and writes already
//     running to return: a blocking system call cannot be cancelled.
//
// # Memory and ownership
//
// Request.Data must be a sub-slice of Options.Buffers[Request.Buf] and stay
// valid, unread and unwritten by the caller until its completion is reaped.
// The buffers must be mmap'd memory (package pin), never the Go heap: the
// kernel uses them after Submit returns. The engine does not own or close
// Options.Files nor free the buffers; close the engine first.
//
// Submit is variadic; calling it through the Engine interface with
// separate arguments makes the compiler allocate the argument slice, so
// hot loops keep a []Request and call Submit(reqs...).
//
// # Concurrency
//
// An Engine is driven by one goroutine at a time: Submit, Wait and InFlight
// are not safe for concurrent use. Close must not race with them. Which
// goroutine, or OS thread, makes the calls does not matter, except with
// Options.DeferTaskrun: then every call after the first Wait comes from
// that Wait's OS thread.
package engine
