package sgl

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

func readAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return transfer(fd, b, off, lim, false)
}

func writeAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return transfer(fd, b, off, lim, true)
}

// transfer runs the requests of Split(b, off, lim) one system call each,
// resuming a request the kernel completed only in part.
func transfer(fd int, b []byte, off int64, lim Limits, write bool) (int, error) {
	reqs, err := Split(b, off, lim)
	if err != nil {
		return 0, err
	}
	op, sys := "preadv", unix.Preadv
	if write {
		op, sys = "pwritev", unix.Pwritev
	}
	done := 0
	for _, r := range reqs {
		iov, pos := r.Iovecs(), r.Offset
		for len(iov) > 0 {
			n, err := ignoringEINTR(func() (int, error) { return sys(fd, iov, pos) })
			if err != nil {
				return done, os.NewSyscallError(op, err)
			}
			if n <= 0 {
				if write {
					return done, io.ErrShortWrite
				}
				return done, io.EOF
			}
			done += n
			pos += int64(n)
			iov = skip(iov, n)
		}
	}
	return done, nil
}

// skip drops the first n bytes from iov. It reslices the caller's iovecs
// in place; they belong to transfer.
func skip(iov [][]byte, n int) [][]byte {
	for n > 0 && len(iov) > 0 {
		if n < len(iov[0]) {
			iov[0] = iov[0][n:]
			return iov
		}
		n -= len(iov[0])
		iov = iov[1:]
	}
	return iov
}

// ignoringEINTR retries fn while it fails with EINTR: preadv and pwritev on
// a slow device may be interrupted by a signal (Go's runtime sends SIGURG
// for preemption) before they transfer anything. See signal(7), "Interruption
// of system calls", and os/file_posix.go ignoringEINTRIO.
func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if err != unix.EINTR {
			return n, err
		}
	}
}
