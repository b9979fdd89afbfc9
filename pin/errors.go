package pin

import (
	"errors"
	"fmt"
	"math"
)

var (
	// ErrFreed is returned by Free (and Release) for a region that was
	// already freed.
	ErrFreed = errors.New("pin: region already freed")

	// ErrNotRegion is returned by Release for a slice that is not exactly
	// the slice a live region's Bytes returned: a derived (re-sliced)
	// slice, memory pin did not allocate, or an empty slice. The memory is
	// left untouched.
	ErrNotRegion = errors.New("pin: not a region's slice")

	// ErrInvalidSize is returned by Alloc for a size that is zero,
	// negative, or too large to round up to the page size.
	ErrInvalidSize = errors.New("pin: invalid size")

	// ErrUnsupported is returned on platforms other than Linux. It
	// matches errors.ErrUnsupported as well.
	ErrUnsupported = fmt.Errorf("pin: locked memory regions are supported only on linux: %w", errors.ErrUnsupported)
)

// Unlimited is the value MemlockLimit and LockError.Limit report for an
// RLIMIT_MEMLOCK of RLIM_INFINITY.
const Unlimited uint64 = math.MaxUint64

// LockError reports that mlock(2) refused a region. Its message names the
// size asked for, the limit in force and the way out; Unwrap returns the
// errno so errors.Is(err, unix.ENOMEM) works.
//
// The kernel lets a process lock beyond RLIMIT_MEMLOCK when it has
// CAP_IPC_LOCK, and refuses with EPERM when the limit is 0 and the
// capability is missing (mm/mlock.c: can_do_mlock, do_mlock; mlock(2)).
// The message therefore blames the limit only when the limit can be the
// cause.
type LockError struct {
	Size       uint64 // bytes asked to lock (the page-rounded region length)
	Limit      uint64 // soft RLIMIT_MEMLOCK in force when mlock failed, after raising it; Unlimited for none
	Locked     uint64 // bytes the process already had locked (VmLck) when mlock failed
	CapIPCLock bool   // the process has CAP_IPC_LOCK, so the limit did not apply
	Err        error  // the errno from mlock: ENOMEM, EPERM or EAGAIN
}

func (e *LockError) Error() string {
	size := FormatBytes(e.Size)
	limit := "unlimited"
	if e.Limit != Unlimited {
		limit = FormatBytes(e.Limit)
	}
	why := "unknown error"
	if e.Err != nil {
		why = e.Err.Error()
	}
	switch {
	case e.CapIPCLock:
		// capable(CAP_IPC_LOCK) lifts the limit, so the kernel ran out of
		// memory it could lock (or a memory cgroup said no).
		return fmt.Sprintf("locking %s failed: the kernel could not lock it (%s); the process has CAP_IPC_LOCK, so RLIMIT_MEMLOCK (%s) was not the cause (free memory, lock less, or run without locking)",
			size, why, limit)
	case e.overLimit():
		used := ""
		if e.Locked > 0 {
			used = fmt.Sprintf(", %s of it already locked,", FormatBytes(e.Locked))
		}
		return fmt.Sprintf("locking %s failed: RLIMIT_MEMLOCK is %s%s and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
			size, limit, used)
	default:
		return fmt.Sprintf("locking %s failed: the kernel could not lock it (%s) although RLIMIT_MEMLOCK (%s) allows it (free memory, lock less, or run without locking)",
			size, why, limit)
	}
}

// overLimit reports whether the request plus what is already locked
// exceeds the limit, the check do_mlock makes in mm/mlock.c.
func (e *LockError) overLimit() bool {
	if e.Limit == Unlimited {
		return false
	}
	return e.Size > e.Limit || e.Locked > e.Limit-e.Size
}

// Unwrap returns the errno from mlock.
func (e *LockError) Unwrap() error { return e.Err }
