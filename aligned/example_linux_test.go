package aligned_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/pin"
	"golang.org/x/sys/unix"
)

// A file system without direct I/O (here procfs) gives ErrNoDirectIO,
// with the errno kept.
func ExampleOpenFile() {
	f, err := aligned.OpenFile("/proc/self/status", os.O_RDONLY, 0)
	if errors.Is(err, aligned.ErrNoDirectIO) {
		// Fall back to buffered I/O, and say so.
		fmt.Println(err)
		fmt.Println(errors.Is(err, unix.EINVAL))
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	f.Close()
	// Output:
	// open /proc/self/status: file system does not support O_DIRECT (proc): invalid argument
	// true
}

// NewBuffer rounds a buffer up to the rules, so that a transfer of the
// whole buffer at an aligned offset passes Check.
func ExampleNewBuffer() {
	r := aligned.Rules{Path: "/dev/loop0", Kind: aligned.KindBlock,
		LogicalBlock: 4096, OffsetAlign: 4096, ReadOffsetAlign: 4096, MemAlign: 512}
	buf, err := aligned.NewBuffer(10000, r, pin.Options{Policy: pin.LockOff})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer buf.Free()
	b := buf.Bytes()
	fmt.Println(len(b), r.Check(0, len(b), b, true), buf.Reason())
	// Output: 12288 <nil> locking off
}
