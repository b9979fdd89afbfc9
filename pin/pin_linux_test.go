package pin

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawio/rawio/internal/testdev"
)

// These tests read process-wide counters (VmLck), so none of them may
// call t.Parallel.

// vmLck returns VmLck from /proc/self/status in bytes.
func vmLck(t testing.TB) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmLck:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parsing %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmLck in /proc/self/status")
	return 0
}

// resident reports whether every page of b is in RAM, per mincore(2).
func resident(t testing.TB, b []byte) bool {
	t.Helper()
	page := os.Getpagesize()
	vec := make([]byte, (len(b)+page-1)/page)
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	for _, v := range vec {
		if v&1 == 0 {
			return false
		}
	}
	return true
}

// vma describes the mapping containing an address, from /proc/self/smaps.
type vma struct {
	start, end    uintptr
	flags         map[string]bool
	anonHugePages string
}

func vmaOf(t testing.TB, addr uintptr) vma {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("skipping: no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var cur *vma
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			s, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				if cur != nil {
					return *cur
				}
				if uintptr(s) <= addr && addr < uintptr(e) {
					cur = &vma{start: uintptr(s), end: uintptr(e), flags: map[string]bool{}}
				}
				continue
			}
		}
		if cur == nil {
			continue
		}
		switch fields[0] {
		case "AnonHugePages:":
			cur.anonHugePages = strings.Join(fields[1:], " ")
		case "VmFlags:":
			for _, fl := range fields[1:] {
				cur.flags[fl] = true
			}
		}
	}
	if cur == nil {
		t.Fatalf("no mapping contains %#x", addr)
	}
	return *cur
}

func mustAlloc(t testing.TB, size int, opts Options) *Region {
	t.Helper()
	r, err := Alloc(size, opts)
	if err != nil {
		var le *LockError
		if errors.As(err, &le) && !le.CapIPCLock {
			t.Skipf("skipping: cannot lock here: %v", err)
		}
		t.Fatalf("Alloc(%d, %+v): %v", size, opts, err)
	}
	t.Cleanup(func() { r.Free() })
	return r
}

func TestAllocLockedVmLck(t *testing.T) {
	page := os.Getpagesize()
	before := vmLck(t)
	r := mustAlloc(t, 4<<20+1, Options{Policy: LockRequire})
	want := 4<<20 + page
	if r.Len() != want {
		t.Fatalf("Len() = %d, want %d (rounded up to the page size)", r.Len(), want)
	}
	if !r.Locked() || r.Reason() != "" {
		t.Fatalf("Locked() = %v, Reason() = %q; want locked with no reason", r.Locked(), r.Reason())
	}
	if got := vmLck(t); got != before+uint64(want) {
		t.Fatalf("VmLck = %d after Alloc, want %d + %d", got, before, want)
	}
	addr := addrOf(r.Bytes())
	if err := r.Free(); err != nil {
		t.Fatal(err)
	}
	if got := vmLck(t); got != before {
		t.Fatalf("VmLck = %d after Free, want %d", got, before)
	}
	// Free unmapped it too: mincore(2) says ENOMEM for a range that is
	// not mapped.
	vec := make([]byte, want/page)
	_, _, e := unix.Syscall(unix.SYS_MINCORE, addr, uintptr(want), uintptr(unsafe.Pointer(&vec[0])))
	if e != unix.ENOMEM {
		t.Fatalf("mincore after Free = %v, want ENOMEM (still mapped)", e)
	}
}

