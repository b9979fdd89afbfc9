package xfer

import "errors"

var (
	// ErrInterrupted is returned (with a Summary of what was done) when the
	// context was cancelled during the copy: submission stopped, the I/O
	// in flight was drained and the destination synced.
	ErrInterrupted = errors.New("interrupted")

	// ErrSameFile refuses a copy whose source and destination are the same
	// file (st_dev and st_ino) or the same block device (st_rdev).
	ErrSameFile = errors.New("source and destination are the same")

	// ErrTooSmall refuses a block-device destination smaller than the
	// seek offset plus the bytes to copy.
	ErrTooSmall = errors.New("destination device is too small")

	// ErrBusy refuses a block-device destination that is mounted or held
	// by another user: open(2) with O_EXCL failed with EBUSY.
	ErrBusy = errors.New("is mounted or in use")

	// ErrIsDir refuses a directory as source or destination.
	ErrIsDir = errors.New("is a directory")

	// ErrNoDirectIO refuses a file system without O_DIRECT unless
	// Options.AllowBuffered is set. It wraps aligned.ErrNoDirectIO.
	ErrNoDirectIO = errors.New("file system does not support O_DIRECT (use --allow-buffered to copy through the page cache)")

	// ErrAlignment refuses a block size, skip or seek that breaks a side's
	// direct I/O alignment rule. The message names the rule.
	ErrAlignment = errors.New("alignment")

	// ErrNotSupported is returned on platforms other than Linux.
	ErrNotSupported = errors.New("rawcp: copying is supported only on linux")
)

// UsageError reports an option value that cannot work whatever the files
// are (a zero block size, an unknown engine); commands exit 2 for it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Refusal is a check that failed before any byte was written: the copy
// did not start and the destination is as it was. Err is the sentinel
// (ErrSameFile, ErrTooSmall, …) or the errno-carrying error behind it.
type Refusal struct {
	Msg string
	Err error
}

func (e *Refusal) Error() string { return e.Msg }
func (e *Refusal) Unwrap() error { return e.Err }
