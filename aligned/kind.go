package aligned

import "strconv"

// Kind says what a path or descriptor refers to, which decides how its
// alignment rules are discovered.
type Kind int

const (
	KindFile  Kind = iota // a regular file: rules come from the file system (statx)
	KindBlock             // a block device: rules come from the device (statx, ioctls, sysfs)
	KindPipe              // a FIFO or pipe: no direct I/O, no alignment, size unknown
	KindOther             // a character device, socket, directory…: not probed
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindBlock:
		return "block"
	case KindPipe:
		return "pipe"
	case KindOther:
		return "other"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
