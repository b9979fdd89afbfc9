package xfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

type slotState uint8

const (
	slotFree    slotState = iota
	slotReading           // a read is in flight
	slotReady             // read complete, waiting for its turn on a stream destination
	slotWriting           // a write is in flight
)

// slot is one ring buffer and the piece of the copy it carries. A slot
// cycles free → reading → (ready →) writing → free, so at most one request
// per slot is in flight and depth slots bound the engine's queue.
type slot struct {
	idx   int
	buf   []byte
	state slotState
	off   int64 // position of the piece in the copied stream (0 = first byte)
	want  int   // bytes of the stream the piece carries
	rlen  int   // length of the read request: want rounded up to the source alignment
	have  int   // bytes read so far (short reads accumulate)
	wlen  int   // bytes written with the engine: have rounded down to the destination alignment
	wdone int
}

// pump runs the ring.
type pump struct {
	j         *job
	slots     []*slot
	comps     []engine.Completion
	reqs      []engine.Request
	cancelled atomic.Bool
	err       error
	eof       bool  // the source ended (or was cut short by the interrupt)
	end       int64 // stream position where the source ended, when eof
	done      int64 // bytes written
	nextOut   int64 // next stream position to write, for a stream destination
	tail      []byte
	tailOff   int64 // destination offset of the tail
	holeAt    int64 // lowest stream position of a piece that was not fully written; -1 when none
	start     time.Time
	lastProg  time.Time
}

func (p *pump) failed() bool   { return p.err != nil }
func (p *pump) stopping() bool { return p.err != nil || p.cancelled.Load() }

func (p *pump) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// run copies. It returns with nothing in flight.
func (p *pump) run(ctx context.Context) {
	j := p.j
	for i, b := range j.ring {
		p.slots = append(p.slots, &slot{idx: i, buf: b})
	}
	p.comps = make([]engine.Completion, len(p.slots))
	p.reqs = make([]engine.Request, 0, len(p.slots))
	p.start = time.Now()
	p.lastProg = p.start
	// A first snapshot at 0 bytes, so a progress display starts its clock
	// (and knows the total) when the copy starts, not a tick later.
	p.emit(p.start, false)

	stop, stopped := make(chan struct{}), make(chan struct{})
	defer func() {
		close(stop)
		<-stopped // the files stay open until the watcher is done with them
	}()
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			p.cancelled.Store(true)
			// Wake a read or write blocked on a pipe: the poller returns
			// os.ErrDeadlineExceeded (regular files ignore deadlines).
			if j.src.stream {
				j.src.f.SetReadDeadline(time.Now())
			}
			if j.dst.stream {
				j.dst.f.SetWriteDeadline(time.Now())
			}
		case <-stop:
		}
	}()

	if j.src.stream {
		p.fromStream()
	} else {
		p.fromSeekable()
	}
	// Drain: nothing new is submitted once the loops return.
	for j.eng.InFlight() > 0 {
		if !p.reap(1) {
			break
		}
	}
}

// fromSeekable reads the source with the engine, up to depth pieces ahead.
func (p *pump) fromSeekable() {
	j := p.j
	bs := int64(len(j.ring[0]))
	next := int64(0)
	for {
		if !p.stopping() && !p.eof {
			p.reqs = p.reqs[:0]
			for next < j.total {
				s := p.free()
				if s == nil {
					break
				}
				want := min(bs, j.total-next)
				rlen, _ := aligned.RoundUp(want, j.src.align) // ≤ bs: bs is a multiple of the alignment
				*s = slot{idx: s.idx, buf: s.buf, state: slotReading, off: next, want: int(want), rlen: int(rlen)}
				p.reqs = append(p.reqs, engine.Request{Op: engine.OpRead, File: j.srcIdx, Buf: s.idx,
					Data: s.buf[:rlen], Offset: j.o.Skip + next, Tag: uint64(s.idx)})
				next += want
			}
			p.submit()
		}
		if j.dst.stream {
			p.flushStream()
		}
		if j.eng.InFlight() == 0 {
			// flushStream may just have freed slots for the rest.
			if !p.stopping() && !p.eof && next < j.total && p.free() != nil {
				continue
			}
			return
		}
		if !p.reap(1) {
			return
		}
		p.progress(false)
	}
}

