package xfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

// TestEINVALAtUnalignedEnd: the last piece is read through the page cache
// instead, dropped again, and reported; the copy is complete.
func TestEINVALAtUnalignedEnd(t *testing.T) {
	for _, eng := range []string{"uring", "sync"} {
		for _, size := range []int64{100, 64<<10 + 100, 3 * 64 << 10} {
			t.Run(fmt.Sprintf("%s/%d", eng, size), func(t *testing.T) {
				data := make([]byte, size)
				rand.Read(data)
				j, dst := prepareFileCopy(t, eng, data, 64<<10, 0)
				// Every read crossing the end of the source fails with EINVAL, as some
				// file systems answer an O_DIRECT read at an unaligned end.
				srcIdx := j.srcIdx
				j.eng = newFaultEngine(j.eng, "pread", unix.EINVAL, func(r engine.Request) bool {
					return r.Op == engine.OpRead && r.File == srcIdx && r.Offset+int64(len(r.Data)) > size
				})
				sum, err := j.run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(dst)
				if !bytes.Equal(got, data) || sum.Bytes != size {
					t.Fatalf("copied %d bytes (summary %d), want %d, equal %v", len(got), sum.Bytes, size, bytes.Equal(got, data))
				}
				if sum.Src.CachePagesAdded != 0 {
					t.Errorf("the buffered read left %d pages of the source cached", sum.Src.CachePagesAdded)
				}
				fb := strings.Join(sum.Fallbacks, "; ")
				if aligned := size%int64(j.src.align) == 0; aligned == strings.Contains(fb, "EINVAL") {
					t.Errorf("size %d: fallbacks %q", size, sum.Fallbacks)
				}
			})
		}
	}
}
