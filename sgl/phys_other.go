//go:build !linux

package sgl

import "fmt"

func physRuns(b []byte) ([]Run, error) {
	return nil, fmt.Errorf("no /proc/self/pagemap on this platform: %w", ErrPhysUnknown)
}
