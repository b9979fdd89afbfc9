package cachestat

import "errors"

var (
	// ErrNoCache reports a file that has no page cache to measure (a pipe,
	// a socket, a character device).
	ErrNoCache = errors.New("file has no page cache")
	// ErrNotSupported is returned on platforms without cachestat or mincore.
	ErrNotSupported = errors.New("page cache measurement not supported on this platform")
)
