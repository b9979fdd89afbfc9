package sgl

import (
	"errors"
	"math"
	"syscall"
	"testing"
	"unsafe"
)

// atPageOffset returns n bytes of heap memory starting at offset off within
// a page. Split only computes addresses, so heap memory serves; tests that
// do I/O use mmap'd memory.
func atPageOffset(n, off int) []byte {
	raw := make([]byte, n+2*pageSize)
	skip := (off - int(addrOf(raw)%uintptr(pageSize)) + pageSize) % pageSize
	return raw[skip : skip+n : skip+n]
}

func TestSplit(t *testing.T) {
	ps := pageSize
	type req struct {
		off  int64
		len  int
		segs []int // segment lengths
	}
	tests := []struct {
		name    string
		size    int
		pageOff int
		off     int64
		lim     Limits
		want    []req
	}{
		{"one request", 4 * ps, 0, 0, Limits{}, []req{{0, 4 * ps, []int{4 * ps}}}},
		{"max bytes", 4 * ps, 0, 8192, Limits{MaxBytes: 2 * ps},
			[]req{{8192, 2 * ps, []int{2 * ps}}, {8192 + 2*int64(ps), 2 * ps, []int{2 * ps}}}},
		{"max bytes rounded down to a block", 2 * ps, 0, 0, Limits{MaxBytes: ps + 100},
			[]req{{0, ps, []int{ps}}, {int64(ps), ps, []int{ps}}}},
		{"one segment per request, st.c layout", 2 * ps, 0x200, 0,
			Limits{MaxSegments: 1, SegmentBoundaryMask: uint64(ps - 1)},
			[]req{{0, ps - 0x200, []int{ps - 0x200}}, {int64(ps - 0x200), ps, []int{ps}}, {2*int64(ps) - 0x200, 0x200, []int{0x200}}}},
		// Two page-bounded segments per request but 4096-byte blocks: each
		// request gives back the part past its last whole block, so every
		// request is one page gathered from the tail and head of two pages.
		{"segment limit cuts back to a block", 2 * ps, 0x200, 0,
			Limits{MaxSegments: 2, SegmentBoundaryMask: uint64(ps - 1), LogicalBlock: ps},
			[]req{{0, ps, []int{ps - 0x200, 0x200}}, {int64(ps), ps, []int{ps - 0x200, 0x200}}}},
		{"segment size and count", 8 * ps, 0, 0, Limits{MaxSegmentSize: ps, MaxSegments: 3},
			[]req{{0, 3 * ps, []int{ps, ps, ps}}, {3 * int64(ps), 3 * ps, []int{ps, ps, ps}}, {6 * int64(ps), 2 * ps, []int{ps, ps}}}},
		{"empty", 0, 0, 0, Limits{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := atPageOffset(tt.size, tt.pageOff)
			got, err := Split(b, tt.off, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d requests %+v, want %d", len(got), got, len(tt.want))
			}
			addr := addrOf(b)
			for i, r := range got {
				w := tt.want[i]
				if r.Offset != w.off || r.Len != w.len || len(r.Segments) != len(w.segs) {
					t.Fatalf("request %d = {%d %d %v}, want %+v", i, r.Offset, r.Len, r.Segments, w)
				}
				for j, s := range r.Segments {
					if s.Addr != addr || s.Len != w.segs[j] {
						t.Errorf("request %d segment %d = {%#x %d}, want {%#x %d}", i, j, s.Addr, s.Len, addr, w.segs[j])
					}
					addr += uintptr(s.Len)
				}
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	b := atPageOffset(8192, 0)
	tests := []struct {
		name string
		b    []byte
		off  int64
		lim  Limits
		want string
	}{
		{"offset not a block multiple", b, 100, Limits{}, "offset 100 is not a multiple of the logical block size 512"},
		{"tail not a block multiple", b[:1000], 0, Limits{}, "length 1000 is not a multiple of the logical block size 512"},
		{"negative offset", b, -512, Limits{}, "negative offset -512"},
		{"block not a power of two", b, 0, Limits{LogicalBlock: 1000}, "logical block size 1000 is not a power of two"},
		{"max bytes below a block", b, 0, Limits{MaxBytes: 1024, LogicalBlock: 4096},
			"at most 1024 bytes per request is less than the logical block size 4096"},
		{"past the largest offset", b, math.MaxInt64 - 511, Limits{LogicalBlock: 1}, "8192 bytes at offset 9223372036854775296 run past the largest file offset"},
		{"block does not fit in the segments", atPageOffset(2*pageSize, 0x200), 0,
			Limits{MaxSegments: 1, SegmentBoundaryMask: uint64(pageSize - 1), LogicalBlock: pageSize}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, err := Split(tt.b, tt.off, tt.lim)
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Split error = %v, want EINVAL", err)
			}
			if reqs != nil {
				t.Errorf("Split returned %d requests with an error", len(reqs))
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestIovecs(t *testing.T) {
	b := atPageOffset(4*pageSize, 0x200)
	reqs, err := Split(b, 0, Limits{MaxSegmentSize: pageSize, MaxSegments: 2})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, r := range reqs {
		n := 0
		for _, v := range r.Iovecs() {
			if unsafe.SliceData(v) != &b[i] {
				t.Fatalf("iovec at byte %d of the request at %d does not point at b[%d]", n, r.Offset, i)
			}
			if cap(v) != len(v) {
				t.Errorf("iovec cap %d > len %d: a reader could write past it", cap(v), len(v))
			}
			i += len(v)
			n += len(v)
		}
		if n != r.Len {
			t.Errorf("request at %d: iovecs hold %d bytes, want %d", r.Offset, n, r.Len)
		}
	}
	if i != len(b) {
		t.Errorf("iovecs cover %d bytes, want %d", i, len(b))
	}

	// A request built by hand has no buffer to re-slice: its iovecs are
	// made from the addresses.
	hand := Request{Len: 100, Segments: []Segment{{Addr: addrOf(b) + 10, Len: 60}, {Addr: addrOf(b) + 200, Len: 40}}}
	iov := hand.Iovecs()
	if len(iov) != 2 || unsafe.SliceData(iov[0]) != &b[10] || len(iov[0]) != 60 ||
		unsafe.SliceData(iov[1]) != &b[200] || len(iov[1]) != 40 {
		t.Errorf("hand-built iovecs wrong: %d iovecs", len(iov))
	}
}

// TestSplitInPieces: a buffer spanning more pages than one Map list holds
// is mapped piece by piece, and the requests are the same as in one piece.
func TestSplitInPieces(t *testing.T) {
	lims := []Limits{
		{},
		{MaxSegmentSize: 3 * pageSize, SegmentBoundaryMask: 0xFFFF, MaxSegments: 3, MaxBytes: 32 << 10},
		{MaxSegments: 1, SegmentBoundaryMask: uint64(pageSize - 1)},
	}
	for _, pageOff := range []int{0, 0x200} {
		b := atPageOffset(64*pageSize, pageOff)
		for i, lim := range lims {
			want, err := Split(b, 0, lim)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{1, 2, 3, 7} {
				func() {
					defer func(old int) { maxEntries = old }(maxEntries)
					maxEntries = n
					got, err := Split(b, 0, lim)
					if err != nil {
						t.Fatalf("page offset %#x, limits %d, %d pages a piece: %v", pageOff, i, n, err)
					}
					if !sameRequests(got, want) {
						t.Errorf("page offset %#x, limits %d, %d pages a piece: %d requests differ from the %d of one piece",
							pageOff, i, n, len(got), len(want))
					}
				}()
			}
		}
	}
}

func sameRequests(a, b []Request) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Offset != b[i].Offset || a[i].Len != b[i].Len || len(a[i].Segments) != len(b[i].Segments) {
			return false
		}
		for j := range a[i].Segments {
			if a[i].Segments[j] != b[i].Segments[j] {
				return false
			}
		}
	}
	return true
}

// TestIovecsInvalidSegments: a hand-built segment that cannot be memory
// gives no iovecs, not a panic.
func TestIovecsInvalidSegments(t *testing.T) {
	b := atPageOffset(pageSize, 0)
	ok := Segment{Addr: addrOf(b), Len: 10}
	tests := []struct {
		name string
		segs []Segment
	}{
		{"address zero", []Segment{{Addr: 0, Len: 5}}},
		{"wraps the address space", []Segment{{Addr: ^uintptr(0) - 2, Len: 5}}},
		{"valid, then address zero", []Segment{ok, {Addr: 0, Len: 1}}},
		{"valid, then past the top", []Segment{ok, {Addr: ^uintptr(0), Len: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if iov := (Request{Segments: tt.segs}).Iovecs(); iov != nil {
				t.Fatalf("Iovecs = %d iovecs, want nil", len(iov))
			}
		})
	}
	// Empty and zero-length segments are dropped, valid ones kept.
	iov := Request{Segments: []Segment{{Addr: 0, Len: 0}, {Addr: 1, Len: -1}, ok}}.Iovecs()
	if len(iov) != 1 || unsafe.SliceData(iov[0]) != &b[0] || len(iov[0]) != 10 {
		t.Fatalf("Iovecs = %d iovecs, want the one valid segment", len(iov))
	}
}
