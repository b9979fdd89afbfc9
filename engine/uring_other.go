//go:build !linux

package engine

import (
	"fmt"
	"os"

	"github.com/rawio/rawio/internal/uring"
)

func newUring(o Options, auto bool) (Engine, Fallback, error) {
	return nil, Fallback{}, fmt.Errorf("%w: %w", ErrUringUnavailable, uring.ErrNotSupported)
}

func blockingDevice([]*os.File) string { return "" }
