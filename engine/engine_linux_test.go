package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/internal/uring"
	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/sgl"
	"golang.org/x/sys/unix"
)

// variant is one engine configuration every behaviour test runs on.
type variant struct {
	name            string
	kind            string
	fixed, vectored bool
	keepP           bool // Options.KeepP: raw system calls at depth 1
}

var variants = []variant{
	{"sync", engine.KindSync, false, false, false},
	{"sync keepP", engine.KindSync, false, false, true},
	{"sync vectored", engine.KindSync, false, true, false},
	{"uring", engine.KindUring, false, false, false},
	{"uring fixed", engine.KindUring, true, false, false},
}

func forEach(t *testing.T, fn func(t *testing.T, v variant)) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if v.kind == engine.KindUring {
				requireUring(t)
			}
			fn(t, v)
		})
	}
}

func requireUring(t testing.TB) {
	t.Helper()
	if err := uring.Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
}

// slots allocates n pinned buffers of size bytes each, out of one region.
func slots(t testing.TB, n, size int) [][]byte {
	t.Helper()
	r, err := pin.Alloc(n*size, pin.Options{Policy: pin.LockTry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Free(); err != nil {
			t.Error(err)
		}
	})
	mem := r.Bytes()
	s := make([][]byte, n)
	for i := range s {
		s[i] = mem[i*size : (i+1)*size : (i+1)*size]
	}
	return s
}

