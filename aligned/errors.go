package aligned

import (
	"errors"
	"fmt"
	"syscall"
)

var (
	// ErrNoDirectIO is wrapped (together with the errno, usually EINVAL)
	// by OpenFile when the file system or device refuses O_DIRECT.
	ErrNoDirectIO = errors.New("file system does not support O_DIRECT")

	// ErrOverflow is returned by RoundUp when the result does not fit in
	// an int64.
	ErrOverflow = errors.New("alignment rounding overflows int64")

	// ErrBadAlignment is returned when an alignment is not a power of two
	// greater than zero.
	ErrBadAlignment = errors.New("alignment must be a power of two greater than zero")
)

// AlignError reports which part of a direct I/O request — the file offset,
// the length, or the buffer's memory address — breaks which alignment rule
// of which file or device. It unwraps to EINVAL, the errno the kernel
// would return for the same request, so errors.Is(err, unix.EINVAL) holds.
type AlignError struct {
	What  string // "offset", "length" or "buffer address"
	Value uint64 // the offending offset, length or address
	Align int    // the alignment it must be a multiple of
	Rule  string // where the alignment comes from, e.g. "logical block size"
	Path  string // the file or device the rule belongs to
}

func (e *AlignError) Error() string {
	v := fmt.Sprint(e.Value)
	if e.What == "buffer address" {
		v = fmt.Sprintf("%#x", e.Value)
	}
	s := fmt.Sprintf("%s %s is not a multiple of %d", e.What, v, e.Align)
	if e.Rule != "" {
		s += ", the " + e.Rule
		if e.Path != "" {
			s += " of " + e.Path
		}
	} else if e.Path != "" {
		s += " (" + e.Path + ")"
	}
	return s
}

// Unwrap returns EINVAL (syscall.EINVAL, which is unix.EINVAL on Linux).
func (e *AlignError) Unwrap() error { return syscall.EINVAL }
