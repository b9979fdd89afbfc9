// Package xfer provides the copy pipeline behind rawcp: a source and a
// destination (regular files, block devices, or pipes) copied with O_DIRECT
// through a ring of pinned buffers, reads and writes overlapping through
// one engine (io_uring or synchronous workers, package engine).
//
// # Pipeline
//
// Copy allocates one region of Depth × BlockSize bytes with package pin
// (locked per Options.Lock) and slices it into Depth buffers. Each buffer
// cycles free → read → write → free; up to Depth requests are in flight
// at once, so the slower side sets the pace. Both files are registered
// with the engine, and with io_uring the buffers too (READ_FIXED and
// WRITE_FIXED). Each side's alignment comes from aligned.Discover; the
// block size must be a multiple of both sides' offset and memory
// alignment, and Skip and Seek of their side's, or Copy refuses before
// writing anything and names the rule.
//
// # Guarantees
//
//   - Every refusal (same file, destination device too small or in use,
//     missing path, directory, no O_DIRECT without AllowBuffered, a block
//     size or offset that breaks an alignment rule, buffers that cannot be
//     locked under LockRequire, an engine that cannot start, a regular-file
//     destination that fallocate(2) cannot reserve: ENOSPC, EDQUOT, EFBIG)
//     happens before any byte is written. The destination is opened without O_TRUNC; one
//     that did not exist is created only after the checks (O_DIRECT support
//     is probed on an unnamed O_TMPFILE) and removed if the engine then
//     fails. A block-device destination is opened with O_EXCL, so a mounted
//     or otherwise claimed device is refused (EBUSY).
//   - Everything up to the last multiple of the destination's alignment is
//     written with O_DIRECT. A shorter remainder (the tail) is written with
//     an O_DIRECT read-modify-write of the last block on a block device,
//     and on a regular file with a buffered pwrite that is synced and then
//     dropped with POSIX_FADV_DONTNEED; Summary.Tail and Summary.Fallbacks
//     say so.
//   - Short reads are accumulated (pipes, the end of a device). A source
//     file's unaligned end is read with an O_DIRECT read that returns
//     short; a file system that answers EINVAL there gets that last piece
//     read through the page cache, reported as a fallback.
//   - The destination is fdatasync'ed at the end unless NoFsync. O_DIRECT
//     bypasses the page cache; it does not make data durable by itself.
//     A regular-file destination is preallocated with fallocate(2) when
//     the size is known and truncated to the copied length unless Seek or
//     NoTruncate.
//   - Nothing falls back silently: the sync engine instead of io_uring,
//     unregistered or unlocked buffers, a side without O_DIRECT, a
//     buffered tail, a file system without fallocate, all appear in
//     Summary.Fallbacks.
//   - Cancelling the context stops submitting reads, completes the I/O in
//     flight and writes what was read, syncs and (where it truncates)
//     truncates the destination, and returns the Summary with
//     ErrInterrupted; the destination then holds exactly Summary.Bytes
//     bytes, a prefix of the source.
//
// # Pipes
//
// "-" is stdin or stdout. A stream of unknown length written to a block
// device fills the device and then, if the stream has more, fails with an
// error wrapping ErrTooSmall (its size could not be checked beforehand).
// A pipe has no O_DIRECT (pipe(7): O_DIRECT on a
// pipe means packet mode): it is read into the pinned buffers with read(2),
// accumulating to full blocks, or written with write(2) in order, while
// the other side stays O_DIRECT. The descriptor is switched to
// non-blocking mode for the Go poller, so that an interrupt can wake a
// read or write that would otherwise block forever; the mode is restored
// at the end.
//
// # Caveats
//
// Page-cache use is measured per side with package internal/cachestat
// (cachestat(2), else mincore(2)) before and after the copy; pages that a
// concurrent process brings in count too. Copy is Linux-only; elsewhere it
// returns ErrNotSupported. A Copy is driven by one goroutine; separate
// Copies are independent.
package xfer
