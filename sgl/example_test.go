package sgl_test

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/rawio/rawio/sgl"
)

// The classic case from drivers/scsi/st.c: a buffer that starts 0x200
// bytes into a page and is two pages long spans three pages. On 4 KiB
// pages that is 3584 + 4096 + 512 bytes.
func ExampleMap() {
	page := os.Getpagesize()
	addr := uintptr(16*page + 0x200) // an address, not memory: Map only computes
	entries, err := sgl.Map(addr, 2*page, 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, e := range entries {
		switch {
		case e.Len == page:
			fmt.Printf("entry %d: offset %#x, a whole page\n", i, e.Offset)
		case e.Offset != 0:
			fmt.Printf("entry %d: offset %#x, page size - %#x bytes\n", i, e.Offset, page-e.Len)
		default:
			fmt.Printf("entry %d: offset %#x, %#x bytes\n", i, e.Offset, e.Len)
		}
	}

	// A list with room for only two entries takes nothing: all or nothing.
	none, err := sgl.Map(addr, 2*page, 2)
	fmt.Println(none == nil, errors.Is(err, syscall.ENOMEM))
	// A range that wraps the address space is invalid.
	_, err = sgl.Map(^uintptr(0)-100, 200, 16)
	fmt.Println(errors.Is(err, syscall.EINVAL))
	// A zero count maps nothing.
	fmt.Println(sgl.Map(addr, 0, 16))
	// Output:
	// entry 0: offset 0x200, page size - 0x200 bytes
	// entry 1: offset 0x0, a whole page
	// entry 2: offset 0x0, 0x200 bytes
	// true true
	// true
	// [] <nil>
}

// Merge joins the virtually contiguous page entries into as few segments
// as the device's segment size allows.
func ExampleMerge() {
	page := os.Getpagesize()
	entries, _ := sgl.Map(uintptr(1<<30), 16*page, 16)
	segs := sgl.Merge(entries, sgl.Limits{MaxSegmentSize: 4 * page})
	fmt.Println(len(entries), "entries,", len(segs), "segments of", segs[0].Len/page, "pages")
	// Output: 16 entries, 4 segments of 4 pages
}
