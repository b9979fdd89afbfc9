package engine_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rawio/rawio/engine"
)

// waitWithin runs e.Wait(min, out) and fails the test instead of hanging
// when it does not return within a generous bound: a request that Submit
// queued and Wait never handed to the kernel would block it for good.
func waitWithin(t *testing.T, e engine.Engine, min int, out []engine.Completion) int {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := e.Wait(min, out)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.n < min {
			t.Fatalf("Wait(%d) = %d, %v", min, r.n, r.err)
		}
		return r.n
	case <-time.After(30 * time.Second):
		t.Fatalf("Wait(%d) still blocked after 30 s: a request was never submitted", min)
	}
	return 0
}

// TestManySubmitsOneWait queues Depth requests with one Submit call each
// and reaps them all with a single Wait, which must hand every one of
// them to the kernel first.
func TestManySubmitsOneWait(t *testing.T) {
	const depth, bs = 8, 4096
	forEach(t, func(t *testing.T, v variant) {
		path := filepath.Join(t.TempDir(), "f")
		f := openDirect(t, path)
		bufs := slots(t, depth+1, bs)
		e := newEngine(t, v, depth, []*os.File{f}, bufs)
		reqs := make([]engine.Request, 1)
		for i := range depth {
			pattern(bufs[i], i)
			reqs[0] = engine.Request{Op: engine.OpWrite, Buf: i, Data: bufs[i], Offset: int64(i * bs), Tag: uint64(i)}
			if err := e.Submit(reqs...); err != nil {
				t.Fatalf("submit %d: %v", i, err)
			}
		}
		reqs[0] = engine.Request{Op: engine.OpWrite, Buf: depth, Data: bufs[depth], Offset: depth * bs}
		if err := e.Submit(reqs...); !errors.Is(err, engine.ErrQueueFull) {
			t.Fatalf("submit past the depth: %v, want ErrQueueFull", err)
		}
		if e.InFlight() != depth {
			t.Fatalf("InFlight %d, want %d", e.InFlight(), depth)
		}
		out := make([]engine.Completion, depth)
		waitWithin(t, e, depth, out)
		seen := make([]bool, depth)
		for _, c := range out {
			if c.Err != nil || c.N != bs || c.Tag >= depth || seen[c.Tag] {
				t.Fatalf("completion %+v", c)
			}
			seen[c.Tag] = true
		}
		if e.InFlight() != 0 {
			t.Fatalf("InFlight %d after reaping all, want 0", e.InFlight())
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, bs)
		for i := range depth {
			pattern(want, i)
			if string(got[i*bs:(i+1)*bs]) != string(want) {
				t.Fatalf("block %d differs", i)
			}
		}
	})
}

// TestLatencyFromSubmit checks that Completion.Latency runs from the
// Submit call, also when the engine hands the request to the kernel only
// in Wait: a pause between the two must be part of it. Completion.Reaped
// must be the end of that span: after the Submit call by Latency, and
// before Wait returned.
func TestLatencyFromSubmit(t *testing.T) {
	const pause = 20 * time.Millisecond
	forEach(t, func(t *testing.T, v variant) {
		f := openDirect(t, filepath.Join(t.TempDir(), "f"))
		bufs := slots(t, 2, 4096)
		for _, depth := range []int{1, 2} {
			e := newEngine(t, v, depth, []*os.File{f}, bufs)
			before := time.Now()
			if err := e.Submit(engine.Request{Op: engine.OpWrite, Data: bufs[0]}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(pause)
			var out [1]engine.Completion
			waitWithin(t, e, 1, out[:])
			after := time.Now()
			c := out[0]
			if c.Err != nil || c.Latency < pause {
				t.Fatalf("depth %d: latency %v (err %v), want at least the %v between Submit and Wait", depth, c.Latency, c.Err, pause)
			}
			if start := c.Reaped.Add(-c.Latency); start.Before(before) || c.Reaped.After(after) {
				t.Fatalf("depth %d: reaped %v after the Submit call and %v before Wait returned, latency %v: want both >= 0",
					depth, start.Sub(before), after.Sub(c.Reaped), c.Latency)
			}
		}
	})
}

// pipeEngine returns a uring engine (fixed buffers or not) whose only
// file is the write end of a pipe, the read end, and a pinned buffer
// holding msg. A write to a pipe shows, from the read end, whether and
// when the kernel ran it.
func pipeEngine(t *testing.T, v variant, depth int, msg string) (engine.Engine, *os.File, []byte) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	buf := slots(t, 1, 4096)[0]
	copy(buf, msg)
	e := newEngine(t, v, depth, []*os.File{w}, [][]byte{buf})
	return e, r, buf[:len(msg)]
}

// readWithin reads from the pipe until n bytes or EOF arrive, failing the
// test after a generous bound.
func readWithin(t *testing.T, r *os.File, n int) string {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	m, err := io.ReadFull(r, b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("nothing came through the pipe within 30 s")
	}
	return string(b[:m])
}

// forEachUring runs fn on the uring variants only: pread and pwrite
// refuse pipes (ESPIPE), io_uring's read and write do not.
func forEachUring(t *testing.T, fn func(t *testing.T, v variant)) {
	forEach(t, func(t *testing.T, v variant) {
		if v.kind != engine.KindUring {
			t.Skip("skipping: the sync engine cannot write to a pipe (pwrite gives ESPIPE)")
		}
		fn(t, v)
	})
}

