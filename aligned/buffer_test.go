package aligned

import (
	"errors"
	"math"
	"os"
	"testing"
	"unsafe"

	"github.com/rawio/rawio/pin"
)

func TestNewBuffer(t *testing.T) {
	page := os.Getpagesize()
	rules := func(off, read, mem int) Rules {
		return Rules{Path: "/dev/x", Kind: KindBlock, LogicalBlock: off, OffsetAlign: off, ReadOffsetAlign: read, MemAlign: mem}
	}
	tests := []struct {
		name string
		size int
		r    Rules
		want int // length; 0 = error
		err  error
	}{
		{"one byte, 512 device", 1, rules(512, 512, 4), page, nil},
		{"page exactly", page, rules(4096, 4096, 512), page, nil},
		{"4096 sectors round up", page + 1, rules(4096, 4096, 512), 2 * page, nil},
		{"64 KiB write alignment", 1000, rules(65536, 512, 512), 65536, nil},
		{"zero rules", 10, Rules{}, page, nil},
		{"zero size", 0, rules(512, 512, 512), 0, pin.ErrInvalidSize},
		{"negative size", -1, rules(512, 512, 512), 0, pin.ErrInvalidSize},
		{"memory alignment above a page", 10, rules(512, 512, 2*page), 0, ErrBadAlignment},
		{"not a power of two", 10, rules(3, 3, 1), 0, ErrBadAlignment},
		{"overflow", math.MaxInt - 10, rules(512, 512, 512), 0, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := NewBuffer(tt.size, tt.r, pin.Options{Policy: pin.LockOff})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("NewBuffer = %v, want %v", err, tt.err)
				}
				return
			}
			if errors.Is(err, pin.ErrUnsupported) {
				t.Skipf("skipping: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := reg.Free(); err != nil {
					t.Error(err)
				}
			}()
			b := reg.Bytes()
			if len(b) != tt.want || reg.Len() != tt.want {
				t.Errorf("len = %d, Len = %d, want %d", len(b), reg.Len(), tt.want)
			}
			if addr := uintptr(unsafe.Pointer(&b[0])); addr%uintptr(page) != 0 {
				t.Errorf("address %#x is not page aligned", addr)
			}
			for _, write := range []bool{false, true} {
				if err := tt.r.Check(0, len(b), b, write); err != nil {
					t.Errorf("Check(whole buffer, write=%v) = %v", write, err)
				}
			}
		})
	}
}
