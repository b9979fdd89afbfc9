package uring

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// mmapBuf returns size bytes of anonymous mmap'd memory: never the Go
// heap, which the kernel must not be handed (see the package doc).
func mmapBuf(t testing.TB, size int) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Munmap(b); err != nil {
			t.Error(err)
		}
	})
	return b
}

func newRing(t testing.TB, cfg Config) *Ring {
	t.Helper()
	if err := Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// waitOne submits what is queued, waits for one CQE and returns it.
func waitOne(t *testing.T, r *Ring) CQE {
	t.Helper()
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatal(err)
	}
	var c [1]CQE
	if n := r.Reap(c[:]); n != 1 {
		t.Fatalf("reaped %d CQEs, want 1", n)
	}
	return c[0]
}

func TestSetup(t *testing.T) {
	for _, cfg := range []Config{
		{Entries: 1},
		{Entries: 5, CoopTaskrun: true},
		{Entries: 64, CoopTaskrun: true},
	} {
		r := newRing(t, cfg)
		t.Logf("entries %d: sq %d cq %d flags %#x features %#x", cfg.Entries, r.SQEntries(), r.CQEntries(), r.Flags(), r.Features())
		if r.SQEntries() < cfg.Entries || r.SQEntries()&(r.SQEntries()-1) != 0 {
			t.Errorf("entries %d: SQ size %d, want a power of two >= it", cfg.Entries, r.SQEntries())
		}
		if r.CQEntries() != 2*r.SQEntries() {
			t.Errorf("CQ size %d, want 2 × %d", r.CQEntries(), r.SQEntries())
		}
		if cfg.CoopTaskrun && r.Flags()&FlagCoopTaskrun == 0 {
			t.Logf("kernel refused COOP_TASKRUN (fallback worked)")
		}
	}
	for _, n := range []int{0, -1, maxEntries + 1} {
		if _, err := New(Config{Entries: n}); !errors.Is(err, unix.EINVAL) {
			t.Errorf("New(%d entries) = %v, want EINVAL", n, err)
		}
	}
}

func TestNop(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CoopTaskrun: true})
	for i := range 10 { // more rounds than entries: the rings wrap
		s, err := r.NextSQE()
		if err != nil {
			t.Fatal(err)
		}
		s.PrepNop(uint64(1000 + i))
		c := waitOne(t, r)
		if c.UserData != uint64(1000+i) || c.Res != 0 {
			t.Fatalf("round %d: CQE %+v, want user_data %d res 0", i, c, 1000+i)
		}
	}
	if r.Ready() != 0 || r.Unsubmitted() != 0 {
		t.Errorf("ready %d unsubmitted %d after draining, want 0 0", r.Ready(), r.Unsubmitted())
	}
}

// TestSubmitUpTo hands over a queue of NOPs in pieces: each call
// consumes at most max, oldest first, and what is left stays queued.
func TestSubmitUpTo(t *testing.T) {
	r := newRing(t, Config{Entries: 8, CoopTaskrun: true})
	for i := range 5 {
		s, err := r.NextSQE()
		if err != nil {
			t.Fatal(err)
		}
		s.PrepNop(uint64(i))
	}
	for _, tc := range []struct{ max, want, left int }{
		{0, 0, 5}, {2, 2, 3}, {2, 2, 1}, {2, 1, 0}, {2, 0, 0},
	} {
		n, err := r.SubmitUpTo(tc.max)
		if n != tc.want || err != nil || r.Unsubmitted() != tc.left {
			t.Fatalf("SubmitUpTo(%d) = %d, %v with %d left; want %d, nil with %d left", tc.max, n, err, r.Unsubmitted(), tc.want, tc.left)
		}
	}
	if err := r.WaitReady(5); err != nil {
		t.Fatal(err)
	}
	cqes := make([]CQE, 8)
	n := r.Reap(cqes)
	if n != 5 {
		t.Fatalf("reaped %d CQEs, want 5", n)
	}
	for i, c := range cqes[:n] {
		if c.UserData != uint64(i) {
			t.Errorf("CQE %d has user_data %d: not submitted oldest first", i, c.UserData)
		}
	}
}

