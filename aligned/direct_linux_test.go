package aligned

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// sweep opens path with OpenFile and issues O_DIRECT preads and pwrites
// that break one rule at a time (offset, length, buffer address) from a
// page-aligned mmap'd buffer. The kernel must fail with EINVAL exactly
// where Check fails and succeed exactly where Check passes, except for
// the rules named in lenient (what/"all"), where the kernel is allowed to
// accept more than Check: there only "Check passes => kernel accepts" is
// required, and what the kernel did otherwise is logged.
func sweep(t *testing.T, path string, r Rules, lenient ...string) {
	t.Helper()
	f, err := OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(-1, 0, 64<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	base := LCM(LCM(r.OffsetAlign, r.MemAlign), 4096)

	type tc struct {
		vary string // which of the three this case varies
		off  int64
		n    int
		boff int
	}
	var cases []tc
	cases = append(cases, tc{"", 0, base, 0})
	for _, o := range []int64{1, 2, 4, 256, 511, 512, 1024, 2048, 3072, 4096, 8192} {
		cases = append(cases, tc{"offset", o, base, 0})
	}
	for _, n := range []int{1, 4, 256, 512, 1024, 2048, 3584, 4096, 4608, 8192} {
		cases = append(cases, tc{"length", 0, n, 0})
	}
	for _, b := range []int{1, 2, 3, 4, 8, 16, 64, 256, 511, 512, 1024, 2048, 4096} {
		cases = append(cases, tc{"buffer address", 0, base, b})
	}
	cases = append(cases, tc{"offset", 1, 1, 1}) // all three broken: offset is named first

	fd := int(f.Fd())
	failed := map[string]int{}
	looser := map[string]int{} // Check refused, kernel accepted (lenient rules only)
	for _, write := range []bool{false, true} {
		op := "pread"
		if write {
			op = "pwrite"
		}
		for _, c := range cases {
			buf := mem[c.boff : c.boff+c.n]
			name := fmt.Sprintf("%s off=%d len=%d addr=page+%d", op, c.off, c.n, c.boff)
			cerr := r.Check(c.off, c.n, buf, write)
			var kerr error
			if write {
				_, kerr = unix.Pwrite(fd, buf, c.off)
			} else {
				_, kerr = unix.Pread(fd, buf, c.off)
			}
			if cerr != nil {
				var ae *AlignError
				if !errors.As(cerr, &ae) || ae.What != c.vary {
					t.Errorf("%s: Check = %v, want a %q AlignError", name, cerr, c.vary)
				}
				failed[c.vary]++
			}
			switch {
			case cerr == nil && kerr != nil:
				t.Errorf("%s: Check passed but the kernel said %v", name, kerr)
			case cerr != nil && (slices.Contains(lenient, c.vary) || slices.Contains(lenient, "all")):
				if kerr == nil {
					looser[c.vary]++
				}
			case cerr != nil && kerr == nil:
				t.Errorf("%s: Check said %q but the kernel accepted it", name, cerr)
			case cerr != nil && !errors.Is(kerr, unix.EINVAL):
				t.Errorf("%s: Check said %q, the kernel said %v, want EINVAL", name, cerr, kerr)
			}
		}
	}
	// Every rule must have been broken at least once, or the sweep proves
	// nothing about it.
	for what, align := range map[string]int{"offset": r.OffsetAlign, "length": r.OffsetAlign, "buffer address": r.MemAlign} {
		if align > 1 && failed[what] == 0 {
			t.Errorf("no case broke the %s rule (alignment %d)", what, align)
		}
	}
	t.Logf("%s: %d cases, Check failed offset %d, length %d, buffer address %d (lenient: %q; of those the kernel accepted %v)",
		path, 2*len(cases), failed["offset"], failed["length"], failed["buffer address"], lenient, looser)
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	existing := testdev.RandomFile(t, dir, 8192)
	tests := []struct {
		name    string
		path    string
		flag    int
		noDIO   bool
		errno   error
		message string
	}{
		{"existing file", existing, os.O_RDWR, false, nil, ""},
		{"new file", filepath.Join(dir, "new"), os.O_RDWR | os.O_CREATE | os.O_EXCL, false, nil, ""},
		{"missing", filepath.Join(dir, "missing"), os.O_RDONLY, false, unix.ENOENT, ""},
		{"proc", "/proc/self/status", os.O_RDONLY, true, unix.EINVAL,
			"open /proc/self/status: file system does not support O_DIRECT (proc): invalid argument"},
		{"character device", "/dev/null", os.O_RDONLY, true, unix.EINVAL,
			"open /dev/null: file system does not support O_DIRECT (character device 1:3): invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenFile(tt.path, tt.flag, 0o644)
			if tt.errno == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
				if err != nil || fl&unix.O_DIRECT == 0 {
					t.Errorf("F_GETFL = %#x, %v; want O_DIRECT set", fl, err)
				}
				return
			}
			if err == nil {
				f.Close()
				t.Fatal("OpenFile succeeded")
			}
			if !errors.Is(err, tt.errno) || errors.Is(err, ErrNoDirectIO) != tt.noDIO {
				t.Errorf("OpenFile = %v; want errno %v, ErrNoDirectIO %v", err, tt.errno, tt.noDIO)
			}
			var pe *os.PathError
			if !errors.As(err, &pe) {
				t.Errorf("OpenFile error %T is not an *os.PathError", err)
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("OpenFile = %q\nwant       %q", err, tt.message)
			}
		})
	}
}

// TestNoDirectIORamfs mounts a ramfs, which has no direct I/O at all
// (no FMODE_CAN_ODIRECT), to see the whole no-O_DIRECT path on a real
// file system: OpenFile, the O_CREAT|O_EXCL clean-up, and Discover.
func TestNoDirectIORamfs(t *testing.T) {
	testdev.RequireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "ramfs", "aligned-test", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: mount -t ramfs: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	existing := filepath.Join(dir, "f")
	if err := os.WriteFile(existing, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	created := filepath.Join(dir, "created")
	tests := []struct {
		name string
		path string
		flag int
	}{
		{"existing", existing, os.O_RDONLY},
		{"existing rw", existing, os.O_RDWR},
		{"create exclusive", created, os.O_RDWR | os.O_CREATE | os.O_EXCL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenFile(tt.path, tt.flag, 0o644)
			if err == nil {
				f.Close()
				t.Fatal("OpenFile on ramfs succeeded")
			}
			if !errors.Is(err, ErrNoDirectIO) || !errors.Is(err, unix.EINVAL) {
				t.Fatalf("OpenFile = %v; want ErrNoDirectIO and EINVAL", err)
			}
			want := "open " + tt.path + ": file system does not support O_DIRECT (ramfs): invalid argument"
			if err.Error() != want {
				t.Errorf("OpenFile = %q\nwant       %q", err, want)
			}
		})
	}
	if _, err := os.Stat(created); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenFile left %s behind after O_CREAT|O_EXCL: %v", created, err)
	}
	r, err := Discover(existing)
	if err != nil {
		t.Fatal(err)
	}
	if r.DirectIO || !strings.Contains(r.Sources["DirectIO"], "ramfs") {
		t.Errorf("DirectIO = %v (%s), want false because of ramfs", r.DirectIO, r.Sources["DirectIO"])
	}
}
