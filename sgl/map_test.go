package sgl

import (
	"errors"
	"math"
	"strconv"
	"syscall"
	"testing"
)

// TestMap follows the cases of drivers/scsi/st.c sgl_map_user_pages. Sizes
// are written relative to the page size so the table holds on any page
// size; on 4 KiB pages the first case is the classic 0x200 + 8192 bytes ->
// 3584 + 4096 + 512.
func TestMap(t *testing.T) {
	ps := pageSize
	top := ^uintptr(0) - uintptr(ps) + 1 // the last page of the address space
	base := uintptr(7 * ps)
	tests := []struct {
		name     string
		addr     uintptr
		count    int
		capacity int
		lens     []int // nil: no entries
		errno    error // nil: success
	}{
		{"st.c three pages", base + 0x200, 2 * ps, 16, []int{ps - 0x200, ps, 0x200}, nil},
		{"exact capacity", base + 0x200, 2 * ps, 3, []int{ps - 0x200, ps, 0x200}, nil},
		{"capacity exceeded", base + 0x200, 2 * ps, 2, nil, syscall.ENOMEM},
		{"capacity zero", base, 1, 0, nil, syscall.ENOMEM},
		{"count zero", base + 0x200, 0, 16, nil, nil},
		{"count zero capacity zero", base + 0x200, 0, 0, nil, nil},
		{"exactly one page", base, ps, 1, []int{ps}, nil},
		{"one page unaligned", base + 0x200, ps, 2, []int{ps - 0x200, 0x200}, nil},
		{"inside one page", base + 0x10, 100, 1, []int{100}, nil},
		{"up to page end", base + 0x200, ps - 0x200, 1, []int{ps - 0x200}, nil},
		{"one byte", base + uintptr(ps) - 1, 1, 1, []int{1}, nil},
		{"two bytes across a page", base + uintptr(ps) - 1, 2, 2, []int{1, 1}, nil},
		{"many pages", base, 10 * ps, 10, []int{ps, ps, ps, ps, ps, ps, ps, ps, ps, ps}, nil},
		{"last page of address space", top, ps - 1, 1, []int{ps - 1}, nil},
		{"ends at top: wraps", top, ps, 1, nil, syscall.EINVAL},
		{"wraps", ^uintptr(0) - 100, 200, 16, nil, syscall.EINVAL},
		{"wrap checked before capacity", ^uintptr(0) - 100, 200, 0, nil, syscall.EINVAL},
		{"negative count", base, -1, 16, nil, syscall.EINVAL},
		{"negative capacity", base, 1, -1, nil, syscall.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Map(tt.addr, tt.count, tt.capacity)
			if tt.errno != nil {
				if !errors.Is(err, tt.errno) {
					t.Fatalf("Map(%#x, %d, %d) error = %v, want %v", tt.addr, tt.count, tt.capacity, err, tt.errno)
				}
				if got != nil {
					t.Fatalf("Map returned %d entries with an error; want none (all or nothing)", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Map(%#x, %d, %d): %v", tt.addr, tt.count, tt.capacity, err)
			}
			if len(got) != len(tt.lens) {
				t.Fatalf("Map gave %d entries %v, want lengths %v", len(got), got, tt.lens)
			}
			a := tt.addr
			for i, e := range got {
				want := Entry{Addr: a, Offset: int(a % uintptr(ps)), Len: tt.lens[i]}
				if e != want {
					t.Errorf("entry %d = %+v, want %+v", i, e, want)
				}
				a += uintptr(e.Len)
			}
		})
	}
}

func TestMapStcLiteral(t *testing.T) {
	if pageSize != 4096 {
		t.Skipf("skipping: literal st.c sizes assume 4 KiB pages, this system has %d", pageSize)
	}
	got, err := Map(0x10000200, 8192, 16)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{0x10000200, 0x200, 3584}, {0x10001000, 0, 4096}, {0x10002000, 0, 512}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMapBytes(t *testing.T) {
	b := make([]byte, 3*pageSize)
	entries, err := MapBytes(b, 8)
	if err != nil {
		t.Fatal(err)
	}
	if want := pagesSpanned(addrOf(b), len(b)); len(entries) != want {
		t.Fatalf("got %d entries, want %d", len(entries), want)
	}
	if entries[0].Addr != addrOf(b) {
		t.Errorf("entry 0 at %#x, want the slice's address %#x", entries[0].Addr, addrOf(b))
	}
	if got, err := MapBytes(nil, 0); got != nil || err != nil {
		t.Errorf("MapBytes(nil) = %v, %v; want nil, nil", got, err)
	}
}

func TestMerge(t *testing.T) {
	ps := pageSize
	base := uintptr(1 << 30) // 1 GiB: far from a 4 GiB boundary
	shift := 32
	g4 := uintptr(1) << shift // 4 GiB; 0 on a 32-bit address space, where those cases are left out
	threePages, _ := Map(base+0x200, 2*ps, 3)
	pages := func(addr uintptr, n int) []Entry {
		e, err := Map(addr, n*ps, n)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name    string
		entries []Entry
		lim     Limits
		want    []Segment
	}{
		{"contiguous pages join", threePages, Limits{}, []Segment{{base + 0x200, 2 * ps}}},
		{"max segment size cuts", threePages, Limits{MaxSegmentSize: ps},
			[]Segment{{base + 0x200, ps}, {base + 0x200 + uintptr(ps), ps}}},
		{"page boundary mask keeps pages apart", threePages, Limits{SegmentBoundaryMask: uint64(ps - 1)},
			[]Segment{{base + 0x200, ps - 0x200}, {base + uintptr(ps), ps}, {base + 2*uintptr(ps), 0x200}}},
		{"64 KiB boundary", pages(base+0x10000-2*uintptr(ps), 4), Limits{SegmentBoundaryMask: 0xFFFF},
			[]Segment{{base + 0x10000 - 2*uintptr(ps), 2 * ps}, {base + 0x10000, 2 * ps}}},
		{"gap starts a new segment", []Entry{{base, 0, 512}, {base + 1024, 1024, 512}}, Limits{},
			[]Segment{{base, 512}, {base + 1024, 512}}},
		{"entry longer than max segment is cut", []Entry{{base, 0, 1000}}, Limits{MaxSegmentSize: 300},
			[]Segment{{base, 300}, {base + 300, 300}, {base + 600, 300}, {base + 900, 100}}},
		{"empty entries skipped", []Entry{{base, 0, 0}, {base, 0, 10}}, Limits{}, []Segment{{base, 10}}},
		{"nothing", nil, Limits{}, nil},
	}
	if g4 != 0 { // 64-bit address space
		tests = append(tests, []struct {
			name    string
			entries []Entry
			lim     Limits
			want    []Segment
		}{
			{"4 GiB default boundary", pages(g4-uintptr(ps), 2), Limits{MaxSegmentSize: 1 << 20},
				[]Segment{{g4 - uintptr(ps), ps}, {g4, ps}}},
			{"no limits at all", pages(g4-uintptr(ps), 2), Limits{MaxSegmentSize: math.MaxInt, SegmentBoundaryMask: ^uint64(0)},
				[]Segment{{g4 - uintptr(ps), 2 * ps}}},
		}...)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.entries, tt.lim)
			if len(got) != len(tt.want) {
				t.Fatalf("Merge = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("segment %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLimitsNormalized(t *testing.T) {
	got := Limits{}.normalized()
	want := Limits{
		MaxSegmentSize:      DefaultMaxSegmentSize,
		SegmentBoundaryMask: DefaultSegmentBoundaryMask,
		MaxSegments:         DefaultMaxSegments,
		MaxBytes:            DefaultMaxBytes,
		LogicalBlock:        DefaultLogicalBlock,
	}
	if got != want {
		t.Errorf("zero Limits normalized to %+v, want %+v", got, want)
	}
	big := Limits{MaxSegments: 1 << 20, MaxBytes: math.MaxInt}.normalized()
	if big.MaxSegments != iovMax || big.MaxBytes != maxRWCount {
		t.Errorf("caps not applied: %+v (IOV_MAX %d, MAX_RW_COUNT %d)", big, iovMax, maxRWCount)
	}
}

// TestMapHugeCounts: counts and capacities far beyond any real list are
// refused with ENOMEM, at once and without allocating, never a panic.
func TestMapHugeCounts(t *testing.T) {
	ps := pageSize
	tests := []struct {
		name     string
		addr     uintptr
		count    int
		capacity int
		only64   bool // a 32-bit address space has fewer pages than a list may hold
	}{
		{"max int, max capacity", 0, math.MaxInt, math.MaxInt, true},
		{"max int at a page offset", uintptr(ps) + 0x200, math.MaxInt - ps, math.MaxInt, true},
		{"one page more than a list may hold", 0, (maxEntries + 1) * ps, math.MaxInt, true},
		{"max int, small capacity", uintptr(ps), math.MaxInt - ps, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.only64 && strconv.IntSize < 64 {
				t.Skip("skipping: a 32-bit address space spans fewer pages than the longest list")
			}
			got, err := Map(tt.addr, tt.count, tt.capacity)
			if !errors.Is(err, syscall.ENOMEM) || got != nil {
				t.Fatalf("Map(%#x, %d, %d) = %d entries, %v; want nil, ENOMEM", tt.addr, tt.count, tt.capacity, len(got), err)
			}
			t.Log(err)
		})
	}
	// The largest list Map builds is still built, when the test makes it
	// small.
	defer func(n int) { maxEntries = n }(maxEntries)
	maxEntries = 3
	if got, err := Map(uintptr(ps)+0x200, 2*ps, math.MaxInt); err != nil || len(got) != 3 {
		t.Fatalf("Map at the limit = %d entries, %v; want 3", len(got), err)
	}
	if got, err := Map(uintptr(ps)+0x200, 3*ps, math.MaxInt); !errors.Is(err, syscall.ENOMEM) || got != nil {
		t.Fatalf("Map past the limit = %d entries, %v; want nil, ENOMEM", len(got), err)
	}
}
