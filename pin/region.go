package pin

import (
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"
)

// Region is memory from Alloc: an anonymous private mapping outside the
// Go heap, page aligned, zero filled, populated, excluded from fork
// children, and locked in RAM if its policy allowed.
//
// The garbage collector never frees a Region; call Free (or Release with
// its Bytes) exactly once. Its methods are safe for concurrent use, but
// the memory itself is not guarded: nobody (no goroutine, no in-flight
// I/O) may use Bytes after Free, or the process faults.
type Region struct {
	mu         sync.Mutex
	mem        []byte // nil once freed
	locked     bool
	reason     string // why not locked; "" when locked
	hugeAsked  bool   // Options.HugePages
	huge       bool
	hugeReason string
}

// regions maps the start address of every live region to it, so Release
// can find the region of a slice and refuse any other slice (the same
// idea as x/sys/unix's mmapper, which refuses to munmap a derived slice).
var (
	regMu   sync.Mutex
	regions = map[uintptr]regEntry{}
)

// regEntry keeps the length beside the region so a lookup needs no
// region lock.
type regEntry struct {
	r *Region
	n int
}

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// Alloc maps size bytes (rounded up to the page size) of anonymous private
// memory with mmap, populates it (MAP_POPULATE), marks it MADV_DONTFORK,
// raises the soft RLIMIT_MEMLOCK to the hard limit (RaiseMemlock; the
// raised limit stays in force for the process and its children), then
// mlocks it per opts.Policy:
//
//   - LockTry: a region that cannot be locked is returned unlocked, with
//     Reason saying why (the text of the *LockError).
//   - LockRequire: the error is a *LockError; no region is returned.
//   - LockOff: mlock is not called; Reason is "locking off".
//
// A size of zero or less, or one too large to round up, gives an error
// wrapping ErrInvalidSize; an mmap or madvise failure gives an
// *os.SyscallError. On platforms other than Linux Alloc returns
// ErrUnsupported.
func Alloc(size int, opts Options) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w %d: the size must be positive", ErrInvalidSize, size)
	}
	if !opts.Policy.valid() {
		return nil, fmt.Errorf("pin: unknown lock policy %d", int(opts.Policy))
	}
	r, err := alloc(size, opts)
	if err != nil {
		return nil, err
	}
	regMu.Lock()
	regions[addrOf(r.mem)] = regEntry{r, len(r.mem)}
	regMu.Unlock()
	return r, nil
}

// Bytes returns the whole mapping, page aligned, with cap equal to len.
// The caller may read and write it and hand it to the kernel until Free;
// it returns nil after Free (and for a nil *Region).
func (r *Region) Bytes() []byte {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mem[:len(r.mem):len(r.mem)]
}

// Len returns the length of the mapping (the size asked for rounded up to
// the page size), or 0 after Free (and for a nil *Region).
func (r *Region) Len() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.mem)
}

// Locked reports whether the region is locked in RAM with mlock.
func (r *Region) Locked() bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.locked
}

