package aligned

import (
	"fmt"
	"math"
	"math/bits"
)

// isPow2 reports whether a is a power of two greater than zero.
func isPow2(a int64) bool { return a > 0 && a&(a-1) == 0 }

// RoundUp rounds x up to the next multiple of align (toward +∞, so
// RoundUp(-1, 512) is 0). align must be a power of two greater than zero,
// otherwise the error wraps ErrBadAlignment; a result beyond math.MaxInt64
// returns an error wrapping ErrOverflow instead of wrapping around.
func RoundUp(x, align int64) (int64, error) {
	if !isPow2(align) {
		return 0, fmt.Errorf("round %d up to %d: %w", x, align, ErrBadAlignment)
	}
	d := x &^ (align - 1) // floor for negative x too (two's complement)
	if d == x {
		return x, nil
	}
	if d > math.MaxInt64-align {
		return 0, fmt.Errorf("round %d up to %d: %w", x, align, ErrOverflow)
	}
	return d + align, nil
}

// RoundDown rounds x down to a multiple of align (toward −∞, so
// RoundDown(-1, 512) is -512); it cannot overflow. align must be a power
// of two greater than zero; any other align returns x unchanged (validate
// untrusted alignments with RoundUp, which reports ErrBadAlignment).
func RoundDown(x, align int64) int64 {
	if !isPow2(align) {
		return x
	}
	return x &^ (align - 1)
}

// IsAligned reports whether x is a multiple of align. Any align > 0 is
// accepted (the alignments the kernel reports are powers of two, but
// LCM may combine others); align <= 0 reports false.
func IsAligned(x, align int64) bool {
	if align <= 0 {
		return false
	}
	if isPow2(align) {
		return x&(align-1) == 0
	}
	return x%align == 0
}

// LCM returns the least common multiple of a and b: the alignment that
// satisfies both sides of a copy (for the powers of two the kernel
// reports, simply the larger one). A value <= 0 means "no constraint" and
// counts as 1. If the result does not fit in an int, LCM returns 0, which
// callers must treat as an error; powers of two never overflow.
func LCM(a, b int) int {
	if a <= 0 {
		a = 1
	}
	if b <= 0 {
		b = 1
	}
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	hi, lo := bits.Mul64(uint64(a/x), uint64(b))
	if hi != 0 || lo > math.MaxInt {
		return 0
	}
	return int(lo)
}
