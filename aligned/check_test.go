package aligned

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// loopRules are modelled on what Discover reports for a 512-byte loop
// device on 6.18, but with the 4-byte memory alignment of a device whose
// dma_alignment is 3 (the loop device itself reports 512), so that an
// address 2 bytes off breaks the rule and one 4 bytes off does not.
var loopRules = Rules{
	Path: "/dev/loop0", Kind: KindBlock, Size: 4 << 20,
	LogicalBlock: 512, PhysicalBlock: 512, MemAlign: 4, OffsetAlign: 512, ReadOffsetAlign: 512,
	DirectIO: true,
	Sources: map[string]string{
		"LogicalBlock":    "ioctl BLKSSZGET",
		"OffsetAlign":     "statx stx_dio_offset_align",
		"MemAlign":        "statx stx_dio_mem_align",
		"ReadOffsetAlign": "OffsetAlign (no STATX_DIO_READ_ALIGN)",
	},
}

// pageBuf returns a 4096-aligned buffer. Check only looks at addresses,
// so Go-heap memory is fine here (nothing reaches the kernel).
func pageBuf(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n+4096)
	skip := (4096 - int(uintptr(unsafe.Pointer(&b[0]))%4096)) % 4096
	return b[skip : skip+n]
}

func TestCheck(t *testing.T) {
	buf := pageBuf(t, 3*4096)
	addr := uintptr(unsafe.Pointer(&buf[0]))
	xfsRT := loopRules // an XFS realtime file: reads may be finer than writes
	xfsRT.Path, xfsRT.Kind = "/mnt/rt/f", KindFile
	xfsRT.OffsetAlign, xfsRT.ReadOffsetAlign, xfsRT.MemAlign = 65536, 512, 512
	xfsRT.Sources = map[string]string{
		"OffsetAlign":     "statx stx_dio_offset_align",
		"ReadOffsetAlign": "statx stx_dio_read_offset_align",
		"MemAlign":        "statx stx_dio_mem_align",
	}
	tmpfs := Rules{Path: "/dev/shm/f", Kind: KindFile, LogicalBlock: 4096, MemAlign: 4096, OffsetAlign: 4096, ReadOffsetAlign: 4096,
		Sources: map[string]string{
			"LogicalBlock":    "statx stx_blksize",
			"OffsetAlign":     "LogicalBlock (no STATX_DIOALIGN)",
			"MemAlign":        "LogicalBlock (assumed: neither statx nor sysfs reported a memory alignment)",
			"ReadOffsetAlign": "OffsetAlign (no STATX_DIO_READ_ALIGN)",
		}}
	dma := loopRules
	dma.Sources = map[string]string{"MemAlign": "sysfs /sys/dev/block/7:0/queue/dma_alignment + 1"}

	tests := []struct {
		name   string
		r      Rules
		off    int64
		length int
		buf    []byte
		write  bool
		want   string // "" = nil
		what   string
	}{
		{"aligned", loopRules, 4096, 4096, buf, false, "", ""},
		{"aligned write", loopRules, 512, 512, buf[4:], true, "", ""},
		{"offset", loopRules, 100, 512, buf, false,
			"offset 100 is not a multiple of 512, the logical block size of /dev/loop0", "offset"},
		{"length", loopRules, 512, 100, buf, false,
			"length 100 is not a multiple of 512, the logical block size of /dev/loop0", "length"},
		{"buffer address", loopRules, 0, 512, buf[2:], false,
			fmt.Sprintf("buffer address %#x is not a multiple of 4, the DIO memory alignment of /dev/loop0", addr+2), "buffer address"},
		{"offset checked first", loopRules, 1, 1, buf[1:], true,
			"offset 1 is not a multiple of 512, the logical block size of /dev/loop0", "offset"},
		{"length before address", loopRules, 0, 1, buf[1:], true,
			"length 1 is not a multiple of 512, the logical block size of /dev/loop0", "length"},
		{"nil buffer skips address", loopRules, 0, 512, nil, false, "", ""},
		{"zero length", loopRules, 0, 0, buf, false, "", ""},
		{"read uses read alignment", xfsRT, 512, 512, buf, false, "", ""},
		{"write uses write alignment", xfsRT, 512, 65536, buf, true,
			"offset 512 is not a multiple of 65536, the DIO offset alignment of /mnt/rt/f", "offset"},
		{"read alignment named", xfsRT, 256, 512, buf, false,
			"offset 256 is not a multiple of 512, the DIO read offset alignment of /mnt/rt/f", "offset"},
		{"fallback named", tmpfs, 512, 4096, buf, false,
			"offset 512 is not a multiple of 4096, the file system block size of /dev/shm/f", "offset"},
		{"assumed memory alignment named", tmpfs, 0, 4096, buf[512:], false,
			fmt.Sprintf("buffer address %#x is not a multiple of 4096, the memory alignment of /dev/shm/f", addr+512), "buffer address"},
		{"dma alignment named", dma, 0, 512, buf[2:], false,
			fmt.Sprintf("buffer address %#x is not a multiple of 4, the DMA alignment of /dev/loop0", addr+2), "buffer address"},
		{"zero rules check nothing", Rules{}, 3, 5, buf[1:], true, "", ""},
		{"negative offset", loopRules, -512, 512, buf, false, "offset -512 is negative: invalid argument", ""},
		{"negative length", loopRules, 0, -1, buf, false, "length -1 is negative: invalid argument", ""},
		{"misaligned offset before negative length", loopRules, 100, -1, buf, false,
			"offset 100 is not a multiple of 512, the logical block size of /dev/loop0", "offset"},
		{"huge offset", loopRules, math.MaxInt64, 512, buf, false,
			"offset 9223372036854775807 is not a multiple of 512, the logical block size of /dev/loop0", "offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Check(tt.off, tt.length, tt.buf, tt.write)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Check = %v\nwant    %s", err, tt.want)
			}
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("errors.Is(%v, EINVAL) = false", err)
			}
			var ae *AlignError
			if errors.As(err, &ae) != (tt.what != "") {
				t.Fatalf("errors.As AlignError = %v, want %v", !(tt.what != ""), tt.what != "")
			}
			if ae != nil && ae.What != tt.what {
				t.Errorf("What = %q, want %q", ae.What, tt.what)
			}
		})
	}
}