// Reason returns "" for a locked region; otherwise why it is not locked:
// "locking off", the *LockError text for LockTry, "region freed", or
// "no region" for a nil *Region.
func (r *Region) Reason() string {
	if r == nil {
		return "no region"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// HugePages reports whether Options.HugePages took effect as far as pin
// can tell: the mapping is aligned to the huge page size and
// madvise(MADV_HUGEPAGE) succeeded. Whether the kernel then backs it with
// huge pages depends on free contiguous memory (AnonHugePages in
// /proc/self/smaps says). When it did not take effect, reason says why;
// both are zero when huge pages were not asked for.
func (r *Region) HugePages() (advised bool, reason string) {
	if r == nil {
		return false, ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.huge, r.hugeReason
}

// HugePageSize returns the size of a PMD transparent huge page (2 MiB on
// x86-64), from /sys/kernel/mm/transparent_hugepage/hpage_pmd_size; 0
// where pin is unsupported.
func HugePageSize() int { return hugePageSize() }

// HugeLen returns n rounded up to a whole number of huge pages
// (HugePageSize): the size to ask Alloc for when every byte of n should
// lie in huge pages. Alloc with Options.HugePages maps exactly the size
// asked for, and the kernel puts a huge page only under a huge-page
// extent that lies wholly inside the mapping, so a region of 1 MiB, or
// the last 1 MiB of a region of 3 MiB, stays in 4 KiB pages. n is
// returned as it is when it is not positive, when the huge page size is
// unknown (0) or when rounding up would overflow.
func HugeLen(n int) int { return roundUp(n, hugePageSize()) }

// BuffersLen returns the length to Alloc for I/O buffers of bufSize bytes
// that take n bytes in all, and whether to ask for Options.HugePages for
// them. With hugePages false it is n, false. Otherwise huge pages are asked
// for only where they change the requests: a buffer of one page is one
// scatter-gather segment whatever backs it, while a larger one in 4 KiB
// pages needs one segment per physically separate page, split at the
// device's max_segments and, on a virtio disk without indirect
// descriptors, one queue descriptor each (1 MiB reads at depth 8 from
// scattered 4 KiB pages ran 865-987 IOPS on the development machine's
// disk, 2023-2090 from huge pages; docs/benchmarks.md). The length is then
// HugeLen(n), so that every buffer lies in huge pages.
func BuffersLen(n, bufSize int, hugePages bool) (length int, huge bool) {
	if !hugePages || bufSize <= os.Getpagesize() {
		return n, false
	}
	return HugeLen(n), true
}

// roundUp rounds n up to a multiple of unit; n itself when n or unit is
// not positive or the result would overflow.
func roundUp(n, unit int) int {
	if n <= 0 || unit <= 0 || n > math.MaxInt-(unit-1) {
		return n
	}
	return (n + unit - 1) / unit * unit
}

// HugeBytes returns how many bytes of the region the kernel backs with
// transparent huge pages right now: the AnonHugePages of its mapping in
// /proc/self/smaps. Should the mapping have merged with an adjacent one
// of the same kind (two regions side by side), smaps cannot tell whose
// huge pages they are, and the neighbour's share is assumed to be all
// huge: the result is then a lower bound, never an overstatement. Huge
// pages are physically contiguous, so an O_DIRECT request over them needs
// one scatter-gather segment per huge page instead of one per 4 KiB page,
// and a device's max_segments no longer chops large requests. It returns
// 0 after Free; where smaps cannot be read, the error from opening or
// reading it (ErrUnsupported off Linux).
func (r *Region) HugeBytes() (int64, error) {
	if r == nil {
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mem == nil {
		return 0, nil
	}
	return hugeBytes(r.mem)
}

// HugeShortfall says why a region allocated with Options.HugePages is not
// wholly in transparent huge pages, or "" when it is, as far as it can
// be (a tail shorter than a huge page never is; the region starts on a
// huge page boundary). The reasons: the advice was not given
// (HugePages), including a region smaller than one huge page, or the
// kernel backed only part of it (HugeBytes), or smaps could not be read.
// "" also when huge pages were not asked for, and after Free.
func (r *Region) HugeShortfall() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mem == nil || !r.hugeAsked {
		return ""
	}
	if !r.huge {
		return r.hugeReason
	}
	hb, err := hugeBytes(r.mem)
	if err != nil {
		return "could not tell how much is in huge pages: " + err.Error()
	}
	if can := int64(len(r.mem) &^ (hugePageSize() - 1)); hb < can {
		return fmt.Sprintf("the kernel put only %s of %s in huge pages (no free contiguous memory, or /sys/kernel/mm/transparent_hugepage/defrag forbids compaction)",
			FormatBytes(uint64(hb)), FormatBytes(uint64(can)))
	}
	return ""
}

// Free unlocks and unmaps the region. A second call returns ErrFreed
// rather than unmapping memory that may have been mapped again since.
// A Free of a nil *Region returns ErrNotRegion.
func (r *Region) Free() error {
	if r == nil {
		return fmt.Errorf("%w: nil region", ErrNotRegion)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.freeLocked()
}

func (r *Region) freeLocked() error {
	if r.mem == nil {
		return ErrFreed
	}
	// Unregister before munmap: once the range is unmapped, a concurrent
	// Alloc may get the same address and register it.
	addr := addrOf(r.mem)
	regMu.Lock()
	delete(regions, addr)
	regMu.Unlock()
	if err := unmapRegion(r.mem, r.locked); err != nil {
		regMu.Lock()
		regions[addr] = regEntry{r, len(r.mem)}
		regMu.Unlock()
		return err
	}
	r.mem, r.locked, r.reason = nil, false, "region freed"
	r.huge, r.hugeReason = false, ""
	return nil
}

// Release frees the region whose Bytes is exactly b (same start and
// length), for code that kept only the slice. Any other slice is refused
// with an error wrapping ErrNotRegion and left alone: a derived slice
// (b[1:], b[:n]), memory pin did not allocate, a region already freed, or
// an empty slice. As with munmap, a slice whose region was freed and whose
// address a new region of the same length now occupies frees the new
// region; keep the *Region and call Free when that matters.
func Release(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty slice", ErrNotRegion)
	}
	start := addrOf(b)
	regMu.Lock()
	e, ok := regions[start]
	var outer regEntry
	var outerStart uintptr
	if !ok {
		// Find the region b was cut from, only to say so in the error.
		for a, x := range regions {
			if start > a && start-a < uintptr(x.n) {
				outer, outerStart = x, a
				break
			}
		}
	}
	regMu.Unlock()
	r := e.r
	if r == nil {
		if outer.r != nil {
			return fmt.Errorf("%w: %d bytes at offset %d of a %s region is a derived slice (release the whole slice Bytes returned)",
				ErrNotRegion, len(b), start-outerStart, FormatBytes(uint64(outer.n)))
		}
		return fmt.Errorf("%w: %s at %#x was not allocated by pin or was freed already", ErrNotRegion, FormatBytes(uint64(len(b))), start)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mem == nil {
		return ErrFreed // freed concurrently since the lookup
	}
	if addrOf(r.mem) != start || len(r.mem) != len(b) {
		return fmt.Errorf("%w: %d bytes at the start of a %s region is a derived slice (release the whole slice Bytes returned)",
			ErrNotRegion, len(b), FormatBytes(uint64(len(r.mem))))
	}
	return r.freeLocked()
}

// MemlockLimit returns the soft and hard RLIMIT_MEMLOCK in bytes;
// Unlimited stands for RLIM_INFINITY.
func MemlockLimit() (soft, hard uint64, err error) { return memlockLimit() }

// RaiseMemlock raises the soft RLIMIT_MEMLOCK to the hard limit, which an
// unprivileged process may do (setrlimit(2)). The change is process wide
// and inherited by child processes.
func RaiseMemlock() error { return raiseMemlock() }

// HasCapIPCLock reports whether the process has CAP_IPC_LOCK in effect
// where mlock checks it: in its effective set and in the initial user
// namespace, because mm/mlock.c asks capable(CAP_IPC_LOCK), which a root
// inside a container's user namespace does not satisfy.
func HasCapIPCLock() bool { return hasCapIPCLock() }
