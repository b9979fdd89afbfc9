package engine_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/pin"
	"golang.org/x/sys/unix"
)

// Write a block with whichever engine the machine allows, then read it
// back, keeping the request slice to avoid an allocation per Submit.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "engine-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_RDWR|os.O_CREATE|unix.O_DIRECT, 0o600)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	// Pinned, page-aligned memory: the kernel uses it after Submit returns.
	region, err := pin.Alloc(4096, pin.Options{Policy: pin.LockTry})
	if err != nil {
		log.Fatal(err)
	}
	defer region.Free()
	buf := region.Bytes()
	copy(buf, "hello, raw world")

	e, fb, err := engine.New(engine.Options{
		Kind:    engine.KindAuto,
		Depth:   1,
		Files:   []*os.File{f},
		Buffers: [][]byte{buf},
		Fixed:   true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if fb.Happened {
		fmt.Fprintln(os.Stderr, "fallback:", fb.Reason) // report it, never hide it
	}

	reqs := []engine.Request{{Op: engine.OpWrite, Buf: 0, Data: buf, Offset: 0, Tag: 1}}
	out := make([]engine.Completion, 1)
	for _, op := range []engine.Op{engine.OpWrite, engine.OpRead} {
		if op == engine.OpRead {
			clear(buf)
		}
		reqs[0].Op = op
		if err := e.Submit(reqs...); err != nil {
			log.Fatal(err)
		}
		if _, err := e.Wait(1, out); err != nil {
			log.Fatal(err)
		}
		if out[0].Err != nil {
			log.Fatal(out[0].Err)
		}
		fmt.Printf("%s: %d bytes\n", op, out[0].N)
	}
	fmt.Printf("%s\n", buf[:16])
	// Output:
	// write: 4096 bytes
	// read: 4096 bytes
	// hello, raw world
}
