package sgl

import (
	"errors"
	"syscall"
	"testing"
)

// FuzzMap checks the invariants of Map and Merge for any address, count,
// capacity and limits: the entries are the pages the range spans, each
// inside one page, in order, lengths summing to count; the failure modes
// are exactly wrap (EINVAL) and capacity (ENOMEM), all or nothing; the
// segments respect the limits and concatenate to the range.
func FuzzMap(f *testing.F) {
	ps := uint64(pageSize)
	f.Add(uint64(7*ps+0x200), int64(2*ps), 16, int64(0), uint64(0))
	f.Add(uint64(7*ps+0x200), int64(2*ps), 2, int64(ps), uint64(ps-1))
	f.Add(^uint64(0)-100, int64(200), 16, int64(0), uint64(0))
	f.Add(uint64(0), int64(0), 0, int64(300), uint64(0xFFFF))
	f.Add(uint64(1<<32-ps), int64(3*ps), 4, int64(1<<20), uint64(0))
	f.Fuzz(func(t *testing.T, addr uint64, count int64, capacity int, maxSeg int64, mask uint64) {
		a := uintptr(addr)
		// Keep the list small enough to build: at most 4096 entries.
		capacity %= 4097
		if count > 1<<40 || count < -1<<40 {
			count %= 1 << 40
		}
		n := int(count)
		entries, err := Map(a, n, capacity)
		wraps := n > 0 && a+uintptr(n) < a
		switch {
		case n < 0 || capacity < 0 || wraps:
			if !errors.Is(err, syscall.EINVAL) || entries != nil {
				t.Fatalf("Map(%#x, %d, %d) = %d entries, %v; want EINVAL", a, n, capacity, len(entries), err)
			}
			return
		case pagesSpanned(a, n) > capacity:
			if !errors.Is(err, syscall.ENOMEM) || entries != nil {
				t.Fatalf("Map(%#x, %d, %d) = %d entries, %v; want ENOMEM", a, n, capacity, len(entries), err)
			}
			return
		case err != nil:
			t.Fatalf("Map(%#x, %d, %d): %v", a, n, capacity, err)
		}
		if len(entries) != pagesSpanned(a, n) {
			t.Fatalf("%d entries for %d pages", len(entries), pagesSpanned(a, n))
		}
		checkEntries(t, entries, a, n)

		lim := Limits{MaxSegmentSize: int(maxSeg % (1 << 32)), SegmentBoundaryMask: mask}
		segs := Merge(entries, lim)
		checkSegments(t, segs, lim.normalized(), a, n)
	})
}

// checkEntries: contiguous from addr, each inside one page, interior
// entries whole pages, lengths summing to count.
func checkEntries(t *testing.T, entries []Entry, addr uintptr, count int) {
	t.Helper()
	ps := uintptr(pageSize)
	sum := 0
	for i, e := range entries {
		if e.Addr != addr+uintptr(sum) {
			t.Fatalf("entry %d at %#x, want %#x", i, e.Addr, addr+uintptr(sum))
		}
		if e.Offset != int(e.Addr%ps) || e.Len <= 0 || e.Offset+e.Len > pageSize {
			t.Fatalf("entry %d %+v crosses or misstates its page", i, e)
		}
		if i > 0 && e.Offset != 0 {
			t.Fatalf("entry %d %+v does not start a page", i, e)
		}
		if i < len(entries)-1 && e.Offset+e.Len != pageSize {
			t.Fatalf("entry %d %+v does not end its page", i, e)
		}
		sum += e.Len
	}
	if sum != count {
		t.Fatalf("entries hold %d bytes, want %d", sum, count)
	}
}

// checkSegments: each segment within MaxSegmentSize and inside one
// (mask+1) window, and together the range [addr, addr+count) in order.
func checkSegments(t *testing.T, segs []Segment, lim Limits, addr uintptr, count int) {
	t.Helper()
	sum := 0
	for i, s := range segs {
		if s.Addr != addr+uintptr(sum) {
			t.Fatalf("segment %d at %#x, want %#x: bytes lost or duplicated", i, s.Addr, addr+uintptr(sum))
		}
		if s.Len <= 0 || s.Len > lim.MaxSegmentSize {
			t.Fatalf("segment %d length %d outside (0, %d]", i, s.Len, lim.MaxSegmentSize)
		}
		first, last := uint64(s.Addr), uint64(s.Addr)+uint64(s.Len)-1
		if first|lim.SegmentBoundaryMask != last|lim.SegmentBoundaryMask {
			t.Fatalf("segment %d [%#x, %#x] crosses a boundary of mask %#x", i, first, last, lim.SegmentBoundaryMask)
		}
		sum += s.Len
	}
	if sum != count {
		t.Fatalf("segments hold %d bytes, want %d", sum, count)
	}
}

