package sgl_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/sgl"
	"golang.org/x/sys/unix"
)

// Split deals a buffer out into requests a device takes whole: here at
// most 256 KiB each, at 4096-byte blocks.
func ExampleSplit() {
	// Direct I/O memory comes from mmap (package pin), not the Go heap.
	buf, err := unix.Mmap(-1, 0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Munmap(buf)

	reqs, err := sgl.Split(buf, 1<<30, sgl.Limits{MaxBytes: 256 << 10, LogicalBlock: 4096})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reqs {
		fmt.Printf("%d bytes at %d\n", r.Len, r.Offset)
	}

	// A tail that is not a whole block is refused, not sent short.
	_, err = sgl.Split(buf[:5000], 0, sgl.Limits{LogicalBlock: 4096})
	fmt.Println(err, errors.Is(err, unix.EINVAL))
	// Output:
	// 262144 bytes at 1073741824
	// 262144 bytes at 1074003968
	// 262144 bytes at 1074266112
	// 262144 bytes at 1074528256
	// length 5000 is not a multiple of the logical block size 4096 true
}

// Iovecs hands a request to preadv. A buffer 0x200 bytes into a 4 KiB
// window, two windows long, on a device whose segments may not cross a
// 4 KiB boundary, is st.c's case: 3584 + 4096 + 512 bytes.
func ExampleRequest_Iovecs() {
	mem, err := unix.Mmap(-1, 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Munmap(mem)
	buf := mem[0x200 : 0x200+8192]

	reqs, err := sgl.Split(buf, 0, sgl.Limits{SegmentBoundaryMask: 4096 - 1, LogicalBlock: 512})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("/dev/zero")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for _, r := range reqs {
		iov := r.Iovecs()
		for _, v := range iov {
			fmt.Print(len(v), " ")
		}
		n, err := unix.Preadv(int(f.Fd()), iov, r.Offset)
		fmt.Println("->", n, err)
	}
	// Output: 3584 4096 512 -> 8192 <nil>
}

// ReadAt reads a file through preadv, one system call per request.
func ExampleReadAt() {
	dir, err := os.MkdirTemp("", "sgl-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data")
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i / 4096)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		fmt.Println(err)
		return
	}

	f, err := os.Open(path) // aligned.OpenFile for O_DIRECT
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	buf, err := unix.Mmap(-1, 0, 32<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Munmap(buf)

	n, err := sgl.ReadAt(int(f.Fd()), buf, 16<<10, sgl.Limits{MaxBytes: 8 << 10, LogicalBlock: 4096})
	fmt.Println(n, err, buf[0], buf[n-1])
	// Output: 32768 <nil> 4 11
}

// PhysRuns shows how a buffer lies in physical memory; it needs
// CAP_SYS_ADMIN and says so otherwise.
func ExamplePhysRuns() {
	buf, err := unix.Mmap(-1, 0, 4<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Munmap(buf)

	runs, err := sgl.PhysRuns(buf)
	if errors.Is(err, sgl.ErrPhysUnknown) {
		fmt.Println("physical layout unknown:", err)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		fmt.Printf("%#x: %d pages at frame %#x\n", r.Virt, r.Pages, r.PFN)
	}
}

// LimitsOf turns the discovered rules of a file or device into limits for
// Split, ReadAt and WriteAt.
func ExampleLimitsOf() {
	r, err := aligned.Discover(os.TempDir())
	if err != nil {
		fmt.Println(err)
		return
	}
	lim := sgl.LimitsOf(r)
	fmt.Printf("%s: requests of up to %d bytes in %d segments, %d-byte blocks\n",
		r.Path, lim.MaxBytes, lim.MaxSegments, lim.LogicalBlock)
}
