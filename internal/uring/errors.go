package uring

import "errors"

var (
	// ErrQueueFull is returned by NextSQE when every submission queue
	// entry is taken: submit (Submit, SubmitAndWait) to free them.
	ErrQueueFull = errors.New("io_uring submission queue full")

	// ErrClosed is returned by methods of a closed Ring.
	ErrClosed = errors.New("io_uring ring closed")

	// ErrDisabled is matched (errors.Is) by the error Probe returns when
	// the sysctl kernel.io_uring_disabled forbids this process io_uring.
	ErrDisabled = errors.New("io_uring disabled by sysctl kernel.io_uring_disabled")

	// ErrNotSupported is returned on platforms without io_uring.
	ErrNotSupported = errors.New("io_uring is not supported on this platform")
)