// fuzzBuf is the memory FuzzSplit slices its buffers from (Split only
// computes addresses, so heap memory serves).
var fuzzBuf = make([]byte, 2<<20+2*pageSize)

// FuzzSplit checks Split for any buffer placement, offset and limits: every
// request starts and ends on a logical block, stays within MaxBytes and
// MaxSegments, its segments respect the merge rules, the requests follow
// each other in the file, and their segments, read in order, are exactly
// the bytes of b.
func FuzzSplit(f *testing.F) {
	f.Add(uint16(0x200), uint16(16), uint8(0), int64(0), int32(0), uint64(0), int16(0), int32(0))
	f.Add(uint16(0x200), uint16(4), uint8(3), int64(8192), int32(4096), uint64(4095), int16(2), int32(0))
	f.Add(uint16(0), uint16(2048), uint8(1), int64(1<<20), int32(65536), uint64(0xFFFF), int16(3), int32(32768))
	f.Add(uint16(100), uint16(100), uint8(4), int64(0), int32(300), uint64(0), int16(1), int32(5000))
	f.Fuzz(func(t *testing.T, pageOff, blocks uint16, blkShift uint8, off int64, maxSeg int32, mask uint64, maxSegs int16, maxBytes int32) {
		blk := 512 << (blkShift % 5) // 512 … 8192
		n := int(blocks) * blk % (2<<20 + 1)
		n -= n % blk
		po := int(pageOff) % pageSize
		skip := (po - int(addrOf(fuzzBuf)%uintptr(pageSize)) + pageSize) % pageSize
		b := fuzzBuf[skip : skip+n]
		if off < 0 {
			off = -(off + 1)
		}
		off -= off % int64(blk)
		lim := Limits{
			MaxSegmentSize:      int(maxSeg),
			SegmentBoundaryMask: mask,
			MaxSegments:         int(maxSegs),
			MaxBytes:            int(maxBytes),
			LogicalBlock:        blk,
		}
		reqs, err := Split(b, off, lim)
		norm := lim.normalized()
		if err != nil {
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Split error %v does not wrap EINVAL", err)
			}
			// Refusals are legitimate only when the limits are odd: under
			// sane ones (a block-aligned buffer, segment sizes and
			// boundaries that are whole blocks, room for a block per
			// request) every segment is whole blocks, so a block always
			// fits.
			m := norm.SegmentBoundaryMask
			sane := addrOf(b)%uintptr(blk) == 0 && norm.MaxSegmentSize%blk == 0 &&
				m&(m+1) == 0 && m >= uint64(blk-1) && norm.MaxBytes >= blk && off <= 1<<62
			if n > 0 && sane {
				t.Fatalf("Split(%d bytes at page offset %d, off %d, %+v) refused: %v", n, po, off, lim, err)
			}
			return
		}
		if n == 0 {
			if reqs != nil {
				t.Fatalf("%d requests for nothing", len(reqs))
			}
			return
		}
		var segs []Segment
		next := off
		for i, r := range reqs {
			if r.Offset != next {
				t.Fatalf("request %d at %d, want %d", i, r.Offset, next)
			}
			if r.Offset%int64(blk) != 0 || r.Len%blk != 0 || r.Len <= 0 {
				t.Fatalf("request %d {%d, %d} not aligned to %d", i, r.Offset, r.Len, blk)
			}
			if r.Len > norm.MaxBytes || len(r.Segments) > norm.MaxSegments || len(r.Segments) == 0 {
				t.Fatalf("request %d: %d bytes in %d segments exceeds %d bytes, %d segments",
					i, r.Len, len(r.Segments), norm.MaxBytes, norm.MaxSegments)
			}
			sum := 0
			for _, s := range r.Segments {
				sum += s.Len
			}
			iov := 0
			for _, v := range r.Iovecs() {
				iov += len(v)
			}
			if sum != r.Len || iov != r.Len {
				t.Fatalf("request %d: segments hold %d, iovecs %d bytes, want %d", i, sum, iov, r.Len)
			}
			segs = append(segs, r.Segments...)
			next += int64(r.Len)
		}
		// Splitting may cut a merged segment in two, never join two, so
		// the merge rules still hold for every piece.
		checkSegments(t, segs, norm, addrOf(b), n)
	})
}