// TestWaitReady submits NOPs, then waits for their CQEs without
// submitting anything more, as the engine does when the kernel refused
// new SQEs: what is queued must stay queued.
func TestWaitReady(t *testing.T) {
	r := newRing(t, Config{Entries: 4, CoopTaskrun: true})
	for i := range 2 {
		s, err := r.NextSQE()
		if err != nil {
			t.Fatal(err)
		}
		s.PrepNop(uint64(i))
	}
	if n, err := r.Submit(); n != 2 || err != nil {
		t.Fatalf("Submit = %d, %v; want 2, nil", n, err)
	}
	s, err := r.NextSQE()
	if err != nil {
		t.Fatal(err)
	}
	s.PrepNop(2)
	if err := r.WaitReady(2); err != nil {
		t.Fatal(err)
	}
	if r.Ready() < 2 || r.Unsubmitted() != 1 {
		t.Fatalf("ready %d unsubmitted %d, want >= 2 and 1", r.Ready(), r.Unsubmitted())
	}
	if err := r.Poll(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SubmitAndWait(3); err != nil {
		t.Fatal(err)
	}
	if n := r.Reap(make([]CQE, 4)); n != 3 {
		t.Fatalf("reaped %d CQEs, want 3", n)
	}
}

// TestWaitSlice waits for reads from a pipe that is written only later.
// With a wait slice the first long wait is one call, and the long waits
// after it are made of several timed io_uring_enter calls, through
// SubmitAndWait (the read queued) and WaitReady (already in the kernel);
// once a second has passed without a long wait, waits are one call again.
// Every wait returns its one completion. Without a slice every wait is
// one call.
func TestWaitSlice(t *testing.T) {
	const slice, delay = 2 * time.Millisecond, 30 * time.Millisecond
	for _, tc := range []struct {
		name   string
		slice  time.Duration
		queued bool // wait with the read still queued (SubmitAndWait)
	}{
		{"slice submit-and-wait", slice, true},
		{"slice wait-ready", slice, false},
		{"no slice", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRing(t, Config{Entries: 2, CoopTaskrun: true, WaitSlice: tc.slice})
			want := tc.slice
			if r.Features()&FeatExtArg == 0 {
				want = 0
				t.Logf("kernel without IORING_FEAT_EXT_ARG: waits are one call")
			}
			if r.WaitSlice() != want {
				t.Fatalf("WaitSlice() = %v, want %v", r.WaitSlice(), want)
			}
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[0])
			defer unix.Close(p[1])
			buf := mmapBuf(t, 4096)
			// lateRead reads from the pipe, written delay later, and
			// returns how many slices ran out in the wait.
			lateRead := func(round int) int {
				t.Helper()
				s, err := r.NextSQE()
				if err != nil {
					t.Fatal(err)
				}
				s.PrepRead(int32(p[0]), false, buf[:16], -1, uint64(round))
				if !tc.queued {
					if n, err := r.Submit(); n != 1 || err != nil {
						t.Fatalf("Submit = %d, %v; want 1, nil", n, err)
					}
				}
				before := r.sliceEnds
				start := time.Now()
				go func() {
					time.Sleep(delay)
					unix.Write(p[1], []byte("late"))
				}()
				if tc.queued {
					_, err = r.SubmitAndWait(1)
				} else {
					err = r.WaitReady(1)
				}
				if err != nil {
					t.Fatal(err)
				}
				took := time.Since(start)
				c := waitOne(t, r) // reaps the CQE already there
				if c.UserData != uint64(round) || c.Res != 4 || string(buf[:4]) != "late" {
					t.Fatalf("round %d: CQE %+v, data %q; want user_data %d, res 4, \"late\"", round, c, buf[:4], round)
				}
				if took < delay {
					t.Fatalf("round %d: wait returned after %v, before the write at %v", round, took, delay)
				}
				ends := r.sliceEnds - before
				if want > 0 && ends > int(took/want) {
					t.Errorf("round %d: %d slices of %v ran out in a wait of %v: more than fit", round, ends, want, took)
				}
				t.Logf("round %d: waited %v in %d slices that ran out", round, took, ends)
				return ends
			}
			// Rounds 0 and 1 are one call each: round 0 is the first
			// wait, which is not judged, and round 1 comes after no long
			// wait. Round 2 comes after round 1's.
			for round, wantSliced := range []bool{false, false, want > 0} {
				if ends := lateRead(round); (ends > 0) != wantSliced {
					t.Errorf("round %d: %d slices ran out, want sliced %v", round, ends, wantSliced)
				}
			}
			if want == 0 {
				return
			}
			// A second without a long wait: waits are one call again.
			r.longAt -= 2 * sliceHold
			if ends := lateRead(3); ends != 0 {
				t.Errorf("round 3, %v after the last long wait: %d slices ran out, want one call", sliceHold, ends)
			}
		})
	}
}

