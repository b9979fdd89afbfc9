// Package cachestat counts the pages of a file or block device that are in
// the page cache, so a copy can report how much cache it added.
//
// The first choice is cachestat(2) (Linux 6.5, mm/filemap.c), which walks
// the mapping's xarray and also reports dirty, writeback and evicted pages;
// it works on any fd that has a page cache mapping, including a block
// device's. Where it is missing (ENOSYS), not permitted (EPERM: since Linux
// 6.12 cachestat needs write permission or ownership of the file), or not
// supported for the file (EOPNOTSUPP, hugetlbfs), the package falls back to
// mincore(2) over a read-only shared mmap of the file, which reports
// residency only. Stat.Method says which mechanism produced the numbers.
// Neither mechanism brings pages into the cache: mincore does not fault
// the mapping in, and cachestat only looks.
//
// Pipes, sockets and character devices have no page cache of their own;
// File returns ErrNoCache for them.
//
// The package is Linux-only; elsewhere File returns ErrNotSupported.
package cachestat