func TestAllocProperties(t *testing.T) {
	page := os.Getpagesize()
	tests := []struct {
		name string
		size int
		opts Options
	}{
		{"try one byte", 1, Options{}},
		{"try 1 MiB", 1 << 20, Options{Policy: LockTry}},
		{"require 64 KiB plus one", 64<<10 + 1, Options{Policy: LockRequire}},
		{"off 3 pages", 3 * page, Options{Policy: LockOff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustAlloc(t, tt.size, tt.opts)
			b := r.Bytes()
			want := (tt.size + page - 1) / page * page
			if len(b) != want || cap(b) != want || r.Len() != want {
				t.Fatalf("len %d cap %d Len %d, want %d", len(b), cap(b), r.Len(), want)
			}
			addr := uintptr(unsafe.Pointer(&b[0]))
			if addr%uintptr(page) != 0 {
				t.Fatalf("address %#x is not page aligned", addr)
			}
			for i, c := range b {
				if c != 0 {
					t.Fatalf("byte %d = %#x, want zero", i, c)
				}
			}
			if !resident(t, b) {
				t.Fatal("not every page is resident after Alloc (populate failed)")
			}
			for i := range b {
				b[i] = byte(i)
			}
			switch tt.opts.Policy {
			case LockOff:
				if r.Locked() || r.Reason() != "locking off" {
					t.Fatalf("Locked() = %v, Reason() = %q; want unlocked, \"locking off\"", r.Locked(), r.Reason())
				}
			default:
				if r.Locked() != (r.Reason() == "") {
					t.Fatalf("Locked() = %v but Reason() = %q", r.Locked(), r.Reason())
				}
			}
			m := vmaOf(t, addr)
			if !m.flags["dc"] {
				t.Errorf("mapping %#x-%#x lacks VmFlags dc (MADV_DONTFORK): %v", m.start, m.end, m.flags)
			}
			if m.flags["lo"] != r.Locked() {
				t.Errorf("VmFlags lo = %v, Locked() = %v", m.flags["lo"], r.Locked())
			}
			if adv, why := r.HugePages(); adv || why != "" {
				t.Errorf("HugePages() = %v, %q without asking", adv, why)
			}
		})
	}
}