func TestAlignErrorWithoutRule(t *testing.T) {
	tests := []struct {
		e    AlignError
		want string
	}{
		{AlignError{What: "length", Value: 3, Align: 512}, "length 3 is not a multiple of 512"},
		{AlignError{What: "offset", Value: 3, Align: 512, Path: "/x"}, "offset 3 is not a multiple of 512 (/x)"},
		{AlignError{What: "buffer address", Value: 0x10, Align: 512, Rule: "DMA alignment"}, "buffer address 0x10 is not a multiple of 512, the DMA alignment"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.e.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxIOBytes(t *testing.T) {
	tests := []struct {
		kb   int
		want int
	}{{0, 0}, {-1, 0}, {1280, 1280 << 10}, {4096, 4 << 20}, {math.MaxInt, math.MaxInt}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.kb), func(t *testing.T) {
			if got := (Rules{MaxSectorsKB: tt.kb}).MaxIOBytes(); got != tt.want {
				t.Fatalf("MaxIOBytes = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{{KindFile, "file"}, {KindBlock, "block"}, {KindPipe, "pipe"}, {KindOther, "other"}, {Kind(9), "Kind(9)"}}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestDiscoverFileNil(t *testing.T) {
	r, err := DiscoverFile(nil)
	if !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("DiscoverFile(nil) = %+v, %v; want os.ErrInvalid", r, err)
	}
}

// checkBuf is the memory FuzzCheck takes buffer addresses from (Check only
// looks at addresses).
var checkBuf = make([]byte, 3*4096)

// FuzzCheck: for any offset, length, buffer address and power-of-two rules,
// Check fails exactly when one of the three is misaligned or negative,
// names the first broken one (offset, then length, then address), and
// unwraps to EINVAL.
func FuzzCheck(f *testing.F) {
	f.Add(int64(100), 512, uint8(9), uint8(9), uint8(9), uint16(0), false)
	f.Add(int64(4096), 100, uint8(12), uint8(9), uint8(2), uint16(2), true)
	f.Add(int64(-1), -1, uint8(0), uint8(0), uint8(0), uint16(1), true)
	f.Fuzz(func(t *testing.T, off int64, length int, offShift, readShift, memShift uint8, boff uint16, write bool) {
		r := Rules{Path: "/x", OffsetAlign: 1 << (offShift % 21), ReadOffsetAlign: 1 << (readShift % 21), MemAlign: 1 << (memShift % 13)}
		base := (4096 - int(uintptr(unsafe.Pointer(&checkBuf[0]))%4096)) % 4096
		buf := checkBuf[base+int(boff)%4096:]
		addr := uintptr(unsafe.Pointer(&buf[0]))
		align := r.OffsetAlign
		if !write {
			align = r.ReadOffsetAlign
		}
		var want string
		switch {
		case off < 0 || off%int64(align) != 0:
			want = "offset"
		case length < 0 || length%align != 0:
			want = "length"
		case addr%uintptr(r.MemAlign) != 0:
			want = "buffer address"
		}
		err := r.Check(off, length, buf, write)
		if (err == nil) != (want == "") {
			t.Fatalf("Check(%d, %d, %#x, %v) with %+v = %v; want a %q error", off, length, addr, write, r, err, want)
		}
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("Check error %v does not unwrap to EINVAL", err)
		}
		var ae *AlignError
		if errors.As(err, &ae) && ae.What != want {
			t.Fatalf("Check(%d, %d, %#x, %v) named %q, want %q: %v", off, length, addr, write, ae.What, want, err)
		}
		if !strings.HasPrefix(err.Error(), want+" ") {
			t.Fatalf("Check error %q does not start with %q", err, want)
		}
	})
}
