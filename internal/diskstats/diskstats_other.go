//go:build !linux

package diskstats

// Read returns ErrNotSupported: /proc/diskstats is Linux-only.
func Read(name string) (Stat, error) { return Stat{}, ErrNotSupported }
