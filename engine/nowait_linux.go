package engine

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// blockingDevice returns the first of files that is a block device whose
// driver does not take non-blocking I/O, or "" when there is none.
//
// io_uring first tries every read and write with IOCB_NOWAIT; a file
// without FMODE_NOWAIT (a bio-based driver that does not set
// BLK_FEAT_NOWAIT, such as zram) makes it hand each request to an io-wq
// kernel thread instead (io_uring/rw.c), two context switches per I/O. On
// such devices pread/pwrite measured faster than io_uring at every depth
// (docs/benchmarks.md), so auto picks sync for them.
//
// The kernel answers the question directly: preadv2(2) with RWF_NOWAIT
// fails with EOPNOTSUPP on a file without FMODE_NOWAIT
// (kiocb_set_rw_flags in include/linux/fs.h). The probe reads one block at
// offset 0 through a fresh read-only O_DIRECT descriptor (the caller's may
// be write-only) into a private page-aligned mapping, never the caller's
// buffers (a benchmark's write buffers hold data it chose).
func blockingDevice(files []*os.File) string {
	var buf []byte
	defer func() {
		if buf != nil {
			unix.Munmap(buf)
		}
	}()
	for _, f := range files {
		fi, err := f.Stat()
		if err != nil || fi.Mode()&os.ModeDevice == 0 || fi.Mode()&os.ModeCharDevice != 0 {
			continue
		}
		if buf == nil {
			// 64 KiB covers any logical block size Linux supports.
			if buf, err = unix.Mmap(-1, 0, 64<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
				return ""
			}
		}
		fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // cannot tell: keep io_uring
		}
		n := len(buf)
		if sz, err := unix.IoctlGetInt(fd, unix.BLKSSZGET); err == nil && sz > 0 && sz <= n {
			n = sz
		}
		var perr error
		for {
			_, perr = unix.Preadv2(fd, [][]byte{buf[:n]}, 0, unix.RWF_NOWAIT)
			if perr != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
		if errors.Is(perr, unix.EOPNOTSUPP) {
			return f.Name()
		}
	}
	return ""
}
