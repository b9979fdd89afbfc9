package testdev

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLoopAndZram(t *testing.T) {
	dev, backing := Loop(t, 1<<20, 4096, true)
	if !strings.HasPrefix(dev, "/dev/loop") {
		t.Fatalf("Loop returned %q", dev)
	}
	if fi, err := os.Stat(backing); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("backing %s: %v %v", backing, fi, err)
	}
	z := Zram(t, 16<<20)
	if fi, err := os.Stat(z); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("zram %s: %v %v", z, fi, err)
	}
}

func TestWithoutIPCLock(t *testing.T) {
	out, err := WithoutIPCLock(t, 8<<20, "sh", "-c", "ulimit -l; grep CapEff /proc/self/status").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s := string(out)
	if !strings.HasPrefix(s, "8192\n") {
		t.Fatalf("memlock limit not applied: %q", s)
	}
	// CAP_IPC_LOCK is bit 14: 0x4000.
	var eff uint64
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "CapEff:") {
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "CapEff:")), "%x", &eff); err != nil {
				t.Fatal(err)
			}
		}
	}
	if eff&(1<<14) != 0 {
		t.Fatalf("CAP_IPC_LOCK still effective: %q", s)
	}
}

func TestMemDir(t *testing.T) {
	dir, ok := memDir(t)
	if !ok {
		t.Skip("skipping: no tmpfs that takes O_DIRECT here (see the log); MemDir falls back to the test's temp dir")
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		t.Fatalf("MemDir gave %s, type %#x, not tmpfs", dir, st.Type)
	}
	p := RandomFile(t, dir, 1<<20)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		t.Fatalf("O_DIRECT open in %s: %v", dir, err)
	}
	f.Close()
}
