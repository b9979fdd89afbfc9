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
