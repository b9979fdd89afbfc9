package xfer

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/cachestat"
	"github.com/rawio/rawio/internal/size"
	"github.com/rawio/rawio/pin"
	"golang.org/x/sys/unix"
)

// end is one side of the copy.
type end struct {
	name   string // as given; "-" for stdin/stdout
	f      *os.File
	rules  aligned.Rules
	kind   aligned.Kind
	stream bool  // read or written sequentially (pipe, character device, stdin/stdout)
	direct bool  // opened with O_DIRECT
	align  int64 // offset and length alignment of its I/O; 1 when not direct
	mem    int   // buffer address alignment; 1 when not direct

	create  bool // a regular-file destination that does not exist yet
	created bool // … and that this copy created
	st      unix.Stat_t
	exists  bool

	restore func() // undoes O_NONBLOCK on a shared stdin/stdout

	cache0   cachestat.Stat
	cacheErr error
	buffered *os.File // a second descriptor without O_DIRECT (tails, EINVAL fallback)
}

// job is a prepared copy: every refusal check has passed, both ends are
// open, the ring is allocated and the engine is ready; nothing has been
// written yet.
type job struct {
	o        Options
	src, dst *end
	total    int64 // bytes to copy; -1 until the source ends (a stream without Count)
	limit    int64 // room in a block-device Dst for a stream of unknown length; -1 none
	region   *pin.Region
	ring     [][]byte
	eng      engine.Engine
	srcIdx   int // engine file index, -1 for a stream
	dstIdx   int
	sum      Summary
}

func refuse(err error, format string, args ...any) error {
	return &Refusal{Msg: fmt.Sprintf(format, args...), Err: err}
}

