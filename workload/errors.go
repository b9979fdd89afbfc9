package workload

import (
	"errors"
	"fmt"
)

var (
	// ErrWriteNotAllowed is returned when a job would write to a block
	// device, or to a file rawbench did not create, without
	// Config.AllowWrite.
	ErrWriteNotAllowed = errors.New("writing needs --allow-write")

	// ErrMounted is returned for a block device that is mounted, or held
	// exclusively by someone else (a mounted partition, swap, a RAID or
	// device-mapper member): benchmarking it could corrupt or disturb a
	// file system in use.
	ErrMounted = errors.New("device is in use")

	// ErrNoMemory is returned when a job's I/O buffers would take more
	// than half of the memory available.
	ErrNoMemory = errors.New("not enough memory for the I/O buffers")

	// ErrNotSupported is returned by Bench on platforms other than Linux.
	ErrNotSupported = errors.New("rawbench: not supported on this platform")

	// ErrBadTarget is wrapped by errors about the target itself: a kind
	// rawbench cannot benchmark (pipe, directory, character device), or a
	// region that does not fit in it.
	ErrBadTarget = errors.New("unusable target")
)

// UsageError reports options that cannot work whatever the target is
// (an unknown rw, engine or cache mode, a bad size or duration, a value
// out of range, an empty list entry); commands exit 2 for it. Err is the
// error behind it, such as the one ParseRW or Spec.Expand returned.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// refusal is an error whose message stands alone while errors.Is still
// finds the sentinel (or errno) behind it.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

func refuse(err error, format string, a ...any) error {
	return &refusal{msg: fmt.Sprintf(format, a...), err: err}
}
