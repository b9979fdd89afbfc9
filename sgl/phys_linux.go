package sgl

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// pagemap entry bits, Documentation/admin-guide/mm/pagemap.rst.
const (
	pmPresent = 1 << 63
	pmSwapped = 1 << 62
	pmPFNMask = 1<<55 - 1 // bits 0-54
)

// pagemapChunk is how many 8-byte entries are read per pread.
const pagemapChunk = 4096

func physRuns(b []byte) ([]Run, error) {
	defer runtime.KeepAlive(b)
	ps := uintptr(pageSize)
	addr := addrOf(b)
	start := addr &^ (ps - 1)
	npages := pagesSpanned(addr, len(b))
	touch(b, start, npages)

	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrPhysUnknown)
	}
	defer f.Close()

	var runs []Run
	buf := make([]byte, 8*min(npages, pagemapChunk))
	for done := 0; done < npages; {
		n := min(npages-done, pagemapChunk)
		// The file is indexed by virtual page number, 8 bytes a page.
		if _, err := f.ReadAt(buf[:8*n], int64(start/ps+uintptr(done))*8); err != nil {
			return nil, err // *os.PathError from os.File, errno kept
		}
		for i := range n {
			virt := start + uintptr(done+i)*ps
			e := binary.NativeEndian.Uint64(buf[8*i:])
			if e&pmPresent == 0 {
				why := "not resident"
				if e&pmSwapped != 0 {
					why = "swapped out"
				}
				return nil, fmt.Errorf("page at %#x is %s: %w", virt, why, ErrPhysUnknown)
			}
			pfn := e & pmPFNMask
			if pfn == 0 {
				// Since Linux 4.2 the PFN field reads as zero for openers
				// without CAP_SYS_ADMIN (fs/proc/task_mmu.c, pm->show_pfn).
				return nil, fmt.Errorf("page frame numbers in /proc/self/pagemap read as zero without CAP_SYS_ADMIN: %w", ErrPhysUnknown)
			}
			if k := len(runs); k > 0 && runs[k-1].PFN+uint64(runs[k-1].Pages) == pfn {
				runs[k-1].Pages++
				continue
			}
			runs = append(runs, Run{Virt: virt, PFN: pfn, Pages: 1})
		}
		done += n
	}
	return runs, nil
}

// touch makes the npages pages from start (which hold b) resident. A page
// never written has no frame of its own yet (or shares the zero page), so
// its PFN says nothing about where a read into it would land.
// MADV_POPULATE_WRITE faults each page in writable without changing it;
// the raw syscall is used because the range extends past b to whole pages
// and a slice covering it could not be made safely. Where the kernel (older
// than 5.14) or the mapping (read-only) refuses, reading one byte of each
// page at least makes it present.
func touch(b []byte, start uintptr, npages int) {
	length := uintptr(npages) * uintptr(pageSize)
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, length, unix.MADV_POPULATE_WRITE)
	if errno == 0 {
		return
	}
	var s byte
	addr := addrOf(b)
	for p := 0; p < npages; p++ {
		i := 0
		if p > 0 {
			i = int(start + uintptr(p)*uintptr(pageSize) - addr)
		}
		s += b[i]
	}
	runtime.KeepAlive(s)
}
