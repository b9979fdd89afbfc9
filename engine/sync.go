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
// concurrency. Requests and results travel over channels sized to Depth:
// with at most Depth in flight neither send ever blocks.
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
	lim      sgl.Limits

	jobs     chan syncJob
	done     chan syncJob
	inline   syncJob // Depth 1: the finished request, when inflight == 1
	wg       sync.WaitGroup
	base     time.Time
	inflight int
	closed   bool
}

// syncJob goes to a worker as a request and comes back as its result.
type syncJob struct {
	req Request
	t0  time.Duration // Submit time, since base
	n   int
	err error
}

func newSync(o Options) (*syncEngine, error) {
	e := &syncEngine{
		depth:    o.Depth,
		files:    o.Files,
		fds:      make([]int, len(o.Files)),
		vectored: o.Vectored,
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
	e.jobs = make(chan syncJob, o.Depth)
	e.done = make(chan syncJob, o.Depth)
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
	t0 := time.Since(e.base)
	if e.jobs == nil {
		for i := range reqs { // at most one: depth 1
			j := syncJob{req: reqs[i], t0: t0}
			j.n, j.err = e.do(&j.req)
			j.req.Data = nil
			e.inline = j
		}
		e.inflight += len(reqs)
		return nil
	}
	for i := range reqs {
		e.jobs <- syncJob{req: reqs[i], t0: t0}
	}
	e.inflight += len(reqs)
	return nil
}

func (e *syncEngine) Wait(min int, out []Completion) (int, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if err := checkWait(min, len(out), e.inflight); err != nil {
		return 0, err
	}
	if e.jobs == nil {
		if e.inflight == 0 || len(out) == 0 {
			return 0, nil
		}
		e.complete(&out[0], e.inline)
		return 1, nil
	}
	n := 0
	for n < min {
		e.complete(&out[n], <-e.done)
		n++
	}
	for n < len(out) && e.inflight > 0 {
		select {
		case j := <-e.done:
			e.complete(&out[n], j)
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

func (e *syncEngine) complete(c *Completion, j syncJob) {
	*c = Completion{Tag: j.req.Tag, N: j.n, Err: j.err, Latency: time.Since(e.base) - j.t0}
	e.inflight--
}

func (e *syncEngine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.jobs != nil {
		close(e.jobs)
		e.wg.Wait()
	}
	return nil
}

func (e *syncEngine) worker() {
	defer e.wg.Done()
	for j := range e.jobs {
		j.n, j.err = e.do(&j.req)
		j.req.Data = nil // the caller owns the buffer again
		e.done <- j
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
		if r.Op == OpRead {
			n, err = unix.Pread(fd, r.Data, r.Offset)
		} else {
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
