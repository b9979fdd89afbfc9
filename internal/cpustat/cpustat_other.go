//go:build !linux

package cpustat

// Read returns ErrNotSupported: /proc/stat is Linux-only.
func Read() (Times, error) { return Times{}, ErrNotSupported }
