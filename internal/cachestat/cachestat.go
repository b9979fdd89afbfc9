package cachestat

import "os"

// Method names the mechanism that produced a Stat.
type Method string

const (
	MethodCachestat Method = "cachestat" // cachestat(2)
	MethodMincore   Method = "mincore"   // mincore(2) over an mmap
)

// Stat is the page cache state of a file at one moment. Dirty, Writeback,
// Evicted and RecentlyEvicted are only known with MethodCachestat and are
// zero otherwise.
type Stat struct {
	Pages           uint64 // pages in the page cache
	Dirty           uint64
	Writeback       uint64
	Evicted         uint64
	RecentlyEvicted uint64
	PageSize        int    // bytes per page
	Method          Method // which mechanism measured it
	Fallback        string // why cachestat was not used, "" when it was
}

// File measures the pages of f (a regular file or a block device) that are
// in the page cache, over the whole file. It prefers cachestat(2) and
// falls back to mincore(2); see the package documentation.
func File(f *os.File) (Stat, error) { return file(f) }

// Added returns the pages that entered the cache between two measurements,
// never negative: pages dropped meanwhile (an O_DIRECT write invalidates
// the cached pages it overwrites) do not count as added.
func Added(before, after Stat) uint64 {
	if after.Pages > before.Pages {
		return after.Pages - before.Pages
	}
	return 0
}
