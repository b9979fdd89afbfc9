package pin

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// defaultHugePageSize is the PMD size on x86-64, used when sysfs does not
// say (see hugePageSize).
const defaultHugePageSize = 2 << 20

func alloc(size int, opts Options) (*Region, error) {
	page := os.Getpagesize()
	if size > math.MaxInt-(page-1) {
		return nil, fmt.Errorf("%w %d: too large to round up to the page size (%d)", ErrInvalidSize, size, page)
	}
	n := (size + page - 1) &^ (page - 1)

	r := &Region{hugeAsked: opts.HugePages}
	var mem []byte
	var err error
	if opts.HugePages {
		mem, r.huge, r.hugeReason, err = mapHuge(n, page)
	} else {
		// MAP_POPULATE faults every page in now, so the first I/O does not
		// pay for it (mmap(2)).
		mem, err = mapAnon(n, unix.MAP_POPULATE)
	}
	if err != nil {
		return nil, err
	}
	// MADV_DONTFORK keeps the region out of fork children: otherwise a
	// write by the parent after fork(2) breaks copy-on-write and moves the
	// page under an in-flight DMA (madvise(2)). mlocks are not inherited
	// by children anyway (mlock(2)).
	if err := unix.Madvise(mem, unix.MADV_DONTFORK); err != nil {
		_ = unmap(mem)
		return nil, os.NewSyscallError("madvise", err)
	}
	r.mem = mem

	if opts.Policy == LockOff {
		r.reason = "locking off"
		return r, nil
	}
	if lerr := lock(mem); lerr != nil {
		if opts.Policy == LockRequire {
			_ = unmap(mem)
			return nil, lerr
		}
		r.reason = lerr.Error()
		return r, nil
	}
	r.locked = true
	return r, nil
}

// mapAnon maps n bytes of anonymous private read-write memory.
func mapAnon(n int, flags int) ([]byte, error) {
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(n), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|flags)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return unsafe.Slice((*byte)(p), n), nil
}

func unmap(b []byte) error {
	return unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)))
}

// mapHuge maps n bytes starting on a huge page boundary, advises
// MADV_HUGEPAGE and then populates, so the faults can allocate huge
// pages. A transparent huge page is used only for a huge-page-aligned
// extent that lies wholly inside the VMA (include/linux/huge_mm.h
// thp_vma_suitable_order), and mmap only promises page alignment; so map
// n + huge - page bytes and trim the unaligned head and the tail.
// Populating before the advice (MAP_POPULATE) would fault in small pages
// when THP is in "madvise" mode.
func mapHuge(n, page int) (mem []byte, advised bool, reason string, err error) {
	huge := hugePageSize()
	if n < huge {
		mem, err = mapAnon(n, unix.MAP_POPULATE)
		return mem, false, fmt.Sprintf("a region of %s is smaller than one huge page (%s)",
			FormatBytes(uint64(n)), FormatBytes(uint64(huge))), err
	}
	if n > math.MaxInt-huge {
		mem, err = mapAnon(n, unix.MAP_POPULATE)
		return mem, false, "region too large to align to a huge page", err
	}
	over := n + huge - page
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(over), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, false, "", os.NewSyscallError("mmap", err)
	}
	head := int((uintptr(huge) - uintptr(p)%uintptr(huge)) % uintptr(huge))
	tail := over - head - n
	start := unsafe.Add(p, head)
	if head > 0 {
		if err := unix.MunmapPtr(p, uintptr(head)); err != nil {
			_ = unix.MunmapPtr(p, uintptr(over))
			return nil, false, "", os.NewSyscallError("munmap", err)
		}
	}
	if tail > 0 {
		if err := unix.MunmapPtr(unsafe.Add(start, n), uintptr(tail)); err != nil {
			_ = unix.MunmapPtr(start, uintptr(n+tail))
			return nil, false, "", os.NewSyscallError("munmap", err)
		}
	}
	mem = unsafe.Slice((*byte)(start), n)

	advised = true
	if err := unix.Madvise(mem, unix.MADV_HUGEPAGE); err != nil {
		// EINVAL: a kernel built without CONFIG_TRANSPARENT_HUGEPAGE.
		advised, reason = false, "madvise(MADV_HUGEPAGE): "+err.Error()
	} else if mode := thpMode(); mode == "never" {
		advised, reason = false, "transparent huge pages are disabled (/sys/kernel/mm/transparent_hugepage/enabled is never)"
	} else if off, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0); err == nil && off == 1 {
		advised, reason = false, "transparent huge pages are disabled for this process (prctl PR_SET_THP_DISABLE, inherited from its parent)"
	}
	if err := populate(mem, page); err != nil {
		_ = unmap(mem)
		return nil, false, "", err
	}
	return mem, advised, reason, nil
}

// populate faults in every page of b for writing, as MAP_POPULATE would
// have. MADV_POPULATE_WRITE exists since Linux 5.14 (mm/madvise.c); older
// kernels say EINVAL, and a write to each page does the same (a read
// would only map the shared zero page).
func populate(b []byte, page int) error {
	err := ignoringEINTR(func() error { return unix.Madvise(b, unix.MADV_POPULATE_WRITE) })
	if err == nil {
		return nil
	}
	if err != unix.EINVAL {
		return os.NewSyscallError("madvise", err)
	}
	for i := 0; i < len(b); i += page {
		b[i] = 0
	}
	return nil
}

