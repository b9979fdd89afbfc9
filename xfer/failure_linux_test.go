package xfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

// eioEngine fails the write at one destination offset with EIO, as a
// failing disk would, and passes everything else through.
type eioEngine struct {
	engine.Engine
	file int   // the destination's engine file index
	at   int64 // destination offset whose write fails
	bad  map[uint64]bool
}

func (e *eioEngine) Submit(reqs ...engine.Request) error {
	for _, r := range reqs {
		if r.Op == engine.OpWrite && r.File == e.file && r.Offset == e.at {
			e.bad[r.Tag] = true
		}
	}
	return e.Engine.Submit(reqs...)
}

func (e *eioEngine) Wait(min int, out []engine.Completion) (int, error) {
	n, err := e.Engine.Wait(min, out)
	for i := range out[:n] {
		if e.bad[out[i].Tag] {
			out[i].N, out[i].Err = 0, os.NewSyscallError("pwrite", unix.EIO)
			e.bad[out[i].Tag] = false
		}
	}
	return n, err
}

// TestFailedCopyLeavesPrefix: a write that fails part-way must not leave a
// destination that looks complete (preallocation gave it the full size, and
// later pieces may have landed): it is cut to the prefix known to be there,
// which holds the source's bytes, and the error is returned.
func TestFailedCopyLeavesPrefix(t *testing.T) {
	const bs = 64 << 10
	for _, eng := range []string{"uring", "sync"} {
		for _, failPiece := range []int64{0, 3, 9} {
			t.Run(fmt.Sprintf("%s/piece%d", eng, failPiece), func(t *testing.T) {
				dir := t.TempDir()
				data := make([]byte, 10*bs+100)
				rand.Read(data)
				src := filepath.Join(dir, "src")
				if err := os.WriteFile(src, data, 0o644); err != nil {
					t.Fatal(err)
				}
				o := NewOptions()
				o.Src, o.Dst, o.Engine, o.BlockSize, o.Depth = src, filepath.Join(dir, "dst"), eng, bs, 4
				if err := o.normalize(); err != nil {
					t.Fatal(err)
				}
				j, err := prepare(&o)
				if err != nil {
					t.Fatal(err)
				}
				defer j.close()
				j.eng = &eioEngine{Engine: j.eng, file: j.dstIdx, at: failPiece * bs, bad: map[uint64]bool{}}
				_, err = j.run(context.Background())
				if err == nil {
					t.Fatal("copy with a failing write returned no error")
				}
				got, rerr := os.ReadFile(o.Dst)
				if rerr != nil {
					t.Fatal(rerr)
				}
				if int64(len(got)) > failPiece*bs {
					t.Fatalf("destination is %d bytes after a failure at %d: it must end at or before the failed piece", len(got), failPiece*bs)
				}
				if !bytes.Equal(got, data[:len(got)]) {
					t.Fatal("destination prefix differs from the source")
				}
			})
		}
	}
}
