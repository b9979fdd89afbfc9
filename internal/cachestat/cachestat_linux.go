package cachestat

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mincoreChunk bounds each mmap used for mincore so a multi-terabyte
// device does not need one huge mapping and residency vector.
const mincoreChunk = 1 << 30

func file(f *os.File) (Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Stat{}, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFBLK:
	default:
		return Stat{}, ErrNoCache
	}
	s, err := viaCachestat(f)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) &&
		!errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EINVAL) {
		return Stat{}, err
	}
	size := st.Size
	if st.Mode&unix.S_IFMT == unix.S_IFBLK {
		var n uint64
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); e != 0 {
			return Stat{}, &os.PathError{Op: "ioctl BLKGETSIZE64", Path: f.Name(), Err: e}
		}
		size = int64(n)
	}
	m, merr := viaMincore(f, size)
	if merr != nil {
		return Stat{}, merr
	}
	m.Fallback = "cachestat: " + err.Error()
	return m, nil
}

// viaCachestat asks cachestat(2) about the whole file: a range with
// length 0 means "to the end of the file" (man 2 cachestat).
func viaCachestat(f *os.File) (Stat, error) {
	var cs unix.Cachestat_t
	rng := unix.CachestatRange{Off: 0, Len: 0}
	err := ignoringEINTR(func() error {
		return unix.Cachestat(uint(f.Fd()), &rng, &cs, 0)
	})
	if err != nil {
		return Stat{}, os.NewSyscallError("cachestat", err)
	}
	return Stat{
		Pages:           cs.Cache,
		Dirty:           cs.Dirty,
		Writeback:       cs.Writeback,
		Evicted:         cs.Evicted,
		RecentlyEvicted: cs.Recently_evicted,
		PageSize:        os.Getpagesize(),
		Method:          MethodCachestat,
	}, nil
}

// viaMincore maps the file read-only in chunks and counts resident pages.
// mincore(2) reports the page cache state of a shared file mapping without
// faulting pages in.
func viaMincore(f *os.File, size int64) (Stat, error) {
	ps := os.Getpagesize()
	s := Stat{PageSize: ps, Method: MethodMincore}
	vec := make([]byte, mincoreChunk/ps)
	for off := int64(0); off < size; off += mincoreChunk {
		n := size - off
		if n > mincoreChunk {
			n = mincoreChunk
		}
		m, err := unix.Mmap(int(f.Fd()), off, int(n), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return Stat{}, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
		}
		pages := (int(n) + ps - 1) / ps
		err = mincore(m, vec[:pages])
		if uerr := unix.Munmap(m); err == nil && uerr != nil {
			err = uerr
		}
		if err != nil {
			return Stat{}, &os.PathError{Op: "mincore", Path: f.Name(), Err: err}
		}
		for _, v := range vec[:pages] {
			s.Pages += uint64(v & 1)
		}
	}
	return s, nil
}

func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

// mincore wraps mincore(2), which x/sys/unix does not export.
func mincore(b, vec []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}
