package aligned

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

func TestRoundUp(t *testing.T) {
	tests := []struct {
		name     string
		x, align int64
		want     int64
		err      error
	}{
		{"zero", 0, 512, 0, nil},
		{"one", 1, 512, 512, nil},
		{"exact", 4096, 512, 4096, nil},
		{"just past", 4097, 4096, 8192, nil},
		{"align one", 12345, 1, 12345, nil},
		{"negative toward zero", -1, 512, 0, nil},
		{"negative exact", -1024, 512, -1024, nil},
		{"negative", -1025, 512, -1024, nil},
		{"min int64", math.MinInt64, 4096, math.MinInt64, nil},
		{"max aligned", math.MaxInt64 &^ 4095, 4096, math.MaxInt64 &^ 4095, nil},
		{"overflow", math.MaxInt64 - 10, 4096, 0, ErrOverflow},
		{"overflow max", math.MaxInt64, 2, 0, ErrOverflow},
		{"huge align", 1, 1 << 62, 1 << 62, nil},
		{"huge align overflow", (1 << 62) + 1, 1 << 62, 0, ErrOverflow},
		{"align zero", 5, 0, 0, ErrBadAlignment},
		{"align negative", 5, -512, 0, ErrBadAlignment},
		{"align not power of two", 5, 3000, 0, ErrBadAlignment},
		{"align min int64", 5, math.MinInt64, 0, ErrBadAlignment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RoundUp(tt.x, tt.align)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("RoundUp(%d, %d) error = %v, want %v", tt.x, tt.align, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("RoundUp(%d, %d) = %d, want %d", tt.x, tt.align, got, tt.want)
			}
		})
	}
}

func TestRoundDownAndIsAligned(t *testing.T) {
	tests := []struct {
		name     string
		x, align int64
		down     int64
		aligned  bool
	}{
		{"zero", 0, 512, 0, true},
		{"below", 511, 512, 0, false},
		{"exact", 1024, 512, 1024, true},
		{"above", 1536 + 7, 512, 1536, false},
		{"negative", -1, 512, -512, false},
		{"negative exact", -512, 512, -512, true},
		{"max", math.MaxInt64, 4096, math.MaxInt64 &^ 4095, false},
		{"min", math.MinInt64, 4096, math.MinInt64, true},
		{"align one", 7, 1, 7, true},
		{"align zero unchanged", 7, 0, 7, false},
		{"align negative unchanged", 7, -4, 7, false},
		{"not power of two unchanged", 3000, 1000, 3000, true},
		{"not power of two unaligned", 3001, 1000, 3001, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RoundDown(tt.x, tt.align); got != tt.down {
				t.Errorf("RoundDown(%d, %d) = %d, want %d", tt.x, tt.align, got, tt.down)
			}
			if got := IsAligned(tt.x, tt.align); got != tt.aligned {
				t.Errorf("IsAligned(%d, %d) = %v, want %v", tt.x, tt.align, got, tt.aligned)
			}
		})
	}
}

func TestLCM(t *testing.T) {
	tests := []struct {
		name string
		a, b int
		want int
	}{
		{"powers of two take the max", 512, 4096, 4096},
		{"commutes", 4096, 512, 4096},
		{"equal", 512, 512, 512},
		{"one", 1, 4096, 4096},
		{"zero is no constraint", 0, 512, 512},
		{"negative is no constraint", -8, 512, 512},
		{"both unknown", 0, 0, 1},
		{"coprime", 3, 512, 1536},
		{"common factor", 6, 4, 12},
		{"overflow", math.MaxInt, math.MaxInt - 1, 0},
		{"max with one", math.MaxInt, 1, math.MaxInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LCM(tt.a, tt.b); got != tt.want {
				t.Fatalf("LCM(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// pow2 turns a fuzzed byte into a power of two alignment 1..2^62.
func pow2(shift uint8) int64 { return 1 << (shift % 63) }

func FuzzRoundUp(f *testing.F) {
	for _, s := range []struct {
		x     int64
		shift uint8
	}{{0, 9}, {1, 9}, {-1, 12}, {math.MaxInt64, 12}, {math.MinInt64, 62}, {4097, 12}} {
		f.Add(s.x, s.shift)
	}
	f.Fuzz(func(t *testing.T, x int64, shift uint8) {
		a := pow2(shift)
		got, err := RoundUp(x, a)
		// Reference with big integers: ceil(x / a) * a.
		bx, ba := big.NewInt(x), big.NewInt(a)
		q, m := new(big.Int).DivMod(bx, ba, new(big.Int)) // Euclidean: m >= 0
		if m.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
		want := q.Mul(q, ba)
		if !want.IsInt64() {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("RoundUp(%d, %d) = %d, %v; want ErrOverflow", x, a, got, err)
			}
			return
		}
		if err != nil || got != want.Int64() {
			t.Fatalf("RoundUp(%d, %d) = %d, %v; want %d", x, a, got, err, want)
		}
		if !IsAligned(got, a) || got < x || got-x >= a {
			t.Fatalf("RoundUp(%d, %d) = %d breaks the invariants", x, a, got)
		}
	})
}

func FuzzRoundDown(f *testing.F) {
	f.Add(int64(0), uint8(9))
	f.Add(int64(-1), uint8(9))
	f.Add(int64(math.MinInt64), uint8(12))
	f.Add(int64(math.MaxInt64), uint8(62))
	f.Fuzz(func(t *testing.T, x int64, shift uint8) {
		a := pow2(shift)
		got := RoundDown(x, a)
		q := new(big.Int).Div(big.NewInt(x), big.NewInt(a)) // Euclidean = floor for a > 0
		want := q.Mul(q, big.NewInt(a)).Int64()
		if got != want {
			t.Fatalf("RoundDown(%d, %d) = %d, want %d", x, a, got, want)
		}
		if !IsAligned(got, a) || got > x || uint64(x-got) >= uint64(a) {
			t.Fatalf("RoundDown(%d, %d) = %d breaks the invariants", x, a, got)
		}
		if IsAligned(x, a) != (got == x) {
			t.Fatalf("IsAligned(%d, %d) disagrees with RoundDown", x, a)
		}
	})
}

func FuzzLCM(f *testing.F) {
	f.Add(512, 4096)
	f.Add(3, 5)
	f.Add(0, -1)
	f.Add(math.MaxInt, 2)
	f.Fuzz(func(t *testing.T, a, b int) {
		got := LCM(a, b)
		ba, bb := big.NewInt(int64(max(a, 1))), big.NewInt(int64(max(b, 1)))
		g := new(big.Int).GCD(nil, nil, ba, bb)
		want := new(big.Int).Mul(new(big.Int).Div(ba, g), bb)
		if !want.IsInt64() || want.Int64() > math.MaxInt {
			if got != 0 {
				t.Fatalf("LCM(%d, %d) = %d, want 0 (overflow)", a, b, got)
			}
			return
		}
		if int64(got) != want.Int64() {
			t.Fatalf("LCM(%d, %d) = %d, want %d", a, b, got, want)
		}
		if LCM(b, a) != got {
			t.Fatalf("LCM(%d, %d) does not commute", a, b)
		}
	})
}
