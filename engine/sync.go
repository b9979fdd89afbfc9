package engine

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rawio/rawio/sgl"
	"golang.org/x/sys/unix"
)

// syncEngine runs Depth worker goroutines, each doing one blocking
// pread/pwrite (or sgl preadv/pwritev) at a time, so Depth is real
// concurrency.
//
// Requests and results travel through two rings of Depth entries,
// allocated once and guarded by one mutex, rather than through channels;
// with at most Depth in flight neither ring can overflow. A worker takes
// the oldest queued request only when it actually runs, so requests are
// served in the order they were submitted by whichever worker gets a CPU
// first. With a channel the request went to a particular parked worker at
// send time, and that worker could then sit runnable behind the others in
// the Go scheduler's run queue (the last goroutine readied runs next,
// proc.go runnext): with more workers than CPUs that put ~1 ms in the p99
// latency of a RAM-backed device at depth 32. Wakeups are counted: Submit
// wakes only as many idle workers as it queued requests, a worker that
// finds more work goes on without sleeping, and Wait is woken once, when
// the completions it asked for are there, not for each one.
//
// At Depth 1 there is nothing to overlap, and handing the request to
// another goroutine would only add a goroutine switch (or a thread wakeup)
// to every I/O, a large share of a 4 KiB read from RAM-backed devices.
// So Submit does the I/O itself and Wait hands over its result; the
// latency still runs from the Submit call to the reaping Wait.
type syncEngine struct {
	depth    int
	files    []*os.File // kept so their finalizers cannot close fds
	fds      []int
	vectored bool
	keepP    bool // Options.KeepP, at Depth 1
	lim      sgl.Limits
	base     time.Time
	inflight int // owned by the goroutine driving the engine
	closed   bool
	inline   syncJob // Depth 1: the finished request, when inflight == 1

	// Depth > 1; all guarded by mu.
	mu    sync.Mutex
	work  sync.Cond // idle workers wait here for jobs
	ready sync.Cond // Wait waits here for want completions
	jobs  jobRing   // submitted, not yet taken by a worker
	done  jobRing   // finished, not yet reaped
	idle  int       // workers waiting on work and not yet signalled
	want  int       // completions Wait is waiting for; 0 when it is not
	stop  bool
	wg    sync.WaitGroup
}

// syncJob goes to a worker as a request and comes back as its result.
type syncJob struct {
	req Request
	t0  time.Duration // Submit time, since base
	n   int
	err error
}

// jobRing is a FIFO of at most len(buf) jobs.
type jobRing struct {
	buf        []syncJob
	head, size int
}

func (r *jobRing) push(j *syncJob) {
	r.buf[(r.head+r.size)%len(r.buf)] = *j
	r.size++
}

func (r *jobRing) pop() *syncJob {
	j := &r.buf[r.head]
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return j
}

func newSync(o Options) (*syncEngine, error) {
	e := &syncEngine{
		depth:    o.Depth,
		files:    o.Files,
		fds:      make([]int, len(o.Files)),
		vectored: o.Vectored,
		keepP:    o.KeepP && o.Depth == 1 && !o.Vectored && rawPRWOK,
		lim:      o.Limits,
		base:     time.Now(),
	}
	for i, f := range o.Files {
		// Fd puts the file in blocking mode, which is what pread wants.
		e.fds[i] = int(f.Fd())
	}
	if o.Depth == 1 {
		return e, nil
	}
	e.work.L, e.ready.L = &e.mu, &e.mu
	e.jobs.buf = make([]syncJob, o.Depth)
	e.done.buf = make([]syncJob, o.Depth)
	e.wg.Add(o.Depth)
	for range o.Depth {
		go e.worker()
	}
	return e, nil
}

func (e *syncEngine) Name() string  { return KindSync }
func (e *syncEngine) Fixed() bool   { return false }
func (e *syncEngine) InFlight() int { return e.inflight }

func (e *syncEngine) Submit(reqs ...Request) error {
	if e.closed {
		return ErrClosed
	}
	if err := checkBatch(reqs, e.inflight, e.depth, len(e.fds), nil, false); err != nil {
		return err
	}
	if len(reqs) == 0 {
		return nil
	}
	t0 := time.Since(e.base)
	e.inflight += len(reqs)
	if e.jobs.buf == nil {
		// Depth 1: exactly one request.
		e.inline = syncJob{req: reqs[0], t0: t0}
		j := &e.inline
		j.n, j.err = e.do(&j.req)
		j.req.Data = nil
		return nil
	}
	e.mu.Lock()
	for i := range reqs {
		e.jobs.push(&syncJob{req: reqs[i], t0: t0})
	}
	wake := min(len(reqs), e.idle)
	e.idle -= wake
	e.mu.Unlock()
	for range wake {
		e.work.Signal()
	}
	return nil
}