func TestHugePages(t *testing.T) {
	huge, page := hugePageSize(), os.Getpagesize()
	if huge > 32<<20 {
		t.Skipf("skipping: huge page size %s too large for a quick test", FormatBytes(uint64(huge)))
	}
	t.Run("aligned", func(t *testing.T) {
		r := mustAlloc(t, 2*huge, Options{HugePages: true})
		b := r.Bytes()
		addr := uintptr(unsafe.Pointer(&b[0]))
		adv, why := r.HugePages()
		t.Logf("huge page size %s, THP mode %q, advised %v %q", FormatBytes(uint64(huge)), thpMode(), adv, why)
		if addr%uintptr(huge) != 0 {
			t.Fatalf("address %#x is not aligned to the huge page size %d", addr, huge)
		}
		if !resident(t, b) {
			t.Fatal("not every page is resident after Alloc")
		}
		m := vmaOf(t, addr)
		// The over-mapped head and tail must be gone: the mapping is
		// exactly the region (its flags dc/hg/lo keep it from merging
		// with anything else).
		if m.start != addr || m.end != addr+uintptr(len(b)) {
			t.Fatalf("mapping is %#x-%#x, want %#x-%#x (trim leaked)", m.start, m.end, addr, addr+uintptr(len(b)))
		}
		if !m.flags["dc"] {
			t.Errorf("VmFlags lack dc: %v", m.flags)
		}
		if thpMode() != "never" && thpMode() != "" {
			if !adv || why != "" {
				t.Fatalf("HugePages() = %v, %q; want advised", adv, why)
			}
			if !m.flags["hg"] {
				t.Errorf("VmFlags lack hg (MADV_HUGEPAGE): %v", m.flags)
			}
		} else if adv || why == "" {
			t.Fatalf("HugePages() = %v, %q with THP %q; want a reason", adv, why, thpMode())
		}
		// HugeBytes reads the same smaps field the test parsed.
		hb, err := r.HugeBytes()
		if err != nil {
			t.Fatalf("HugeBytes: %v", err)
		}
		t.Logf("AnonHugePages: %s, HugeBytes %d", m.anonHugePages, hb)
		// In "always" mode khugepaged may collapse pages between the two
		// reads; in "madvise" mode only the faults in Alloc make huge pages.
		if want := m.anonHugePages; thpMode() == "madvise" && want != strconv.FormatInt(hb>>10, 10)+" kB" {
			t.Fatalf("HugeBytes() = %d, smaps says AnonHugePages %s", hb, want)
		}
		if adv && hb != int64(len(b)) {
			// Backing depends on free contiguous memory and the defrag
			// mode; nothing below can be checked without it.
			t.Skipf("skipping: %d of %d advised bytes in huge pages (THP defrag %q)", hb, len(b), readTrim("/sys/kernel/mm/transparent_hugepage/defrag"))
		}
		if !adv {
			if r.HugeShortfall() != why {
				t.Errorf("HugeShortfall() = %q, want HugePages' reason %q", r.HugeShortfall(), why)
			}
			return
		}
		if s := r.HugeShortfall(); s != "" {
			t.Errorf("HugeShortfall() = %q for a region wholly in huge pages", s)
		}
		// A part of the region counts only what must lie inside it: the
		// first huge page alone, and the region less its first page (the
		// huge page that page belongs to may be counted only in part).
		if got, err := hugeBytes(b[:huge]); err != nil || got != int64(huge) {
			t.Errorf("hugeBytes(first huge page) = %d, %v; want %d", got, err, huge)
		}
		if got, err := hugeBytes(b[page:]); err != nil || got != int64(len(b)-page) {
			t.Errorf("hugeBytes(region less its first page) = %d, %v; want %d (the lower bound)", got, err, len(b)-page)
		}
		if err := r.Free(); err != nil {
			t.Fatal(err)
		}
		if hb, err := r.HugeBytes(); hb != 0 || err != nil {
			t.Errorf("HugeBytes() after Free = %d, %v; want 0, nil", hb, err)
		}
		if s := r.HugeShortfall(); s != "" {
			t.Errorf("HugeShortfall() after Free = %q", s)
		}
	})
	t.Run("small pages", func(t *testing.T) {
		if thpMode() != "madvise" && thpMode() != "never" {
			t.Skipf("skipping: THP mode %q may back any mapping with huge pages", thpMode())
		}
		r := mustAlloc(t, 2*huge, Options{Policy: LockOff})
		if hb, err := r.HugeBytes(); hb != 0 || err != nil {
			t.Fatalf("HugeBytes() = %d, %v without MADV_HUGEPAGE in THP mode %q; want 0, nil", hb, err, thpMode())
		}
		if s := r.HugeShortfall(); s != "" {
			t.Errorf("HugeShortfall() = %q without asking for huge pages", s)
		}
	})
	t.Run("smaller than a huge page", func(t *testing.T) {
		r := mustAlloc(t, 64<<10, Options{HugePages: true, Policy: LockOff})
		adv, why := r.HugePages()
		if adv || !strings.Contains(why, "smaller than one huge page") {
			t.Fatalf("HugePages() = %v, %q; want not advised, smaller than one huge page", adv, why)
		}
		if s := r.HugeShortfall(); s != why {
			t.Errorf("HugeShortfall() = %q, want %q", s, why)
		}
		if !resident(t, r.Bytes()) {
			t.Fatal("not every page is resident after Alloc")
		}
	})
	t.Run("rounded up with HugeLen", func(t *testing.T) {
		if thpMode() == "never" || thpMode() == "" {
			t.Skipf("skipping: THP mode %q", thpMode())
		}
		n := HugeLen(64 << 10)
		if n != huge {
			t.Fatalf("HugeLen(64 KiB) = %d, want one huge page (%d)", n, huge)
		}
		r := mustAlloc(t, n, Options{HugePages: true, Policy: LockOff})
		if adv, why := r.HugePages(); !adv || why != "" {
			t.Fatalf("HugePages() = %v, %q for a region of HugeLen bytes; want advised", adv, why)
		}
	})
}

func TestLockBeyondLimitWithCapIPCLock(t *testing.T) {
	if !HasCapIPCLock() {
		t.Skip("skipping: the process lacks CAP_IPC_LOCK")
	}
	if err := RaiseMemlock(); err != nil {
		t.Fatal(err)
	}
	soft, _, err := MemlockLimit()
	if err != nil {
		t.Fatal(err)
	}
	if soft > 64<<20 {
		t.Skipf("skipping: RLIMIT_MEMLOCK is %s, too large to exceed in a quick test", FormatBytes(soft))
	}
	before := vmLck(t)
	size := int(soft) + 4<<20
	r := mustAlloc(t, size, Options{Policy: LockRequire})
	if !r.Locked() {
		t.Fatalf("not locked: %s", r.Reason())
	}
	if got := vmLck(t); got != before+uint64(r.Len()) {
		t.Fatalf("VmLck = %d, want %d + %d", got, before, r.Len())
	}
}

