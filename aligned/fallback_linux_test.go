package aligned

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ncw/directio"
	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// fakeProbe stands in for the descriptor and the O_DIRECT open, so build's
// fallback order can be tested with statx answers this kernel never gives.
func fakeProbe(fd int, direct bool) (probe, *int) {
	calls := new(int)
	return probe{
		withFD: func(fn func(int)) error {
			if fd < 0 {
				return errors.New("no descriptor")
			}
			fn(fd)
			return nil
		},
		direct: func() (bool, string) { *calls++; return direct, "fake O_DIRECT open" },
	}, calls
}

// TestBuildFileFallbacks feeds build statx answers of older kernels and
// odd file systems (no device needed).
func TestBuildFileFallbacks(t *testing.T) {
	const noDev = 999 // a minor with no /sys/dev/block/0:999
	reg := uint16(unix.S_IFREG | 0o644)
	tests := []struct {
		name        string
		st          unix.Statx_t
		direct      bool
		want        Rules // only the compared fields
		src         map[string]string
		probeCalled bool
	}{
		{
			name: "statx with DIOALIGN",
			st: unix.Statx_t{Mask: unix.STATX_BASIC_STATS | unix.STATX_DIOALIGN, Mode: reg, Size: 100, Blksize: 4096,
				Dio_mem_align: 4, Dio_offset_align: 512, Dev_minor: noDev},
			want: Rules{Size: 100, LogicalBlock: 512, PhysicalBlock: 512, MemAlign: 4, OffsetAlign: 512, ReadOffsetAlign: 512, DirectIO: true},
			src: map[string]string{"LogicalBlock": "statx stx_dio_offset_align", "MemAlign": "statx stx_dio_mem_align",
				"ReadOffsetAlign": "OffsetAlign (no STATX_DIO_READ_ALIGN)", "DirectIO": "statx STATX_DIOALIGN"},
		},
		{
			name: "read alignment finer than writes",
			st: unix.Statx_t{Mask: unix.STATX_BASIC_STATS | unix.STATX_DIOALIGN | unix.STATX_DIO_READ_ALIGN, Mode: reg, Blksize: 4096,
				Dio_mem_align: 512, Dio_offset_align: 65536, Dio_read_offset_align: 512, Dev_minor: noDev},
			want: Rules{LogicalBlock: 65536, PhysicalBlock: 65536, MemAlign: 512, OffsetAlign: 65536, ReadOffsetAlign: 512, DirectIO: true},
			src:  map[string]string{"ReadOffsetAlign": "statx stx_dio_read_offset_align"},
		},
		{
			name: "read alignment zero means the offset alignment",
			st: unix.Statx_t{Mask: unix.STATX_BASIC_STATS | unix.STATX_DIOALIGN | unix.STATX_DIO_READ_ALIGN, Mode: reg, Blksize: 4096,
				Dio_mem_align: 512, Dio_offset_align: 4096, Dev_minor: noDev},
			want: Rules{LogicalBlock: 4096, PhysicalBlock: 4096, MemAlign: 512, OffsetAlign: 4096, ReadOffsetAlign: 4096, DirectIO: true},
		},
		{
			name:   "statx says no direct I/O",
			st:     unix.Statx_t{Mask: unix.STATX_BASIC_STATS | unix.STATX_DIOALIGN, Mode: reg, Blksize: 4096, Dev_minor: noDev},
			direct: true, // must not be asked
			want:   Rules{LogicalBlock: 4096, PhysicalBlock: 4096, MemAlign: 4096, OffsetAlign: 4096, ReadOffsetAlign: 4096, DirectIO: false},
			src:    map[string]string{"LogicalBlock": "statx stx_blksize"},
		},
		{
			name:   "old kernel: no DIOALIGN, open decides",
			st:     unix.Statx_t{Mask: unix.STATX_BASIC_STATS, Mode: reg, Blksize: 4096, Dev_minor: noDev},
			direct: true,
			want:   Rules{LogicalBlock: 4096, PhysicalBlock: 4096, MemAlign: 4096, OffsetAlign: 4096, ReadOffsetAlign: 4096, DirectIO: true},
			src: map[string]string{"LogicalBlock": "statx stx_blksize", "OffsetAlign": "LogicalBlock (no STATX_DIOALIGN)",
				"DirectIO": "fake O_DIRECT open"},
			probeCalled: true,
		},
		{
			name:   "nothing reported: directio.AlignSize",
			st:     unix.Statx_t{Mask: unix.STATX_TYPE, Mode: reg, Dev_minor: noDev},
			direct: false,
			want: Rules{Size: -1, LogicalBlock: directio.AlignSize, PhysicalBlock: directio.AlignSize, MemAlign: directio.AlignSize,
				OffsetAlign: directio.AlignSize, ReadOffsetAlign: directio.AlignSize},
			src:         map[string]string{"LogicalBlock": "directio.AlignSize (nothing else reported it)"},
			probeCalled: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, calls := fakeProbe(-1, tt.direct)
			r := build("/x", &tt.st, p)
			tt.want.Path, tt.want.Kind, tt.want.DevMinor = "/x", KindFile, noDev
			if tt.want.Size == 0 && tt.st.Mask&unix.STATX_SIZE == 0 {
				tt.want.Size = -1
			}
			got := r
			got.Sources = nil
			if !reflect.DeepEqual(got, withoutSources(tt.want)) {
				t.Errorf("build =\n%+v\nwant\n%+v", got, tt.want)
			}
			for k, v := range tt.src {
				if r.Sources[k] != v {
					t.Errorf("Sources[%s] = %q, want %q", k, r.Sources[k], v)
				}
			}
			if (*calls > 0) != tt.probeCalled {
				t.Errorf("O_DIRECT probe called %d times, want called %v", *calls, tt.probeCalled)
			}
			if !strings.HasPrefix(r.Sources["Device"], "none:") {
				t.Errorf("Sources[Device] = %q", r.Sources["Device"])
			}
		})
	}
}

