package workload

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/pin"
)

// target is the file or device being benchmarked.
type target struct {
	path    string
	rules   aligned.Rules
	created bool     // rawbench created it: writes need no --allow-write
	excl    *os.File // O_EXCL hold on a block device for the whole run
}

// region returns the byte range a job works on.
func (t *target) region(job Job) (off, size int64) {
	off, size = job.Offset, job.Size
	if size == 0 {
		size = t.rules.Size - off
	}
	return off, size
}

func bench(ctx context.Context, cfg Config) (doc *Document, err error) {
	doc = &Document{Version: Version, Env: machineEnv(), Fallbacks: []string{}, Results: []Result{}}
	doc.Env.Target = cfg.Target
	t := &target{path: cfg.Target}
	spec := cfg.Spec
	if cfg.Target == "" {
		size := cfg.FileSize
		if size == 0 {
			size = DefaultFileSize
		}
		path, err := createTestFile(ctx, cfg.Dir, size, cfg.Lock)
		if path != "" {
			defer os.Remove(path)
		}
		if err != nil {
			return doc, err
		}
		t.path, t.created = path, true
		logf(cfg.Log, "rawbench: test file %s (%s of random data, removed at the end)\n", path, formatBytes(uint64(size)))
	}
	if err := t.open(); err != nil {
		return doc, err
	}
	defer t.close()

	// Jobs.
	var jobs []Job
	if cfg.Suite {
		writes := t.created || cfg.AllowWrite
		if !writes {
			logf(cfg.Log, "rawbench: default suite on %s without --allow-write: write jobs left out\n", t.path)
		}
		jobs, err = DefaultSuite(spec, writes)
	} else {
		jobs, err = spec.Expand()
	}
	if err != nil {
		return doc, err
	}
	for _, j := range jobs {
		if err := t.checkJob(j, cfg.AllowWrite); err != nil {
			return doc, err
		}
	}
	if err := checkMemory(jobs, t.rules.MemAlign, cfg.NoHugePages); err != nil {
		return doc, err
	}
	if slices.ContainsFunc(jobs, func(j Job) bool { return j.Engine == EngineURing }) {
		if err := t.checkURing(); err != nil {
			return doc, err
		}
	}

	doc.Env = t.env()
	doc.Env.Locked = true
	opts := runOptions{lock: cfg.Lock, noHugePages: cfg.NoHugePages, seed: cfg.Seed}
	for i, j := range jobs {
		if err := ctx.Err(); err != nil {
			return doc, err
		}
		logf(cfg.Log, "rawbench: [%d/%d] %s on %s\n", i+1, len(jobs), j, t.path)
		res, fallbacks, err := runJob(ctx, t, j, opts)
		for _, f := range fallbacks {
			if strings.HasPrefix(f, "I/O buffers not locked") {
				doc.Env.Locked = false
			}
			doc.Fallbacks = appendOnce(doc.Fallbacks, f)
		}
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return doc, fmt.Errorf("%s: %w", j, err)
		}
		if res.RW != "" {
			doc.Results = append(doc.Results, res)
			logf(cfg.Log, "rawbench:        %s IOPS, %.1f MiB/s, p99 %s\n", formatCount(res.IOPS), res.BytesPerSec/(1<<20), formatNs(res.Lat.P99))
		}
		if err != nil {
			return doc, err
		}
	}
	if soft, _, err := pin.MemlockLimit(); err == nil {
		doc.Env.MemlockLimit = memlockJSON(soft)
	}
	return doc, nil
}

func memlockJSON(v uint64) int64 {
	if v == unix.RLIM_INFINITY || v > 1<<62 {
		return -1
	}
	return int64(v)
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format, a...)
	}
}

// open discovers the target's rules and, for a block device, refuses one
// that is mounted or held and holds it exclusively for the run.
func (t *target) open() error {
	r, err := aligned.Discover(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return refuse(err, "%s: no such file or directory", t.path)
	}
	if err != nil {
		return err
	}
	t.rules = r
	switch r.Kind {
	case aligned.KindFile:
	case aligned.KindBlock:
		if mp, ok := mountedAt(r.DevMajor, r.DevMinor); ok {
			return refuse(ErrMounted, "%s is mounted on %s: refusing to benchmark a device in use", t.path, mp)
		}
		// An exclusive open fails with EBUSY while a file system, swap,
		// md or device-mapper holds the device or one of its partitions
		// (block/bdev.c bd_prepare_to_claim); holding it keeps anyone from
		// mounting it while we run.
		f, err := os.OpenFile(t.path, os.O_RDONLY|unix.O_EXCL, 0)
		if errors.Is(err, unix.EBUSY) {
			return refuse(ErrMounted, "%s is held by another user (mounted, swap, RAID or device-mapper member): refusing to benchmark a device in use", t.path)
		}
		if err != nil {
			return err
		}
		t.excl = f
	default:
		return refuse(ErrBadTarget, "%s is a %s: rawbench needs a regular file or a block device", t.path, kindName(t.path, r.Kind))
	}
	if r.Size <= 0 {
		return refuse(ErrBadTarget, "%s is empty: nothing to benchmark", t.path)
	}
	return nil
}

