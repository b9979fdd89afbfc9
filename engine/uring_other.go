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

// BlockingDevice finds no such device where io_uring is not built.
func BlockingDevice([]*os.File) string { return "" }