// fromStream reads a pipe (or character device, or stdin) into free
// slots with plain read(2), accumulating short reads to full blocks,
// while the engine writes the filled slots.
func (p *pump) fromStream() {
	j := p.j
	bs := int64(len(j.ring[0]))
	if err := p.discard(j.o.Skip); err != nil {
		p.fail(err)
		return
	}
	next := int64(0)
	for !p.stopping() && !p.eof && (j.total < 0 || next < j.total) {
		s := p.free()
		if s == nil {
			if !p.reap(1) {
				return
			}
			continue
		}
		want := bs
		if j.total >= 0 {
			want = min(bs, j.total-next)
		}
		if j.limit >= 0 {
			if want = min(want, j.limit-next); want == 0 {
				p.eof, p.end = true, next
				p.checkFull(next)
				break
			}
		}
		p.kick()
		n, err := readFull(j.src.f, s.buf[:want])
		if n > 0 {
			*s = slot{idx: s.idx, buf: s.buf, off: next, want: n, have: n}
			next += int64(n)
			p.startWrite(s)
		}
		if err != nil {
			p.eof, p.end = true, next
			if err != io.EOF && !errors.Is(err, os.ErrDeadlineExceeded) {
				p.fail(&os.PathError{Op: "read", Path: j.src.name, Err: unwrapPath(err)})
			}
		}
		if j.eng.InFlight() > 0 {
			p.reap(0)
		}
		p.progress(false)
	}
}

// checkFull runs when a stream of unknown length has filled a block-device
// destination: if the stream has more, the copy fails (the device was too
// small) instead of ending as if complete.
func (p *pump) checkFull(at int64) {
	j := p.j
	var one [1]byte
	n, err := readFull(j.src.f, one[:])
	if n > 0 {
		p.fail(fmt.Errorf("%w: %s is full after %d bytes and %s has more (copy a prefix with --count, or use a larger device)",
			ErrTooSmall, j.dst.name, at, label(j.src, "stdin")))
		return
	}
	if err != nil && err != io.EOF && !errors.Is(err, os.ErrDeadlineExceeded) {
		p.fail(&os.PathError{Op: "read", Path: j.src.name, Err: unwrapPath(err)})
	}
}

// discard reads and drops n bytes of a stream source (--skip on a pipe).
func (p *pump) discard(n int64) error {
	buf := p.slots[0].buf
	for n > 0 && !p.stopping() {
		m, err := p.j.src.f.Read(buf[:min(int64(len(buf)), n)])
		n -= int64(m)
		if err == io.EOF {
			return fmt.Errorf("--skip: %s ended %d bytes before the skip", label(p.j.src, "stdin"), n)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil // interrupted: the cancel flag is set, run ends cleanly
		}
		if err != nil {
			return &os.PathError{Op: "read", Path: p.j.src.name, Err: unwrapPath(err)}
		}
	}
	return nil
}

// readFull reads until b is full, the stream ends (io.EOF) or an error
// (a deadline set by the interrupt) stops it; n is what was read.
func readFull(f *os.File, b []byte) (n int, err error) {
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
	}
	return n, nil
}

// hole records that slot s's piece will not be fully written (a failed
// read or write, or a read that completed after the copy failed): the
// destination's valid prefix ends at or before it.
func (p *pump) hole(s *slot) {
	if p.holeAt < 0 || s.off < p.holeAt {
		p.holeAt = s.off
	}
}

// prefix is the length of the copied stream known to be in the
// destination without a gap: up to the first hole, or everything written.
func (p *pump) prefix() int64 {
	if p.holeAt >= 0 {
		return min(p.holeAt, p.done)
	}
	return p.done
}

func (p *pump) free() *slot {
	for _, s := range p.slots {
		if s.state == slotFree {
			return s
		}
	}
	return nil
}

// kick starts the requests Submit queued before the pipeline blocks on a
// pipe, so the device works meanwhile: the uring engine hands queued
// requests to the kernel only in Wait, and Wait(0, nil) does just that
// (engine.Engine; package engine's doc on Submit and Wait).
func (p *pump) kick() {
	if p.j.eng.InFlight() == 0 {
		return
	}
	if _, err := p.j.eng.Wait(0, nil); err != nil {
		p.fail(fmt.Errorf("wait: %w", err))
	}
}

func (p *pump) submit() {
	if len(p.reqs) == 0 {
		return
	}
	if err := p.j.eng.Submit(p.reqs...); err != nil {
		p.fail(fmt.Errorf("submit: %w", err))
		for _, r := range p.reqs { // none of them is in flight
			p.hole(p.slots[r.Tag])
			p.slots[r.Tag].state = slotFree
		}
	}
	p.reqs = p.reqs[:0]
}

