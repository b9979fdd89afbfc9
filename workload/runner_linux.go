package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/cachestat"
	"github.com/rawio/rawio/internal/cpustat"
	"github.com/rawio/rawio/internal/diskstats"
	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/sgl"
)

// instance is one of a job's --jobs parallel workers: its own file
// handle, pinned buffers and engine; or one lane of a sync worker deeper
// than 1 (see lanes), with one of its parent's buffers and its own
// depth-1 engine.
type instance struct {
	id     int
	job    Job
	file   *os.File
	region *pin.Region
	slots  [][]byte
	eng    engine.Engine

	regionOff  int64         // first byte of the region
	blocks     int64         // whole bs blocks in the region
	seqNext    int64         // next block index for sequential patterns
	seq        *atomic.Int64 // a lane's: the stream's next block, shared by its lanes
	parent     *instance     // a lane's: the instance whose file and buffers it uses
	rng        *rand.Rand
	windowFrom time.Time
	windowTo   time.Time // zero in --ios mode

	hugeBytes int64      // bytes of the buffers in huge pages, at setup
	limits    sgl.Limits // the target's queue limits, for a vectored engine

	// results
	ios int64
	end time.Time // when this instance's window closed
	// lat is held in the instance, beside ios and end, which every
	// completion writes, so that its count is likely in a cache line the
	// loop has just touched: perf found the load of the count missing
	// the cache when lat was a pointer.
	lat latencies
	// late is set when no I/O completed inside the runtime and the window
	// ran on to the first completion instead (see run), whose latency is
	// lateLat: runJob counts it only when no instance of the job counted
	// anything inside the window.
	late    bool
	lateLat time.Duration
	err     error
}

// stopFlag is set when the context is cancelled; the hot loop checks it
// with one atomic load per batch of completions rather than ctx.Err(),
// which takes a mutex.
type stopFlag struct{ atomic.Bool }

