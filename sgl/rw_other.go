//go:build !linux

package sgl

func readAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return 0, ErrNotSupported
}

func writeAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return 0, ErrNotSupported
}
