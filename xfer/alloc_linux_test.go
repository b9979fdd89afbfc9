package xfer_test

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/rawio/rawio/xfer"
)

// TestNoPerIOAllocation checks that the pipeline's steady state allocates
// nothing per I/O: a copy of 2048 blocks allocates about as much as one of
// 64 blocks (setup, summary and page-cache measurement are per copy).
func TestNoPerIOAllocation(t *testing.T) {
	const bs = 4096
	dir := t.TempDir()
	src := writeFile(t, dir, randomBytes(t, 2048*bs))
	for _, eng := range []string{"uring", "sync"} {
		t.Run(eng, func(t *testing.T) {
			mallocs := func(blocks int64) uint64 {
				t.Helper()
				o := xfer.NewOptions()
				o.Src, o.Dst, o.Engine = src, tempPath(t, "dst"), eng
				o.BlockSize, o.Depth, o.Count, o.NoFsync = bs, 4, blocks*bs, true
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				sum, err := xfer.Copy(context.Background(), o)
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				if sum.Engine != eng {
					t.Skipf("skipping: engine %s instead of %s (%q)", sum.Engine, eng, sum.Fallbacks)
				}
				return after.Mallocs - before.Mallocs
			}
			check(t, mallocs)
		})
	}
	// A pipe source: read(2) into the ring, the engine writes.
	data := randomBytes(t, 2048*bs)
	for _, eng := range []string{"uring", "sync"} {
		t.Run("stdin/"+eng, func(t *testing.T) {
			mallocs := func(blocks int64) uint64 {
				t.Helper()
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				done := make(chan struct{})
				go func() { w.Write(data[:blocks*bs]); w.Close(); close(done) }()
				o := xfer.NewOptions()
				o.Src, o.Stdin, o.Dst, o.Engine = "-", r, tempPath(t, "dst"), eng
				o.BlockSize, o.Depth, o.NoFsync = bs, 4, true
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				sum, err := xfer.Copy(context.Background(), o)
				runtime.ReadMemStats(&after)
				<-done
				if err != nil {
					t.Fatal(err)
				}
				if sum.Engine != eng || sum.Bytes != blocks*bs {
					t.Fatalf("engine %s, %d bytes (%q)", sum.Engine, sum.Bytes, sum.Fallbacks)
				}
				return after.Mallocs - before.Mallocs
			}
			check(t, mallocs)
		})
	}
}

func check(t *testing.T, mallocs func(blocks int64) uint64) {
	t.Helper()
	mallocs(64) // warm up (first use of the engine, the poller, …)
	small := mallocs(64)
	large := mallocs(2048)
	extraIOs := 2 * (2048 - 64) // a read and a write per block
	if large > small && float64(large-small) > 0.02*float64(extraIOs) {
		t.Errorf("%d mallocs for 64 blocks, %d for 2048: %.2f per extra I/O, want 0",
			small, large, float64(large-small)/float64(extraIOs))
	}
	t.Logf("mallocs: %d for 64 blocks, %d for 2048", small, large)
}
