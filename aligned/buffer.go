package aligned

import (
	"fmt"
	"math"
	"os"

	"github.com/rawio/rawio/pin"
)

// NewBuffer allocates a direct I/O buffer for r with pin.Alloc: memory
// outside the Go heap, page aligned, and locked per opts.Policy.
//
// size is rounded up to a multiple of the page size and of r's
// alignments (OffsetAlign, ReadOffsetAlign, MemAlign), so a transfer of
// the whole buffer at an aligned offset passes r.Check. The page-aligned
// start satisfies MemAlign whenever MemAlign is at most a page (every
// value measured is: dma_alignment masks are 3 or 511); a larger MemAlign
// is refused with ErrBadAlignment rather than handing out a misaligned
// buffer.
//
// The caller owns the region and frees it with Free once no I/O uses it.
// A size of zero or less gives an error wrapping pin.ErrInvalidSize.
func NewBuffer(size int, r Rules, opts pin.Options) (*pin.Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("buffer size %d: %w", size, pin.ErrInvalidSize)
	}
	page := os.Getpagesize()
	if r.MemAlign > page {
		return nil, fmt.Errorf("memory alignment %d of %s exceeds the page size %d: %w", r.MemAlign, r.Path, page, ErrBadAlignment)
	}
	align := LCM(LCM(page, r.OffsetAlign), LCM(r.ReadOffsetAlign, r.MemAlign))
	if !isPow2(int64(align)) { // LCM is 0 when it overflows
		return nil, fmt.Errorf("buffer for %s: offset alignment %d, read offset alignment %d and memory alignment %d: %w",
			r.Path, r.OffsetAlign, r.ReadOffsetAlign, r.MemAlign, ErrBadAlignment)
	}
	// Wrapped once here: RoundUp's own error would repeat the numbers.
	n, err := RoundUp(int64(size), int64(align))
	if err != nil || n > math.MaxInt {
		return nil, fmt.Errorf("buffer of %d bytes rounded up to a multiple of %d for %s: %w", size, align, r.Path, ErrOverflow)
	}
	return pin.Alloc(int(n), opts)
}