// prepare runs every check that can refuse the copy, in an order that
// writes nothing: the destination is opened without O_TRUNC, and a
// destination that does not exist is created only after all checks pass
// (and removed again if the engine then fails).
func prepare(o *Options) (j *job, err error) {
	j = &job{o: *o, srcIdx: -1, dstIdx: -1}
	defer func() {
		if err != nil {
			j.close()
			if j.dst != nil && j.dst.created {
				os.Remove(j.dst.name)
			}
			if _, ok := err.(*Refusal); !ok {
				if _, ok := err.(*UsageError); !ok {
					err = &Refusal{Msg: err.Error(), Err: err}
				}
			}
			j = nil
		}
	}()
	if j.src, err = openSrc(o); err != nil {
		return j, err
	}
	if j.dst, err = openDst(o); err != nil {
		return j, err
	}
	src, dst := j.src, j.dst
	// Same file or device?
	if src.exists && dst.exists && sameFile(&src.st, &dst.st) {
		if src.kind != dst.kind {
			return j, refuse(ErrSameFile, "%s and %s hold the same data, a loop device and its backing file (name a different DST)", label(src, "stdin"), label(dst, "stdout"))
		}
		return j, refuse(ErrSameFile, "%s and %s are the same %s (name a different DST)", label(src, "stdin"), label(dst, "stdout"), kindNoun(dst.kind))
	}

	if src.stream && dst.stream {
		return j, refuse(nil, "%s and %s are both %ss: nothing to do with O_DIRECT (use cat)", label(src, "stdin"), label(dst, "stdout"), kindNoun(src.kind))
	}

	// How much to copy.
	j.total = -1
	if !src.stream {
		if o.Skip > src.rules.Size {
			return j, refuse(ErrTooSmall, "--skip %d is beyond the end of %s (%d bytes)", o.Skip, src.name, src.rules.Size)
		}
		j.total = src.rules.Size - o.Skip
	}
	if o.Count >= 0 && (j.total < 0 || o.Count < j.total) {
		j.total = o.Count
	}
	if j.total > 0 && o.Seek > math.MaxInt64-j.total {
		return j, refuse(unix.EFBIG, "--seek %d plus %d bytes to copy is beyond the largest possible offset (use a smaller --seek or --count)", o.Seek, j.total)
	}
	j.limit = -1
	if dst.kind == aligned.KindBlock && !dst.stream {
		if o.Seek > dst.rules.Size || (o.Seek == dst.rules.Size && j.total != 0) {
			return j, refuse(ErrTooSmall, "--seek %d is beyond the end of %s (%d bytes; use a smaller --seek)", o.Seek, dst.name, dst.rules.Size)
		}
		if j.total >= 0 && o.Seek+j.total > dst.rules.Size {
			return j, refuse(ErrTooSmall, "%s is %s (%d bytes), too small for %d bytes at offset %d (copy less with --count, or use a larger device)",
				dst.name, pin.FormatBytes(uint64(dst.rules.Size)), dst.rules.Size, j.total, o.Seek)
		}
		if j.total < 0 {
			// A stream of unknown length: write what fits and fail
			// clearly if the stream has more (fromStream).
			j.limit = dst.rules.Size - o.Seek
		}
	}
	if dst.stream && o.Seek > 0 {
		return j, &UsageError{"--seek needs a seekable DST, not " + kindNoun(dst.kind)}
	}

	// Alignment: one I/O size and one buffer alignment for both sides.
	// The hint names the multiple that satisfies every rule on that value
	// at once (for --bs, both sides' offset and memory alignments).
	bsRule := int64(1)
	for _, e := range []*end{src, dst} {
		if e.direct {
			bsRule = int64(aligned.LCM(aligned.LCM(int(bsRule), int(e.align)), e.mem))
		}
	}
	// A block size left to us, between two zram devices: zram
	// decompresses each read and compresses each write on the CPU that
	// submits it, so the CPU is the device, and pieces that fit one CPU's
	// L2 cache measured faster and cheaper than the default's 8 MiB.
	// zram → zram, 1 GiB, 2 vCPUs with 1 MiB of L2 each, medians of the
	// rounds' ratios to dd bs=1M direct in two compare-copy sets (11 and
	// 15 rounds): 1 MiB × 4 copied at 1.65× and 1.53× dd's speed with
	// 1.11× and 1.14× its system time, 8 MiB × 2 (the rule before) at
	// 1.57× and 1.49× with 1.14× and 1.22×, two dd processes at once at
	// 1.71× and 1.67× with 1.09× and 1.12× (docs/benchmarks.md, "zram:
	// pieces the size of the L2 cache").
	if o.bsPicked && isZram(src) && isZram(dst) {
		if l2 := l2CacheBytes(); l2 > 0 {
			bs := min(int64(1)<<(bits.Len64(uint64(l2))-1), DefaultBlockSize) // a power of two
			if bs != o.BlockSize && bs%bsRule == 0 {
				j.o.BlockSize = bs
				o = &j.o
				j.sum.BlockSizeReason = fmt.Sprintf("one CPU's L2 cache (%s): %s and %s are zram devices, which compute on the CPU that submits, and pieces that fit its cache measured faster and cheaper",
					pin.FormatBytes(uint64(l2)), src.name, dst.name)
			}
		}
	}
	for _, c := range []struct {
		what string
		v    int64
		e    *end
		rule int64
	}{{"--bs", o.BlockSize, src, bsRule}, {"--bs", o.BlockSize, dst, bsRule}, {"--skip", o.Skip, src, src.align}, {"--seek", o.Seek, dst, dst.align}} {
		if c.e.direct && c.e.align > 1 && !aligned.IsAligned(c.v, c.e.align) {
			return j, refuse(ErrAlignment, "%s %d is not a multiple of %d, the %s of %s (%s)", c.what, c.v, c.e.align, ruleName(c.e), c.e.name, alignHint(c.what, c.v, c.rule))
		}
		if c.what == "--bs" && c.e.direct && c.e.mem > 1 && !aligned.IsAligned(c.v, int64(c.e.mem)) {
			return j, refuse(ErrAlignment, "--bs %d is not a multiple of %d, the DIO memory alignment of %s: every ring buffer must start aligned (%s)", c.v, c.e.mem, c.e.name, alignHint(c.what, c.v, c.rule))
		}
	}

	// The ring: one pinned region of depth × bs, sliced. Every slice
	// starts at a multiple of bs from a page-aligned base, so it meets
	// both sides' memory alignment (bs was checked against it above).
	// A copy of known size smaller than the ring needs fewer buffers:
	// there is never more than ceil(total/bs) in flight.
	bs := int(o.BlockSize)
	if j.total >= 0 {
		if need := (j.total + o.BlockSize - 1) / o.BlockSize; need < int64(o.Depth) {
			j.o.Depth = int(max(need, 1))
			o = &j.o
		}
	}
	// Huge pages where they change the requests, the ring rounded up to
	// whole huge pages (pin.BuffersLen).
	ringLen, huge := pin.BuffersLen(bs*o.Depth, bs, !o.NoHugePages)
	j.region, err = pin.Alloc(ringLen, pin.Options{Policy: o.Lock, HugePages: huge})
	if err != nil {
		return j, refuse(err, "%v", err)
	}
	j.hugePages()
	mem := j.region.Bytes()
	for i := 0; i < o.Depth; i++ {
		j.ring = append(j.ring, mem[i*bs:(i+1)*bs:(i+1)*bs])
	}
	j.sum.Locked = j.region.Locked()
	j.sum.LockReason = j.region.Reason()
	if !j.sum.Locked && o.Lock == pin.LockTry {
		j.fallback("buffers not locked in RAM: %s", j.sum.LockReason)
	}

	// Only now create a destination that did not exist.
	if dst.create {
		if err := createDst(o, dst); err != nil {
			return j, err
		}
	}

	for _, x := range []struct {
		e   *end
		std string
	}{{src, "stdin"}, {dst, "stdout"}} {
		e := x.e
		switch {
		case !e.stream && !e.direct && !e.create:
			j.fallback("%s: %v: copied through the page cache (--allow-buffered)", e.name, aligned.ErrNoDirectIO)
		case e.create && !e.direct:
			j.fallback("%s: %v: written through the page cache (--allow-buffered)", e.name, aligned.ErrNoDirectIO)
		case e.stream && e.name == "-" && (e.kind == aligned.KindFile || e.kind == aligned.KindBlock):
			j.fallback("%s is a %s: used without O_DIRECT through the page cache (name it instead of \"-\")", x.std, kindNoun(e.kind))
		}
	}

	// The engine, with the seekable ends registered.
	var files []*os.File
	if !src.stream {
		j.srcIdx = len(files)
		files = append(files, src.f)
	}
	if !dst.stream {
		j.dstIdx = len(files)
		files = append(files, dst.f)
	}
	eo := engine.Options{Kind: o.Engine, Depth: o.Depth, Files: files, Buffers: j.ring, Fixed: true}
	eng, fb, err := engine.New(eo)
	if err != nil && o.Engine == engine.KindUring && !errors.Is(err, engine.ErrUringUnavailable) {
		// io_uring works but registering the ring's buffers failed (the
		// kernel charges them to RLIMIT_MEMLOCK, io_uring/rsrc.c): still
		// io_uring as asked, with plain READ/WRITE, and say so.
		eo.Fixed = false
		var err2 error
		if eng, _, err2 = engine.New(eo); err2 == nil {
			fb = engine.Fallback{Happened: true, Reason: "registered buffers not used: " + err.Error()}
			err = nil
		}
	}
	if err != nil {
		if errors.Is(err, engine.ErrUringUnavailable) {
			return j, refuse(err, "engine %s: %v (use --engine auto or sync)", o.Engine, err)
		}
		return j, refuse(err, "engine %s: %v", o.Engine, err)
	}
	j.eng = eng
	if fb.Happened {
		if eng.Name() == o.Engine || o.Engine == engine.KindAuto && eng.Name() == engine.KindUring {
			j.fallback("engine %s: %s", eng.Name(), fb.Reason)
		} else {
			want := o.Engine
			if want == engine.KindAuto {
				want = "io_uring"
			}
			j.fallback("engine %s instead of %s: %s", eng.Name(), want, fb.Reason)
		}
	}

	for _, e := range []*end{src, dst} {
		if e.stream && e.kind != aligned.KindFile && e.kind != aligned.KindBlock {
			continue
		}
		e.cache0, e.cacheErr = cachestat.File(e.f)
	}

	// Last, reserve the destination's blocks: a file system without room,
	// or a size beyond what it allows, refuses here, still before any byte
	// is written.
	if err := j.preallocate(); err != nil {
		return j, err
	}
	return j, nil
}

