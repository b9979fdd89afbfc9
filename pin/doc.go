// Package pin provides memory for direct I/O that lives outside the Go
// heap and is locked in RAM: anonymous private mmap regions, page
// aligned, zero filled, populated up front, kept out of fork children
// (MADV_DONTFORK), optionally advised to use transparent huge pages, and
// mlocked according to a Policy.
//
// # Guarantees
//
// Bytes of a Region starts on a page boundary and spans whole pages; the
// memory is never moved or freed by the garbage collector, so it can be
// handed to the kernel (pread/pwrite with O_DIRECT, preadv, io_uring
// registered buffers) for as long as the Region lives. A locked region is
// resident and is never swapped out, and the process's VmLck grows by its
// length.
//
// Locking is governed by RLIMIT_MEMLOCK unless the process has
// CAP_IPC_LOCK (mlock(2); mm/mlock.c). Alloc first raises the soft limit
// to the hard limit; then LockTry returns an unlocked region that says
// why (Region.Reason), LockRequire fails with a *LockError whose message
// names the size, the limit and the way out, and LockOff does not lock.
// Nothing falls back silently: an unlocked region always carries its
// reason, for the caller to report.
//
// # Caveats
//
// mlock keeps pages resident, not physically fixed: the kernel may still
// migrate them (compaction, /proc/sys/vm/compact_unevictable_allowed), so
// it pins the pages again for each O_DIRECT I/O (pin_user_pages in
// iov_iter_extract_pages), and io_uring's registered buffers are the
// long-term pin. Huge pages are best effort (Region.HugePages).
//
// Raising RLIMIT_MEMLOCK changes the whole process and is inherited by
// its children.
//
// Ownership: a Region is freed only by Free or by Release with the exact
// slice Bytes returned; a derived slice, foreign memory and a second free
// are refused with ErrNotRegion or ErrFreed instead of crashing. Using
// the memory after Free faults, so all I/O on it must have completed.
// Region methods are safe for concurrent use.
//
// # Platforms
//
// Linux only. Elsewhere Alloc, MemlockLimit and RaiseMemlock return
// ErrUnsupported (which matches errors.ErrUnsupported), so programs still
// build and can report it.
package pin