// hugePageSize returns the PMD-sized transparent huge page size (2 MiB on
// x86-64, 512 MiB on arm64 with 64 KiB pages), from
// /sys/kernel/mm/transparent_hugepage/hpage_pmd_size.
func hugePageSize() int {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err != nil {
		return defaultHugePageSize
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 || n&(n-1) != 0 {
		return defaultHugePageSize
	}
	return n
}

// hugeBytes sums AnonHugePages over the mappings in /proc/self/smaps
// that overlap mem (proc(5)), counting from each only what cannot lie
// outside mem: AnonHugePages minus the mapping's bytes outside mem.
func hugeBytes(mem []byte) (int64, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lo := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
	hi := lo + uint64(len(mem))
	var total int64
	in := false
	var outside int64 // bytes of the current mapping outside mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		// A mapping's header starts with "start-end " in hex; its fields
		// are "Name:   value kB".
		if a, b, ok := bytes.Cut(line, []byte("-")); ok && len(a) > 0 && isHex(a) {
			end, _, _ := bytes.Cut(b, []byte(" "))
			s, err1 := strconv.ParseUint(string(a), 16, 64)
			e, err2 := strconv.ParseUint(string(end), 16, 64)
			if err1 == nil && err2 == nil {
				in = s < hi && lo < e
				outside = int64(max(lo, s)-s) + int64(e-min(hi, e))
				continue
			}
		}
		if !in {
			continue
		}
		if v, ok := bytes.CutPrefix(line, []byte("AnonHugePages:")); ok {
			f := bytes.Fields(v)
			if len(f) != 2 || string(f[1]) != "kB" {
				return 0, fmt.Errorf("/proc/self/smaps: unexpected line %q", line)
			}
			kb, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/smaps: unexpected line %q", line)
			}
			total += max(kb<<10-outside, 0)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err // an *os.PathError naming the file
	}
	return total, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// thpMode returns the selected word of
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"),
// or "" when unknown.
func thpMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		return ""
	}
	return s[i+1 : j]
}

// lock raises the soft RLIMIT_MEMLOCK and mlocks b, describing a failure
// as a *LockError.
func lock(b []byte) *LockError {
	// Best effort: if raising fails, mlock decides and the LockError
	// reports the limit actually in force.
	_ = raiseMemlock()
	err := ignoringEINTR(func() error { return unix.Mlock(b) })
	if err == nil {
		return nil
	}
	// EAGAIN can leave part of the range locked: do_mlock sets VM_LOCKED
	// before populating (mm/mlock.c), so undo it.
	_ = unix.Munlock(b)
	limit := Unlimited
	if soft, _, lerr := memlockLimit(); lerr == nil {
		limit = soft
	}
	return &LockError{
		Size:       uint64(len(b)),
		Limit:      limit,
		Locked:     vmLocked(),
		CapIPCLock: hasCapIPCLock(),
		Err:        err,
	}
}

// unmapRegion unlocks and unmaps a region's mapping.
func unmapRegion(mem []byte, locked bool) error {
	if locked {
		// munmap removes the lock with the mapping (mlock(2)), so a
		// munlock failure is not worth reporting if munmap succeeds.
		_ = unix.Munlock(mem)
	}
	if err := unmap(mem); err != nil {
		return os.NewSyscallError("munmap", err)
	}
	return nil
}

func memlockLimit() (soft, hard uint64, err error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return 0, 0, os.NewSyscallError("getrlimit", err)
	}
	return toLimit(rl.Cur), toLimit(rl.Max), nil
}

func toLimit(v uint64) uint64 {
	if v == unix.RLIM_INFINITY {
		return Unlimited
	}
	return v
}

func raiseMemlock() error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return os.NewSyscallError("getrlimit", err)
	}
	if rl.Cur == rl.Max {
		return nil
	}
	rl.Cur = rl.Max
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return os.NewSyscallError("setrlimit", err)
	}
	return nil
}

// procUserInitIno is the inode number of the initial user namespace
// (include/linux/proc_ns.h PROC_USER_INIT_INO).
const procUserInitIno = 0xEFFFFFFD

func hasCapIPCLock() bool {
	if !effectiveCap(unix.CAP_IPC_LOCK) {
		return false
	}
	// capable() checks the initial user namespace; in a child namespace
	// the bit is set but mlock still applies the limit.
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/user", &st); err == nil && st.Ino != procUserInitIno {
		return false
	}
	return true
}

// effectiveCap reports whether capability c is in the effective set, from
// capget(2), or from CapEff in /proc/self/status if capget fails.
func effectiveCap(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err == nil {
		return data[c/32].Effective&(1<<(uint(c)%32)) != 0
	}
	v, ok := statusField("CapEff:")
	if !ok {
		return false
	}
	eff, err := strconv.ParseUint(v, 16, 64)
	return err == nil && eff&(1<<uint(c)) != 0
}

// vmLocked returns VmLck from /proc/self/status in bytes, 0 if unknown.
func vmLocked() uint64 {
	v, ok := statusField("VmLck:")
	if !ok {
		return 0
	}
	kb, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

// statusField returns the value of a /proc/self/status line, trimmed.
func statusField(name string) (string, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// ignoringEINTR retries fn while it fails with EINTR (as os/file_unix.go
// does for its syscalls).
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