// l2CacheBytes is the smallest level-2 data or unified cache among the
// CPUs (/sys/devices/system/cpu/cpuN/cache/indexM/{level,type,size}), 0
// when sysfs does not say; a variable so tests can pose as other CPUs.
// The size is the cache's, whether or not other CPUs share it
// (shared_cpu_list): only a machine whose cores each have their own L2
// was measured.
var l2CacheBytes = func() int64 {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*")
	var least int64
	for _, d := range dirs {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(d, name))
			return strings.TrimSpace(string(b))
		}
		if read("level") != "2" || read("type") == "Instruction" {
			continue
		}
		if n, err := size.Parse(read("size")); err == nil && n > 0 && (least == 0 || n < least) { // "1024K"
			least = n
		}
	}
	return least
}

// isZram reports whether e is a zram block device, by its kernel name:
// /sys/dev/block/MAJ:MIN links to …/block/zramN. (Other drivers that
// refuse non-blocking I/O, some device-mapper targets for one, hand the
// work on to other threads, not the submitting CPU; they were not
// measured.)
func isZram(e *end) bool {
	if e.stream || e.kind != aligned.KindBlock {
		return false
	}
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(e.st.Rdev), unix.Minor(e.st.Rdev)))
	return err == nil && isZramName(filepath.Base(link))
}