func TestQueueFull(t *testing.T) {
	r := newRing(t, Config{Entries: 4})
	for i := range 4 {
		s, err := r.NextSQE()
		if err != nil {
			t.Fatalf("SQE %d: %v", i, err)
		}
		s.PrepNop(uint64(i))
	}
	if _, err := r.NextSQE(); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("fifth SQE of 4: %v, want ErrQueueFull", err)
	}
	if got := r.Unsubmitted(); got != 4 {
		t.Errorf("Unsubmitted = %d, want 4", got)
	}
	n, err := r.Submit()
	if err != nil || n != 4 {
		t.Fatalf("Submit = %d, %v; want 4, nil", n, err)
	}
	// The SQ is free again once the kernel consumed the SQEs, even
	// though no CQE was reaped yet.
	s, err := r.NextSQE()
	if err != nil {
		t.Fatalf("SQE after submit: %v", err)
	}
	s.PrepNop(4)
	if _, err := r.SubmitAndWait(5); err != nil {
		t.Fatal(err)
	}
	out := make([]CQE, 2) // smaller than what is ready: Reap takes what fits
	seen := 0
	for seen < 5 {
		n := r.Reap(out)
		if n == 0 {
			t.Fatalf("only %d of 5 CQEs", seen)
		}
		seen += n
	}
}

func TestReadWrite(t *testing.T) {
	const size = 64 << 10
	for _, tc := range []struct {
		name                 string
		fixedBuf, fixedFiles bool
	}{
		{"plain", false, false},
		{"fixed buffers", true, false},
		{"fixed files", false, true},
		{"fixed both", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRing(t, Config{Entries: 8, CoopTaskrun: true})
			path := filepath.Join(t.TempDir(), "f")
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			src, dst := mmapBuf(t, size), mmapBuf(t, size)
			rand.Read(src)
			if tc.fixedBuf {
				if err := r.RegisterBuffers([][]byte{src, dst}); err != nil {
					t.Fatal(err)
				}
			}
			fd := int32(f.Fd())
			if tc.fixedFiles {
				if err := r.RegisterFiles([]int{int(f.Fd())}); err != nil {
					t.Fatal(err)
				}
				fd = 0
			}
			// Two writes of halves, at swapped offsets, in one submission.
			half := size / 2
			for i, w := range []struct {
				b   []byte
				off int64
			}{{src[:half], int64(half)}, {src[half:], 0}} {
				s, err := r.NextSQE()
				if err != nil {
					t.Fatal(err)
				}
				if tc.fixedBuf {
					s.PrepWriteFixed(fd, tc.fixedFiles, w.b, w.off, 0, uint64(i))
				} else {
					s.PrepWrite(fd, tc.fixedFiles, w.b, w.off, uint64(i))
				}
			}
			if _, err := r.SubmitAndWait(2); err != nil {
				t.Fatal(err)
			}
			cqes := make([]CQE, 4)
			if n := r.Reap(cqes); n != 2 {
				t.Fatalf("reaped %d, want 2", n)
			}
			for _, c := range cqes[:2] {
				if c.Res != int32(half) {
					t.Fatalf("write %d: res %d, want %d", c.UserData, c.Res, half)
				}
			}
			want := append(append([]byte(nil), src[half:]...), src[:half]...)
			if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
				t.Fatal("file content differs from what was written")
			}

			s, _ := r.NextSQE()
			if tc.fixedBuf {
				s.PrepReadFixed(fd, tc.fixedFiles, dst, 0, 1, 7)
			} else {
				s.PrepRead(fd, tc.fixedFiles, dst, 0, 7)
			}
			if c := waitOne(t, r); c.Res != size || c.UserData != 7 {
				t.Fatalf("read: %+v, want res %d user_data 7", c, size)
			}
			if !bytes.Equal(dst, want) {
				t.Fatal("read bytes differ from the file")
			}
			// Reading past the end: res 0.
			s, _ = r.NextSQE()
			s.PrepRead(fd, tc.fixedFiles, dst[:512], size, 8)
			if c := waitOne(t, r); c.Res != 0 {
				t.Fatalf("read at EOF: res %d, want 0", c.Res)
			}
		})
	}
}

