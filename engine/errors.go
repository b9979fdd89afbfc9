package engine

import "errors"

var (
	// ErrUringUnavailable is wrapped by the error New returns for kind
	// "uring" when io_uring cannot be used, with the reason (for example
	// "io_uring unavailable: io_uring_disabled=2: io_uring is disabled
	// for all processes").
	ErrUringUnavailable = errors.New("io_uring unavailable")

	// ErrQueueFull is returned by Submit when the requests would put more
	// than Options.Depth in flight.
	ErrQueueFull = errors.New("more requests than the engine's depth in flight")

	// ErrClosed is returned by the methods of a closed Engine.
	ErrClosed = errors.New("engine closed")
)