// isZramName reports whether a kernel block device name is zramN.
func isZramName(name string) bool {
	rest, ok := strings.CutPrefix(name, "zram")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

func (j *job) fallback(format string, args ...any) {
	j.sum.Fallbacks = append(j.sum.Fallbacks, fmt.Sprintf(format, args...))
}

// close releases everything prepare acquired; safe on a partial job.
func (j *job) close() {
	busy := false
	if j.eng != nil {
		// After a failed Wait requests may still be in the kernel; their
		// buffers must outlive them, so the ring is then left mapped
		// (a bounded leak in a process that is about to exit) rather than
		// unmapped under an I/O.
		busy = j.eng.InFlight() > 0
		j.eng.Close()
		j.eng = nil
	}
	for _, e := range []*end{j.src, j.dst} {
		if e == nil {
			continue
		}
		if e.buffered != nil {
			e.buffered.Close()
			e.buffered = nil
		}
		if e.f != nil {
			e.f.Close()
			e.f = nil
		}
		if e.restore != nil {
			e.restore()
			e.restore = nil
		}
	}
	if j.region != nil && !busy {
		j.region.Free()
		j.region = nil
	}
}

func openSrc(o *Options) (*end, error) {
	e := &end{name: o.Src, align: 1, mem: 1}
	if o.Src == "-" {
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		return e, openStdio(e, in)
	}
	if err := statPath(e); err != nil {
		return e, err
	}
	if !e.exists {
		return e, &Refusal{Msg: (&os.PathError{Op: "open", Path: o.Src, Err: unix.ENOENT}).Error(), Err: unix.ENOENT}
	}
	switch e.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return e, refuse(ErrIsDir, "%s %v (rawcp copies one file or device; name a file)", o.Src, ErrIsDir)
	case unix.S_IFREG, unix.S_IFBLK:
		return e, openSeekable(o, e, os.O_RDONLY)
	default:
		// A FIFO or character device (/dev/zero): read it sequentially.
		f, err := os.OpenFile(o.Src, os.O_RDONLY, 0)
		if err != nil {
			return e, err
		}
		e.f, e.stream = f, true
		e.rules, err = aligned.DiscoverFile(f)
		e.kind = e.rules.Kind
		return e, err
	}
}

