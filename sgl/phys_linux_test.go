package sgl

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

const capSysAdmin = 21 // include/uapi/linux/capability.h

// hasCap reports whether capability bit c is in the effective set.
func hasCap(t testing.TB, c uint) bool {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var eff uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%x", &eff); err != nil {
				t.Fatal(err)
			}
			return eff&(1<<c) != 0
		}
	}
	t.Fatal("no CapEff in /proc/self/status")
	return false
}

// checkCover fails unless runs cover every page b spans exactly once, in
// order, with no PFN of zero.
func checkCover(t *testing.T, runs []Run, b []byte) {
	t.Helper()
	ps := uintptr(pageSize)
	virt := addrOf(b) &^ (ps - 1)
	pages := 0
	for i, r := range runs {
		if r.Virt != virt {
			t.Fatalf("run %d starts at %#x, want %#x: pages missed or repeated", i, r.Virt, virt)
		}
		if r.Pages <= 0 || r.PFN == 0 {
			t.Fatalf("run %d = %+v", i, r)
		}
		virt += uintptr(r.Pages) * ps
		pages += r.Pages
	}
	if want := pagesSpanned(addrOf(b), len(b)); pages != want {
		t.Fatalf("runs cover %d pages, want %d", pages, want)
	}
}

// TestPhysRunsHugePages compares a 4 MiB region on transparent huge pages
// with one on 4 KiB pages: the huge-page region lies in at most as many
// physically contiguous runs (typically 2, one per 2 MiB page).
func TestPhysRunsHugePages(t *testing.T) {
	if !hasCap(t, capSysAdmin) {
		t.Skip("skipping: reading page frame numbers needs CAP_SYS_ADMIN (run as root)")
	}
	const size, huge = 4 << 20, 2 << 20

	raw := mmapBytes(t, size+huge)
	skip := (huge - int(addrOf(raw)%huge)) % huge
	hp := raw[skip : skip+size]
	if err := unix.Madvise(hp, unix.MADV_HUGEPAGE); err != nil {
		t.Skipf("skipping: madvise(MADV_HUGEPAGE): %v (no transparent huge pages)", err)
	}
	small := mmapBytes(t, size)
	if err := unix.Madvise(small, unix.MADV_NOHUGEPAGE); err != nil {
		t.Fatalf("madvise(MADV_NOHUGEPAGE): %v", err)
	}

	hugeRuns, err := PhysRuns(hp)
	if err != nil {
		t.Fatal(err)
	}
	checkCover(t, hugeRuns, hp)
	smallRuns, err := PhysRuns(small)
	if err != nil {
		t.Fatal(err)
	}
	checkCover(t, smallRuns, small)
	t.Logf("4 MiB: %d physically contiguous runs with MADV_HUGEPAGE, %d with MADV_NOHUGEPAGE",
		len(hugeRuns), len(smallRuns))

	thp, _ := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if strings.Contains(string(thp), "[never]") {
		t.Skipf("skipping comparison: transparent huge pages are off (%s)", strings.TrimSpace(string(thp)))
	}
	// Whether the kernel found free 2 MiB pages is up to it: compare only
	// when smaps says the region is backed by huge pages.
	if kb := anonHugeKB(t, addrOf(hp)); kb < size>>10 {
		t.Skipf("skipping comparison: only %d kB of the region are on huge pages (no free 2 MiB pages)", kb)
	}
	// Each 2 MiB page is physically contiguous, so at most one run per
	// huge page; 4 KiB pages are handed out one by one and rarely lie in
	// order, so the small-page region has more runs unless it happens to
	// be as contiguous.
	if len(hugeRuns) > size/huge {
		t.Errorf("huge-page region has %d runs, want at most %d (one per huge page)", len(hugeRuns), size/huge)
	}
	if len(hugeRuns) > len(smallRuns) || (len(smallRuns) > size/huge && len(hugeRuns) >= len(smallRuns)) {
		t.Errorf("huge-page region has %d runs, not fewer than the %d of the 4 KiB-page region", len(hugeRuns), len(smallRuns))
	}
}

// anonHugeKB returns AnonHugePages in kB of the mapping that contains addr,
// from /proc/self/smaps.
func anonHugeKB(t *testing.T, addr uintptr) int {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("skipping comparison: %v", err)
	}
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var lo, hi uintptr
		if _, err := fmt.Sscanf(f[0], "%x-%x", &lo, &hi); err == nil && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && f[0] == "AnonHugePages:" && len(f) >= 2 {
			var kb int
			if _, err := fmt.Sscan(f[1], &kb); err != nil {
				t.Fatalf("smaps %q: %v", line, err)
			}
			return kb
		}
	}
	t.Fatalf("no AnonHugePages for the mapping at %#x in /proc/self/smaps", addr)
	return 0
}

// TestPhysRunsSubPage: a buffer inside one page, and one straddling two,
// are reported by whole pages.
func TestPhysRunsSubPage(t *testing.T) {
	if !hasCap(t, capSysAdmin) {
		t.Skip("skipping: reading page frame numbers needs CAP_SYS_ADMIN (run as root)")
	}
	mem := mmapBytes(t, 2*pageSize)
	for _, b := range [][]byte{mem[100:200], mem[pageSize-10 : pageSize+10]} {
		runs, err := PhysRuns(b)
		if err != nil {
			t.Fatal(err)
		}
		checkCover(t, runs, b)
	}
	if runs, err := PhysRuns(nil); runs != nil || err != nil {
		t.Fatalf("PhysRuns(nil) = %v, %v", runs, err)
	}
}

// TestPhysRunsWithoutCapSysAdmin re-executes the test binary without
// CAP_SYS_ADMIN, where pagemap's page frame numbers read as zero; PhysRuns
// must say they are unknown instead of reporting zeros.
func TestPhysRunsWithoutCapSysAdmin(t *testing.T) {
	if os.Getenv("SGL_PHYS_CHILD") == "1" || !hasCap(t, capSysAdmin) {
		if hasCap(t, capSysAdmin) {
			t.Fatal("child still has CAP_SYS_ADMIN")
		}
		b := mmapBytes(t, 8*pageSize)
		runs, err := PhysRuns(b)
		if !errors.Is(err, ErrPhysUnknown) || runs != nil {
			t.Fatalf("PhysRuns without CAP_SYS_ADMIN = %v, %v; want ErrPhysUnknown", runs, err)
		}
		t.Logf("without CAP_SYS_ADMIN: %v", err)
		return
	}
	testdev.RequireRoot(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("skipping: setpriv not found (install util-linux)")
	}
	cmd := exec.Command("setpriv", "--inh-caps=-sys_admin", "--ambient-caps=-sys_admin", "--bounding-set=-sys_admin",
		"--", os.Args[0], "-test.run=^TestPhysRunsWithoutCapSysAdmin$", "-test.v")
	cmd.Env = append(os.Environ(), "SGL_PHYS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestPhysRunsWithoutCapSysAdmin") {
		t.Fatalf("child did not run the test:\n%s", out)
	}
	t.Logf("child:\n%s", out)
}