// runJob runs one job against t and returns its result and the fallbacks
// it took. The job has been validated by checkJob.
func runJob(ctx context.Context, t *target, job Job, opts runOptions) (Result, []string, error) {
	off, size := t.region(job)
	blocks := size / int64(job.BS)
	var fallbacks []string
	// owners hold the files and buffers; insts are what runs: the owners
	// themselves, or a sync owner's lanes.
	owners := make([]*instance, 0, job.Jobs)
	var insts []*instance
	// A depth-1 sync engine may keep its P through each pread and pwrite
	// (engine.Options.KeepP), which spares sysmon's polling after reads
	// of 10 ms and more, when every runner has a P of its own with one
	// to spare (see runners): when this job's runners, at most
	// Jobs × Depth, and those of the jobs other Bench calls run now are
	// fewer than maxProcs. (A Bench call that starts later can still
	// push the sum past it; keepP is then a cost to these runners, not
	// an error.)
	opts.keepP = procs.running()+job.Jobs*job.Depth < maxProcs
	defer func() {
		for _, in := range insts {
			if in.parent != nil {
				in.close()
			}
		}
		for _, in := range owners {
			in.close()
		}
	}()
	for i := 0; i < job.Jobs; i++ {
		in, fb, err := newInstance(t, job, i, off, blocks, opts)
		if err != nil {
			return Result{}, fallbacks, err
		}
		owners = append(owners, in)
		for _, f := range fb {
			fallbacks = appendOnce(fallbacks, f)
		}
		if in.eng.Name() != engine.KindSync || job.Depth == 1 {
			insts = append(insts, in)
			continue
		}
		ls, err := in.lanes(opts.keepP)
		insts = append(insts, ls...)
		if err != nil {
			return Result{}, fallbacks, err
		}
	}
	lead := insts[0]
	defer runners(len(insts))()

	if job.Cache == Buffered {
		// Start from a cold cache so buffered reads reach the device, as
		// direct ones do (posix_fadvise(2) DONTNEED drops clean pages).
		if err := dropCache(lead.file, t.path); err != nil {
			return Result{}, fallbacks, err
		}
	}
	cacheBefore, cacheErr := cachestat.File(lead.file)

	var stop stopFlag
	watchDone := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stop.Store(true)
		case <-watchDone:
		}
	}()
	defer close(watchDone)

	// Sample the system-wide counters when the window opens and closes:
	// before starting without a ramp, else when the ramp ends.
	var before snapshot
	var beforeErr error
	if job.Ramp == 0 {
		before, beforeErr = sample(t.rules.Device)
	}
	start := time.Now()
	from := start.Add(job.Ramp)
	var to time.Time
	if job.IOs == 0 {
		to = from.Add(job.Runtime)
	}
	var wg sync.WaitGroup
	for _, in := range insts {
		in.windowFrom, in.windowTo = from, to
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.run(&stop)
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	if job.Ramp > 0 {
		timer := time.NewTimer(time.Until(from))
		select {
		case <-timer.C:
		case <-allDone:
		case <-ctx.Done():
		}
		timer.Stop()
		before, beforeErr = sample(t.rules.Device)
	}
	if !to.IsZero() {
		timer := time.NewTimer(time.Until(to))
		select {
		case <-timer.C:
		case <-allDone:
		case <-ctx.Done():
		}
		timer.Stop()
	} else {
		select {
		case <-allDone:
		case <-ctx.Done():
		}
	}
	after, afterErr := sample(t.rules.Device)
	<-allDone
	// An instance whose window ran past the runtime to its first
	// completion counts it only when the whole job counted nothing inside
	// the window; otherwise the other instances' count over the runtime
	// is the result, and the late I/O is dropped.
	// The lanes of one sync worker are one worker here: the earliest of
	// their late completions counts, as the first completion of an
	// io_uring worker of the same depth would.
	onTime := false
	for _, in := range insts {
		onTime = onTime || (!in.late && in.ios > 0)
	}
	first := map[*instance]*instance{} // worker (owner) → its earliest late runner
	for _, in := range insts {
		if !in.late || onTime {
			continue
		}
		w := in.worker()
		if f := first[w]; f == nil || in.end.Before(f.end) {
			first[w] = in
		}
	}
	for _, in := range insts {
		switch {
		case !in.late:
		case first[in.worker()] == in:
			in.lat.add(in.lateLat)
		default:
			in.ios, in.late, in.end = 0, false, in.windowTo
		}
	}
	late := len(first)
	if late > 0 {
		// The window ran past the runtime: count the system to its end
		// (which includes draining the I/Os still in flight).
		after, afterErr = sample(t.rules.Device)
	}

	res := Result{
		RW: string(job.RW), BS: job.BS, Depth: job.Depth, Jobs: job.Jobs,
		Engine: lead.eng.Name(), Fixed: lead.eng.Fixed(), Taskrun: taskrunOf(lead.eng), Cache: string(job.Cache),
	}
	if job.RW == RandRW {
		mix := job.Mix
		res.Mix = &mix
	}
	hist := newHistogram()
	var end time.Time
	var firstErr error
	for _, in := range owners {
		res.HugePageBytes += in.hugeBytes
	}
	for _, in := range insts {
		res.IOs += in.ios
		hist.Merge(in.lat.histogram())
		if in.end.After(end) {
			end = in.end
		}
		if in.err != nil && firstErr == nil {
			firstErr = in.err
		}
	}
	if firstErr != nil {
		return Result{}, fallbacks, firstErr
	}
	if n := hist.TotalCount(); n != res.IOs {
		// Every counted I/O has one latency (stats.go): a result that
		// broke that would report percentiles of other I/Os.
		return Result{}, fallbacks, fmt.Errorf("%s: %d latencies recorded for %d I/Os counted: a bug in rawbench, please report it", job, n, res.IOs)
	}
	if end.Before(from) {
		end = from
	}
	res.Seconds = end.Sub(from).Seconds()
	if late > 0 {
		fallbacks = append(fallbacks, fmt.Sprintf(
			"%s: no I/O completed within the %v runtime; the window ran to the first completion (%d of %d workers), %.3fs",
			job, job.Runtime, late, len(owners), res.Seconds))
	}
	res.Bytes = res.IOs * int64(job.BS)
	res.IOPS, res.BytesPerSec = rates(res.IOs, job.BS, res.Seconds)
	res.Lat = latencyOf(hist)

	if beforeErr == nil && afterErr == nil {
		res.CPU = cpuBetween(before, after)
		if before.haveDisk && after.haveDisk {
			d := after.disk.Sub(before.disk)
			res.Disk = &Disk{ReadIOs: d.ReadIOs, WriteIOs: d.WriteIOs, ReadSectors: d.ReadSectors, WriteSectors: d.WriteSectors,
				ReadMerges: d.ReadMerges, WriteMerges: d.WriteMerges}
		}
	}
	if cacheErr == nil {
		if cacheAfter, err := cachestat.File(lead.file); err == nil {
			added := int64(cachestat.Added(cacheBefore, cacheAfter))
			res.CachePagesAdded = &added
			if cacheAfter.Fallback != "" {
				fallbacks = appendOnce(fallbacks, "page cache counted with mincore: "+cacheAfter.Fallback)
			}
		}
	}
	if job.Cache == Buffered {
		// Leave the cache as we found it for the next job: write back
		// what the job dirtied (outside the window), then drop it.
		if job.RW.Writes() {
			if err := lead.file.Sync(); err != nil {
				return res, fallbacks, err
			}
		}
		if err := dropCache(lead.file, t.path); err != nil {
			return res, fallbacks, err
		}
	}
	if ctx.Err() != nil {
		return res, fallbacks, ctx.Err()
	}
	return res, fallbacks, nil
}