func openDst(o *Options) (*end, error) {
	e := &end{name: o.Dst, align: 1, mem: 1}
	if o.Dst == "-" {
		out := o.Stdout
		if out == nil {
			out = os.Stdout
		}
		return e, openStdio(e, out)
	}
	if err := statPath(e); err != nil {
		return e, err
	}
	if !e.exists {
		return e, probeNew(o, e)
	}
	switch e.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return e, refuse(ErrIsDir, "%s %v (name the file to write, e.g. %s)", o.Dst, ErrIsDir, filepath.Join(o.Dst, filepath.Base(srcName(o))))
	case unix.S_IFBLK:
		// O_EXCL on a block device claims it exclusively: the open fails
		// with EBUSY while it is mounted, in a RAID/LVM set, or claimed by
		// another O_EXCL opener (open(2), block/bdev.c bd_prepare_to_claim).
		return e, openSeekable(o, e, os.O_RDWR|os.O_EXCL)
	case unix.S_IFREG:
		return e, openSeekable(o, e, os.O_RDWR)
	default:
		f, err := os.OpenFile(o.Dst, os.O_WRONLY, 0)
		if err != nil {
			return e, err
		}
		e.f, e.stream = f, true
		e.rules, err = aligned.DiscoverFile(f)
		e.kind = e.rules.Kind
		return e, err
	}
}

func statPath(e *end) error {
	err := ignoringEINTR(func() error { return unix.Stat(e.name, &e.st) })
	switch {
	case err == nil:
		e.exists = true
		return nil
	case errors.Is(err, unix.ENOENT):
		return nil
	}
	return &os.PathError{Op: "stat", Path: e.name, Err: err}
}

// openSeekable opens a regular file or block device with O_DIRECT, or
// without it when the file system refuses O_DIRECT and AllowBuffered is set.
func openSeekable(o *Options, e *end, flag int) error {
	f, err := aligned.OpenFile(e.name, flag, 0)
	switch {
	case err == nil:
		e.direct = true
	case errors.Is(err, unix.EBUSY) && flag&os.O_EXCL != 0:
		return refuse(ErrBusy, "%s %v (unmount it, or stop whatever holds it)", e.name, ErrBusy)
	case errors.Is(err, aligned.ErrNoDirectIO):
		if !o.AllowBuffered {
			return refuse(errors.Join(ErrNoDirectIO, err), "%s: %v", e.name, ErrNoDirectIO)
		}
		f, err = os.OpenFile(e.name, flag, 0)
		if err != nil {
			if errors.Is(err, unix.EBUSY) {
				return refuse(ErrBusy, "%s %v (unmount it, or stop whatever holds it)", e.name, ErrBusy)
			}
			return err
		}
	default:
		return err
	}
	e.f = f
	return e.discover(o)
}

// discover fills the rules and alignments of an open seekable end.
func (e *end) discover(o *Options) error {
	r, err := aligned.DiscoverFile(e.f)
	if err != nil {
		return err
	}
	e.rules, e.kind = r, r.Kind
	if e.direct {
		e.align = int64(max(r.OffsetAlign, 1))
		e.mem = max(r.MemAlign, 1)
	}
	return nil
}