func TestReadv(t *testing.T) {
	r := newRing(t, Config{Entries: 2})
	path := testdev.RandomFile(t, t.TempDir(), 8192)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := mmapBuf(t, 8192)
	// The iovec array is read at submission; a Go slice kept alive
	// across SubmitAndWait will do.
	iov := make([]unix.Iovec, 2)
	iov[0].Base, iov[1].Base = &buf[4096], &buf[0]
	iov[0].SetLen(4096)
	iov[1].SetLen(4096)
	s, _ := r.NextSQE()
	s.PrepReadv(int32(f.Fd()), false, unsafe.Pointer(&iov[0]), len(iov), 0, 1)
	c := waitOne(t, r)
	runtime.KeepAlive(iov)
	if c.Res != 8192 {
		t.Fatalf("readv res %d, want 8192", c.Res)
	}
	if !bytes.Equal(buf[4096:], want[:4096]) || !bytes.Equal(buf[:4096], want[4096:]) {
		t.Fatal("readv scattered the bytes wrongly")
	}
}

func TestDirectLoop(t *testing.T) {
	for _, sector := range []int{512, 4096} {
		t.Run(fmt.Sprintf("sector %d", sector), func(t *testing.T) {
			r := newRing(t, Config{Entries: 4, CoopTaskrun: true})
			const size = 1 << 20
			dev, want := testdev.LoopData(t, size, sector)
			f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_DIRECT, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := mmapBuf(t, 256<<10)
			if err := r.RegisterBuffers([][]byte{buf}); err != nil {
				t.Fatal(err)
			}
			if err := r.RegisterFiles([]int{int(f.Fd())}); err != nil {
				t.Fatal(err)
			}
			// Four 64 KiB reads in flight at once into quarters of the
			// registered buffer, covering 256 KiB at offset 512 KiB.
			const chunk = 64 << 10
			for i := range 4 {
				s, _ := r.NextSQE()
				s.PrepReadFixed(0, true, buf[i*chunk:(i+1)*chunk], int64(512<<10+i*chunk), 0, uint64(i))
			}
			if _, err := r.SubmitAndWait(4); err != nil {
				t.Fatal(err)
			}
			cqes := make([]CQE, 4)
			if n := r.Reap(cqes); n != 4 {
				t.Fatalf("reaped %d of 4", n)
			}
			for _, c := range cqes {
				if c.Res != chunk {
					t.Fatalf("read %d: res %d (%v), want %d", c.UserData, c.Res, c.Errno(), chunk)
				}
			}
			if !bytes.Equal(buf, want[512<<10:768<<10]) {
				t.Fatal("O_DIRECT bytes differ from the backing file")
			}
		})
	}
}

