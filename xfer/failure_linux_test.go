package xfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"

	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

// TestFailedCopyLeavesPrefix: a write that fails part-way must not leave a
// destination that looks complete (preallocation gave it the full size, and
// later pieces may have landed): it is cut to the prefix known to be there,
// which holds the source's bytes, and the error is returned.
func TestFailedCopyLeavesPrefix(t *testing.T) {
	const bs = 64 << 10
	for _, eng := range []string{"uring", "sync"} {
		for _, failPiece := range []int64{0, 3, 9} {
			t.Run(fmt.Sprintf("%s/piece%d", eng, failPiece), func(t *testing.T) {
				data := make([]byte, 10*bs+100)
				rand.Read(data)
				j, dst := prepareFileCopy(t, eng, data, bs, 4)
				dstIdx, at := j.dstIdx, failPiece*bs
				j.eng = newFaultEngine(j.eng, "pwrite", unix.EIO, func(r engine.Request) bool {
					return r.Op == engine.OpWrite && r.File == dstIdx && r.Offset == at
				})
				_, err := j.run(context.Background())
				if err == nil {
					t.Fatal("copy with a failing write returned no error")
				}
				got, rerr := os.ReadFile(dst)
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
