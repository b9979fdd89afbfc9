package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/internal/uring"
	"golang.org/x/sys/unix"
)

func TestUringUnavailable(t *testing.T) {
	old := probeUring
	t.Cleanup(func() { probeUring = old })
	probeUring = func() error {
		return fmt.Errorf("io_uring_disabled=2: io_uring is disabled for all processes: %w", uring.ErrDisabled)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := []*os.File{f}

	_, _, err = New(Options{Kind: KindUring, Files: files})
	if !errors.Is(err, ErrUringUnavailable) || !errors.Is(err, uring.ErrDisabled) {
		t.Fatalf("kind uring: %v, want ErrUringUnavailable wrapping the reason", err)
	}
	const want = "io_uring unavailable: io_uring_disabled=2: io_uring is disabled for all processes"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want it to start with %q", err, want)
	}

	e, fb, err := New(Options{Kind: KindAuto, Files: files, Depth: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Name() != KindSync || !fb.Happened || !strings.HasPrefix(fb.Reason, want) {
		t.Fatalf("auto: engine %s, fallback %+v; want sync with the reason", e.Name(), fb)
	}
}

// TestRegisterMemlock runs itself in a child without CAP_IPC_LOCK and with
// a 1 MiB RLIMIT_MEMLOCK, where registering 4 MiB of buffers must fail
// with ENOMEM and say why ("uring"), or fall back visibly ("auto").
func TestRegisterMemlock(t *testing.T) {
	if os.Getenv("ENGINE_MEMLOCK_CHILD") == "1" {
		memlockChild(t)
		return
	}
	if err := uring.Probe(); err != nil {
		t.Skipf("skipping: io_uring unavailable: %v", err)
	}
	cmd := testdev.WithoutIPCLock(t, 1<<20, os.Args[0], "-test.run=^TestRegisterMemlock$", "-test.v")
	cmd.Env = append(os.Environ(), "ENGINE_MEMLOCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS") {
		t.Fatal("child did not run the test")
	}
}

func memlockChild(t *testing.T) {
	mem, err := unix.Mmap(-1, 0, 4<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := Options{Kind: KindUring, Files: []*os.File{f}, Buffers: [][]byte{mem}, Fixed: true}
	_, _, err = New(opts)
	if !errors.Is(err, unix.ENOMEM) || !strings.Contains(err.Error(), "RLIMIT_MEMLOCK (1 MiB)") {
		t.Fatalf("kind uring: %v, want ENOMEM naming RLIMIT_MEMLOCK (1 MiB)", err)
	}
	t.Logf("uring: %v", err)
	opts.Kind = KindAuto
	e, fb, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Name() != KindUring || e.Fixed() || !fb.Happened || !strings.Contains(fb.Reason, "registered buffers not used") {
		t.Fatalf("auto: %s fixed=%v fallback %+v", e.Name(), e.Fixed(), fb)
	}
	t.Logf("auto: %s", fb.Reason)
}
