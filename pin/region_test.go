package pin

import (
	"errors"
	"math"
	"testing"
)

func TestAllocRefusesBadArguments(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		opts   Options
		target error
	}{
		{"size zero", 0, Options{}, ErrInvalidSize},
		{"size negative", -1, Options{}, ErrInvalidSize},
		{"size min int", math.MinInt, Options{Policy: LockRequire}, ErrInvalidSize},
		{"unknown policy", 4096, Options{Policy: Policy(42)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Alloc(tt.size, tt.opts)
			if err == nil {
				r.Free()
				t.Fatalf("Alloc(%d, %+v) succeeded", tt.size, tt.opts)
			}
			if r != nil {
				t.Fatalf("Alloc returned a region with error %v", err)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Fatalf("Alloc error %v does not wrap %v", err, tt.target)
			}
			t.Log(err)
		})
	}
}

func TestReleaseForeign(t *testing.T) {
	heap := make([]byte, 8192)
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"empty", heap[:0]},
		{"go heap", heap},
		{"go heap interior", heap[4096:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Release(tt.b)
			if !errors.Is(err, ErrNotRegion) {
				t.Fatalf("Release = %v, want ErrNotRegion", err)
			}
			t.Log(err)
		})
	}
}

func TestFreeNil(t *testing.T) {
	var r *Region
	if err := r.Free(); !errors.Is(err, ErrNotRegion) {
		t.Fatalf("Free of nil region = %v, want ErrNotRegion", err)
	}
}

// TestNilRegion: every method of a nil *Region answers, none panics.
func TestNilRegion(t *testing.T) {
	var r *Region
	if b := r.Bytes(); b != nil {
		t.Errorf("Bytes() = %d bytes", len(b))
	}
	if r.Len() != 0 || r.Locked() || r.Reason() != "no region" {
		t.Errorf("Len %d Locked %v Reason %q", r.Len(), r.Locked(), r.Reason())
	}
	if adv, why := r.HugePages(); adv || why != "" {
		t.Errorf("HugePages() = %v, %q", adv, why)
	}
	if err := r.Free(); !errors.Is(err, ErrNotRegion) {
		t.Errorf("Free() = %v, want ErrNotRegion", err)
	}
}

func TestRoundUp(t *testing.T) {
	const huge = 2 << 20
	tests := []struct {
		name    string
		n, unit int
		want    int
	}{
		{"one byte", 1, huge, huge},
		{"exact", huge, huge, huge},
		{"one over", huge + 1, huge, 2 * huge},
		{"eight MiB", 8 << 20, huge, 8 << 20},
		{"not a power of two", 10, 3, 12},
		{"zero", 0, huge, 0},
		{"negative", -5, huge, -5},
		{"unit unknown", 12345, 0, 12345},
		{"would overflow", math.MaxInt - 5, huge, math.MaxInt - 5},
		{"largest multiple", math.MaxInt - (huge - 1), huge, math.MaxInt - (huge - 1)},
		{"just below the largest multiple", math.MaxInt - huge, huge, math.MaxInt - (huge - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundUp(tt.n, tt.unit); got != tt.want {
				t.Errorf("roundUp(%d, %d) = %d, want %d", tt.n, tt.unit, got, tt.want)
			}
		})
	}
}

func FuzzRoundUp(f *testing.F) {
	f.Add(1, 2<<20)
	f.Add(math.MaxInt, 4096)
	f.Add(-1, 3)
	f.Fuzz(func(t *testing.T, n, unit int) {
		got := roundUp(n, unit)
		if n <= 0 || unit <= 0 || n > math.MaxInt-(unit-1) {
			if got != n {
				t.Fatalf("roundUp(%d, %d) = %d, want n unchanged", n, unit, got)
			}
			return
		}
		if got < n || got%unit != 0 || got-n >= unit {
			t.Fatalf("roundUp(%d, %d) = %d: not the least multiple of unit at or above n", n, unit, got)
		}
	})
}
