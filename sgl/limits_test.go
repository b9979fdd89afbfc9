package sgl

import (
	"testing"

	"github.com/rawio/rawio/aligned"
)

func TestLimitsOf(t *testing.T) {
	tests := []struct {
		name string
		r    aligned.Rules
		want Limits
	}{
		{"unknown: defaults", aligned.Rules{}, Limits{}.normalized()},
		{"device", aligned.Rules{LogicalBlock: 4096, OffsetAlign: 4096, MaxSegmentSize: 1 << 20,
			MaxSegments: 254, MaxSectorsKB: 4096, SegmentBoundaryMask: 0xFFFF},
			Limits{MaxSegmentSize: 1 << 20, SegmentBoundaryMask: 0xFFFF, MaxSegments: 254, MaxBytes: 4 << 20, LogicalBlock: 4096}},
		{"file: offset alignment wins", aligned.Rules{LogicalBlock: 512, OffsetAlign: 4096},
			Limits{MaxSegmentSize: DefaultMaxSegmentSize, SegmentBoundaryMask: DefaultSegmentBoundaryMask,
				MaxSegments: DefaultMaxSegments, MaxBytes: DefaultMaxBytes, LogicalBlock: 4096}},
		{"no constraint stays", aligned.Rules{LogicalBlock: 1, OffsetAlign: 1},
			Limits{MaxSegmentSize: DefaultMaxSegmentSize, SegmentBoundaryMask: DefaultSegmentBoundaryMask,
				MaxSegments: DefaultMaxSegments, MaxBytes: DefaultMaxBytes, LogicalBlock: 1}},
		{"capped for preadv", aligned.Rules{MaxSegments: 65535, MaxSectorsKB: 1 << 30},
			Limits{MaxSegmentSize: DefaultMaxSegmentSize, SegmentBoundaryMask: DefaultSegmentBoundaryMask,
				MaxSegments: iovMax, MaxBytes: maxRWCount, LogicalBlock: DefaultLogicalBlock}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LimitsOf(tt.r); got != tt.want {
				t.Errorf("LimitsOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
