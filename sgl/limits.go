package sgl

import "github.com/rawio/rawio/aligned"

// LimitsOf returns the limits of the file or device r describes: the
// sysfs queue limits (max_segment_size, seg_boundary_mask, max_segments,
// max_sectors_kb) and, as the logical block, the larger of r.LogicalBlock
// and r.OffsetAlign, so requests satisfy O_DIRECT for reads and writes
// alike. For a regular file these are the limits of the device under it.
//
// Unknown values (0 in r, e.g. seg_boundary_mask, which Linux 6.18 does not
// export) take the defaults documented on Limits: 64 KiB segments, a 4 GiB
// boundary, 128 segments, 1280 KiB per request, 512-byte blocks. The caps
// of IOV_MAX segments and MAX_RW_COUNT bytes per request are applied, so
// the result shows what Split will use.
func LimitsOf(r aligned.Rules) Limits {
	l := Limits{
		MaxSegmentSize:      r.MaxSegmentSize,
		SegmentBoundaryMask: r.SegmentBoundaryMask,
		MaxSegments:         r.MaxSegments,
		MaxBytes:            r.MaxIOBytes(),
	}
	if r.LogicalBlock > 0 || r.OffsetAlign > 0 {
		// Both are powers of two in practice; LCM is then the larger. A
		// result of 1 (no constraint) is kept: it is not "unknown".
		l.LogicalBlock = aligned.LCM(r.LogicalBlock, r.OffsetAlign)
	}
	return l.normalized()
}
