package sgl

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrPhysUnknown is returned (wrapped, with the reason) by PhysRuns when the
// physical addresses of a buffer cannot be known: /proc/self/pagemap hides
// page frame numbers from processes without CAP_SYS_ADMIN (they read as
// zero since Linux 4.2, see Documentation/admin-guide/mm/pagemap.rst), a
// page is not resident, or the platform has no pagemap.
var ErrPhysUnknown = errors.New("physical addresses unknown")

// ErrNotSupported is returned by ReadAt and WriteAt on platforms other than
// Linux.
var ErrNotSupported = errors.New("vectored direct i/o is not supported on this platform")

// errnoError is a validation error that reads as one plain sentence but
// still unwraps to the errno the kernel would have returned for the same
// mistake, so errors.Is(err, unix.EINVAL) holds.
type errnoError struct {
	msg   string
	errno syscall.Errno
}

func (e *errnoError) Error() string { return e.msg }
func (e *errnoError) Unwrap() error { return e.errno }

func errnof(errno syscall.Errno, format string, args ...any) error {
	return &errnoError{msg: fmt.Sprintf(format, args...), errno: errno}
}