func TestRaiseMemlock(t *testing.T) {
	soft, hard, err := MemlockLimit()
	if err != nil {
		t.Fatal(err)
	}
	if hard == 0 {
		t.Skip("skipping: the hard RLIMIT_MEMLOCK is 0")
	}
	orig := unix.Rlimit{Cur: soft, Max: hard}
	if soft == Unlimited {
		orig.Cur = unix.RLIM_INFINITY
	}
	if hard == Unlimited {
		orig.Max = unix.RLIM_INFINITY
	}
	t.Cleanup(func() {
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &orig); err != nil {
			t.Errorf("restoring RLIMIT_MEMLOCK: %v", err)
		}
	})
	low := unix.Rlimit{Cur: 0, Max: orig.Max}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &low); err != nil {
		t.Skipf("skipping: cannot lower RLIMIT_MEMLOCK: %v", err)
	}
	// Alloc raises it before locking.
	r := mustAlloc(t, os.Getpagesize(), Options{Policy: LockTry})
	t.Logf("locked %v %s", r.Locked(), r.Reason())
	s2, h2, err := MemlockLimit()
	if err != nil {
		t.Fatal(err)
	}
	if s2 != hard || h2 != hard {
		t.Fatalf("after Alloc: soft %d hard %d, want both %d", s2, h2, hard)
	}
	if err := RaiseMemlock(); err != nil {
		t.Fatalf("RaiseMemlock when already raised: %v", err)
	}
}

func TestFreeTwice(t *testing.T) {
	for _, p := range []Policy{LockTry, LockOff} {
		t.Run(p.String(), func(t *testing.T) {
			before := vmLck(t)
			r, err := Alloc(1<<20, Options{Policy: p})
			if err != nil {
				t.Fatal(err)
			}
			b := r.Bytes()
			if err := r.Free(); err != nil {
				t.Fatalf("first Free: %v", err)
			}
			if err := r.Free(); !errors.Is(err, ErrFreed) {
				t.Fatalf("second Free = %v, want ErrFreed", err)
			}
			if err := Release(b); !errors.Is(err, ErrNotRegion) {
				t.Fatalf("Release after Free = %v, want ErrNotRegion", err)
			}
			if r.Bytes() != nil || r.Len() != 0 || r.Locked() || r.Reason() != "region freed" {
				t.Fatalf("after Free: Bytes %v Len %d Locked %v Reason %q", r.Bytes() != nil, r.Len(), r.Locked(), r.Reason())
			}
			if got := vmLck(t); got != before {
				t.Fatalf("VmLck = %d after Free, want %d", got, before)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	page := os.Getpagesize()
	r := mustAlloc(t, 4*page, Options{Policy: LockOff})
	other := mustAlloc(t, 2*page, Options{Policy: LockOff})
	b := r.Bytes()
	foreign, err := unix.Mmap(-1, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(foreign) })

	refused := []struct {
		name string
		b    []byte
	}{
		{"derived tail", b[1:]},
		{"derived page", b[page : 2*page]},
		{"derived head", b[:len(b)-1]},
		{"derived empty", b[:0]},
		{"foreign mmap", foreign},
		{"foreign heap", make([]byte, page)},
		{"nil", nil},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := Release(tt.b)
			if !errors.Is(err, ErrNotRegion) {
				t.Fatalf("Release = %v, want ErrNotRegion", err)
			}
			t.Log(err)
			if r.Len() != 4*page {
				t.Fatal("the region was freed by a refused Release")
			}
		})
	}
	// Refused releases left everything mapped and usable.
	b[len(b)-1], foreign[0] = 1, 1

	if err := Release(b); err != nil {
		t.Fatalf("Release of the exact slice: %v", err)
	}
	if err := Release(b); !errors.Is(err, ErrNotRegion) {
		t.Fatalf("second Release = %v, want ErrNotRegion", err)
	}
	if err := r.Free(); !errors.Is(err, ErrFreed) {
		t.Fatalf("Free after Release = %v, want ErrFreed", err)
	}
	if other.Len() != 2*page {
		t.Fatal("Release freed another region")
	}
	if err := Release(other.Bytes()[:len(other.Bytes()):len(other.Bytes())]); err != nil {
		t.Fatalf("Release of a full re-slice: %v", err)
	}
}

func TestConcurrentFree(t *testing.T) {
	r, err := Alloc(1<<20, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bytes()
	const n = 8
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			_ = r.Bytes()
			_ = r.Locked()
			errs[i] = r.Free()
		}(i)
		go func(i int) {
			defer wg.Done()
			_ = r.Reason()
			errs[n+i] = Release(b)
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrFreed), errors.Is(err, ErrNotRegion):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d frees succeeded, want exactly 1", ok)
	}
}

