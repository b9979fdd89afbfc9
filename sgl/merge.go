package sgl

import "math"

// Limits are the request-queue limits of the device on the other side of
// the I/O, as the block layer keeps them in struct queue_limits and sysfs
// shows them under /sys/block/<dev>/queue. A zero field means unknown and
// takes the block layer's default (see the constants below); LimitsOf fills
// them from the discovered rules of a file or device.
type Limits struct {
	// MaxSegmentSize is the largest segment, in bytes (max_segment_size).
	MaxSegmentSize int
	// SegmentBoundaryMask: no segment may cross an address that is a
	// multiple of SegmentBoundaryMask+1 (seg_boundary_mask; devices whose
	// DMA engines cannot cross, say, a 4 GiB line set it). It must be one
	// less than a power of two; any other value is reduced to its lowest
	// run of one bits (the trailing ones), which only makes the windows
	// smaller.
	SegmentBoundaryMask uint64
	// MaxSegments is the most segments in one request (max_segments). It
	// is also capped at IOV_MAX, the most iovecs preadv accepts.
	MaxSegments int
	// MaxBytes is the most bytes in one request (max_sectors_kb*1024).
	MaxBytes int
	// LogicalBlock is the unit of request offsets and lengths (the
	// logical block size, or a file's direct I/O offset alignment).
	LogicalBlock int
}

// Defaults for unknown limits: the block layer's own defaults for a queue
// whose driver sets nothing (include/linux/blkdev.h BLK_MAX_SEGMENT_SIZE,
// BLK_SEG_BOUNDARY_MASK, BLK_MAX_SEGMENTS, BLK_DEF_MAX_SECTORS_CAP) and the
// 512-byte sector every block device supports at least.
const (
	DefaultMaxSegmentSize      = 64 << 10
	DefaultSegmentBoundaryMask = 0xFFFFFFFF
	DefaultMaxSegments         = 128
	DefaultMaxBytes            = 2560 * 512 // 1280 KiB
	DefaultLogicalBlock        = 512
)

// iovMax is IOV_MAX (UIO_MAXIOV in include/uapi/linux/uio.h): preadv and
// pwritev fail with EINVAL on more iovecs than this.
const iovMax = 1024

// maxRWCount is MAX_RW_COUNT (include/linux/fs.h), INT_MAX rounded down to
// a page: the kernel silently shortens any single read or write to it.
var maxRWCount = int(math.MaxInt32 &^ (int64(pageSize) - 1))

// normalized returns l with unknown (zero or negative) fields set to the
// defaults and the caps of the syscall interface applied.
func (l Limits) normalized() Limits {
	if l.MaxSegmentSize <= 0 {
		l.MaxSegmentSize = DefaultMaxSegmentSize
	}
	if l.SegmentBoundaryMask == 0 {
		l.SegmentBoundaryMask = DefaultSegmentBoundaryMask
	}
	// Keep the low run of ones: within it, "same window" is the same
	// whether computed from the window's end (get_max_segment_size) or by
	// comparing addr|mask (biovec_phys_mergeable); with holes in the mask
	// the two disagree.
	l.SegmentBoundaryMask &^= l.SegmentBoundaryMask + 1
	if l.MaxSegments <= 0 {
		l.MaxSegments = DefaultMaxSegments
	}
	l.MaxSegments = min(l.MaxSegments, iovMax)
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	l.MaxBytes = min(l.MaxBytes, maxRWCount)
	if l.LogicalBlock <= 0 {
		l.LogicalBlock = DefaultLogicalBlock
	}
	return l
}

// Segment is a run of virtually contiguous bytes that the device may take
// as one scatter-gather element.
type Segment struct {
	Addr uintptr
	Len  int
}

// maxSegmentLen is the longest segment that may start at addr: it must not
// exceed MaxSegmentSize nor cross the next (mask+1) boundary. It computes
// like the block layer's get_max_segment_size (block/blk-merge.c), taking
// the minimum before adding one so that a mask of all ones cannot
// overflow. l must be normalized.
func maxSegmentLen(l Limits, addr uintptr) int {
	mask := l.SegmentBoundaryMask
	toBoundary := mask - (mask & uint64(addr)) // bytes after addr up to the boundary, less one
	return int(min(toBoundary, uint64(l.MaxSegmentSize-1)) + 1)
}

// Merge joins virtually contiguous entries into segments, under the rules
// by which the block layer merges bio vectors into one scatter-gather
// element (block/blk-merge.c: biovec_phys_mergeable and
// get_max_segment_size): no segment is longer than lim.MaxSegmentSize and
// none crosses a multiple of lim.SegmentBoundaryMask+1. An entry that
// would break either rule on its own is cut. Zero fields of lim take the
// defaults documented on Limits.
//
// The segments, read in order, cover exactly the bytes of the entries in
// order. Merge looks at virtual addresses only; the kernel merges by
// physical address after it has pinned the pages, which PhysRuns shows.
func Merge(entries []Entry, lim Limits) []Segment {
	return merge(nil, entries, lim.normalized())
}

// merge appends entries to segs by the rules of Merge, joining the first
// entry to the last segment where they allow, so a long list can be merged
// piece by piece. lim must be normalized already (normalizing twice is not
// the identity: a mask reduced to 0 would become the default again).
func merge(segs []Segment, entries []Entry, lim Limits) []Segment {
	for _, e := range entries {
		addr, left := e.Addr, e.Len
		for left > 0 {
			if n := len(segs); n > 0 {
				last := &segs[n-1]
				if end := last.Addr + uintptr(last.Len); end == addr && end > last.Addr {
					if room := maxSegmentLen(lim, last.Addr) - last.Len; room > 0 {
						take := min(room, left)
						last.Len += take
						addr += uintptr(take)
						left -= take
						continue
					}
				}
			}
			take := min(left, maxSegmentLen(lim, addr))
			segs = append(segs, Segment{Addr: addr, Len: take})
			addr += uintptr(take)
			left -= take
		}
	}
	return segs
}
