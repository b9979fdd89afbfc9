package testdev

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RequireRoot skips t unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (loop devices, zram, O_EXCL on block devices)")
	}
}

// Loop attaches a loop device of size bytes with the given logical sector
// size (512 or 4096) and direct I/O on its backing file, and returns its
// path (/dev/loopN). The device is detached when the test ends. The
// backing file is filled with random data when fill is true, so a read
// returns bytes the test can compare with Backing.
func Loop(t testing.TB, size int64, sectorSize int, fill bool) (dev, backing string) {
	t.Helper()
	RequireRoot(t)
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("skipping: losetup not found (install util-linux)")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skipf("skipping: no loop device support: %v", err)
	}
	backing = filepath.Join(t.TempDir(), "loop.img")
	f, err := os.Create(backing)
	if err != nil {
		t.Fatal(err)
	}
	if fill {
		if _, err := io.CopyN(f, rand.Reader, size); err != nil {
			f.Close()
			t.Fatal(err)
		}
	} else if err := f.Truncate(size); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--sector-size", strconv.Itoa(sectorSize),
		"--direct-io=on", "-f", "--show", backing).CombinedOutput()
	if err != nil {
		t.Skipf("skipping: losetup failed: %v: %s", err, bytes.TrimSpace(out))
	}
	dev = strings.TrimSpace(string(out))
	t.Cleanup(func() { detach(t, dev) })
	return dev, backing
}

// LoopData is Loop over random data that it returns, for a test that
// compares what it reads from the device with what the device holds.
func LoopData(t testing.TB, size int64, sectorSize int) (dev string, data []byte) {
	t.Helper()
	dev, backing := Loop(t, size, sectorSize, true)
	data, err := os.ReadFile(backing)
	if err != nil {
		t.Fatal(err)
	}
	return dev, data
}

func detach(t testing.TB, dev string) {
	// The kernel may still hold the device for a moment after the last
	// close (udev probes it); retry briefly so no device leaks.
	var out []byte
	var err error
	for i := 0; i < 50; i++ {
		out, err = exec.Command("losetup", "-d", dev).CombinedOutput()
		if err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("detaching %s: %v: %s", dev, err, bytes.TrimSpace(out))
}

// Zram hot-adds a zram device of size bytes and returns its path
// (/dev/zramN). It is reset and removed when the test ends.
func Zram(t testing.TB, size int64) string {
	t.Helper()
	RequireRoot(t)
	const ctl = "/sys/class/zram-control/hot_add"
	if _, err := os.Stat(ctl); err != nil {
		t.Skipf("skipping: no zram support (modprobe zram): %v", err)
	}
	b, err := os.ReadFile(ctl) // reading hot_add creates a device and returns its id
	if err != nil {
		t.Skipf("skipping: zram hot_add: %v", err)
	}
	id := strings.TrimSpace(string(b))
	name := "zram" + id
	t.Cleanup(func() {
		if err := os.WriteFile("/sys/block/"+name+"/reset", []byte("1"), 0); err != nil {
			t.Errorf("resetting %s: %v", name, err)
		}
		var err error
		for i := 0; i < 50; i++ {
			if err = os.WriteFile("/sys/class/zram-control/hot_remove", []byte(id), 0); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("removing %s: %v", name, err)
	})
	if err := os.WriteFile("/sys/block/"+name+"/disksize", []byte(strconv.FormatInt(size, 10)), 0); err != nil {
		t.Fatalf("sizing %s: %v", name, err)
	}
	dev := "/dev/" + name
	for i := 0; i < 100; i++ { // udev creates the node asynchronously
		if _, err := os.Stat(dev); err == nil {
			return dev
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", dev)
	return ""
}

// RandomFile writes size random bytes to a new file in dir and returns
// its path.
func RandomFile(t testing.TB, dir string, size int64) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "rand-*.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// memDirs are the RAM-backed file systems MemDir tries, in order.
var memDirs = []string{"/dev/shm"}

// MemDir returns a new directory on tmpfs that accepts O_DIRECT, removed
// when the test ends. Tests that time a window of I/O use it so that a
// disk in a slow phase cannot push the first completion past the window.
// tmpfs takes O_DIRECT since Linux 6.6 ("tmpfs: trivial support for direct
// IO"), but it does not enforce alignment and its pages stay cached:
// tests of alignment or of the page cache keep to the disk. Where no such
// directory exists (no /dev/shm, /dev/shm not tmpfs, or an older kernel)
// MemDir returns t.TempDir() and logs why, so the test still runs.
func MemDir(t testing.TB) string {
	t.Helper()
	if dir, ok := memDir(t); ok {
		return dir
	}
	return t.TempDir()
}

// memDir is MemDir, saying whether the directory is on tmpfs.
func memDir(t testing.TB) (string, bool) {
	t.Helper()
	for _, base := range memDirs {
		var st unix.Statfs_t
		if err := unix.Statfs(base, &st); err != nil || st.Type != unix.TMPFS_MAGIC {
			t.Logf("MemDir: %s is not tmpfs (%v); using the test's temp dir", base, err)
			continue
		}
		dir, err := os.MkdirTemp(base, "rawio-test-*")
		if err != nil {
			t.Logf("MemDir: %v; using the test's temp dir", err)
			continue
		}
		t.Cleanup(func() {
			if err := os.RemoveAll(dir); err != nil {
				t.Errorf("MemDir cleanup: %v", err)
			}
		})
		probe := filepath.Join(dir, "probe")
		f, err := os.OpenFile(probe, os.O_RDWR|os.O_CREATE|unix.O_DIRECT, 0o600)
		if err != nil {
			t.Logf("MemDir: %s refuses O_DIRECT (%v); using the test's temp dir", base, err)
			continue
		}
		f.Close()
		os.Remove(probe)
		return dir, true
	}
	return "", false
}

// WithoutIPCLock returns a command that runs name with args with
// CAP_IPC_LOCK dropped from every capability set and RLIMIT_MEMLOCK set
// to limit bytes (soft and hard), using setpriv and prlimit from
// util-linux. It skips t when those tools are missing or the test is not
// root (an unprivileged test lacks the capability already).
func WithoutIPCLock(t testing.TB, limit uint64, name string, args ...string) *exec.Cmd {
	t.Helper()
	RequireRoot(t)
	for _, tool := range []string{"setpriv", "prlimit"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s not found (install util-linux)", tool)
		}
	}
	l := fmt.Sprint(limit)
	argv := []string{"--memlock=" + l + ":" + l, "setpriv",
		"--inh-caps=-ipc_lock", "--ambient-caps=-ipc_lock", "--bounding-set=-ipc_lock", "--", name}
	return exec.Command("prlimit", append(argv, args...)...)
}
