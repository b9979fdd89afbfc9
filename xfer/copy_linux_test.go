package xfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/xfer"
)

// endpoint sets up one side of a copy for a test case.
type endpoint interface {
	// src prepares o to read want; dst prepares o to write len(want) bytes.
	setup(t *testing.T, o *xfer.Options, want []byte)
	// check verifies the destination after the copy (dst only).
	check(t *testing.T, want []byte)
	stream() bool
	block() int // logical block size of a device, 0 for a file or pipe
}

// fileEnd is a regular file on the test's file system.
type fileEnd struct {
	dir  string
	path string
}

func (e *fileEnd) stream() bool { return false }
func (e *fileEnd) block() int   { return 0 }
func (e *fileEnd) setup(t *testing.T, o *xfer.Options, want []byte) {
	if o.Src == "" {
		o.Src = writeFile(t, e.dir, want)
		return
	}
	e.path = tempPath(t, "dst.bin")
	o.Dst = e.path
}
func (e *fileEnd) check(t *testing.T, want []byte) {
	got, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	equalPrefix(t, e.path, got, want)
}

// devEnd is a loop or zram device shared by the cases of one pair; cur
// tracks its content so a check covers the bytes after the copy too.
type devEnd struct {
	dev string
	cur []byte
	lbs int
}

func (e *devEnd) stream() bool { return false }
func (e *devEnd) block() int   { return e.lbs }
func (e *devEnd) setup(t *testing.T, o *xfer.Options, want []byte) {
	if o.Src == "" {
		// The device holds random data; copy its prefix.
		o.Src, o.Count = e.dev, int64(len(want))
		copy(want, e.cur)
		return
	}
	o.Dst = e.dev
}
func (e *devEnd) check(t *testing.T, want []byte) {
	exp := append([]byte(nil), e.cur...)
	copy(exp, want)
	got := readAt(t, e.dev, 0, int64(len(exp)))
	equalPrefix(t, e.dev, got, exp)
	e.cur = exp
}

// pipeEnd is stdin or stdout through an os.Pipe.
type pipeEnd struct {
	r, w *os.File
	got  bytes.Buffer
	done chan struct{}
}

func (e *pipeEnd) stream() bool { return true }
func (e *pipeEnd) block() int   { return 0 }
func (e *pipeEnd) setup(t *testing.T, o *xfer.Options, want []byte) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	e.r, e.w = r, w
	if o.Src == "" {
		o.Src, o.Stdin = "-", r
		go func() { w.Write(want); w.Close() }()
		return
	}
	o.Dst, o.Stdout = "-", w
	e.got.Reset()
	e.done = make(chan struct{})
	go func() { io.Copy(&e.got, r); close(e.done) }()
}
func (e *pipeEnd) check(t *testing.T, want []byte) {
	e.w.Close()
	<-e.done
	equalPrefix(t, "stdout", e.got.Bytes(), want)
}

func newEnd(t *testing.T, kind string, devSize int64) endpoint {
	switch kind {
	case "file":
		return &fileEnd{dir: t.TempDir()}
	case "loop512", "loop4096":
		lbs := 512
		if kind == "loop4096" {
			lbs = 4096
		}
		dev, cur := loop(t, devSize, lbs)
		return &devEnd{dev: dev, cur: cur, lbs: lbs}
	case "zram":
		return &devEnd{dev: testdev.Zram(t, devSize), cur: make([]byte, devSize), lbs: 4096}
	case "stdin", "stdout":
		return &pipeEnd{}
	}
	t.Fatalf("unknown end %q", kind)
	return nil
}