// Wait takes the finished requests under the lock and reads the clock
// once for the whole batch, after the lock (see reaped).
func (e *syncEngine) Wait(min int, out []Completion) (int, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if err := checkWait(min, len(out), e.inflight); err != nil {
		return 0, err
	}
	if e.jobs.buf == nil {
		if e.inflight == 0 || len(out) == 0 {
			return 0, nil
		}
		j := &e.inline
		out[0] = Completion{Tag: j.req.Tag, N: j.n, Err: j.err, Latency: j.t0}
		reaped(e.base, out[:1])
		e.inline = syncJob{}
		e.inflight--
		return 1, nil
	}
	e.mu.Lock()
	for e.done.size < min {
		e.want = min
		e.ready.Wait()
	}
	n := 0
	for n < len(out) && e.done.size > 0 {
		j := e.done.pop()
		// Latency holds the Submit time until reaped reads the clock.
		out[n] = Completion{Tag: j.req.Tag, N: j.n, Err: j.err, Latency: j.t0}
		j.err = nil
		n++
	}
	e.mu.Unlock()
	if n == 0 {
		return 0, nil
	}
	reaped(e.base, out[:n])
	e.inflight -= n
	return n, nil
}

// Close stops the workers and waits for the reads and writes they are
// running to return; requests queued but not yet started are dropped.
func (e *syncEngine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.jobs.buf != nil {
		e.mu.Lock()
		e.stop = true
		e.mu.Unlock()
		e.work.Broadcast()
		e.wg.Wait()
	}
	return nil
}

func (e *syncEngine) worker() {
	defer e.wg.Done()
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		for e.jobs.size == 0 && !e.stop {
			e.idle++
			e.work.Wait()
		}
		if e.stop {
			return
		}
		j := *e.jobs.pop()
		e.mu.Unlock()
		j.n, j.err = e.do(&j.req)
		j.req.Data = nil // the caller owns the buffer again
		e.mu.Lock()
		e.done.push(&j)
		if e.want > 0 && e.done.size >= e.want {
			e.want = 0
			e.ready.Signal()
		}
	}
}

// do runs one request: a single pread or pwrite (a short count is
// reported as is), or, when vectored, sgl's preadv/pwritev loop, which
// resumes short transfers until the end of the file.
func (e *syncEngine) do(r *Request) (int, error) {
	fd := e.fds[r.File]
	if e.vectored {
		var n int
		var err error
		if r.Op == OpRead {
			n, err = sgl.ReadAt(fd, r.Data, r.Offset, e.lim)
		} else {
			n, err = sgl.WriteAt(fd, r.Data, r.Offset, e.lim)
		}
		// The end of the file, or a write that stopped making progress,
		// is a short transfer, as from pread; errors that came after
		// some bytes were moved are left for the request that resumes.
		if err == io.EOF || (err != nil && n > 0) {
			err = nil
		}
		return n, err
	}
	for {
		var n int
		var err error
		switch {
		case e.keepP:
			n, err = rawPRW(r.Op, fd, r.Data, r.Offset)
		case r.Op == OpRead:
			n, err = unix.Pread(fd, r.Data, r.Offset)
		default:
			n, err = unix.Pwrite(fd, r.Data, r.Offset)
		}
		switch {
		case err == unix.EINTR:
			continue // nothing was transferred (signal(7))
		case err != nil:
			return 0, os.NewSyscallError(syncOpName[r.Op], err)
		}
		return n, nil
	}
}

var syncOpName = [...]string{OpRead: "pread", OpWrite: "pwrite"}

// checkWait validates Wait's arguments: waiting for more than can come
// would block forever.
func checkWait(min, out, inflight int) error {
	switch {
	case min < 0:
		return fmt.Errorf("wait for %d completions", min)
	case min > out:
		return fmt.Errorf("wait for %d completions with room for %d", min, out)
	case min > inflight:
		return fmt.Errorf("wait for %d completions with %d in flight", min, inflight)
	}
	return nil
}