func TestErrors(t *testing.T) {
	r := newRing(t, Config{Entries: 4})
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "d"), os.O_RDWR|os.O_CREATE|unix.O_DIRECT, 0o600)
	if err != nil {
		t.Skipf("skipping: O_DIRECT temp file: %v", err)
	}
	defer f.Close()
	buf := mmapBuf(t, 8192)
	// Real blocks, not a hole: iomap serves holes without checking the
	// alignment (fs/iomap/direct-io.c), so a sparse file would not fail.
	if _, err := f.WriteAt(buf[:4096], 0); err != nil {
		t.Skipf("skipping: O_DIRECT write to the temp file: %v", err)
	}
	if err := r.RegisterBuffers([][]byte{buf[:4096]}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		prep func(*SQE)
		want unix.Errno
	}{
		{"unaligned O_DIRECT offset", func(s *SQE) { s.PrepRead(int32(f.Fd()), false, buf[:4096], 1, 0) }, unix.EINVAL},
		{"unaligned O_DIRECT length", func(s *SQE) { s.PrepRead(int32(f.Fd()), false, buf[:100], 0, 0) }, unix.EINVAL},
		{"unregistered fixed file", func(s *SQE) { s.PrepRead(3, true, buf[:4096], 0, 0) }, unix.EBADF},
		{"buffer outside the registered one", func(s *SQE) { s.PrepReadFixed(int32(f.Fd()), false, buf[4096:], 0, 0, 0) }, unix.EFAULT},
		{"bad buffer index", func(s *SQE) { s.PrepReadFixed(int32(f.Fd()), false, buf[:4096], 0, 9, 0) }, unix.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := r.NextSQE()
			if err != nil {
				t.Fatal(err)
			}
			tc.prep(s)
			c := waitOne(t, r)
			if c.Errno() != tc.want {
				t.Fatalf("res %d (%v), want -%d (%v)", c.Res, c.Errno(), int(tc.want), tc.want)
			}
			if err := os.NewSyscallError("io_uring read", c.Errno()); !errors.Is(err, tc.want) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.want)
			}
		})
	}

	if err := r.RegisterBuffers(nil); !errors.Is(err, unix.EINVAL) {
		t.Errorf("registering no buffers: %v, want EINVAL", err)
	}
	// A second registration is refused by the kernel with EBUSY; the
	// errno must come through.
	if err := r.RegisterBuffers([][]byte{buf[4096:]}); !errors.Is(err, unix.EBUSY) {
		t.Errorf("registering buffers twice: %v, want EBUSY", err)
	}
}

func TestSingleIssuer(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, Config{Entries: 2, SingleIssuer: true})
	if r.Flags()&FlagSingleIssuer == 0 {
		t.Skip("skipping: kernel refused IORING_SETUP_SINGLE_ISSUER")
	}
	s, _ := r.NextSQE()
	s.PrepNop(1)
	if c := waitOne(t, r); c.Res != 0 {
		t.Fatalf("NOP res %d", c.Res)
	}
	// Another OS thread may not submit: this is why a goroutine that is
	// not locked to its thread must not ask for SingleIssuer.
	if err := onOtherThread(func() error { return submitNop(r, 2) }); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("submit from another thread: %v, want EEXIST", err)
	}
	// The refused SQE is still queued; submitting from the right thread
	// goes through.
	if c := waitOne(t, r); c.UserData != 2 {
		t.Fatalf("CQE %+v, want user_data 2", c)
	}
}

// onOtherThread runs fn in a goroutine locked to a thread of its own (a
// new one while the caller's goroutine is locked to its thread) and
// returns fn's error.
func onOtherThread(fn func() error) error {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		errc <- fn()
	}()
	return <-errc
}

// submitNop queues a NOP with userData and submits it.
func submitNop(r *Ring, userData uint64) error {
	s, err := r.NextSQE()
	if err != nil {
		return err
	}
	s.PrepNop(userData)
	_, err = r.Submit()
	return err
}

// TestDeferTaskrun sets a ring up with DEFER_TASKRUN on one thread, as
// package engine does, and drives it from another: disabled until Enable,
// then only the enabling thread may submit, and Close works from any.
func TestDeferTaskrun(t *testing.T) {
	if err := Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	var r *Ring
	err := onOtherThread(func() error { // set up on a thread of its own
		var err error
		if r, err = New(Config{Entries: 4, CoopTaskrun: true, DeferTaskrun: true}); err != nil {
			return err
		}
		return r.RegisterFiles([]int{int(os.Stdin.Fd())})
	})
	if r != nil {
		defer r.Close() // a second Close returns nil
	}
	if err != nil {
		t.Fatal(err)
	}
	want := FlagDeferTaskrun | FlagSingleIssuer | FlagRDisabled | FlagTaskrunFlag
	if r.Flags()&FlagDeferTaskrun == 0 {
		t.Skipf("skipping: kernel refused IORING_SETUP_DEFER_TASKRUN (flags %#x)", r.Flags())
	}
	if r.Flags()&want != want {
		t.Fatalf("flags %#x, want %#x set", r.Flags(), want)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := submitNop(r, 1); !errors.Is(err, unix.EBADFD) {
		t.Fatalf("submit before Enable: %v, want EBADFD", err)
	}
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := r.Enable(); err != nil {
		t.Fatalf("second Enable: %v, want nil", err)
	}
	// The NOP refused before Enable is still queued.
	if c := waitOne(t, r); c.UserData != 1 || c.Res != 0 {
		t.Fatalf("CQE %+v, want user_data 1 res 0", c)
	}
	if err := onOtherThread(func() error { return submitNop(r, 2) }); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("submit from a thread other than the enabling one: %v, want EEXIST", err)
	}
	if c := waitOne(t, r); c.UserData != 2 {
		t.Fatalf("CQE %+v, want user_data 2", c)
	}
	if err := onOtherThread(r.Close); err != nil {
		t.Fatalf("Close from another thread: %v", err)
	}
}

