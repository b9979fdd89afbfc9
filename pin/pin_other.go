//go:build !linux

package pin

func alloc(size int, opts Options) (*Region, error) { return nil, ErrUnsupported }

func unmapRegion(mem []byte, locked bool) error { return ErrUnsupported }

func memlockLimit() (soft, hard uint64, err error) { return 0, 0, ErrUnsupported }

func raiseMemlock() error { return ErrUnsupported }

func hasCapIPCLock() bool { return false }

func hugeBytes(mem []byte) (int64, error) { return 0, ErrUnsupported }

func hugePageSize() int { return 0 }