// TestWaitZeroSubmits checks the poll: Wait(0) hands queued requests to
// the kernel without blocking, reaps what has finished, and Wait(0, nil)
// does the first half alone.
func TestWaitZeroSubmits(t *testing.T) {
	forEachUring(t, func(t *testing.T, v variant) {
		for _, room := range []int{0, 1} {
			e, r, data := pipeEngine(t, v, 1, "polled")
			if err := e.Submit(engine.Request{Op: engine.OpWrite, Data: data, Tag: 7}); err != nil {
				t.Fatal(err)
			}
			out := make([]engine.Completion, 1)
			n, err := e.Wait(0, out[:room])
			if err != nil {
				t.Fatal(err)
			}
			// The write reached the pipe: Wait(0) submitted it.
			if got := readWithin(t, r, len(data)); got != "polled" {
				t.Fatalf("room %d: pipe gave %q", room, got)
			}
			for deadline := time.Now().Add(30 * time.Second); n == 0; {
				if time.Now().After(deadline) {
					t.Fatal("polling never reaped the completion")
				}
				if n, err = e.Wait(0, out); err != nil {
					t.Fatal(err)
				}
				runtime.Gosched()
			}
			if out[0].Tag != 7 || out[0].N != len(data) || out[0].Err != nil {
				t.Fatalf("completion %+v", out[0])
			}
			if n, err := e.Wait(0, out); n != 0 || err != nil {
				t.Fatalf("Wait(0) with nothing in flight = %d, %v", n, err)
			}
		}
	})
}

// TestWaitZeroDoesNotBlock submits a read of an empty pipe, which cannot
// finish until something is written: Wait(0) must come back at once with
// nothing, and polling must reap the read once the data is there.
func TestWaitZeroDoesNotBlock(t *testing.T) {
	forEachUring(t, func(t *testing.T, v variant) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		buf := slots(t, 1, 4096)[0]
		e := newEngine(t, v, 1, []*os.File{r}, [][]byte{buf})
		if err := e.Submit(engine.Request{Op: engine.OpRead, Data: buf[:6], Tag: 3}); err != nil {
			t.Fatal(err)
		}
		out := make([]engine.Completion, 1)
		if n := waitWithin(t, e, 0, out); n != 0 {
			t.Fatalf("Wait(0) reaped %d completions of a read from an empty pipe: %+v", n, out[0])
		}
		if _, err := w.Write([]byte("polled")); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatal("polling never reaped the read")
			}
			n, err := e.Wait(0, out)
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
		}
		if c := out[0]; c.Tag != 3 || c.N != 6 || c.Err != nil || string(buf[:6]) != "polled" {
			t.Fatalf("completion %+v, buffer %q", c, buf[:6])
		}
	})
}

// TestWaitFlushes checks that a Wait(1) hands the kernel what Submit
// queued before it blocks.
func TestWaitFlushes(t *testing.T) {
	forEachUring(t, func(t *testing.T, v variant) {
		e, r, data := pipeEngine(t, v, 2, "flushed")
		half := len(data) / 2
		// Two Submit calls: both requests must go in.
		if err := e.Submit(engine.Request{Op: engine.OpWrite, Data: data[:half], Tag: 1}); err != nil {
			t.Fatal(err)
		}
		if err := e.Submit(engine.Request{Op: engine.OpWrite, Data: data[half:], Tag: 2}); err != nil {
			t.Fatal(err)
		}
		out := make([]engine.Completion, 2)
		n := waitWithin(t, e, 1, out)
		if n == 1 {
			n += waitWithin(t, e, 1, out[1:])
		}
		if got := readWithin(t, r, len(data)); got != "flushed" {
			t.Fatalf("pipe gave %q", got)
		}
	})
}

// TestClosePending closes engines with requests queued and never waited
// for. Nothing may be left behind: no descriptor (the ring), no worker
// goroutine, no reference to the registered files. The uring engine has
// not handed such requests to the kernel, so they must never run.
func TestClosePending(t *testing.T) {
	const depth = 4
	forEach(t, func(t *testing.T, v variant) {
		path := filepath.Join(t.TempDir(), "f")
		f := openDirect(t, path)
		bufs := slots(t, depth, 4096)
		fds, goroutines := openFDs(t), runtime.NumGoroutine()
		e, _, err := engine.New(engine.Options{Kind: v.kind, Depth: depth, Files: []*os.File{f},
			Buffers: bufs, Fixed: v.fixed, Vectored: v.vectored})
		if err != nil {
			t.Fatal(err)
		}
		for i := range depth {
			if err := e.Submit(engine.Request{Op: engine.OpWrite, Buf: i, Data: bufs[i], Offset: int64(i * 4096)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if got := openFDs(t); got != fds {
			t.Errorf("%d descriptors open after Close, %d before New", got, fds)
		}
		// Exited workers may take a moment to leave the runtime's count.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines; {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines after Close, %d before New", runtime.NumGoroutine(), goroutines)
			}
			time.Sleep(time.Millisecond)
		}
		if v.kind == engine.KindUring {
			if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
				t.Fatalf("file size %d (%v) after Close: a request queued but never waited for ran", fi.Size(), err)
			}
		}
	})
	forEachUring(t, func(t *testing.T, v variant) {
		// The ring's reference to the registered write end must be gone
		// with Close: closing ours then ends the pipe, with nothing in it.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		buf := slots(t, 1, 4096)[0]
		e, _, err := engine.New(engine.Options{Kind: v.kind, Files: []*os.File{w}, Buffers: [][]byte{buf}, Fixed: v.fixed})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Submit(engine.Request{Op: engine.OpWrite, Data: buf[:5]}); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if got := readWithin(t, r, 5); got != "" {
			t.Fatalf("pipe gave %q after Close, want nothing", got)
		}
	})
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	n := 0
	for _, e := range ents {
		// The directory's own descriptor comes and goes with ReadDir.
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && !strings.HasPrefix(l, "/proc/") {
			n++
		}
	}
	return n
}