// reap waits for at least min completions and handles them; false when
// waiting failed (the error is recorded).
func (p *pump) reap(min int) bool {
	n, err := p.j.eng.Wait(min, p.comps)
	if err != nil {
		p.fail(fmt.Errorf("wait: %w", err))
		return false
	}
	for _, c := range p.comps[:n] {
		s := p.slots[c.Tag]
		switch s.state {
		case slotReading:
			p.readDone(s, c)
		case slotWriting:
			p.writeDone(s, c)
		default:
			p.fail(fmt.Errorf("internal error: completion for idle buffer %d", c.Tag))
		}
	}
	p.submit()
	return true
}

// readDone accumulates a read: a short read that ends on an aligned
// boundary is continued (a device or file may return less than asked
// without being at its end); zero bytes, or a short unaligned read, is
// the end of the source (an O_DIRECT read of a file ends at EOF, not at
// the block boundary).
func (p *pump) readDone(s *slot, c engine.Completion) {
	j := p.j
	if c.Err != nil {
		if errors.Is(c.Err, unix.EINVAL) && j.src.kind == aligned.KindFile && j.src.direct &&
			j.o.Skip+s.off+int64(s.rlen) > j.src.rules.Size {
			// Some file systems refuse an O_DIRECT read that crosses an
			// unaligned EOF instead of returning it short; read that last
			// piece through the page cache and drop it again.
			if err := p.bufferedRead(s); err != nil {
				p.fail(err)
				p.hole(s)
				s.state = slotFree
				return
			}
			p.startWrite(s)
			return
		}
		p.fail(&os.PathError{Op: "read", Path: j.src.name, Err: c.Err})
		p.hole(s)
		s.state = slotFree
		return
	}
	s.have += c.N
	full := s.have >= s.want
	if s.have > s.want {
		s.have = s.want
	}
	if !full && c.N > 0 && aligned.IsAligned(int64(s.have), j.src.align) && aligned.IsAligned(int64(s.have), int64(j.src.mem)) && !p.failed() {
		p.reqs = append(p.reqs, engine.Request{Op: engine.OpRead, File: j.srcIdx, Buf: s.idx,
			Data: s.buf[s.have:s.rlen], Offset: j.o.Skip + s.off + int64(s.have), Tag: uint64(s.idx)})
		return
	}
	if !full {
		e := s.off + int64(s.have)
		if !p.eof || e < p.end {
			p.eof, p.end = true, e
		}
	}
	if p.failed() {
		p.hole(s)
		s.state = slotFree
		return
	}
	p.startWrite(s)
}

// bufferedRead completes slot s without O_DIRECT (the EINVAL fallback).
func (p *pump) bufferedRead(s *slot) error {
	j := p.j
	f, err := j.src.bufferedFile(os.O_RDONLY)
	if err != nil {
		return err
	}
	from := j.o.Skip + s.off + int64(s.have)
	for s.have < s.want {
		n, err := f.ReadAt(s.buf[s.have:s.want], j.o.Skip+s.off+int64(s.have))
		s.have += n
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return err
		}
	}
	unix.Fadvise(int(f.Fd()), from, int64(s.want), unix.FADV_DONTNEED)
	j.fallback("%s: O_DIRECT read at the unaligned end failed with EINVAL: last %d bytes read through the page cache and dropped from it", j.src.name, j.o.Skip+s.off+int64(s.have)-from)
	if s.have < s.want {
		e := s.off + int64(s.have)
		if !p.eof || e < p.end {
			p.eof, p.end = true, e
		}
	}
	return nil
}

// startWrite hands a filled slot to the destination. For a stream
// destination it waits its turn (pieces complete out of order); otherwise
// the part that is a multiple of the destination alignment goes to the
// engine and a shorter remainder, only possible for the last piece, is
// kept as the tail.
func (p *pump) startWrite(s *slot) {
	j := p.j
	if j.dst.stream {
		s.state = slotReady
		return
	}
	s.wlen = int(aligned.RoundDown(int64(s.have), j.dst.align))
	if t := s.have - s.wlen; t > 0 {
		if p.tail != nil {
			p.fail(fmt.Errorf("internal error: two unaligned pieces (at %d and %d)", p.tailOff, j.o.Seek+s.off+int64(s.wlen)))
		}
		p.tail = append([]byte(nil), s.buf[s.wlen:s.have]...)
		p.tailOff = j.o.Seek + s.off + int64(s.wlen)
	}
	s.wdone = 0
	if s.wlen == 0 {
		s.state = slotFree
		return
	}
	s.state = slotWriting
	p.reqs = append(p.reqs, engine.Request{Op: engine.OpWrite, File: j.dstIdx, Buf: s.idx,
		Data: s.buf[:s.wlen], Offset: j.o.Seek + s.off, Tag: uint64(s.idx)})
	if j.src.stream {
		p.submit()
	}
}