func TestAllocTooLarge(t *testing.T) {
	shift := 62 // a variable shift, so 32-bit builds compile
	if strconv.IntSize < 64 {
		shift = 0 // no size is beyond a 32-bit address space yet fits an int
	}
	tests := []struct {
		name   string
		size   int
		opts   Options
		target error
	}{
		{"max int", math.MaxInt, Options{}, ErrInvalidSize},
		{"beyond the address space", 1 << shift, Options{Policy: LockOff}, unix.ENOMEM},
		{"beyond the address space huge", 1 << shift, Options{HugePages: true}, unix.ENOMEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.size == 1 {
				t.Skip("skipping: 32-bit int")
			}
			r, err := Alloc(tt.size, tt.opts)
			if err == nil {
				r.Free()
				t.Fatal("Alloc succeeded")
			}
			if !errors.Is(err, tt.target) {
				t.Fatalf("Alloc = %v, want %v", err, tt.target)
			}
			t.Log(err)
		})
	}
}

const childEnv = "RAWIO_PIN_TEST_CHILD"

// TestWithoutCapIPCLock re-runs this test binary as TestLockChild without
// CAP_IPC_LOCK and under a small RLIMIT_MEMLOCK.
func TestWithoutCapIPCLock(t *testing.T) {
	tests := []struct {
		name  string
		limit uint64
		role  string
	}{
		{"limit 8 MiB", 8 << 20, "limit8m"},
		{"limit 0", 0, "limit0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := testdev.WithoutIPCLock(t, tt.limit, os.Args[0], "-test.run=^TestLockChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+tt.role)
			out, err := cmd.CombinedOutput()
			t.Logf("child output:\n%s", out)
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			if !strings.Contains(string(out), "--- PASS: TestLockChild") {
				t.Fatal("the child did not run TestLockChild")
			}
		})
	}
}

// TestLockChild runs only in the child TestWithoutCapIPCLock starts.
func TestLockChild(t *testing.T) {
	role := os.Getenv(childEnv)
	if role == "" {
		t.Skip("skipping: helper run by TestWithoutCapIPCLock in a child process")
	}
	if HasCapIPCLock() {
		t.Fatal("the child still has CAP_IPC_LOCK")
	}
	soft, hard, err := MemlockLimit()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RLIMIT_MEMLOCK %d/%d, VmLck %d", soft, hard, vmLck(t))
	switch role {
	case "limit8m":
		childLimit8M(t, soft, hard)
	case "limit0":
		childLimit0(t, soft, hard)
	default:
		t.Fatalf("unknown role %q", role)
	}
}

