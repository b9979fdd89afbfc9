// Package engine issues reads and writes of pinned buffers at file offsets
// and reaps their completions, with one interface over two
// implementations: "uring" (io_uring through internal/uring, with the
// files always registered and the buffers registered for
// READ_FIXED/WRITE_FIXED when Options.Fixed) and "sync" (Depth worker
// goroutines doing pread/pwrite, or preadv/pwritev through package sgl
// when Options.Vectored). "auto" picks uring when the kernel allows it and
// otherwise sync, and says so in the Fallback New returns; asking for
// "uring" never falls back.
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
//     its completion.
//   - The uring engine enters the kernel once per Submit call (one
//     io_uring_enter for the whole batch) and once per Wait that has to
//     block; neither allocates. The sync engine does not allocate per I/O
//     either, but hands each request to a worker goroutine over a channel;
//     at Depth 1, where nothing can overlap, Submit does the pread or
//     pwrite itself and Wait returns its result.
//
// # Caveats
//
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
// are not safe for concurrent use. Close must not race with them.
package engine