// probeNew checks that a destination that does not exist can be created
// with O_DIRECT, without creating it: an unnamed O_TMPFILE in the same
// directory has the same file system and the same rules (open(2) O_TMPFILE).
func probeNew(o *Options, e *end) error {
	dir := filepath.Dir(e.name)
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return refuse(err, "%s: directory %s does not exist (create it first)", e.name, dir)
		}
		return &os.PathError{Op: "open", Path: e.name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return &os.PathError{Op: "open", Path: e.name, Err: unix.ENOTDIR}
	}
	e.create, e.kind, e.direct = true, aligned.KindFile, true
	fd, err := openRetry(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0o600)
	if err == nil {
		tf := os.NewFile(uintptr(fd), e.name) // owns fd from here on
		defer tf.Close()
		r, derr := aligned.DiscoverFile(tf)
		if derr != nil {
			return derr
		}
		r.Path, r.Size = e.name, 0
		e.rules = r
		e.align = int64(max(r.OffsetAlign, 1))
		e.mem = max(r.MemAlign, 1)
		return nil
	}
	// O_DIRECT refused, or O_TMPFILE unsupported? Retry without O_DIRECT.
	fd2, err2 := openRetry(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err2 == nil {
		unix.Close(fd2)
		if !errors.Is(err, unix.EINVAL) {
			return &os.PathError{Op: "open", Path: e.name, Err: err}
		}
		if !o.AllowBuffered {
			return refuse(ErrNoDirectIO, "%s: %v", e.name, ErrNoDirectIO)
		}
		e.direct = false
		e.rules = aligned.Rules{Path: e.name, Kind: aligned.KindFile, LogicalBlock: 1, MemAlign: 1, OffsetAlign: 1, ReadOffsetAlign: 1}
		return nil
	}
	switch {
	case errors.Is(err2, unix.EOPNOTSUPP), errors.Is(err2, unix.EISDIR), errors.Is(err2, unix.EINVAL):
		// No O_TMPFILE: createDst finds out with the real file and removes
		// it again if O_DIRECT is refused.
		e.rules = aligned.Rules{Path: e.name, Kind: aligned.KindFile, LogicalBlock: 1, MemAlign: 1, OffsetAlign: 1, ReadOffsetAlign: 1}
		e.align, e.mem = 4096, 4096 // conservative until the real rules are known
		return nil
	}
	return &os.PathError{Op: "open", Path: e.name, Err: err2}
}

// createDst creates the destination (O_EXCL: it did not exist at probe time).
func createDst(o *Options, e *end) error {
	flag := os.O_RDWR | os.O_CREATE | os.O_EXCL
	var f *os.File
	var err error
	if e.direct {
		f, err = aligned.OpenFile(e.name, flag, 0o666)
		if errors.Is(err, aligned.ErrNoDirectIO) {
			// aligned.OpenFile removed the file the kernel created.
			if !o.AllowBuffered {
				return refuse(ErrNoDirectIO, "%s: %v", e.name, ErrNoDirectIO)
			}
			e.direct, e.align, e.mem = false, 1, 1
			f, err = os.OpenFile(e.name, flag, 0o666)
		}
	} else {
		f, err = os.OpenFile(e.name, flag, 0o666)
	}
	if err != nil {
		return err
	}
	e.f, e.created = f, true
	if err := unix.Fstat(int(f.Fd()), &e.st); err != nil {
		return &os.PathError{Op: "fstat", Path: e.name, Err: err}
	}
	if e.direct {
		return e.discover(o)
	}
	return nil
}

// openStdio prepares stdin or stdout. A pipe, socket or terminal gets its
// own duplicate descriptor in non-blocking mode, so the Go poller waits on
// it and a deadline can interrupt a read or write that would block forever
// (SIGINT with a writer that never writes). The mode is shared with the
// original descriptor, so it is restored when the copy ends.
func openStdio(e *end, f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fd int
	var derr error
	if cerr := rc.Control(func(p uintptr) {
		fd, derr = unix.FcntlInt(p, unix.F_DUPFD_CLOEXEC, 0)
	}); cerr != nil {
		return cerr
	}
	if derr != nil {
		return os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", derr)
	}
	if err := unix.Fstat(fd, &e.st); err != nil {
		unix.Close(fd)
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	e.exists, e.stream = true, true
	switch e.st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
		// Non-blocking, so the interrupt can wake a blocked read or write
		// through the poller. Only pipes and sockets: O_NONBLOCK lives on
		// the open file description, which a terminal shares with the
		// shell and stderr may share too, and a device that cannot be
		// polled would answer EAGAIN. A second duplicate outlives e.f so
		// the mode can be restored after e.f is closed.
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK == 0 {
			keep, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
			if err == nil && unix.SetNonblock(fd, true) == nil {
				e.restore = func() { unix.SetNonblock(keep, false); unix.Close(keep) }
			} else if err == nil {
				unix.Close(keep)
			}
		}
	}
	e.f = os.NewFile(uintptr(fd), f.Name())
	e.rules, err = aligned.DiscoverFile(e.f)
	if err != nil {
		return err
	}
	e.kind = e.rules.Kind
	if e.kind == aligned.KindOther && e.st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		e.kind = aligned.KindPipe
	}
	return nil
}

