package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/internal/uring"
	"golang.org/x/sys/unix"
)

// TestUringSubmitDefers looks inside the uring engine: Submit only fills
// SQEs (the kernel has consumed none of them, so no io_uring_enter ran),
// and the next Wait, even a Wait(0, nil), hands them all over.
func TestUringSubmitDefers(t *testing.T) {
	if err := uring.Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	const depth = 4
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(-1, 0, depth*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	eng, _, err := New(Options{Kind: KindUring, Depth: depth, Files: []*os.File{f}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	e := eng.(*uringEngine)
	for i := range 3 {
		if err := e.Submit(Request{Op: OpWrite, Data: mem[i*4096 : (i+1)*4096], Offset: int64(i * 4096)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.ring.Unsubmitted(); got != 3 {
		t.Fatalf("%d SQEs pending after 3 Submit calls, want 3 (Submit must not enter the kernel)", got)
	}
	if n, err := e.Wait(0, nil); n != 0 || err != nil {
		t.Fatalf("Wait(0, nil) = %d, %v", n, err)
	}
	if got := e.ring.Unsubmitted(); got != 0 {
		t.Fatalf("%d SQEs pending after Wait(0, nil), want 0", got)
	}
	if err := e.Submit(Request{Op: OpWrite, Data: mem[3*4096:], Offset: 3 * 4096}); err != nil {
		t.Fatal(err)
	}
	out := make([]Completion, depth)
	n := 0
	for n < depth {
		m, err := e.Wait(1, out[n:])
		if err != nil {
			t.Fatal(err)
		}
		if e.ring.Unsubmitted() != 0 {
			t.Fatal("Wait(1) returned with SQEs still pending")
		}
		n += m
	}
	for _, c := range out {
		if c.Err != nil || c.N != 4096 {
			t.Fatalf("completion %+v", c)
		}
	}
}
