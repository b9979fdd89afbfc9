package engine_test

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// BenchmarkRandRead4K reads 4 KiB blocks at random aligned offsets with
// each engine at depth 1 and 32, keeping the depth full: ns/op is the cost
// per I/O at that depth, MB/s the throughput. "file" is a 64 MiB temp file
// opened O_DIRECT (the disk under the test directory); "zram" (root only)
// is a RAM block device, fast enough that the engine's own cost shows.
// Besides ns/op it reports IOPS and the p50 and p99 of
// Completion.Latency ("p50-ns", "p99-ns"), where the scheduling of the
// sync engine's workers shows.
func BenchmarkRandRead4K(b *testing.B) {
	const bs, size = 4096, 64 << 20
	targets := []struct {
		name string
		open func(b *testing.B) *os.File
	}{
		{"file", func(b *testing.B) *os.File {
			return openDirect(b, testdev.RandomFile(b, b.TempDir(), size))
		}},
		{"zram", func(b *testing.B) *os.File {
			dev := testdev.Zram(b, size)
			f, err := os.OpenFile(dev, os.O_RDWR|unix.O_DIRECT, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			// Fill it with random bytes: zram stores zero pages specially,
			// and reading those would cost nothing.
			buf := slots(b, 1, 1<<20)[0]
			crand.Read(buf)
			for off := int64(0); off < size; off += 1 << 20 {
				if _, err := f.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
			}
			return f
		}},
	}
	b.Run("zram/pread-loop/depth=1", func(b *testing.B) {
		// The floor for the sync engine at depth 1: pread in a loop,
		// no engine.
		f := targets[1].open(b)
		buf := slots(b, 1, bs)[0]
		rng := rand.New(rand.NewPCG(1, 2))
		b.SetBytes(bs)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := unix.Pread(int(f.Fd()), buf, int64(rng.IntN(size/bs))*bs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "IOPS")
	})
	for _, tg := range targets {
		for _, v := range []variant{
			{name: "sync", kind: engine.KindSync},
			{name: "sync-keepP", kind: engine.KindSync, keepP: true},
			{name: "uring", kind: engine.KindUring},
			{name: "uring-fixed", kind: engine.KindUring, fixed: true},
		} {
			for _, depth := range []int{1, 32} {
				b.Run(fmt.Sprintf("%s/%s/depth=%d", tg.name, v.name, depth), func(b *testing.B) {
					if v.kind == engine.KindUring {
						requireUring(b)
					}
					f := tg.open(b)
					bufs := slots(b, depth, bs)
					e := newEngine(b, v, depth, []*os.File{f}, bufs)
					rng := rand.New(rand.NewPCG(1, 2))
					reqs := make([]engine.Request, 0, depth)
					comps := make([]engine.Completion, depth)
					free := make([]int, 0, depth)
					for s := range depth {
						free = append(free, s)
					}
					lats := make([]time.Duration, 0, b.N)
					b.SetBytes(bs)
					b.ReportAllocs()
					b.ResetTimer()
					issued, done := 0, 0
					for done < b.N {
						reqs = reqs[:0]
						for issued < b.N && len(free) > 0 {
							s := free[len(free)-1]
							free = free[:len(free)-1]
							off := int64(rng.IntN(size/bs)) * bs
							reqs = append(reqs, engine.Request{Op: engine.OpRead, Buf: s, Data: bufs[s], Offset: off, Tag: uint64(s)})
							issued++
						}
						if len(reqs) > 0 {
							if err := e.Submit(reqs...); err != nil {
								b.Fatal(err)
							}
						}
						n, err := e.Wait(1, comps)
						if err != nil {
							b.Fatal(err)
						}
						for _, c := range comps[:n] {
							if c.Err != nil || c.N != bs {
								b.Fatalf("N %d err %v", c.N, c.Err)
							}
							free = append(free, int(c.Tag))
							lats = append(lats, c.Latency)
						}
						done += n
					}
					b.StopTimer()
					reportLatency(b, lats)
				})
			}
		}
	}
}

// reportLatency reports IOPS and the median and 99th percentile of lats.
func reportLatency(b *testing.B, lats []time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "IOPS")
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	b.ReportMetric(float64(lats[len(lats)/2]), "p50-ns")
	b.ReportMetric(float64(lats[len(lats)*99/100]), "p99-ns")
}