func withoutSources(r Rules) Rules { r.Sources = nil; return r }

// TestBuildBlockFallbacks takes a real loop device and hides first statx's
// DIO fields, then the descriptor too, so sysfs must answer.
func TestBuildBlockFallbacks(t *testing.T) {
	dev, _ := testdev.Loop(t, 1<<20, 4096, false)
	st := statxOf(t, dev)
	q := "/sys/block/" + strings.TrimPrefix(dev, "/dev/") + "/queue"
	dma := int(sysNum(t, q+"/dma_alignment"))
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	tests := []struct {
		name string
		mask uint32
		fd   int
		src  map[string]string
	}{
		{"statx and ioctls", st.Mask, fd, map[string]string{
			"LogicalBlock": "ioctl BLKSSZGET", "MemAlign": "statx stx_dio_mem_align", "OffsetAlign": "statx stx_dio_offset_align"}},
		{"ioctls without DIOALIGN", st.Mask &^ unix.STATX_DIOALIGN, fd, map[string]string{
			"LogicalBlock": "ioctl BLKSSZGET", "MemAlign": "sysfs /sys/dev/block/" + majMin(st) + "/queue/dma_alignment + 1",
			"OffsetAlign": "LogicalBlock (no STATX_DIOALIGN)", "Size": "ioctl BLKGETSIZE64"}},
		{"sysfs only", st.Mask &^ unix.STATX_DIOALIGN, -1, map[string]string{
			"LogicalBlock":  "sysfs /sys/dev/block/" + majMin(st) + "/queue/logical_block_size",
			"PhysicalBlock": "sysfs /sys/dev/block/" + majMin(st) + "/queue/physical_block_size",
			"Size":          "sysfs /sys/dev/block/" + majMin(st) + "/size × 512",
			"OptimalIO":     "sysfs /sys/dev/block/" + majMin(st) + "/queue/optimal_io_size",
			"ioctls":        "skipped: no descriptor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := st
			s.Mask = tt.mask
			p, _ := fakeProbe(tt.fd, true)
			r := build(dev, &s, p)
			if r.LogicalBlock != 4096 || r.OffsetAlign != 4096 || r.PhysicalBlock != 4096 || r.Size != 1<<20 || !r.DirectIO {
				t.Errorf("%+v", r)
			}
			wantMem := int(st.Dio_mem_align)
			if tt.mask&unix.STATX_DIOALIGN == 0 {
				wantMem = dma + 1
			}
			if r.MemAlign != wantMem {
				t.Errorf("MemAlign = %d, want %d", r.MemAlign, wantMem)
			}
			for k, v := range tt.src {
				if r.Sources[k] != v {
					t.Errorf("Sources[%s] = %q, want %q", k, r.Sources[k], v)
				}
			}
		})
	}
}

func majMin(st unix.Statx_t) string {
	return strconv.Itoa(int(st.Rdev_major)) + ":" + strconv.Itoa(int(st.Rdev_minor))
}

func TestActiveScheduler(t *testing.T) {
	tests := []struct{ in, want string }{
		{"none [mq-deadline] kyber bfq", "mq-deadline"},
		{"[none] mq-deadline kyber bfq", "none"},
		{"none", "none"},
		{"", ""},
		{"a b", ""},
		{"[broken", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := activeScheduler(tt.in); got != tt.want {
				t.Fatalf("activeScheduler(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
