package xfer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/xfer"
)

// BenchmarkCopy copies 64 MiB per iteration through the whole pipeline
// (open, discover, pin the ring, copy, fdatasync) between two files on the
// test's disk and between two zram devices, with each engine. The zram case
// takes the disk out of the measurement and shows the pipeline's own cost.
//
//	go test -run XXX -bench Copy -benchtime 20x ./xfer/
func BenchmarkCopy(b *testing.B) {
	const size = 64 << 20
	type target struct {
		name     string
		src, dst func(b *testing.B) string
	}
	dir := b.TempDir()
	srcFile := testdev.RandomFile(b, dir, size)
	targets := []target{
		{"file", func(*testing.B) string { return srcFile }, func(*testing.B) string { return filepath.Join(dir, "dst.bin") }},
		{"zram", func(b *testing.B) string {
			dev := testdev.Zram(b, size)
			copyOnce(b, srcFile, dev, "sync", 0, 0)
			return dev
		}, func(b *testing.B) string { return testdev.Zram(b, size) }},
	}
	for _, tg := range targets {
		for _, eng := range []string{"uring", "sync"} {
			for _, cfg := range []struct{ bs, depth int64 }{{1 << 20, 4}, {8 << 20, 4}} {
				name := fmt.Sprintf("%s/%s/bs=%dM/depth=%d", tg.name, eng, cfg.bs>>20, cfg.depth)
				b.Run(name, func(b *testing.B) {
					src, dst := tg.src(b), tg.dst(b)
					b.SetBytes(size)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						copyOnce(b, src, dst, eng, cfg.bs, int(cfg.depth))
					}
				})
			}
		}
	}
}

func copyOnce(b *testing.B, src, dst, eng string, bs int64, depth int) {
	b.Helper()
	o := xfer.NewOptions()
	o.Src, o.Dst, o.Engine = src, dst, eng
	if bs > 0 {
		o.BlockSize, o.Depth = bs, depth
	}
	s, err := xfer.Copy(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	if fi, err := os.Stat(src); err == nil && fi.Mode().IsRegular() && s.Bytes != fi.Size() {
		b.Fatalf("copied %d bytes of %d", s.Bytes, fi.Size())
	}
}