func (p *pump) writeDone(s *slot, c engine.Completion) {
	j := p.j
	if c.Err != nil {
		p.fail(&os.PathError{Op: "write", Path: j.dst.name, Err: c.Err})
		p.hole(s)
		s.state = slotFree
		return
	}
	if c.N == 0 {
		p.fail(&os.PathError{Op: "write", Path: j.dst.name, Err: io.ErrShortWrite})
		p.hole(s)
		s.state = slotFree
		return
	}
	s.wdone += c.N
	p.done += int64(c.N)
	if s.wdone < s.wlen && !p.failed() {
		// A short write (a device's end, a signal): continue it if the
		// remainder is still aligned, as the kernel requires.
		if !aligned.IsAligned(int64(s.wdone), j.dst.align) {
			p.fail(&os.PathError{Op: "write", Path: j.dst.name, Err: io.ErrShortWrite})
			p.hole(s)
			s.state = slotFree
			return
		}
		p.reqs = append(p.reqs, engine.Request{Op: engine.OpWrite, File: j.dstIdx, Buf: s.idx,
			Data: s.buf[s.wdone:s.wlen], Offset: j.o.Seek + s.off + int64(s.wdone), Tag: uint64(s.idx)})
		return
	}
	if s.wdone < s.wlen {
		p.hole(s)
	}
	s.state = slotFree
}

// flushStream writes ready slots to a stream destination in order.
func (p *pump) flushStream() {
	j := p.j
	for {
		var s *slot
		for _, c := range p.slots {
			if c.state == slotReady && c.off == p.nextOut {
				s = c
				break
			}
		}
		if s == nil {
			// Pieces past the end of a source that ended early carry nothing.
			for _, c := range p.slots {
				if c.state == slotReady && c.have == 0 {
					c.state = slotFree
				}
			}
			return
		}
		if p.failed() || p.cancelled.Load() {
			// Interrupted: what reached the destination is a prefix; stop there.
			s.state = slotFree
			continue
		}
		p.kick()
		n, err := j.dst.f.Write(s.buf[:s.have])
		p.done += int64(n)
		p.nextOut += int64(s.have)
		s.state = slotFree
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				p.fail(&os.PathError{Op: "write", Path: j.dst.name, Err: unwrapPath(err)})
			}
			p.cancelled.Store(p.cancelled.Load() || errors.Is(err, os.ErrDeadlineExceeded))
			return
		}
		p.progress(false)
	}
}

func (p *pump) progress(final bool) {
	j := p.j
	if j.o.Progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(p.lastProg) < j.o.ProgressInterval {
		return
	}
	p.emit(now, final)
}

func (p *pump) emit(now time.Time, final bool) {
	j := p.j
	if j.o.Progress == nil {
		return
	}
	p.lastProg = now
	el := now.Sub(p.start)
	pr := Progress{Bytes: p.done, Total: j.total, Elapsed: el, ETASec: -1, Done: final}
	if s := el.Seconds(); s > 0 {
		pr.BytesPerSec = float64(p.done) / s
	}
	switch {
	case final && j.total >= 0:
		pr.ETASec = 0
	case j.total >= 0 && pr.BytesPerSec > 0:
		pr.ETASec = max(float64(j.total-p.done)/pr.BytesPerSec, 0)
	}
	j.o.Progress(pr)
}

// unwrapPath strips an *os.PathError so the caller can wrap once.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// bufferedFile returns a second descriptor of e without O_DIRECT, opened
// through /proc/self/fd so it is the same inode whatever happened to the
// path.
func (e *end) bufferedFile(flag int) (*os.File, error) {
	if e.buffered != nil {
		return e.buffered, nil
	}
	f, err := os.OpenFile(procFD(e.f), flag|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	e.buffered = f
	return f, nil
}
