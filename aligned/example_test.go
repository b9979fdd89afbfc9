package aligned_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/pin"
)

// Discover the rules of a file or device, then read it with O_DIRECT into
// a buffer that satisfies them.
func Example() {
	path := "/dev/loop0"
	r, err := aligned.Discover(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s, logical block %d, memory alignment %d (%s)\n",
		path, r.Kind, r.LogicalBlock, r.MemAlign, r.Sources["MemAlign"])

	f, err := aligned.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	buf, err := aligned.NewBuffer(1<<20, r, pin.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer buf.Free()
	if !buf.Locked() {
		fmt.Println("buffer not locked:", buf.Reason())
	}
	b := buf.Bytes()
	if err := r.Check(0, len(b), b, false); err != nil {
		log.Fatal(err) // cannot happen: NewBuffer rounds to the rules
	}
	n, err := f.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		log.Fatal(err)
	}
	fmt.Println("read", n, "bytes")
}

func ExampleRules_Check() {
	// Rules as Discover reports them for a loop device with 512-byte
	// sectors (Sources says where each value came from).
	r := aligned.Rules{
		Path: "/dev/loop0", Kind: aligned.KindBlock,
		LogicalBlock: 512, OffsetAlign: 512, ReadOffsetAlign: 512, MemAlign: 512,
		Sources: map[string]string{
			"LogicalBlock": "ioctl BLKSSZGET",
			"OffsetAlign":  "statx stx_dio_offset_align",
			"MemAlign":     "statx stx_dio_mem_align",
		},
	}
	fmt.Println(r.Check(100, 4096, nil, false))
	fmt.Println(r.Check(4096, 100, nil, true))
	fmt.Println(r.Check(4096, 4096, nil, false))

	err := r.Check(100, 4096, nil, false)
	var ae *aligned.AlignError
	if errors.As(err, &ae) {
		fmt.Printf("%s must be a multiple of %d\n", ae.What, ae.Align)
	}
	// Output:
	// offset 100 is not a multiple of 512, the logical block size of /dev/loop0
	// length 100 is not a multiple of 512, the logical block size of /dev/loop0
	// <nil>
	// offset must be a multiple of 512
}

func ExampleRoundUp() {
	fmt.Println(aligned.RoundUp(1000, 512))
	fmt.Println(aligned.RoundUp(4096, 4096))
	_, err := aligned.RoundUp(1<<63-1, 4096)
	fmt.Println(errors.Is(err, aligned.ErrOverflow))
	_, err = aligned.RoundUp(1000, 1000)
	fmt.Println(err)
	// Output:
	// 1024 <nil>
	// 4096 <nil>
	// true
	// round 1000 up to 1000: alignment must be a power of two greater than zero
}

func ExampleRoundDown() {
	fmt.Println(aligned.RoundDown(1000, 512), aligned.RoundDown(-1, 512))
	fmt.Println(aligned.IsAligned(1024, 512), aligned.IsAligned(1000, 512))
	// Output:
	// 512 -512
	// true false
}

func ExampleLCM() {
	// Copying from a 512-byte device to a 4096-byte one: offsets and
	// lengths must satisfy both.
	fmt.Println(aligned.LCM(512, 4096))
	// A pipe has no alignment rules (1), so the device decides.
	fmt.Println(aligned.LCM(1, 4096))
	// Output:
	// 4096
	// 4096
}

func ExampleDiscoverFile() {
	r, err := aligned.DiscoverFile(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if r.Kind == aligned.KindPipe {
		fmt.Println("stdin is a pipe: no O_DIRECT, size unknown")
	}
}
