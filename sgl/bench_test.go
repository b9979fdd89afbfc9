package sgl

import (
	"strconv"
	"testing"
)

func BenchmarkMap(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20, 64 << 20} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			addr := uintptr(1<<30 + 0x200)
			capacity := pagesSpanned(addr, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Map(addr, size, capacity); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSplit(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20, 64 << 20} {
		buf := atPageOffset(size, 0)
		for _, lc := range []struct {
			name string
			lim  Limits
		}{
			{"defaults", Limits{}},
			{"nvme-like", Limits{MaxSegmentSize: 4 << 20, MaxSegments: 127, MaxBytes: 512 << 10, LogicalBlock: 4096}},
		} {
			b.Run(strconv.Itoa(size>>10)+"KiB/"+lc.name, func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Split(buf, 0, lc.lim); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