// copyCase runs one copy of size bytes and checks content, length,
// tail handling and the page cache.
func copyCase(t *testing.T, src, dst endpoint, engine string, size int64, bs int64) {
	t.Helper()
	o := xfer.NewOptions()
	o.Engine, o.BlockSize = engine, bs
	want := randomBytes(t, size)
	src.setup(t, &o, want)
	dst.setup(t, &o, want)
	sum, err := xfer.Copy(context.Background(), o)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	dst.check(t, want)
	if sum.Bytes != size {
		t.Errorf("Bytes = %d, want %d", sum.Bytes, size)
	}
	if sum.Engine != engine {
		t.Errorf("Engine = %q, want %q (fallbacks %q)", sum.Engine, engine, sum.Fallbacks)
	}
	if !dst.stream() {
		wantTail := int(size % int64(sum.Dst.DIOOffsetAlign))
		method := "buffered"
		if dst.block() > 0 {
			method = "rmw"
		}
		if wantTail == 0 {
			method = "none"
		}
		if sum.Tail.Bytes != wantTail || sum.Tail.Method != method {
			t.Errorf("Tail = %+v, want %d bytes by %s", sum.Tail, wantTail, method)
		}
		if !sum.Synced {
			t.Error("destination not synced")
		}
	}
	// A direct copy leaves at most one logical block of either side in
	// the page cache (the target); in practice none.
	if added := sum.Src.CachePagesAdded + sum.Dst.CachePagesAdded; added > 1 {
		t.Errorf("cache_pages_added: src %d + dst %d > 1", sum.Src.CachePagesAdded, sum.Dst.CachePagesAdded)
	}
	for _, f := range sum.Fallbacks {
		if !bytes.Contains([]byte(f), []byte("through the page cache, then synced")) {
			t.Errorf("unexpected fallback %q", f)
		}
	}
}

var sizes = []int64{0, 1, 511, 512, 4095, 4096, 1<<20 + 7}

// pairs are the source → destination kinds.
var pairs = []struct{ src, dst string }{
	{"file", "file"},
	{"file", "loop512"},
	{"loop4096", "file"},
	{"loop4096", "loop512"},
	{"file", "zram"},
	{"stdin", "file"},
	{"file", "stdout"},
}

func TestCopyMatrix(t *testing.T) {
	for _, p := range pairs {
		t.Run(p.src+"-"+p.dst, func(t *testing.T) {
			src := newEnd(t, p.src, 2<<20)
			dst := newEnd(t, p.dst, 2<<20)
			for _, eng := range []string{"uring", "sync"} {
				for _, size := range sizes {
					t.Run(fmt.Sprintf("%s/%d", eng, size), func(t *testing.T) {
						// 256 KiB blocks: 1 MiB + 7 spans five ring turns.
						copyCase(t, src, dst, eng, size, 256<<10)
					})
				}
			}
		})
	}
}

// TestCopyLarge is the matrix's 64 MiB + 513 size: every pair, both
// engines, with the default block size (eight ring turns and a tail).
func TestCopyLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping 64 MiB copies in -short mode")
	}
	const size = 64<<20 + 513
	for _, p := range pairs {
		t.Run(p.src+"-"+p.dst, func(t *testing.T) {
			src := newEnd(t, p.src, 65<<20)
			dst := newEnd(t, p.dst, 65<<20)
			for _, eng := range []string{"uring", "sync"} {
				t.Run(eng, func(t *testing.T) {
					copyCase(t, src, dst, eng, size, xfer.DefaultBlockSize)
				})
			}
		})
	}
}

// TestWholeDevice copies a device without --count: the size comes from the
// device, and the last piece is shorter than --bs.
func TestWholeDevice(t *testing.T) {
	for _, eng := range []string{"uring", "sync"} {
		t.Run(eng, func(t *testing.T) {
			dev, want := loop(t, 1<<20+3*4096, 4096)
			o := xfer.NewOptions()
			o.Src, o.Dst, o.Engine, o.BlockSize = dev, tempPath(t, "dst"), eng, 64<<10
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Bytes != int64(len(want)) || sum.Src.Kind != "block" || sum.Src.Size != int64(len(want)) || sum.Tail.Method != "none" {
				t.Errorf("summary %+v", sum)
			}
			got, _ := os.ReadFile(o.Dst)
			equalPrefix(t, o.Dst, got, want)
		})
	}
}