// kindName names what a path is, for the refusal of a kind rawbench cannot
// benchmark.
func kindName(path string, k aligned.Kind) string {
	if fi, err := os.Stat(path); err == nil {
		switch m := fi.Mode(); {
		case m.IsDir():
			return "directory"
		case m&os.ModeCharDevice != 0:
			return "character device"
		case m&os.ModeNamedPipe != 0:
			return "pipe"
		case m&os.ModeSocket != 0:
			return "socket"
		}
	}
	return k.String()
}

func (t *target) close() {
	if t.excl != nil {
		t.excl.Close()
		t.excl = nil
	}
}

// checkJob refuses a job before any I/O: writing without permission, a
// region outside the target, or a direct I/O geometry that breaks the
// target's alignment.
func (t *target) checkJob(j Job, allowWrite bool) error {
	if j.RW.Writes() && !t.created && !allowWrite {
		what := "existing file"
		if t.rules.Kind == aligned.KindBlock {
			what = "block device"
		}
		return refuse(ErrWriteNotAllowed, "%s would overwrite data on %s %s: pass --allow-write if that is intended", j.RW, what, t.path)
	}
	off, size := t.region(j)
	if off >= t.rules.Size {
		return refuse(ErrBadTarget, "offset %d is at or past the end of %s (%d bytes)", off, t.path, t.rules.Size)
	}
	if off+size > t.rules.Size || off+size < off {
		return refuse(ErrBadTarget, "offset %d + size %d is past the end of %s (%d bytes)", off, size, t.path, t.rules.Size)
	}
	if size < int64(j.BS) {
		return refuse(ErrBadTarget, "the region of %s is smaller than bs %s", formatBytes(uint64(size)), formatBytes(uint64(j.BS)))
	}
	if j.Cache != Direct {
		return nil
	}
	if !t.rules.DirectIO {
		return refuse(aligned.ErrNoDirectIO, "%s: the file system does not support O_DIRECT: use --cache buffered", t.path)
	}
	write := j.RW.Writes()
	rename := func(err error, what string, v int64) error {
		var ae *aligned.AlignError
		if errors.As(err, &ae) {
			c := *ae
			c.What, c.Value = what, uint64(v)
			return &c
		}
		return err
	}
	if err := t.rules.Check(0, j.BS, nil, write); err != nil {
		return rename(err, "bs", int64(j.BS))
	}
	if err := t.rules.Check(off, 0, nil, write); err != nil {
		return rename(err, "offset", off)
	}
	if j.Size != 0 {
		if err := t.rules.Check(0, int(min(size, 1<<62)), nil, write); err != nil {
			return rename(err, "size", size)
		}
	}
	return nil
}

// checkMemory refuses a job whose I/O buffers (jobs × depth × bs, each
// instance's rounded up to whole huge pages when it asks for them; each
// populated and, with --lock, locked) would take more than half the memory
// the kernel estimates is available: MAP_POPULATE does not fail when memory
// runs short, it reclaims and then calls the OOM killer, which may pick
// another process. Without /proc/meminfo nothing is checked.
func checkMemory(jobs []Job, memAlign int, noHuge bool) error {
	avail, err := memAvailable()
	if err != nil {
		return nil
	}
	for _, j := range jobs {
		size, _ := bufferBytes(j, memAlign, noHuge)
		need := uint64(j.Jobs) * uint64(size)
		if need > avail/2 {
			buffers := uint64(j.Jobs) * uint64(j.Depth) * uint64(slotStride(j.BS, memAlign))
			rounded := ""
			if buffers != need {
				rounded = fmt.Sprintf(" (%s in whole huge pages)", formatBytes(need))
			}
			return refuse(ErrNoMemory, "%s: jobs × depth × bs is %s of I/O buffers%s, more than half of the %s of memory available (MemAvailable): lower --jobs, --depth or --bs",
				j, formatBytes(buffers), rounded, formatBytes(avail))
		}
	}
	return nil
}

// memAvailable is MemAvailable from /proc/meminfo (proc(5)), in bytes; a
// variable so tests can shrink the machine.
var memAvailable = func() (uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("/proc/meminfo: no MemAvailable (Linux < 3.14)")
}

// checkURing fails before any job runs when a job asks for the io_uring
// engine by name and this process cannot use io_uring; otherwise a sweep
// of --engine sync,uring would run its sync jobs and only then fail. Only
// "auto" falls back to sync, per job, and reports it.
func (t *target) checkURing() error {
	f, err := os.Open(t.path)
	if err != nil {
		return err
	}
	defer f.Close()
	e, _, err := newEngine(engine.Options{Kind: EngineURing, Depth: 1, Files: []*os.File{f}})
	if err != nil {
		return fmt.Errorf("engine uring: %w; use --engine sync, or auto to fall back", err)
	}
	return e.Close()
}

// machineEnv is the part of Env that does not depend on the target, so
// that a document returned before the target is known (the default run
// interrupted while writing its test file) still names the machine.
func machineEnv() Env {
	e := Env{CPUs: runtime.NumCPU(), MemlockLimit: -1}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		e.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	if soft, _, err := pin.MemlockLimit(); err == nil {
		e.MemlockLimit = memlockJSON(soft)
	}
	return e
}

