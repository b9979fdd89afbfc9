//go:build !linux

package uring

import "time"

// Config chooses how New sets a ring up; see the Linux documentation.
type Config struct {
	Entries      int
	CoopTaskrun  bool
	SingleIssuer bool
	WaitSlice    time.Duration
}

// Ring is an io_uring instance; there are none on this platform.
type Ring struct{}

// New returns ErrNotSupported: io_uring is Linux only.
func New(cfg Config) (*Ring, error) { return nil, ErrNotSupported }

// Close does nothing.
func (r *Ring) Close() error { return nil }

// Probe returns ErrNotSupported: io_uring is Linux only.
func Probe() error { return ErrNotSupported }
