package xfer_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/xfer"
	"golang.org/x/sys/unix"
)

// ramfs mounts a ramfs, which has no O_DIRECT, at a temporary directory.
func ramfs(t *testing.T) string {
	t.Helper()
	testdev.RequireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "ramfs", "ramfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot mount ramfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// tmpfs mounts a small tmpfs (O_DIRECT since Linux 6.6) at a temporary
// directory, for a destination file system without room.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	testdev.RequireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_DIRECT, 0o600)
	if err != nil {
		t.Skipf("skipping: tmpfs without O_DIRECT here: %v", err)
	}
	unix.Close(fd)
	return dir
}

// TestRefusals checks every refusal of the issue: Copy fails before
// writing anything, with a *Refusal (or *UsageError), a nil Summary, and
// the destination exactly as it was; a destination that did not exist
// is not created.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(t, 2<<20+100)
	src := writeFile(t, dir, data)
	existing := writeFile(t, dir, randomBytes(t, 5000))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	isRoot := os.Geteuid() == 0

	tests := []struct {
		name  string
		root  bool // needs loop devices or mounts
		setup func(t *testing.T, o *xfer.Options)
		want  error // sentinel, or nil for any *Refusal
	}{
		{"same file", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = src, src }, xfer.ErrSameFile},
		{"same file through a symlink", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = link, src }, xfer.ErrSameFile},
		{"same device", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 1<<20, 512, true)
			o.Src, o.Dst = dev, dev
		}, xfer.ErrSameFile},
		{"loop device backed by the source", true, func(t *testing.T, o *xfer.Options) {
			dev, backing := testdev.Loop(t, 1<<20, 512, true)
			o.Src, o.Dst = backing, dev
		}, xfer.ErrSameFile},
		{"source is the loop device behind the destination file", true, func(t *testing.T, o *xfer.Options) {
			dev, backing := testdev.Loop(t, 1<<20, 512, true)
			o.Src, o.Dst = dev, backing
		}, xfer.ErrSameFile},
		{"device too small", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 2<<20, 512, true)
			o.Src, o.Dst = src, dev
		}, xfer.ErrTooSmall},
		{"device too small with seek", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 2<<20, 512, true)
			o.Src, o.Dst, o.Count, o.Seek = src, dev, 1<<20, 1<<20+512
		}, xfer.ErrTooSmall},
		{"device in use", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 4<<20, 512, true)
			// Claim it the way a mount does: an O_EXCL open (block/bdev.c).
			fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			o.Src, o.Dst = src, dev
		}, xfer.ErrBusy},
		{"device mounted", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 8<<20, 512, false)
			if out, err := exec.Command("mkfs.ext4", "-q", "-F", dev).CombinedOutput(); err != nil {
				t.Skipf("skipping: mkfs.ext4: %v: %s", err, out)
			}
			mnt := t.TempDir()
			if out, err := exec.Command("mount", dev, mnt).CombinedOutput(); err != nil {
				t.Skipf("skipping: mount: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", mnt).Run() })
			o.Src, o.Dst, o.Count = src, dev, 4096
		}, xfer.ErrBusy},
		{"missing source", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = filepath.Join(dir, "nope"), tempPath(t, "new") }, unix.ENOENT},
		{"source is a directory", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = dir, tempPath(t, "new") }, xfer.ErrIsDir},
		{"destination is a directory", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = src, t.TempDir() }, xfer.ErrIsDir},
		{"destination directory missing", false, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst = src, filepath.Join(t.TempDir(), "no", "dst")
		}, unix.ENOENT},
		{"new destination without O_DIRECT", true, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst = src, filepath.Join(ramfs(t), "dst")
		}, xfer.ErrNoDirectIO},
		{"existing destination without O_DIRECT", true, func(t *testing.T, o *xfer.Options) {
			d := filepath.Join(ramfs(t), "dst")
			if err := os.WriteFile(d, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			o.Src, o.Dst = src, d
		}, xfer.ErrNoDirectIO},
		{"source without O_DIRECT", true, func(t *testing.T, o *xfer.Options) {
			s := filepath.Join(ramfs(t), "src")
			if err := os.WriteFile(s, data, 0o644); err != nil {
				t.Fatal(err)
			}
			o.Src, o.Dst = s, tempPath(t, "new")
		}, xfer.ErrNoDirectIO},
		{"destination file system full", true, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst = src, filepath.Join(tmpfs(t, "1m"), "dst")
		}, unix.ENOSPC},
		{"existing destination on a full file system", true, func(t *testing.T, o *xfer.Options) {
			d := filepath.Join(tmpfs(t, "1m"), "dst")
			if err := os.WriteFile(d, randomBytes(t, 5000), 0o644); err != nil {
				t.Fatal(err)
			}
			o.Src, o.Dst = src, d
		}, unix.ENOSPC},
		// (How large a file may be depends on the file system: ext4 says
		// EFBIG at fallocate for 8 EiB, tmpfs allows it; the overflow of
		// an int64 offset is refused everywhere.)
		{"seek plus count overflows", false, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst, o.Seek = src, tempPath(t, "new"), math.MaxInt64&^4095
		}, unix.EFBIG},
		{"seek plus count overflows, existing destination", false, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst, o.Seek = src, existing, math.MaxInt64&^4095
		}, unix.EFBIG},
		{"block size breaks alignment", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.BlockSize = src, existing, 1000 }, xfer.ErrAlignment},
		{"skip breaks alignment", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.Skip = src, existing, 100 }, xfer.ErrAlignment},
		{"seek breaks alignment", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.Seek = src, existing, 100 }, xfer.ErrAlignment},
		{"seek breaks a device's alignment", true, func(t *testing.T, o *xfer.Options) {
			dev, _ := testdev.Loop(t, 4<<20, 4096, true)
			o.Src, o.Dst, o.Seek = src, dev, 512
		}, xfer.ErrAlignment},
		{"skip beyond the source", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.Skip = src, existing, 4<<20 }, xfer.ErrTooSmall},
		{"unknown engine", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.Engine = src, existing, "aio" }, nil},
		{"zero depth after defaults", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst, o.Depth = src, existing, -1 }, nil},
		{"both stdin and stdout", false, func(t *testing.T, o *xfer.Options) { o.Src, o.Dst = "-", "-" }, nil},
		{"seek on stdout", false, func(t *testing.T, o *xfer.Options) {
			o.Src, o.Dst, o.Seek = src, "-", 512
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && !isRoot {
				t.Skip("skipping: needs root")
			}
			o := xfer.NewOptions()
			tt.setup(t, &o)
			var check func()
			if o.Dst != "-" {
				check = untouched(t, o.Dst)
			}
			sum, err := xfer.Copy(context.Background(), o)
			if err == nil {
				t.Fatalf("Copy succeeded: %+v", sum)
			}
			if sum != nil {
				t.Errorf("a refusal returned a Summary: %+v", sum)
			}
			var r *xfer.Refusal
			var u *xfer.UsageError
			if !errors.As(err, &r) && !errors.As(err, &u) {
				t.Errorf("error %T %v is neither a Refusal nor a UsageError", err, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not match %v", err, tt.want)
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			t.Logf("%v", err)
			if check != nil {
				check()
			}
		})
	}
}

// TestAllowBuffered copies to and from a file system without O_DIRECT
// with AllowBuffered, and reports it as a fallback.
func TestAllowBuffered(t *testing.T) {
	ram := ramfs(t)
	data := randomBytes(t, 100003)
	src := writeFile(t, t.TempDir(), data)
	mid := filepath.Join(ram, "mid")
	for _, c := range []struct{ src, dst string }{{src, mid}, {mid, tempPath(t, "out")}} {
		o := xfer.NewOptions()
		o.Src, o.Dst, o.AllowBuffered = c.src, c.dst, true
		sum, err := xfer.Copy(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(c.dst)
		equalPrefix(t, c.dst, got, data)
		if len(sum.Fallbacks) == 0 {
			t.Errorf("%s -> %s: no fallback reported", c.src, c.dst)
		}
		t.Logf("fallbacks: %q", sum.Fallbacks)
	}
}