// openDirect opens path O_DIRECT, creating it.
func openDirect(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_DIRECT, 0o600)
	if err != nil {
		t.Skipf("skipping: O_DIRECT open of %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func newEngine(t testing.TB, v variant, depth int, files []*os.File, bufs [][]byte) engine.Engine {
	t.Helper()
	e, fb, err := engine.New(engine.Options{
		Kind: v.kind, Depth: depth, Files: files, Buffers: bufs,
		Fixed: v.fixed, Vectored: v.vectored, KeepP: v.keepP, Limits: sgl.Limits{LogicalBlock: 512},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fb.Happened {
		t.Fatalf("unexpected fallback: %s", fb.Reason)
	}
	if e.Name() != v.kind || e.Fixed() != v.fixed {
		t.Fatalf("engine %s fixed=%v, want %s fixed=%v", e.Name(), e.Fixed(), v.kind, v.fixed)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// drive runs n requests through e, at most len(bufs) in flight, each in a
// free slot: prep builds request i for a slot, check sees its completion.
func drive(t testing.TB, e engine.Engine, n int, bufs [][]byte,
	prep func(i, slot int) engine.Request, check func(i, slot int, c engine.Completion)) {
	t.Helper()
	depth := len(bufs)
	free := make([]int, 0, depth)
	for s := range depth {
		free = append(free, s)
	}
	reqs := make([]engine.Request, 0, depth)
	comps := make([]engine.Completion, depth)
	next := 0
	for next < n || e.InFlight() > 0 {
		reqs = reqs[:0]
		for next < n && len(free) > 0 {
			slot := free[len(free)-1]
			free = free[:len(free)-1]
			r := prep(next, slot)
			r.Buf = slot
			r.Tag = uint64(next)<<16 | uint64(slot)
			reqs = append(reqs, r)
			next++
		}
		if len(reqs) > 0 {
			if err := e.Submit(reqs...); err != nil {
				t.Fatalf("submit: %v", err)
			}
		}
		got, err := e.Wait(1, comps)
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		for _, c := range comps[:got] {
			if c.Latency <= 0 {
				t.Errorf("latency %v, want > 0", c.Latency)
			}
			if c.Reaped.IsZero() || !c.Reaped.Equal(comps[0].Reaped) {
				t.Errorf("reaped at %v, the batch's first at %v: want one non-zero time per Wait", c.Reaped, comps[0].Reaped)
			}
			slot := int(c.Tag & 0xffff)
			check(int(c.Tag>>16), slot, c)
			free = append(free, slot)
		}
	}
}

func pattern(b []byte, block int) {
	for i := range b {
		b[i] = byte(block*7 + i*13 + i>>8)
	}
}

// writeReadBack writes blocks patterned blocks of bs bytes through e in a
// scrambled order (the offsets are not sequential and completions may
// come back out of order), then reads them back in order and compares.
func writeReadBack(t *testing.T, e engine.Engine, bufs [][]byte, bs, blocks int) {
	t.Helper()
	order := func(i int) int { return (i * 29) % blocks }
	drive(t, e, blocks, bufs, func(i, slot int) engine.Request {
		pattern(bufs[slot], order(i))
		return engine.Request{Op: engine.OpWrite, Data: bufs[slot], Offset: int64(order(i) * bs)}
	}, func(i, slot int, c engine.Completion) {
		if c.Err != nil || c.N != bs {
			t.Fatalf("write %d: N %d err %v", i, c.N, c.Err)
		}
	})
	want := make([]byte, bs)
	drive(t, e, blocks, bufs, func(i, slot int) engine.Request {
		clear(bufs[slot])
		return engine.Request{Op: engine.OpRead, Data: bufs[slot], Offset: int64(i * bs)}
	}, func(i, slot int, c engine.Completion) {
		if c.Err != nil || c.N != bs {
			t.Fatalf("read %d: N %d err %v", i, c.N, c.Err)
		}
		pattern(want, i)
		if !bytes.Equal(bufs[slot], want) {
			t.Fatalf("block %d read back differs", i)
		}
	})
}

func TestWriteReadBack(t *testing.T) {
	const bs, blocks = 16 << 10, 48
	forEach(t, func(t *testing.T, v variant) {
		for _, depth := range []int{1, 8} {
			t.Run(fmt.Sprintf("depth %d", depth), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "f")
				f := openDirect(t, path)
				bufs := slots(t, depth, bs)
				e := newEngine(t, v, depth, []*os.File{f}, bufs)
				writeReadBack(t, e, bufs, bs, blocks)
				if fi, err := f.Stat(); err != nil || fi.Size() != bs*blocks {
					t.Fatalf("file size %v (%v), want %d", fi.Size(), err, bs*blocks)
				}
			})
		}
	})
}

func TestMixed(t *testing.T) {
	const bs, blocks = 4096, 32
	forEach(t, func(t *testing.T, v variant) {
		dir := t.TempDir()
		src := testdev.RandomFile(t, dir, bs*blocks)
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		in := openDirect(t, src)
		out := openDirect(t, filepath.Join(dir, "out"))
		bufs := slots(t, 8, bs)
		e := newEngine(t, v, 8, []*os.File{in, out}, bufs)
		// Reads of the source and writes of a pattern to the other file
		// share every batch.
		drive(t, e, 2*blocks, bufs, func(i, slot int) engine.Request {
			if i%2 == 0 {
				return engine.Request{Op: engine.OpRead, File: 0, Data: bufs[slot], Offset: int64(i / 2 * bs)}
			}
			pattern(bufs[slot], i/2)
			return engine.Request{Op: engine.OpWrite, File: 1, Data: bufs[slot], Offset: int64(i / 2 * bs)}
		}, func(i, slot int, c engine.Completion) {
			if c.Err != nil || c.N != bs {
				t.Fatalf("request %d: N %d err %v", i, c.N, c.Err)
			}
			if i%2 == 0 && !bytes.Equal(bufs[slot], want[i/2*bs:(i/2+1)*bs]) {
				t.Fatalf("read of block %d differs from the source", i/2)
			}
		})
		got, err := os.ReadFile(filepath.Join(dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		block := make([]byte, bs)
		for b := range blocks {
			pattern(block, b)
			if !bytes.Equal(got[b*bs:(b+1)*bs], block) {
				t.Fatalf("written block %d differs", b)
			}
		}
	})
}

// one submits r and waits for its completion.
func one(t *testing.T, e engine.Engine, r engine.Request) engine.Completion {
	t.Helper()
	if err := e.Submit(r); err != nil {
		t.Fatal(err)
	}
	var c [1]engine.Completion
	if n, err := e.Wait(1, c[:]); n != 1 || err != nil {
		t.Fatalf("wait = %d, %v", n, err)
	}
	return c[0]
}

func TestEnds(t *testing.T) {
	forEach(t, func(t *testing.T, v variant) {
		dir := t.TempDir()
		// 4096 + 100 bytes: the last block is partial. Written buffered:
		// only the reads go O_DIRECT.
		path := testdev.RandomFile(t, dir, 4096+100)
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f := openDirect(t, path)
		bufs := slots(t, 1, 8192)
		e := newEngine(t, v, 1, []*os.File{f}, bufs)

		t.Run("unaligned offset gives EINVAL", func(t *testing.T) {
			c := one(t, e, engine.Request{Op: engine.OpRead, Data: bufs[0][:4096], Offset: 1})
			if !errors.Is(c.Err, unix.EINVAL) || c.N != 0 {
				t.Fatalf("N %d err %v, want 0 and EINVAL", c.N, c.Err)
			}
			t.Logf("error text: %v", c.Err)
		})
		t.Run("short read at the end", func(t *testing.T) {
			c := one(t, e, engine.Request{Op: engine.OpRead, Data: bufs[0], Offset: 0})
			if c.Err != nil || c.N != len(want) {
				t.Fatalf("N %d err %v, want %d", c.N, c.Err, len(want))
			}
			if !bytes.Equal(bufs[0][:c.N], want) {
				t.Fatal("bytes differ")
			}
			c = one(t, e, engine.Request{Op: engine.OpRead, Data: bufs[0][:4096], Offset: 4096})
			if c.Err != nil || c.N != 100 {
				t.Fatalf("last block: N %d err %v, want 100", c.N, c.Err)
			}
		})
		t.Run("empty request gives 0", func(t *testing.T) {
			c := one(t, e, engine.Request{Op: engine.OpRead, Data: bufs[0][4096:4096], Offset: 4096})
			if c.Err != nil || c.N != 0 {
				t.Fatalf("N %d err %v, want 0 and no error", c.N, c.Err)
			}
		})
		t.Run("read at EOF gives 0", func(t *testing.T) {
			c := one(t, e, engine.Request{Op: engine.OpRead, Data: bufs[0][:4096], Offset: 8192})
			if c.Err != nil || c.N != 0 {
				t.Fatalf("N %d err %v, want 0 and no error", c.N, c.Err)
			}
		})
	})
}

func TestLoopDevice(t *testing.T) {
	forEach(t, func(t *testing.T, v variant) {
		dev, want := testdev.LoopData(t, 1<<20, 4096)
		f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const bs = 64 << 10
		bufs := slots(t, 4, bs)
		e := newEngine(t, v, 4, []*os.File{f}, bufs)
		drive(t, e, (1<<20)/bs+1, bufs, func(i, slot int) engine.Request {
			return engine.Request{Op: engine.OpRead, Data: bufs[slot], Offset: int64(i * bs)}
		}, func(i, slot int, c engine.Completion) {
			if i == (1<<20)/bs { // past the end of the device
				if c.N != 0 || c.Err != nil {
					t.Fatalf("read past the end: N %d err %v", c.N, c.Err)
				}
				return
			}
			if c.Err != nil || c.N != bs {
				t.Fatalf("read %d: N %d err %v", i, c.N, c.Err)
			}
			if !bytes.Equal(bufs[slot], want[i*bs:(i+1)*bs]) {
				t.Fatalf("block %d differs from the backing file", i)
			}
		})
	})
}

func TestDepthAndArguments(t *testing.T) {
	forEach(t, func(t *testing.T, v variant) {
		f := openDirect(t, filepath.Join(t.TempDir(), "f"))
		bufs := slots(t, 3, 4096)
		e := newEngine(t, v, 2, []*os.File{f}, bufs)
		w := func(slot int) engine.Request {
			return engine.Request{Op: engine.OpWrite, Buf: slot, Data: bufs[slot], Offset: int64(slot * 4096)}
		}
		if err := e.Submit(w(0), w(1), w(2)); !errors.Is(err, engine.ErrQueueFull) {
			t.Fatalf("3 requests at depth 2: %v, want ErrQueueFull", err)
		}
		if e.InFlight() != 0 {
			t.Fatalf("InFlight %d after a refused Submit, want 0", e.InFlight())
		}
		bad := []engine.Request{
			{Op: engine.OpWrite, File: 1, Data: bufs[0]},
			{Op: 7, Data: bufs[0]},
			{Op: engine.OpRead, Data: bufs[0], Offset: -4096},
		}
		if v.fixed {
			bad = append(bad, engine.Request{Op: engine.OpRead, Buf: 1, Data: bufs[0]})
		}
		for _, r := range bad {
			if err := e.Submit(w(0), r); err == nil || e.InFlight() != 0 {
				t.Fatalf("bad request %+v: err %v, in flight %d", r, err, e.InFlight())
			}
		}
		var out [2]engine.Completion
		if _, err := e.Wait(1, out[:]); err == nil {
			t.Error("Wait(1) with nothing in flight did not fail")
		}
		if n, err := e.Wait(0, out[:]); n != 0 || err != nil {
			t.Errorf("Wait(0) with nothing in flight = %d, %v", n, err)
		}
		if err := e.Submit(w(0), w(1)); err != nil {
			t.Fatal(err)
		}
		if err := e.Submit(w(2)); !errors.Is(err, engine.ErrQueueFull) {
			t.Fatalf("third in flight at depth 2: %v", err)
		}
		if _, err := e.Wait(3, out[:]); err == nil {
			t.Error("Wait(3) into room for 2 did not fail")
		}
		n := 0
		for n < 2 { // polling until both are in, then nothing more
			got, err := e.Wait(0, out[n:])
			if err != nil {
				t.Fatal(err)
			}
			n += got
		}
		for _, c := range out {
			if c.Err != nil || c.N != 4096 {
				t.Fatalf("completion %+v", c)
			}
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := e.Submit(w(0)); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("Submit after Close: %v", err)
		}
		if _, err := e.Wait(0, out[:]); !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("Wait after Close: %v", err)
		}
	})
}

func TestNew(t *testing.T) {
	f := openDirect(t, filepath.Join(t.TempDir(), "f"))
	files := []*os.File{f}
	bufs := slots(t, 1, 4096)
	for _, tc := range []struct {
		name string
		opts engine.Options
		want string
	}{
		{"bogus kind", engine.Options{Kind: "bogus", Files: files}, `unknown engine "bogus"`},
		{"negative depth", engine.Options{Kind: "sync", Depth: -1, Files: files}, "depth -1"},
		{"huge depth", engine.Options{Kind: "sync", Depth: 1 << 20, Files: files}, "depth 1048576"},
		{"no files", engine.Options{Kind: "sync"}, "at least one file"},
		{"nil file", engine.Options{Kind: "sync", Files: []*os.File{nil}}, "file 0 is nil"},
		{"fixed without buffers", engine.Options{Kind: "uring", Files: files, Fixed: true}, "at least one buffer"},
		{"empty buffer", engine.Options{Kind: "uring", Files: files, Fixed: true, Buffers: [][]byte{bufs[0], nil}}, "buffer 1 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, err := engine.New(tc.opts)
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}

	t.Run("auto", func(t *testing.T) {
		e, fb, err := engine.New(engine.Options{Files: files, Buffers: bufs, Fixed: true})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if perr := uring.Probe(); perr != nil {
			if e.Name() != "sync" || !fb.Happened || !strings.HasPrefix(fb.Reason, "io_uring unavailable: ") {
				t.Fatalf("without io_uring (%v): %s, %+v", perr, e.Name(), fb)
			}
			return
		}
		if e.Name() != "uring" || !e.Fixed() || fb.Happened {
			t.Fatalf("auto with io_uring available: %s fixed=%v fallback %+v", e.Name(), e.Fixed(), fb)
		}
	})
}

// TestSubmitBatch runs the same write-then-read-back through the uring
// engine with every way of cutting the queue into io_uring_enter calls:
// the default (one request per entry), a few, and all at once.
func TestSubmitBatch(t *testing.T) {
	requireUring(t)
	const bs, blocks, depth = 4096, 64, 16
	for _, batch := range []int{0, 1, 3, depth, 1000} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			f := openDirect(t, filepath.Join(t.TempDir(), "f"))
			bufs := slots(t, depth, bs)
			e, _, err := engine.New(engine.Options{Kind: engine.KindUring, Depth: depth,
				Files: []*os.File{f}, Buffers: bufs, Fixed: true, SubmitBatch: batch})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			writeReadBack(t, e, bufs, bs, blocks)
		})
	}
	t.Run("negative", func(t *testing.T) {
		f := openDirect(t, filepath.Join(t.TempDir(), "f"))
		if _, _, err := engine.New(engine.Options{Kind: engine.KindUring, Depth: 1, Files: []*os.File{f}, SubmitBatch: -1}); err == nil {
			t.Fatal("SubmitBatch -1 accepted")
		}
	})
}

// TestDeferTaskrun sets the uring engine up with DEFER_TASKRUN on one
// goroutine and drives it, with and without registered buffers, from
// another locked to its thread, as package workload does: every write
// and read back is correct, and the engine says the ring is deferred.
// auto gives the same engine with no fallback on a kernel that has it.
func TestDeferTaskrun(t *testing.T) {
	requireUring(t)
	const bs, blocks, depth = 4096, 64, 8
	for _, tc := range []struct {
		kind  string
		fixed bool
	}{{engine.KindUring, false}, {engine.KindUring, true}, {engine.KindAuto, true}} {
		t.Run(fmt.Sprintf("%s fixed=%v", tc.kind, tc.fixed), func(t *testing.T) {
			f := openDirect(t, filepath.Join(t.TempDir(), "f"))
			bufs := slots(t, depth, bs)
			type made struct {
				e   engine.Engine
				fb  engine.Fallback
				err error
			}
			mc := make(chan made)
			go func() { // set up on another goroutine (and likely thread)
				e, fb, err := engine.New(engine.Options{Kind: tc.kind, Depth: depth, Files: []*os.File{f},
					Buffers: bufs, Fixed: tc.fixed, DeferTaskrun: true})
				mc <- made{e, fb, err}
			}()
			m := <-mc
			e, fb, err := m.e, m.fb, m.err
			if err != nil {
				t.Fatal(err)
			}
			if fb.Happened {
				if strings.Contains(fb.Reason, "DEFER_TASKRUN") {
					e.Close()
					t.Skipf("skipping: %s", fb.Reason)
				}
				t.Fatalf("unexpected fallback: %s", fb.Reason)
			}
			d, ok := e.(interface{ DeferTaskrun() bool })
			if e.Name() != engine.KindUring || !ok || !d.DeferTaskrun() || e.Fixed() != tc.fixed {
				t.Fatalf("engine %s fixed=%v deferred=%v, want uring fixed=%v deferred", e.Name(), e.Fixed(), ok && d.DeferTaskrun(), tc.fixed)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			writeReadBack(t, e, bufs, bs, blocks)
			if err := e.Close(); err != nil {
				t.Fatalf("Close on the driving thread: %v", err)
			}
		})
	}
}