// procs counts the runner goroutines of the jobs running now, to give each
// its own P (see runners).
var procs procsCount

type procsCount struct {
	sync.Mutex
	base, runners int // GOMAXPROCS before the first job, runners now
}

// runners raises GOMAXPROCS so that n more runner goroutines each have a P,
// and returns the undoing. Every runner spends its time blocked in the
// kernel (pread, io_uring_enter), and a goroutine in a system call keeps
// its P until the runtime's sysmon takes it away, 20 µs to 10 ms later:
// with more runners than Ps, a runner whose read has returned waits for
// that before it can issue the next one. 1 MiB sequential reads from zram
// by 32 sync lanes, two alternating rounds: 11.0k and 8.8k IOPS with
// GOMAXPROCS 2 (the CPUs here), 14.3k and 13.0k with GOMAXPROCS=34 in the
// environment, fio with 32 threads 14.3k and 13.9k (docs/benchmarks.md,
// "Sync jobs deeper than 1: one goroutine per request"). The runners then
// compete for the CPUs in the kernel's scheduler, as fio's threads do.
// Jobs of one Bench run one at a time; the count is shared so that
// concurrent callers restore the original value only when the last job
// ends.
//
// One P more than the runners is kept idle for the goroutine that times
// the window, and for a second reason: sysmon takes a P away from a
// system call after 20 µs only when no P is idle, and then keeps polling
// every 20 µs. Under `taskset -c 1` GOMAXPROCS starts at 1, so a single
// depth-1 runner lost its P on every read and shared its CPU with sysmon
// and with the loop device's worker: 1 MiB reads at depth 1 on a loop
// device, both tools on CPU 1, were faster with GOMAXPROCS 2 than with 1
// in 7 of 8 alternating pairs (io_uring 1882-2464 IOPS against
// 1824-2162, sync 1988-2302 against 1992-2060; docs/benchmarks.md,
// "GOMAXPROCS under taskset").
//
// GOMAXPROCS is only set when the value changes: setting it turns off the
// runtime's own updates (from the CPU quota) for the rest of the process,
// which a job on a machine with more than one CPU to run on and one runner
// therefore leaves alone.
func runners(n int) (undo func()) {
	procs.Lock()
	defer procs.Unlock()
	if procs.runners == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.runners += n
	procs.set()
	return func() {
		procs.Lock()
		defer procs.Unlock()
		procs.runners -= n
		procs.set()
	}
}

