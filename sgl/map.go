package sgl

import (
	"os"
	"syscall"
	"unsafe"
)

// pageSize is the size of a virtual memory page, asked of the system rather
// than assumed: 4 KiB on x86-64, but 16 KiB or 64 KiB on some arm64 and
// ppc64 kernels.
var pageSize = os.Getpagesize()

// maxEntries is the longest list Map builds: 1<<24 entries (384 MiB of
// Entry values, describing 64 GiB of 4 KiB pages). st.c allocates its page
// array with kmalloc and fails with ENOMEM when it cannot; Go has no such
// failure to report (an allocation too large panics or kills the process),
// so Map refuses a longer list up front, whatever capacity it is given.
// Split maps a larger buffer in pieces of this many pages. A variable so
// tests can make it small.
var maxEntries = 1 << 24

// Entry is one element of a scatter-gather list: the part of a buffer that
// lies in one virtual memory page. It mirrors a struct scatterlist entry as
// drivers/scsi/st.c fills it from the pages sgl_map_user_pages pinned.
type Entry struct {
	Addr   uintptr // address of the first byte of the entry
	Offset int     // Addr's offset within its page (non-zero only for the first entry)
	Len    int     // bytes in the entry; Offset+Len never exceeds the page size
}

// Map splits count bytes at addr into one Entry per virtual page the range
// spans, as drivers/scsi/st.c sgl_map_user_pages does: entry 0 starts at
// addr, at its offset within its page; interior entries are whole pages;
// the last entry holds the remainder. The lengths sum to count.
//
// capacity is the number of entries the caller's list can hold (st.c's
// max_pages). The mapping is all or nothing: a range that needs more
// entries fails with an error wrapping ENOMEM and no entries, never a
// partial list. (In 2005 st.c could return having pinned only some of the
// pages; the kernel settled on releasing them all and failing the call, so
// a caller never sees half a buffer.)
//
// A range that wraps the top of the address space (addr+count overflows,
// which includes a range ending exactly at the top) fails with an error
// wrapping EINVAL, as does a negative count or capacity; the kernel checks
// the wrap first and the capacity second, and so does Map. A zero count
// maps nothing and returns nil, nil whatever the capacity. A list of more
// than 1<<24 entries (64 GiB of 4 KiB pages) is refused with ENOMEM even
// when capacity allows it, as the kernel's allocation of the page array
// would fail, instead of exhausting memory.
//
// Map only computes addresses; it neither reads nor pins the memory.
func Map(addr uintptr, count int, capacity int) ([]Entry, error) {
	if count < 0 {
		return nil, errnof(syscall.EINVAL, "negative byte count %d", count)
	}
	if capacity < 0 {
		return nil, errnof(syscall.EINVAL, "negative list capacity %d", capacity)
	}
	if count == 0 {
		return nil, nil
	}
	end := addr + uintptr(count)
	if end < addr {
		return nil, errnof(syscall.EINVAL, "%d bytes at %#x wrap the address space", count, addr)
	}
	ps := uintptr(pageSize)
	// Count pages from the first and last byte rather than rounding end up
	// (st.c's (uaddr+count+PAGE_SIZE-1)>>PAGE_SHIFT), which would overflow
	// for a range in the last page of the address space.
	first, last := addr/ps, (end-1)/ps
	n := last - first + 1
	if n > uintptr(capacity) {
		return nil, errnof(syscall.ENOMEM, "%d bytes at %#x span %d pages, more than the list's %d entries",
			count, addr, n, capacity)
	}
	if n > uintptr(maxEntries) {
		return nil, errnof(syscall.ENOMEM, "%d bytes at %#x span %d pages, more than the %d entries Map builds in one list",
			count, addr, n, maxEntries)
	}
	entries := make([]Entry, n)
	a, left := addr, count
	for i := range entries {
		off := int(a % ps)
		l := min(pageSize-off, left)
		entries[i] = Entry{Addr: a, Offset: off, Len: l}
		a += uintptr(l)
		left -= l
	}
	return entries, nil
}

// MapBytes maps the bytes of b with Map. An empty b maps nothing. The
// entries hold addresses, not a reference: the caller must keep b alive
// (and, for direct I/O, locked in place: use memory from package pin) for
// as long as it uses them.
func MapBytes(b []byte, capacity int) ([]Entry, error) {
	if len(b) == 0 {
		return Map(0, 0, capacity)
	}
	return Map(addrOf(b), len(b), capacity)
}

// addrOf is the address of b's first byte; b must not be empty.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// pagesSpanned is how many pages count bytes at addr touch (0 for count 0).
// The range must not wrap.
func pagesSpanned(addr uintptr, count int) int {
	if count <= 0 {
		return 0
	}
	ps := uintptr(pageSize)
	return int((addr+uintptr(count)-1)/ps - addr/ps + 1)
}
