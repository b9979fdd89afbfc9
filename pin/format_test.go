package pin

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{513, "513 B"},
		{1000, "1000 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1025, "1025 B"},
		{1536, "1.5 KiB"},
		{4096, "4 KiB"},
		{4097, "4097 B"},
		{10239, "10239 B"},
		{10241, "10.00 KiB"},
		{8 << 20, "8 MiB"},
		{8<<20 + 4<<10, "8196 KiB"},
		{64 << 20, "64 MiB"},
		{64<<20 + 1, "64.00 MiB"},
		{3 << 29, "1.5 GiB"},
		{5 << 28, "1280 MiB"},
		{1<<30 - 1, "1.00 GiB"},
		{1234567891, "1.15 GiB"},
		{1 << 40, "1 TiB"},
		{1 << 60, "1 EiB"},
		{math.MaxUint64, "16.00 EiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatBytes(tt.n); got != tt.want {
				t.Fatalf("FormatBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

// FuzzFormatBytes checks that every output parses back: exactly when it
// has at most one decimal, within rounding when it has two.
func FuzzFormatBytes(f *testing.F) {
	for _, n := range []uint64{0, 513, 1024, 1536, 8<<20 + 4096, 1<<30 - 1, math.MaxUint64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n uint64) {
		s := FormatBytes(n)
		num, unit, ok := strings.Cut(s, " ")
		if !ok {
			t.Fatalf("FormatBytes(%d) = %q: no unit", n, s)
		}
		k := -1
		for i, u := range byteUnits {
			if u == unit {
				k = i
			}
		}
		if k < 0 {
			t.Fatalf("FormatBytes(%d) = %q: unknown unit", n, s)
		}
		scale := uint64(1) << (10 * k)
		whole, frac, hasFrac := strings.Cut(num, ".")
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || w >= 10240 {
			t.Fatalf("FormatBytes(%d) = %q: bad number", n, s)
		}
		switch {
		case !hasFrac:
			if w*scale != n {
				t.Fatalf("FormatBytes(%d) = %q is not exact", n, s)
			}
		case frac == "5":
			if w*scale+scale/2 != n || k == 0 {
				t.Fatalf("FormatBytes(%d) = %q is not exact", n, s)
			}
		case len(frac) == 2:
			v, _ := strconv.ParseFloat(num, 64)
			if diff := math.Abs(v*float64(scale) - float64(n)); diff > 0.0051*float64(scale) {
				t.Fatalf("FormatBytes(%d) = %q is off by %g bytes", n, s, diff)
			}
		default:
			t.Fatalf("FormatBytes(%d) = %q: unexpected decimals", n, s)
		}
	})
}