// running returns the runners of the jobs running now.
func (p *procsCount) running() int {
	p.Lock()
	defer p.Unlock()
	return p.runners
}

// maxProcs is rawbench's own bound on the Ps runners asks for: past it,
// deep sync jobs share Ps again.
const maxProcs = 1024

// set makes GOMAXPROCS what the runners counted want: one P each and one
// spare, at most maxProcs, never fewer than before; with no runners, what
// it was before.
func (p *procsCount) set() {
	want := p.base
	if p.runners > 0 {
		want = max(p.base, min(p.runners+1, maxProcs))
	}
	if runtime.GOMAXPROCS(0) != want {
		runtime.GOMAXPROCS(want)
	}
}

func appendOnce(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// newEngine is engine.New; a variable so tests can make io_uring
// unavailable to this process alone (kernel.io_uring_disabled is
// system-wide and must not be touched by a test).
var newEngine = engine.New

// newInstance opens the target, allocates depth buffers of bs bytes from
// one pinned region and starts an engine on them.
func newInstance(t *target, job Job, id int, off, blocks int64, opts runOptions) (*instance, []string, error) {
	var fallbacks []string
	flag := os.O_RDONLY
	if job.RW.Writes() {
		flag = os.O_RDWR
	}
	open := os.OpenFile
	if job.Cache == Direct {
		open = aligned.OpenFile
	}
	f, err := openNoatime(open, t.path, flag)
	if err != nil {
		return nil, nil, err
	}
	in := &instance{id: id, job: job, file: f, regionOff: off, blocks: blocks}
	in.lat.init()
	if job.Cache == Buffered {
		// What fio's fadvise_hint does: tell readahead the pattern.
		advice := unix.FADV_SEQUENTIAL
		if job.RW.Random() {
			advice = unix.FADV_RANDOM
		}
		_ = unix.Fadvise(int(f.Fd()), off, blocks*int64(job.BS), advice) // a hint; failure changes nothing we report
	}

	stride := slotStride(job.BS, t.rules.MemAlign)
	// pin.Alloc's memory is page aligned, which satisfies any
	// dio_mem_align; each slot starts at a multiple of stride.
	size, huge := bufferBytes(job, t.rules.MemAlign, opts.noHugePages)
	in.region, err = pin.Alloc(size, pin.Options{Policy: opts.lock, HugePages: huge})
	if err != nil {
		in.close()
		return nil, nil, err
	}
	if !in.region.Locked() {
		fallbacks = append(fallbacks, "I/O buffers not locked: "+in.region.Reason())
	}
	if why := in.region.HugeShortfall(); why != "" {
		fallbacks = append(fallbacks, "I/O buffers not wholly in transparent huge pages, large requests may be split into smaller ones: "+why)
	}
	in.hugeBytes, _ = in.region.HugeBytes() // 0 when unknown; HugeShortfall said why
	mem := in.region.Bytes()
	if job.RW.Writes() {
		fillRandom(mem[:stride*job.Depth]) // not the rounding to whole huge pages
	}
	in.slots = make([][]byte, job.Depth)
	for i := range in.slots {
		in.slots[i] = mem[i*stride : i*stride+job.BS : i*stride+job.BS]
	}
	in.limits = limitsOf(t.rules)
	eng, fb, err := newEngine(engine.Options{
		Kind:     job.Engine,
		Depth:    job.Depth,
		Files:    []*os.File{f},
		Buffers:  in.slots,
		Fixed:    job.Fixed,
		Vectored: job.Vectored,
		Limits:   in.limits,

		DeferTaskrun: job.Taskrun == TaskrunDefer,
		KeepP:        opts.keepP,
	})
	if err != nil {
		in.close()
		return nil, nil, fmt.Errorf("engine %s: %w", job.Engine, err)
	}
	in.eng = eng
	if fb.Happened {
		fallbacks = append(fallbacks, fmt.Sprintf("engine %s ran as %s: %s", job.Engine, eng.Name(), fb.Reason))
	}
	if job.Fixed && !eng.Fixed() && job.Engine != EngineSync && !fb.Happened {
		fallbacks = append(fallbacks, fmt.Sprintf("registered buffers (--fixed) not used: the %s engine has none", eng.Name()))
	}
	seed := opts.seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	in.rng = rand.New(rand.NewPCG(seed, uint64(id)+1))
	// Sequential instances start spread over the region so --jobs N does
	// not read the same blocks N times over.
	in.seqNext = blocks * int64(id) / int64(job.Jobs)
	return in, fallbacks, nil
}

// deferred reports whether eng is an io_uring engine whose ring runs
// completion work with DEFER_TASKRUN.
func deferred(eng engine.Engine) bool {
	d, ok := eng.(interface{ DeferTaskrun() bool })
	return ok && d.DeferTaskrun()
}

// taskrunOf names how eng's ring runs completion work, "" without one.
func taskrunOf(eng engine.Engine) string {
	switch {
	case eng.Name() != engine.KindUring:
		return ""
	case deferred(eng):
		return TaskrunDefer
	}
	return TaskrunCoop
}

// openNoatime opens path with O_NOATIME, as fio opens what it reads:
// without it every read checks the access time (atime_needs_update,
// current_time and touch_atime took 2.2% of the CPU of a depth-1 4 KiB
// read job on zram, perf record; fio's profile had none of them). Only the
// file's owner or a holder of CAP_FOWNER may ask (open(2)); anyone else
// gets EPERM, and then the open is done again without it.
func openNoatime(open func(string, int, os.FileMode) (*os.File, error), path string, flag int) (*os.File, error) {
	f, err := open(path, flag|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		f, err = open(path, flag, 0)
	}
	return f, err
}

// bufferBytes is the size of the region holding one instance's depth
// buffers, and whether it asks for transparent huge pages (pin.BuffersLen:
// when bs is larger than a page, unless noHuge).
func bufferBytes(job Job, memAlign int, noHuge bool) (size int, huge bool) {
	return pin.BuffersLen(slotStride(job.BS, memAlign)*job.Depth, job.BS, !noHuge)
}

// slotStride is the distance between two I/O buffers of bs bytes in an
// instance's region: bs rounded up to the target's memory alignment, so
// that every slot starts aligned.
func slotStride(bs, memAlign int) int {
	if memAlign > 1 && bs%memAlign != 0 {
		bs += memAlign - bs%memAlign
	}
	return bs
}

// limitsOf turns the target's queue limits into the sgl limits the
// vectored sync engine splits requests by; zero fields mean unknown and
// take sgl's defaults.
func limitsOf(r aligned.Rules) sgl.Limits {
	return sgl.Limits{
		MaxSegmentSize:      r.MaxSegmentSize,
		SegmentBoundaryMask: r.SegmentBoundaryMask,
		MaxSegments:         r.MaxSegments,
		MaxBytes:            r.MaxIOBytes(),
		LogicalBlock:        r.OffsetAlign,
	}
}

// lanes splits a sync-engine instance of depth N into N instances of
// depth 1 over its file and buffers: N goroutines, each choosing its next
// offset, doing its own pread or pwrite and timing it, as fio's psync
// engine runs N threads (numjobs). The sync engine at depth N instead
// hands every request from the one hot loop to a worker goroutine and
// back through a mutex and two condition variables; on zram, where a 4 KiB
// read takes 2-3 µs, that hand-off held 4 KiB random reads at depth 32 to
// about 0.8 of fio's IOPS with 32 psync threads, and counted the wait for
// a worker as latency (p50 50 µs against fio's 2.6 µs; docs/benchmarks.md,
// "Sync jobs deeper than 1: one goroutine per request"). A sequential
// job's lanes take their blocks from one shared cursor: one stream with N
// requests in flight, as at depth N with io_uring. In --ios mode the
// lanes share the instance's count.
//
// The instance's own engine is closed; it keeps the file and buffers,
// which the lanes share and which close releases when the lanes are done.
// On error the lanes made so far are returned, to be closed. keepP is
// runOptions.keepP, for the lanes' engines.
func (in *instance) lanes(keepP bool) ([]*instance, error) {
	in.eng.Close()
	in.eng = nil
	seq := new(atomic.Int64)
	seq.Store(in.seqNext)
	ls := make([]*instance, 0, in.job.Depth)
	for i, slot := range in.slots {
		job := in.job
		job.Depth = 1
		if in.job.IOs > 0 {
			// --ios counts per instance: the lanes share it out, and a
			// count smaller than the depth runs that many lanes.
			job.IOs = in.job.IOs / int64(in.job.Depth)
			if int64(i) < in.job.IOs%int64(in.job.Depth) {
				job.IOs++
			}
			if job.IOs == 0 {
				break
			}
		}
		l := &instance{
			id: in.id, job: job, file: in.file, slots: in.slots[i : i+1 : i+1],
			regionOff: in.regionOff, blocks: in.blocks, seq: seq, parent: in,
			rng: rand.New(rand.NewPCG(in.rng.Uint64(), in.rng.Uint64())),
		}
		l.lat.init()
		eng, _, err := newEngine(engine.Options{
			Kind:     engine.KindSync,
			Depth:    1,
			Files:    []*os.File{in.file},
			Buffers:  [][]byte{slot},
			Vectored: in.job.Vectored,
			Limits:   in.limits,
			KeepP:    keepP,
		})
		if err != nil {
			return ls, fmt.Errorf("engine sync: %w", err)
		}
		l.eng = eng
		ls = append(ls, l)
	}
	return ls, nil
}

// worker is the --jobs worker a runner belongs to: its parent for a lane,
// else itself.
func (in *instance) worker() *instance {
	if in.parent != nil {
		return in.parent
	}
	return in
}

func (in *instance) close() {
	if in.eng != nil {
		in.eng.Close()
		in.eng = nil
	}
	if in.parent != nil {
		return // the file and buffers are the parent's
	}
	if in.region != nil {
		in.region.Free()
		in.region = nil
	}
	if in.file != nil {
		in.file.Close()
		in.file = nil
	}
}

// next returns the offset of the next I/O.
func (in *instance) next() int64 {
	var b int64
	if in.job.RW.Random() {
		b = int64(in.rng.Uint64N(uint64(in.blocks)))
	} else if in.seq != nil {
		b = (in.seq.Add(1) - 1) % in.blocks
	} else {
		b = in.seqNext
		in.seqNext++
		if in.seqNext >= in.blocks {
			in.seqNext = 0
		}
	}
	return in.regionOff + b*int64(in.job.BS)
}

// run is the hot loop: keep depth I/Os in flight, count the ones that
// complete inside the window. Nothing in it allocates, takes a lock or
// crosses a channel per I/O (the engine may, see engine's docs); time is
// read once per batch of completions, by the engine.
func (in *instance) run(stop *stopFlag) {
	// One OS thread for the whole job. Unlocked, the goroutine moved
	// between threads after its yields, and each thread that submitted
	// to the ring got its own io-wq workers for requests the kernel
	// punts (zram). How the scheduler then placed those workers decided
	// the result: 4 KiB reads at depth 1 with io_uring on zram ran
	// 78-98k IOPS unlocked against fio's 17-24k, 16.6k locked against
	// fio's 16.7k. At depth 32 two sets of 7 alternating rounds gave
	// 0.91 and 0.98 of fio's IOPS unlocked, 0.97 and 1.06 locked
	// (docs/benchmarks.md, "After the thread and data fixes").
	//
	// The sync engine has no per-thread kernel state, and a locked
	// thread makes every yield (see yieldEvery) two context switches:
	// perf stat showed the I/O thread off its CPU 1.6% of a depth-1
	// zram run, 600 switches in 3 s, against 6 unlocked. Unlocked, 7 of
	// 8 rounds (fio, locked, unlocked in turn) were faster, median 1.016
	// of fio's IOPS against 0.99 (docs/benchmarks.md, "The locked
	// thread's yields").
	if in.eng.Name() == engine.KindUring {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	if deferred(in.eng) {
		// This thread becomes the ring's only issuer at the first Wait
		// (engine.Options.DeferTaskrun): close the engine here, before
		// the thread is unlocked, where the kernel lets Close release the
		// registered target at once (a second Close, in close, does
		// nothing). The engine still answers Name and Fixed.
		defer in.eng.Close()
	}
	job := in.job
	depth := job.Depth
	free := make([]int, depth)
	for i := range free {
		free[i] = depth - 1 - i
	}
	offs := make([]int64, depth)
	reqs := make([]engine.Request, depth)
	comps := make([]engine.Completion, depth)
	limit := job.IOs
	submitting := true
	inflight := 0
	var mixRead = uint64(job.Mix)
	lastYield := time.Now()
	for {
		if submitting {
			n := 0
			for inflight+n < depth && len(free) > 0 {
				if limit > 0 && in.ios+int64(inflight+n) >= limit {
					break
				}
				slot := free[len(free)-1]
				free = free[:len(free)-1]
				op := engine.OpRead
				switch job.RW {
				case Write, RandWrite:
					op = engine.OpWrite
				case RandRW:
					if in.rng.Uint64N(100) >= mixRead {
						op = engine.OpWrite
					}
				}
				off := in.next()
				offs[slot] = off
				reqs[n] = engine.Request{Op: op, Buf: slot, Data: in.slots[slot], Offset: off, Tag: uint64(slot)}
				n++
			}
			if n > 0 {
				if err := in.eng.Submit(reqs[:n]...); err != nil {
					in.fail(err)
					submitting = false
					for i := 0; i < n; i++ {
						free = append(free, reqs[i].Buf)
					}
				} else {
					inflight += n
				}
			}
		}
		if inflight == 0 {
			break
		}
		if in.lat.n >= latencyBatch-inflight {
			// Add the latencies to the histogram now, before a Wait
			// whose completions (at most inflight) would fill the batch:
			// with io_uring the I/Os are in flight meanwhile, where a
			// flush among the completions would hold back the next
			// Submit.
			in.lat.flush()
		}
		got, err := in.eng.Wait(1, comps)
		// The engine read the clock as it reaped the batch; a time.Now
		// here would read it again (two clock reads, 51-53 ns here,
		// against 27 ns for the engine's time.Since; BenchmarkClock): in
		// a depth-1 lane that was half the time per I/O spent on clocks
		// (docs/benchmarks.md, "The lanes' user time, found: a cache
		// miss per recorded latency").
		var now time.Time
		if got > 0 {
			now = comps[0].Reaped
		} else {
			now = time.Now()
		}
		if now.Sub(lastYield) >= yieldEvery {
			// See yieldEvery.
			runtime.Gosched()
			lastYield = now
		}
		if err != nil {
			in.fail(err)
			// The engine could not report completions; nothing more can
			// be drained safely.
			return
		}
		inWindow := !now.Before(in.windowFrom) && (in.windowTo.IsZero() || now.Before(in.windowTo))
		for i := 0; i < got; i++ {
			c := &comps[i]
			slot := int(c.Tag)
			inflight--
			free = append(free, slot)
			if c.Err != nil {
				in.fail(fmt.Errorf("%s at offset %d: %w", job.RW, offs[slot], c.Err))
				submitting = false
				continue
			}
			if c.N != job.BS {
				in.fail(fmt.Errorf("%s at offset %d: short transfer of %d of %d bytes", job.RW, offs[slot], c.N, job.BS))
				submitting = false
				continue
			}
			// A window that closed before any I/O completed (a runtime
			// shorter than one I/O, or a device stalled) runs on to the
			// first completion: the result then has one real latency and
			// its true length, where it would otherwise report nothing.
			lateFirst := !inWindow && in.ios == 0 && !in.windowTo.IsZero() && !now.Before(in.windowTo) && !stop.Load()
			if (inWindow || lateFirst) && submitting && (limit == 0 || in.ios < limit) {
				in.ios++
				in.end = now
				if lateFirst {
					in.late, in.lateLat = true, c.Latency
				} else {
					in.lat.add(c.Latency)
				}
			}
		}
		if !submitting {
			continue
		}
		switch {
		case stop.Load():
			submitting = false
			if now.After(in.windowFrom) {
				in.end = now
			}
		case !in.windowTo.IsZero() && !now.Before(in.windowTo):
			submitting = false
			if !in.late {
				in.end = in.windowTo
			}
		case limit > 0 && in.ios >= limit:
			submitting = false
		}
	}
}

func (in *instance) fail(err error) {
	if in.err == nil {
		in.err = err
	}
}

// snapshot is the system-wide state at one edge of the window.
type snapshot struct {
	ru       unix.Rusage
	cpu      cpustat.Times
	haveCPU  bool
	disk     diskstats.Stat
	haveDisk bool
}

func sample(device string) (snapshot, error) {
	var s snapshot
	if err := unix.Getrusage(unix.RUSAGE_SELF, &s.ru); err != nil {
		return s, os.NewSyscallError("getrusage", err)
	}
	if t, err := cpustat.Read(); err == nil {
		s.cpu, s.haveCPU = t, true
	}
	if device != "" {
		if d, err := diskstats.Read(device); err == nil {
			s.disk, s.haveDisk = d, true
		}
	}
	return s, nil
}

func cpuBetween(a, b snapshot) CPU {
	tv := func(t unix.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	c := CPU{
		UsrSec: tv(b.ru.Utime) - tv(a.ru.Utime),
		SysSec: tv(b.ru.Stime) - tv(a.ru.Stime),
	}
	if a.haveCPU && b.haveCPU {
		s := cpustat.Between(a.cpu, b.cpu)
		c.SystemUsrPct, c.SystemSysPct, c.SystemIOWaitPct, c.SystemBusyPct = 100*s.User, 100*s.System, 100*s.IOWait, 100*s.Busy
	}
	return c
}

// dropCache writes nothing back; it asks the kernel to drop the clean
// cached pages of f (posix_fadvise(2) POSIX_FADV_DONTNEED, which
// mm/fadvise.c implements by invalidating the mapping's clean pages).
func dropCache(f *os.File, path string) error {
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return &os.PathError{Op: "posix_fadvise", Path: path, Err: err}
	}
	return nil
}

// yieldEvery bounds how long the hot loop runs without passing through
// the Go scheduler. A goroutine that only ever leaves Go for blocking
// system calls (pread, io_uring_enter) keeps one schedtick forever: the
// runtime's sysmon thread then sees it as running too long every 10 ms
// (forcePreemptNS), takes its P away in the middle of a system call,
// hands the P off, and resets its own polling interval to 20 µs for the
// next ~50 rounds. On a 2-vCPU machine that polling thread competes with
// the I/O thread and the completion interrupt for CPUs. A yield under
// 10 ms keeps sysmon asleep. On a locked thread (io_uring, see run) a
// yield is not free: the thread hands its P away and is woken to take it
// back, two context switches. Yielding every millisecond cost 4 KiB
// reads at depth 1 on zram about 10% when the sync engine was locked too
// (0.84 of fio's IOPS against 0.94 for 5 ms and 0.94 for never, medians
// of 5 alternating runs;
// docs/benchmarks.md), so the yield comes every 5 ms, half the sysmon
// limit. Unlocked (the sync engine) the same goroutine is back on its
// thread at once.
const yieldEvery = 5 * time.Millisecond
