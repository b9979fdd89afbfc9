package sgl

// Run is a physically contiguous stretch of a buffer: Pages pages starting
// at the page-aligned virtual address Virt, backed by the page frames PFN,
// PFN+1, … PFN+Pages-1 (the physical address is PFN times the page size).
type Run struct {
	Virt  uintptr
	PFN   uint64
	Pages int
}

// PhysRuns reports how the pages that b spans lie in physical memory, as
// the runs of consecutive page frames behind consecutive virtual pages,
// from /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst). This
// is what the block layer sees after pinning the pages for direct I/O:
// each run can be one DMA segment, so a buffer on transparent huge pages
// usually gives far fewer runs than one on 4 KiB pages.
//
// PhysRuns first makes every page resident and writable without changing
// its contents (madvise MADV_POPULATE_WRITE, Linux 5.14; where that is
// refused it reads a byte of each page, which may map the shared zero page
// for untouched anonymous memory). The runs cover each page of b exactly
// once, in address order. The answer is a snapshot: unless the memory is
// locked (mlock, package pin) the kernel may move or swap pages after.
//
// The kernel shows page frame numbers only to processes with
// CAP_SYS_ADMIN; to anyone else they read as zero. PhysRuns then fails with
// an error wrapping ErrPhysUnknown rather than report zeros, as it does for
// a page that is not resident and on platforms without pagemap. An empty b
// gives no runs.
func PhysRuns(b []byte) ([]Run, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return physRuns(b)
}