// TestStreamIntoSmallDevice: a pipe of unknown length into a device fills
// the device and fails clearly when the pipe has more; one that fits ends
// normally, even when it exactly fills the device.
func TestStreamIntoSmallDevice(t *testing.T) {
	const devSize = 1 << 20
	for _, tt := range []struct {
		name string
		n    int
		ok   bool
	}{{"more than fits", devSize + 1, false}, {"exactly fits", devSize, true}, {"fits", devSize - 4096 + 7, true}} {
		t.Run(tt.name, func(t *testing.T) {
			dev, cur := loop(t, devSize, 512)
			data := randomBytes(t, int64(tt.n))
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); w.Close() })
			go func() { w.Write(data); w.Close() }()
			o := xfer.NewOptions()
			o.Src, o.Stdin, o.Dst, o.BlockSize = "-", r, dev, 256<<10
			sum, err := xfer.Copy(context.Background(), o)
			if tt.ok != (err == nil) {
				t.Fatalf("Copy: %v (ok %v)", err, tt.ok)
			}
			n := min(tt.n, devSize)
			if err != nil {
				if !errors.Is(err, xfer.ErrTooSmall) || !strings.Contains(err.Error(), "--count") {
					t.Errorf("error %q: want ErrTooSmall saying what to do", err)
				}
				t.Log(err)
			}
			if sum == nil || sum.Bytes != int64(n) || !sum.Synced {
				t.Fatalf("summary %+v", sum)
			}
			copy(cur, data[:n])
			equalPrefix(t, dev, readAt(t, dev, 0, devSize), cur)
		})
	}
}

func TestSkipSeekCount(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(t, 1<<20)
	src := writeFile(t, dir, data)
	old := randomBytes(t, 2<<20)
	tests := []struct {
		name              string
		skip, seek, count int64
		noTruncate        bool
		wantLen           int64 // final destination length
	}{
		{"count", 0, 0, 100000, false, 100000},
		{"skip", 4096, 0, -1, false, 1<<20 - 4096},
		{"seek keeps the rest", 0, 8192, 5000, false, 2 << 20},
		// Multiples of 4096, so the cases hold on a file system whose
		// direct I/O alignment is 4096 (tmpfs, 4Kn disks) too.
		{"skip seek count", 4096, 12288, 3333, false, 2 << 20},
		{"no-truncate", 0, 0, 777, true, 2 << 20},
		{"count beyond the end", 0, 0, 5 << 20, false, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tempPath(t, "dst")
			if err := os.WriteFile(dst, old, 0o644); err != nil {
				t.Fatal(err)
			}
			o := xfer.NewOptions()
			o.Src, o.Dst, o.BlockSize = src, dst, 64<<10
			o.Skip, o.Seek, o.Count, o.NoTruncate = tt.skip, tt.seek, tt.count, tt.noTruncate
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			n := int64(len(data)) - tt.skip
			if tt.count >= 0 && tt.count < n {
				n = tt.count
			}
			if sum.Bytes != n {
				t.Fatalf("Bytes = %d, want %d", sum.Bytes, n)
			}
			exp := append([]byte(nil), old...)
			copy(exp[tt.seek:], data[tt.skip:tt.skip+n])
			exp = exp[:tt.wantLen]
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			equalPrefix(t, dst, got, exp)
		})
	}
}

func TestStreamSkip(t *testing.T) {
	data := randomBytes(t, 300000)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write(data); w.Close() }()
	dst := tempPath(t, "dst")
	o := xfer.NewOptions()
	o.Src, o.Stdin, o.Dst, o.Skip, o.Count, o.BlockSize = "-", r, dst, 1000, 200001, 64<<10
	if _, err := xfer.Copy(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	equalPrefix(t, dst, got, data[1000:201001])
}

func TestSeekOnDevice(t *testing.T) {
	dev, cur := loop(t, 1<<20, 512)
	data := randomBytes(t, 10000)
	src := writeFile(t, t.TempDir(), data)
	o := xfer.NewOptions()
	o.Src, o.Dst, o.Seek = src, dev, 4608
	sum, err := xfer.Copy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Tail.Method != "rmw" || sum.Tail.Bytes != 10000%512 {
		t.Errorf("tail %+v", sum.Tail)
	}
	copy(cur[4608:], data)
	equalPrefix(t, dev, readAt(t, dev, 0, 1<<20), cur)
}