func (t *target) env() Env {
	r := t.rules
	e := machineEnv()
	e.Target = t.path
	e.Kind = r.Kind.String()
	e.Size = r.Size
	e.Device = r.Device
	e.Scheduler = r.Scheduler
	e.LogicalBlockSize = r.LogicalBlock
	e.PhysicalBlockSize = r.PhysicalBlock
	e.DIOMemAlign = r.MemAlign
	e.DIOOffsetAlign = r.OffsetAlign
	e.Queue = QueueLimits{
		MaxSectorsKB:   r.MaxSectorsKB,
		MaxHWSectorsKB: r.MaxHWSectorsKB,
		MaxSegments:    r.MaxSegments,
		MaxSegmentSize: r.MaxSegmentSize,
		DMAAlignment:   r.DMAAlignment,
		OptimalIO:      r.OptimalIO,
		BoundaryMask:   r.SegmentBoundaryMask,
	}
	return e
}

// mountedAt looks for the device major:minor, or one of its partitions,
// in /proc/self/mountinfo (proc(5): field 3 is major:minor, field 5 the
// mount point) and returns where it is mounted.
func mountedAt(major, minor uint32) (string, bool) {
	devs := map[string]bool{fmt.Sprintf("%d:%d", major, minor): true}
	// Partitions are directories under the disk in sysfs with a "partition" file.
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", major, minor)
	if ents, err := os.ReadDir(sys); err == nil {
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(sys, e.Name(), "partition")); err != nil {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(sys, e.Name(), "dev")); err == nil {
				devs[strings.TrimSpace(string(b))] = true
			}
		}
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && devs[fields[2]] {
			return fields[4], true
		}
	}
	return "", false
}

// createTestFile creates the default run's file in dir, filled with size
// bytes of random data written with O_DIRECT from one pinned buffer, and
// returns its path. On error the path of a partly written file may be
// returned so the caller can remove it.
func createTestFile(ctx context.Context, dir string, size int64, lock pin.Policy) (string, error) {
	if dir == "" {
		dir = os.TempDir() // $TMPDIR, else /tmp
		if os.Getenv("TMPDIR") == "" {
			if wd, err := os.Getwd(); err == nil {
				dir = wd
			}
		}
	}
	f, err := os.CreateTemp(dir, "rawbench-*.dat")
	if err != nil {
		return "", err
	}
	path := f.Name()
	f.Close()
	r, err := aligned.Discover(path)
	if err != nil {
		return path, err
	}
	if !r.DirectIO {
		return path, refuse(aligned.ErrNoDirectIO, "%s: the file system does not support O_DIRECT: choose another --dir", dir)
	}
	if err := r.Check(0, int(min(size, 1<<62)), nil, true); err != nil {
		var ae *aligned.AlignError
		if errors.As(err, &ae) {
			c := *ae
			// Name --dir, not the temporary file that is about to go.
			c.What, c.Value, c.Path = "size", uint64(size), dir
			return path, &c
		}
		return path, err
	}
	w, err := aligned.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return path, err
	}
	defer w.Close()
	// Reserve the blocks first so the writes do not allocate piecemeal;
	// a file system without fallocate(2) just allocates as it goes.
	if err := unix.Fallocate(int(w.Fd()), 0, 0, size); err != nil && !errors.Is(err, unix.EOPNOTSUPP) {
		return path, &os.PathError{Op: "fallocate", Path: path, Err: err}
	}
	const chunk = 4 << 20
	n := int(min(size, chunk))
	buf, err := pin.Alloc(n, pin.Options{Policy: lock}) // page aligned: any dio_mem_align
	if err != nil {
		return path, err
	}
	defer buf.Free()
	mem := buf.Bytes()[:n]
	fillRandom(mem)
	for off := int64(0); off < size; off += int64(n) {
		if err := ctx.Err(); err != nil {
			return path, err
		}
		m := int(min(int64(n), size-off))
		vary(mem, off)
		if err := pwriteFull(w, mem[:m], off); err != nil {
			return path, err
		}
	}
	if err := w.Sync(); err != nil {
		return path, err
	}
	return path, nil
}

// vary makes every 4 KiB block of the chunk written at off differ from the
// blocks of every other chunk (no two blocks of the file are equal, so
// neither deduplication nor zram's same-page detection flatters a run),
// by stamping the block's offset into its first 8 bytes.
func vary(mem []byte, off int64) {
	for i := 0; i+8 <= len(mem); i += 4096 {
		binary.LittleEndian.PutUint64(mem[i:], uint64(off)+uint64(i))
	}
}

// fillRandom fills b from crypto/rand: data that neither compresses nor
// deduplicates.
func fillRandom(b []byte) {
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (getrandom)
}

func pwriteFull(f *os.File, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(int(f.Fd()), b, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "pwrite", Path: f.Name(), Err: err}
		}
		if n == 0 {
			return &os.PathError{Op: "pwrite", Path: f.Name(), Err: io.ErrShortWrite}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
