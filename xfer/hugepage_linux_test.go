package xfer_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rawio/rawio/internal/diskstats"
	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/xfer"
)

// TestHugePageRequests checks why the ring is in huge pages: a request
// built from 4 KiB pages carries at most max_segments pages (the loop
// device allows 128, so 512 KiB), while one over physically contiguous
// huge pages is bounded only by max_sectors_kb. The loop device's write
// counters in /sys/block/loopN/stat show the request sizes the block
// layer made of the copy's 8 MiB writes.
func TestHugePageRequests(t *testing.T) {
	testdev.RequireRoot(t)
	const size = 32 << 20
	dev, _ := testdev.Loop(t, size, 4096, false)
	name := filepath.Base(dev)
	maxSeg := sysfsInt(t, name, "max_segments")
	maxKB := sysfsInt(t, name, "max_sectors_kb")
	segSize := sysfsInt(t, name, "max_segment_size")
	page := int64(os.Getpagesize())
	smallCap := maxSeg * min(page, segSize) // the largest request of base pages
	if hugeCap := min(maxKB<<10, maxSeg*segSize); hugeCap <= smallCap {
		t.Skipf("skipping: on %s (max_sectors_kb %d, max_segments %d, max_segment_size %d) huge pages cannot make requests larger than %d bytes", name, maxKB, maxSeg, segSize, smallCap)
	}
	src := testdev.RandomFile(t, t.TempDir(), size)

	for _, tt := range []struct {
		name        string
		noHugePages bool
	}{{"huge pages", false}, {"base pages", true}} {
		t.Run(tt.name, func(t *testing.T) {
			o := xfer.NewOptions()
			o.Src, o.Dst, o.NoHugePages = src, dev, tt.noHugePages
			before, err := diskstats.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			after, err := diskstats.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			d := after.Sub(before)
			if d.WriteIOs == 0 {
				t.Fatalf("no writes counted on %s", name)
			}
			avg := int64(d.WriteSectors) * 512 / int64(d.WriteIOs)
			ring := sum.BlockSize * int64(sum.Depth)
			t.Logf("%s: %d writes, average %d KiB (max_segments %d, max_sectors_kb %d), %d of %d ring bytes in huge pages, fallbacks %q",
				name, d.WriteIOs, avg>>10, maxSeg, maxKB, sum.HugePageBytes, ring, sum.Fallbacks)
			if tt.noHugePages {
				if sum.HugePageBytes > 0 {
					t.Skipf("skipping: %d ring bytes in huge pages without asking (THP mode \"always\")", sum.HugePageBytes)
				}
				if avg > smallCap {
					t.Errorf("average write %d bytes in base pages, more than max_segments × page = %d", avg, smallCap)
				}
				if len(sum.Fallbacks) != 0 {
					t.Errorf("fallbacks %q with --no-hugepages (asked for, not a fallback)", sum.Fallbacks)
				}
				return
			}
			if sum.HugePageBytes < ring {
				// Not backed (THP off, memory fragmented): it must say so.
				if !strings.Contains(strings.Join(sum.Fallbacks, "; "), "requests may be split") {
					t.Fatalf("%d of %d ring bytes in huge pages and no fallback says so: %q", sum.HugePageBytes, ring, sum.Fallbacks)
				}
				t.Skipf("skipping the request size check: ring not in huge pages (%q)", sum.Fallbacks)
			}
			if avg <= smallCap {
				t.Errorf("average write %d bytes with the ring in huge pages, not above max_segments × page = %d", avg, smallCap)
			}
		})
	}
}

func sysfsInt(t *testing.T, dev, attr string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/block", dev, "queue", attr))
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("%s %s: %v", dev, attr, err)
	}
	return n
}

// TestHugePageRingSize checks which rings ask for huge pages: any whose
// buffers are larger than a page, rounded up to whole huge pages (a ring
// of 512 KiB in a mapping of 512 KiB would stay in 4 KiB pages), and none
// whose buffers are one page each (one segment whatever backs them).
func TestHugePageRingSize(t *testing.T) {
	huge := int64(pin.HugePageSize())
	if huge == 0 {
		t.Skip("skipping: no transparent huge pages here")
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !strings.Contains(string(b), "[madvise]") {
		t.Skipf("skipping: THP mode %q; the counts below hold in mode madvise", strings.TrimSpace(string(b)))
	}
	page := int64(os.Getpagesize())
	src := testdev.RandomFile(t, t.TempDir(), 1<<20)
	for _, tt := range []struct {
		name      string
		bs        int64
		depth     int
		wantBytes int64
	}{
		{"512 KiB ring", 256 << 10, 2, huge},
		{"one-page buffers", page, 4, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := xfer.NewOptions()
			o.Src, o.Dst, o.BlockSize, o.Depth = src, filepath.Join(t.TempDir(), "dst"), tt.bs, tt.depth
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			for _, f := range sum.Fallbacks {
				if strings.Contains(f, "huge pages") {
					if tt.wantBytes == 0 {
						t.Errorf("fallback %q for one-page buffers", f)
					}
					t.Skipf("skipping: ring not backed: %s", f)
				}
			}
			if sum.HugePageBytes != tt.wantBytes {
				t.Errorf("huge_page_bytes = %d, want %d", sum.HugePageBytes, tt.wantBytes)
			}
		})
	}
}