// TestDeferTaskrunRefused plays a kernel without DEFER_TASKRUN (6.0):
// the ring comes up without it and without the SINGLE_ISSUER and
// R_DISABLED it brought, but keeps a SINGLE_ISSUER asked for on its own.
func TestDeferTaskrunRefused(t *testing.T) {
	if err := Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	setupRing = func(entries uint32, p *params) (int, unix.Errno) {
		if p.flags&setupDeferTaskrun != 0 {
			return -1, unix.EINVAL
		}
		return setup(entries, p)
	}
	defer func() { setupRing = setup }()
	for _, tc := range []struct {
		cfg        Config
		want, drop uint32
	}{
		{Config{Entries: 2, CoopTaskrun: true, DeferTaskrun: true},
			FlagCoopTaskrun | FlagTaskrunFlag, FlagDeferTaskrun | FlagSingleIssuer | FlagRDisabled},
		{Config{Entries: 2, DeferTaskrun: true},
			0, FlagDeferTaskrun | FlagSingleIssuer | FlagRDisabled | FlagTaskrunFlag},
		{Config{Entries: 2, CoopTaskrun: true, SingleIssuer: true, DeferTaskrun: true},
			FlagCoopTaskrun | FlagSingleIssuer, FlagDeferTaskrun | FlagRDisabled},
	} {
		r, err := New(tc.cfg)
		if err != nil {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		if r.Flags()&tc.want != tc.want || r.Flags()&tc.drop != 0 {
			t.Errorf("%+v: flags %#x, want %#x set and %#x clear", tc.cfg, r.Flags(), tc.want, tc.drop)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestClose(t *testing.T) {
	r := newRing(t, Config{Entries: 2})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.NextSQE(); !errors.Is(err, ErrClosed) {
		t.Errorf("NextSQE after Close: %v", err)
	}
	if _, err := r.SubmitAndWait(1); !errors.Is(err, ErrClosed) {
		t.Errorf("SubmitAndWait after Close: %v", err)
	}
	if err := r.WaitReady(1); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitReady after Close: %v", err)
	}
	if err := r.RegisterFiles([]int{0}); !errors.Is(err, ErrClosed) {
		t.Errorf("RegisterFiles after Close: %v", err)
	}
	if n := r.Reap(make([]CQE, 1)); n != 0 {
		t.Errorf("Reap after Close = %d", n)
	}
}

func TestSupports(t *testing.T) {
	r := newRing(t, Config{Entries: 1})
	ok, err := r.Supports(OpNop, OpRead, OpWrite, OpReadFixed, OpWriteFixed, OpReadv, OpWritev)
	if err != nil || !ok {
		t.Fatalf("Supports = %v, %v", ok, err)
	}
	if ok, err := r.Supports(255); err != nil || ok {
		t.Errorf("Supports(255) = %v, %v; want false", ok, err)
	}
}

// TestCloseReleasesFiles checks that a registered block device is no
// longer held once Close returns: the device is opened O_EXCL, registered,
// its fd closed, the ring closed, and an O_EXCL open must then succeed at
// once (EBUSY while the ring's reference lingers).
func TestCloseReleasesFiles(t *testing.T) {
	dev, _ := testdev.Loop(t, 1<<20, 512, false)
	for i := range 5 {
		r := newRing(t, Config{Entries: 2})
		fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("round %d: O_EXCL open: %v", i, err)
		}
		if err := r.RegisterFiles([]int{fd}); err != nil {
			t.Fatal(err)
		}
		buf := mmapBuf(t, 4096)
		if err := r.RegisterBuffers([][]byte{buf}); err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("O_EXCL open after Close: %v", err)
	}
	unix.Close(fd)
}