// label names an end in a message: "stdin" or "stdout" for "-".
func label(e *end, std string) string {
	if e.name == "-" {
		return std
	}
	return e.name
}

func srcName(o *Options) string {
	if o.Src == "-" {
		return "copy"
	}
	return o.Src
}

// alignHint says what value would do: the nearest multiples of rule.
func alignHint(what string, v, rule int64) string {
	if rule <= 1 {
		return "use a multiple of the alignment"
	}
	lo := v / rule * rule
	if lo == 0 {
		return fmt.Sprintf("use a multiple of %d, e.g. %s %d", rule, what, rule)
	}
	return fmt.Sprintf("use a multiple of %d, e.g. %s %d", rule, what, lo)
}

// sameFile reports whether a and b name the same data: the same file, the
// same block device, or a loop device and the file behind it (writing a
// file onto a loop device backed by that file destroys both).
func sameFile(a, b *unix.Stat_t) bool {
	for _, x := range identities(a) {
		for _, y := range identities(b) {
			if x == y {
				return true
			}
		}
	}
	return false
}

// identity names the data behind a stat result: a block device by its
// device number, anything else by file system device and inode.
type identity struct {
	blk      bool
	dev, ino uint64
}

// identities returns what st names, and for a loop device also the file it
// is backed by, read from /sys/dev/block/MAJ:MIN/loop/backing_file
// (drivers/block/loop.c).
func identities(st *unix.Stat_t) []identity {
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return []identity{{dev: st.Dev, ino: st.Ino}}
	}
	ids := []identity{{blk: true, dev: st.Rdev}}
	b, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/loop/backing_file", unix.Major(st.Rdev), unix.Minor(st.Rdev)))
	if err != nil {
		return ids
	}
	var bst unix.Stat_t
	if err := unix.Stat(strings.TrimSuffix(strings.TrimSpace(string(b)), " (deleted)"), &bst); err == nil {
		ids = append(ids, identities(&bst)...)
	}
	return ids
}

func kindNoun(k aligned.Kind) string {
	switch k {
	case aligned.KindBlock:
		return "block device"
	case aligned.KindPipe:
		return "pipe"
	case aligned.KindOther:
		return "character device"
	}
	return "file"
}

// ruleName names where an end's offset alignment comes from.
func ruleName(e *end) string {
	if e.kind == aligned.KindBlock {
		return "logical block size"
	}
	return "direct I/O offset alignment"
}

func openRetry(path string, flag int, perm uint32) (fd int, err error) {
	err = ignoringEINTR(func() error {
		fd, err = unix.Open(path, flag, perm)
		return err
	})
	return fd, err
}

func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

// procFD names a descriptor for reopening it through /proc.
func procFD(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// hugePages records how much of the ring is in transparent huge pages
// and reports a ring that asked for them and did not get them all: its
// O_DIRECT requests are built from 4 KiB segments and split at the
// device's max_segments (on the development machine's virtio disk, 8 MiB
// reads arrived as requests of about 0.9 MiB instead of 4 MiB, each
// taking most of the virtqueue's 256 descriptors; docs/benchmarks.md).
func (j *job) hugePages() {
	j.sum.HugePageBytes, _ = j.region.HugeBytes() // 0 when unknown; HugeShortfall says why
	if why := j.region.HugeShortfall(); why != "" {
		j.fallback("buffers not wholly in huge pages, requests may be split into smaller ones: %s", why)
	}
}
