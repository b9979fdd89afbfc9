package workload

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/pin"
)

// TestHugePageBuffers runs 1 MiB sequential reads on a loop device and
// checks what the default huge-page buffers change: the whole buffer
// region in huge pages (huge_page_bytes), and every read reaching the
// device as one request, where buffers in 4 KiB pages need one segment per
// page and the loop device takes 128. It also checks when huge pages are
// not asked for (--no-hugepages, bs of one page) and a fallback when the
// kernel will not give them (PR_SET_THP_DISABLE).
func TestHugePageBuffers(t *testing.T) {
	huge := pin.HugePageSize()
	if huge == 0 || huge > 32<<20 {
		t.Skipf("skipping: transparent huge page size %d", huge)
	}
	dev, _ := testdev.Loop(t, 16<<20, 4096, true)
	time.Sleep(200 * time.Millisecond) // let udev's probe of the new device finish
	maxKB := queueInt(t, dev, "max_sectors_kb")
	if maxKB < 1024 {
		t.Skipf("skipping: %s takes requests of %d KiB at most, less than one 1 MiB read", dev, maxKB)
	}
	const bs, depth, ios = 1 << 20, 2, 16
	run := func(t *testing.T, bs int, noHuge bool) (Result, []string) {
		t.Helper()
		s := quick()
		s.RW, s.BS, s.Depth, s.Runtime, s.IOs = []RW{Read}, []int{bs}, []int{depth}, 0, ios
		doc, err := Bench(context.Background(), Config{Target: dev, Spec: s, NoHugePages: noHuge})
		if err != nil {
			t.Fatal(err)
		}
		r := doc.Results[0]
		checkConsistent(t, r)
		if r.Disk == nil {
			t.Fatal("no diskstats for the loop device")
		}
		return r, doc.Fallbacks
	}
	hugeFallback := func(fbs []string) string {
		for _, f := range fbs {
			if strings.Contains(f, "huge pages") {
				return f
			}
		}
		return ""
	}

	t.Run("default", func(t *testing.T) {
		mode := readSys(t, "/sys/kernel/mm/transparent_hugepage/enabled")
		if strings.Contains(mode, "[never]") {
			t.Skipf("skipping: THP is off (%s)", mode)
		}
		r, fbs := run(t, bs, false)
		want := int64(pin.HugeLen(bs * depth))
		if r.HugePageBytes < want {
			// Not backed (memory fragmented): it must say so.
			if hugeFallback(fbs) == "" {
				t.Fatalf("huge_page_bytes %d of %d and no fallback: %q", r.HugePageBytes, want, fbs)
			}
			t.Skipf("skipping the request count: %d of %d buffer bytes in huge pages: %s", r.HugePageBytes, want, hugeFallback(fbs))
		}
		if f := hugeFallback(fbs); f != "" {
			t.Errorf("fallback %q with every buffer in huge pages", f)
		}
		// One request per read: read_ios counts requests, and a split read
		// would count two (a little slack for I/O at the window's edges,
		// here none: --ios mode with no ramp).
		if r.Disk.ReadIOs != uint64(r.IOs) || r.Disk.ReadSectors != uint64(r.IOs)*bs/512 {
			t.Errorf("%d reads of 1 MiB reached the device as %d requests of %d sectors in all; want one each",
				r.IOs, r.Disk.ReadIOs, r.Disk.ReadSectors)
		}
	})

	t.Run("no-hugepages", func(t *testing.T) {
		r, fbs := run(t, bs, true)
		if f := hugeFallback(fbs); f != "" {
			t.Errorf("fallback %q without asking for huge pages", f)
		}
		if strings.Contains(readSys(t, "/sys/kernel/mm/transparent_hugepage/enabled"), "[madvise]") && r.HugePageBytes != 0 {
			t.Errorf("huge_page_bytes %d with --no-hugepages in THP mode madvise", r.HugePageBytes)
		}
		// 4 KiB pages are one segment each unless the kernel happened to
		// hand out neighbours: a count, not an assertion.
		t.Logf("%d reads of 1 MiB from 4 KiB pages reached the device as %d requests (max_segments %d)",
			r.IOs, r.Disk.ReadIOs, queueInt(t, dev, "max_segments"))
	})

	t.Run("one-page bs", func(t *testing.T) {
		r, fbs := run(t, os.Getpagesize(), false)
		if f := hugeFallback(fbs); f != "" {
			t.Errorf("fallback %q for buffers of one page, which gain nothing from huge pages", f)
		}
		if strings.Contains(readSys(t, "/sys/kernel/mm/transparent_hugepage/enabled"), "[madvise]") && r.HugePageBytes != 0 {
			t.Errorf("huge_page_bytes %d for buffers of one page in THP mode madvise", r.HugePageBytes)
		}
	})

	t.Run("THP disabled for the process", func(t *testing.T) {
		// PR_SET_THP_DISABLE applies to the whole process; no other test
		// of this package runs in parallel, and it is undone as soon as
		// the job has run (or failed).
		if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
			t.Skipf("skipping: prctl PR_SET_THP_DISABLE: %v", err)
		}
		r, fbs := func() (Result, []string) {
			defer func() {
				if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 0, 0, 0, 0); err != nil {
					t.Errorf("prctl PR_SET_THP_DISABLE 0: %v", err)
				}
			}()
			return run(t, bs, false)
		}()
		if r.HugePageBytes != 0 {
			t.Errorf("huge_page_bytes %d with THP disabled for the process", r.HugePageBytes)
		}
		if f := hugeFallback(fbs); !strings.Contains(f, "PR_SET_THP_DISABLE") {
			t.Errorf("fallbacks %q; want one naming PR_SET_THP_DISABLE", fbs)
		}
	})
}

func queueInt(t *testing.T, dev, name string) int {
	t.Helper()
	v, err := strconv.Atoi(readSys(t, filepath.Join("/sys/block", filepath.Base(dev), "queue", name)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readSys(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
