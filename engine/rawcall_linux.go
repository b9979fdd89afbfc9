package engine

import (
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawPRWOK says whether rawPRW works here: on 64-bit Linux, where
// pread64 and pwrite64 take the offset in one register.
const rawPRWOK = strconv.IntSize == 64

// rawPRW is pread(2) or pwrite(2) as a raw system call, which keeps the
// goroutine's P (Options.KeepP). It returns the errno as the error, as
// unix.Pread does.
func rawPRW(op Op, fd int, b []byte, off int64) (int, error) {
	nr := uintptr(unix.SYS_PREAD64)
	if op == OpWrite {
		nr = unix.SYS_PWRITE64
	}
	n, _, errno := unix.RawSyscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(off), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