func TestLockPolicies(t *testing.T) {
	src := writeFile(t, t.TempDir(), randomBytes(t, 102400))
	for _, tt := range []struct {
		policy pin.Policy
		locked bool
	}{
		{pin.LockTry, pin.HasCapIPCLock()},
		{pin.LockRequire, true},
		{pin.LockOff, false},
	} {
		t.Run(tt.policy.String(), func(t *testing.T) {
			if tt.policy == pin.LockRequire && !pin.HasCapIPCLock() {
				t.Skip("skipping: needs CAP_IPC_LOCK (the command tests cover the child without it)")
			}
			o := xfer.NewOptions()
			o.Src, o.Dst, o.Lock = src, tempPath(t, "dst"), tt.policy
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Locked != tt.locked {
				t.Errorf("Locked = %v (%s), want %v", sum.Locked, sum.LockReason, tt.locked)
			}
			for _, f := range sum.Fallbacks {
				if strings.Contains(f, "lock") {
					t.Errorf("unexpected fallback %q", f)
				}
			}
		})
	}
}

// TestInterrupt cancels a copy from a slow pipe: the destination must hold
// exactly Summary.Bytes bytes, the prefix of the source.
func TestInterrupt(t *testing.T) {
	data := randomBytes(t, 8<<20)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for off := 0; off < len(data); off += 10000 {
			if _, err := w.Write(data[off:min(off+10000, len(data))]); err != nil {
				return
			}
			if off == 300000 {
				cancel()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	dst := tempPath(t, "dst")
	o := xfer.NewOptions()
	o.Src, o.Stdin, o.Dst, o.BlockSize = "-", r, dst, 64<<10
	sum, err := xfer.Copy(ctx, o)
	if !errors.Is(err, xfer.ErrInterrupted) {
		t.Fatalf("Copy: %v, want ErrInterrupted", err)
	}
	if sum == nil || !sum.Interrupted || sum.Bytes <= 0 || !sum.Synced {
		t.Fatalf("summary %+v", sum)
	}
	got, _ := os.ReadFile(dst)
	equalPrefix(t, dst, got, data[:sum.Bytes])
}

// TestInterruptSeekable cancels a file → file and a file → device copy
// in the middle, with each engine: the I/O in flight completes, the
// destination is synced and holds exactly Summary.Bytes of the source
// (a device keeps its own bytes after that).
func TestInterruptSeekable(t *testing.T) {
	data := randomBytes(t, 4<<20)
	src := writeFile(t, t.TempDir(), data)
	for _, dstKind := range []string{"file", "loop512"} {
		for _, eng := range []string{"uring", "sync"} {
			t.Run(dstKind+"/"+eng, func(t *testing.T) {
				var dst string
				var cur []byte
				if dstKind == "file" {
					dst = tempPath(t, "dst")
				} else {
					dst, cur = loop(t, 4<<20, 512)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				o := xfer.NewOptions()
				o.Src, o.Dst, o.BlockSize, o.Depth, o.Engine = src, dst, 4096, 2, eng
				o.ProgressInterval = time.Nanosecond
				o.Progress = func(p xfer.Progress) {
					if p.Bytes > 100000 {
						cancel()
					}
				}
				sum, err := xfer.Copy(ctx, o)
				if !errors.Is(err, xfer.ErrInterrupted) {
					t.Fatalf("Copy: %v, want ErrInterrupted", err)
				}
				if sum.Bytes <= 0 || sum.Bytes >= int64(len(data)) || !sum.Interrupted || !sum.Synced {
					t.Fatalf("summary %+v", sum)
				}
				if dstKind == "file" {
					if !sum.Truncated {
						t.Errorf("not truncated: %+v", sum)
					}
					got, _ := os.ReadFile(dst)
					equalPrefix(t, dst, got, data[:sum.Bytes])
					return
				}
				copy(cur, data[:sum.Bytes])
				equalPrefix(t, dst, readAt(t, dst, 0, int64(len(cur))), cur)
			})
		}
	}
}

// TestNoFsyncTail: without the final fdatasync the buffered tail is still
// written back (sync_file_range) and dropped, so no page stays cached.
func TestNoFsyncTail(t *testing.T) {
	data := randomBytes(t, 1<<20+7)
	o := xfer.NewOptions()
	o.Src, o.Dst, o.NoFsync = writeFile(t, t.TempDir(), data), tempPath(t, "dst"), true
	sum, err := xfer.Copy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Synced || sum.Tail.Method != "buffered" || sum.Dst.CachePagesAdded != 0 {
		t.Errorf("synced %v, tail %+v, dst pages added %d", sum.Synced, sum.Tail, sum.Dst.CachePagesAdded)
	}
	got, _ := os.ReadFile(o.Dst)
	equalPrefix(t, o.Dst, got, data)
}

// TestStreamOutDepths writes to a pipe with rings smaller than the copy:
// every piece must reach the pipe, in order, even when writing the ready
// pieces leaves nothing in flight.
func TestStreamOutDepths(t *testing.T) {
	data := randomBytes(t, 5*4096+7)
	src := writeFile(t, t.TempDir(), data)
	for _, depth := range []int{1, 2, 3} {
		for _, eng := range []string{"uring", "sync"} {
			t.Run(fmt.Sprintf("%s/depth%d", eng, depth), func(t *testing.T) {
				out := &pipeEnd{}
				o := xfer.NewOptions()
				o.Src, o.BlockSize, o.Depth, o.Engine = src, 4096, depth, eng
				out.setup(t, &o, data)
				if _, err := xfer.Copy(context.Background(), o); err != nil {
					t.Fatal(err)
				}
				out.check(t, data)
			})
		}
	}
}

// TestAutoPicksSyncOnZram: zram refuses non-blocking I/O, so --engine auto
// copies with the sync engine there and says why in the fallbacks.
func TestAutoPicksSyncOnZram(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(t, 1<<20)
	src := writeFile(t, dir, data)
	dev := testdev.Zram(t, 4<<20)
	o := xfer.NewOptions()
	o.Src, o.Dst, o.Engine = src, dev, "auto"
	sum, err := xfer.Copy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Engine != "sync" {
		t.Fatalf("auto on %s ran %s, want sync; fallbacks %q", dev, sum.Engine, sum.Fallbacks)
	}
	found := false
	for _, f := range sum.Fallbacks {
		if strings.Contains(f, "engine sync instead of io_uring") && strings.Contains(f, "RWF_NOWAIT") {
			found = true
		}
	}
	if !found {
		t.Fatalf("sync chosen without a fallback that says why: %q", sum.Fallbacks)
	}
	if got := readAt(t, dev, 0, int64(len(data))); !bytes.Equal(got, data) {
		t.Fatal("zram holds different bytes than the source")
	}
}

// TestBlockSizeOnCPUDevices: a block size left to rawcp between two zram
// devices is one CPU's L2 cache, rounded down to a power of two and at
// most the default, and the summary says why; an asked size, a file or a
// stream at either end, or a CPU whose cache sysfs does not give keeps
// the default, without a reason.
func TestBlockSizeOnCPUDevices(t *testing.T) {
	data := randomBytes(t, 3<<20)
	file := writeFile(t, t.TempDir(), data)
	zsrc := testdev.Zram(t, 4<<20)
	zdst := testdev.Zram(t, 4<<20)
	if err := os.WriteFile(zsrc, data, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		l2       int64
		src, dst string
		engine   string
		bs       int64
		want     int64
		reason   bool
	}{
		{"zram to zram, 1 MiB L2", 1 << 20, zsrc, zdst, "auto", 0, 1 << 20, true},
		{"zram to zram, 1.25 MiB L2, io_uring", 1280 << 10, zsrc, zdst, "uring", 0, 1 << 20, true},
		{"zram to zram, 512 KiB L2, sync", 512 << 10, zsrc, zdst, "sync", 0, 512 << 10, true},
		{"zram to zram, 16 MiB L2", 16 << 20, zsrc, zdst, "auto", 0, xfer.DefaultBlockSize, false},
		{"zram to zram, L2 unknown", 0, zsrc, zdst, "auto", 0, xfer.DefaultBlockSize, false},
		{"zram to zram, bs asked", 1 << 20, zsrc, zdst, "auto", 64 << 10, 64 << 10, false},
		{"file to zram", 1 << 20, file, zdst, "auto", 0, xfer.DefaultBlockSize, false},
		{"zram to file", 1 << 20, zsrc, filepath.Join(t.TempDir(), "out"), "auto", 0, xfer.DefaultBlockSize, false},
		{"zram to stdout", 1 << 20, zsrc, "-", "auto", 0, xfer.DefaultBlockSize, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer xfer.SetL2Cache(tt.l2)()
			o := xfer.NewOptions()
			o.Src, o.Dst, o.Engine, o.BlockSize, o.Count = tt.src, tt.dst, tt.engine, tt.bs, int64(len(data))
			var out *os.File
			if tt.dst == "-" {
				var err error
				if out, err = os.Create(filepath.Join(t.TempDir(), "stdout")); err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				o.Stdout = out
			}
			sum, err := xfer.Copy(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.BlockSize != tt.want {
				t.Errorf("bs %d, want %d (reason %q)", sum.BlockSize, tt.want, sum.BlockSizeReason)
			}
			if want := min(xfer.DefaultDepth, int((int64(len(data))+tt.want-1)/tt.want)); sum.Depth != want {
				t.Errorf("depth %d, want %d", sum.Depth, want)
			}
			var text strings.Builder
			sum.WriteText(&text, "rawcp")
			if tt.reason {
				if !strings.Contains(sum.BlockSizeReason, "L2 cache") || !strings.Contains(sum.BlockSizeReason, tt.src) || !strings.Contains(sum.BlockSizeReason, tt.dst) {
					t.Errorf("bs reason %q does not name the L2 cache, %s and %s", sum.BlockSizeReason, tt.src, tt.dst)
				}
				if line := fmt.Sprintf("bs %s: one CPU's L2 cache", pin.FormatBytes(uint64(tt.want))); !strings.Contains(text.String(), line) {
					t.Errorf("summary does not give the block size's reason (%q):\n%s", line, text.String())
				}
			} else if sum.BlockSizeReason != "" {
				t.Errorf("bs reason %q, want none", sum.BlockSizeReason)
			}
			dst := tt.dst
			if out != nil {
				dst = out.Name()
			}
			if got := readAt(t, dst, 0, o.Count); !bytes.Equal(got, data) {
				t.Fatal("destination holds different bytes than the source")
			}
		})
	}
}

// TestL2CacheBytes reads this machine's cache sizes from sysfs; glibc's
// getconf, from CPUID on x86, is an independent witness where it knows
// (of the CPU it runs on: the smallest L2 of all may be less on a
// machine with cores of two kinds).
func TestL2CacheBytes(t *testing.T) {
	got := xfer.L2CacheBytes()
	if _, err := os.Stat("/sys/devices/system/cpu/cpu0/cache"); err != nil {
		if got != 0 {
			t.Errorf("%d bytes of L2 without sysfs cache entries", got)
		}
		t.Skipf("skipping the cross-check: %v", err)
	}
	if got < 0 {
		t.Fatalf("L2 cache of %d bytes", got)
	}
	if got == 0 {
		// Some VMs list no level-2 cache; the copy then keeps the
		// default block size (TestBlockSizeOnCPUDevices, "L2 unknown").
		t.Skip("skipping: sysfs lists no level-2 data or unified cache")
	}
	out, err := exec.Command("getconf", "LEVEL2_CACHE_SIZE").Output()
	if err != nil {
		t.Skipf("skipping the cross-check with getconf: %v", err)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 && got > n {
		t.Errorf("sysfs gives %d bytes of L2 as the smallest, getconf LEVEL2_CACHE_SIZE %d", got, n)
	}
}