func childLimit8M(t *testing.T, soft, hard uint64) {
	if soft != 8<<20 || hard != 8<<20 {
		t.Fatalf("RLIMIT_MEMLOCK = %d/%d, want 8 MiB", soft, hard)
	}
	base := vmLck(t)
	const want64 = "locking 64 MiB failed: RLIMIT_MEMLOCK is 8 MiB and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)"

	r, err := Alloc(64<<20, Options{Policy: LockRequire})
	if err == nil {
		r.Free()
		t.Fatal("require 64 MiB succeeded under an 8 MiB limit")
	}
	if err.Error() != want64 {
		t.Fatalf("error = %q\nwant    %q", err, want64)
	}
	if !errors.Is(err, unix.ENOMEM) {
		t.Fatalf("errors.Is(%v, ENOMEM) = false", err)
	}
	var le *LockError
	if !errors.As(err, &le) || le.Size != 64<<20 || le.Limit != 8<<20 || le.CapIPCLock {
		t.Fatalf("LockError = %+v", le)
	}
	if got := vmLck(t); got != base {
		t.Fatalf("VmLck = %d after a failed lock, want %d", got, base)
	}

	r, err = Alloc(64<<20, Options{Policy: LockTry})
	if err != nil {
		t.Fatalf("best effort 64 MiB: %v", err)
	}
	if r.Locked() || r.Reason() != want64 || !strings.Contains(r.Reason(), "RLIMIT_MEMLOCK is 8 MiB") {
		t.Fatalf("best effort: Locked %v, Reason %q", r.Locked(), r.Reason())
	}
	if got := vmLck(t); got != base {
		t.Fatalf("VmLck = %d with an unlocked best-effort region, want %d", got, base)
	}
	if m := vmaOf(t, addrOf(r.Bytes())); m.flags["lo"] || !m.flags["dc"] {
		t.Fatalf("best-effort region VmFlags %v: want dc (MADV_DONTFORK) and no lo (locked)", m.flags)
	}
	r.Bytes()[64<<20-1] = 1
	if err := r.Free(); err != nil {
		t.Fatal(err)
	}

	r, err = Alloc(4<<20, Options{Policy: LockRequire})
	if err != nil {
		t.Fatalf("require 4 MiB under an 8 MiB limit: %v", err)
	}
	if !r.Locked() {
		t.Fatalf("4 MiB not locked: %s", r.Reason())
	}
	if got := vmLck(t); got != base+4<<20 {
		t.Fatalf("VmLck = %d, want %d + 4 MiB", got, base)
	}

	// With 4 MiB locked, 6 MiB more exceeds the limit: the message says
	// how much is already taken.
	r2, err := Alloc(6<<20, Options{Policy: LockRequire})
	if err == nil {
		r2.Free()
		t.Fatal("require 6 MiB more succeeded")
	}
	const want6 = "locking 6 MiB failed: RLIMIT_MEMLOCK is 8 MiB, 4 MiB of it already locked, and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)"
	if err.Error() != want6 || !errors.Is(err, unix.ENOMEM) {
		t.Fatalf("error = %q\nwant    %q", err, want6)
	}

	if err := r.Free(); err != nil {
		t.Fatal(err)
	}
	if got := vmLck(t); got != base {
		t.Fatalf("VmLck = %d after Free, want %d", got, base)
	}

	r, err = Alloc(64<<20, Options{Policy: LockOff})
	if err != nil || r.Locked() || r.Reason() != "locking off" {
		t.Fatalf("off 64 MiB: %v", err)
	}
	r.Free()
}

func childLimit0(t *testing.T, soft, hard uint64) {
	if soft != 0 || hard != 0 {
		t.Fatalf("RLIMIT_MEMLOCK = %d/%d, want 0", soft, hard)
	}
	page := os.Getpagesize()
	want := fmt.Sprintf("locking %s failed: RLIMIT_MEMLOCK is 0 B and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
		FormatBytes(uint64(page)))
	r, err := Alloc(1, Options{Policy: LockRequire})
	if err == nil {
		r.Free()
		t.Fatal("require succeeded with a 0 limit")
	}
	// mlock(2): EPERM when the limit is 0 and CAP_IPC_LOCK is missing.
	if err.Error() != want || !errors.Is(err, unix.EPERM) {
		t.Fatalf("error = %q (%#v)\nwant    %q and EPERM", err, err, want)
	}
	r, err = Alloc(1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Free()
	if r.Locked() || r.Reason() != want {
		t.Fatalf("best effort: Locked %v, Reason %q", r.Locked(), r.Reason())
	}
}

func BenchmarkAllocFree(b *testing.B) {
	for _, p := range []Policy{LockTry, LockOff} {
		for _, size := range []int{64 << 10, 1 << 20, 16 << 20} {
			b.Run(p.String()+"/"+strings.ReplaceAll(FormatBytes(uint64(size)), " ", ""), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					r, err := Alloc(size, Options{Policy: p})
					if err != nil {
						b.Fatal(err)
					}
					if err := r.Free(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func TestBuffersLen(t *testing.T) {
	huge, page := hugePageSize(), os.Getpagesize()
	tests := []struct {
		name          string
		n, bufSize    int
		hugePages     bool
		want          int
		wantHugePages bool
	}{
		{"not asked", 8 << 20, 1 << 20, false, 8 << 20, false},
		{"one-page buffers", 32 * page, page, true, 32 * page, false},
		{"whole huge pages", 4 * huge, 1 << 20, true, 4 * huge, true},
		{"rounded up", 2 * (256 << 10), 256 << 10, true, huge, true},
		{"just over a page", 2 * (page + 512), page + 512, true, huge, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, h := BuffersLen(tt.n, tt.bufSize, tt.hugePages)
			if got != tt.want || h != tt.wantHugePages {
				t.Errorf("BuffersLen(%d, %d, %v) = %d, %v; want %d, %v", tt.n, tt.bufSize, tt.hugePages, got, h, tt.want, tt.wantHugePages)
			}
		})
	}
}
