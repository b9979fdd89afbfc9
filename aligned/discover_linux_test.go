package aligned

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// The tests below read every value a second way — sysfs files by the
// device's name under /sys/block, blockdev(8), and statx(2) called
// directly — and compare with Discover.

func sysStr(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func sysNum(t *testing.T, path string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(sysStr(t, path), 0, 64)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func statxOf(t *testing.T, path string) unix.Statx_t {
	t.Helper()
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BASIC_STATS|unix.STATX_DIOALIGN|unix.STATX_DIO_READ_ALIGN, &st); err != nil {
		t.Fatalf("statx %s: %v", path, err)
	}
	return st
}

// blockdev returns `blockdev --getss --getpbsz --getsize64 --getioopt`.
func blockdev(t *testing.T, dev string) (ss, pbsz int, size int64, ioopt int) {
	t.Helper()
	if _, err := exec.LookPath("blockdev"); err != nil {
		t.Skip("skipping: blockdev not found (install util-linux)")
	}
	out, err := exec.Command("blockdev", "--getss", "--getpbsz", "--getsize64", "--getioopt", dev).CombinedOutput()
	if err != nil {
		t.Fatalf("blockdev %s: %v: %s", dev, err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 4 {
		t.Fatalf("blockdev %s: unexpected output %q", dev, out)
	}
	n := make([]int64, 4)
	for i, s := range f {
		if n[i], err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("blockdev %s: %q: %v", dev, out, err)
		}
	}
	return int(n[0]), int(n[1]), n[2], int(n[3])
}

// wantQueue compares the sysfs queue limits in r with the files in q.
func wantQueue(t *testing.T, r Rules, q string) {
	t.Helper()
	checks := []struct {
		name string
		got  uint64
		file string
	}{
		{"MaxSectorsKB", uint64(r.MaxSectorsKB), "max_sectors_kb"},
		{"MaxHWSectorsKB", uint64(r.MaxHWSectorsKB), "max_hw_sectors_kb"},
		{"MaxSegments", uint64(r.MaxSegments), "max_segments"},
		{"MaxSegmentSize", uint64(r.MaxSegmentSize), "max_segment_size"},
		{"DMAAlignment", uint64(r.DMAAlignment), "dma_alignment"},
		{"VirtBoundaryMask", r.VirtBoundaryMask, "virt_boundary_mask"},
	}
	for _, c := range checks {
		if want := sysNum(t, filepath.Join(q, c.file)); c.got != want {
			t.Errorf("%s = %d, sysfs %s/%s says %d", c.name, c.got, q, c.file, want)
		}
	}
	if r.MaxIOBytes() != r.MaxSectorsKB*1024 || r.MaxIOBytes() == 0 {
		t.Errorf("MaxIOBytes = %d with MaxSectorsKB %d", r.MaxIOBytes(), r.MaxSectorsKB)
	}
	wantSched := "none"
	if s, err := os.ReadFile(filepath.Join(q, "scheduler")); err == nil {
		ss := string(s)
		if i, j := strings.IndexByte(ss, '['), strings.IndexByte(ss, ']'); i >= 0 && j > i {
			wantSched = ss[i+1 : j]
		} else {
			wantSched = strings.TrimSpace(ss)
		}
	}
	if r.Scheduler != wantSched {
		t.Errorf("Scheduler = %q, sysfs says %q", r.Scheduler, wantSched)
	}
}

// wantDIO compares the DIO alignments in r with statx and sysfs.
func wantDIO(t *testing.T, r Rules, st unix.Statx_t, q string) {
	t.Helper()
	if st.Mask&unix.STATX_DIOALIGN != 0 {
		if r.OffsetAlign != int(st.Dio_offset_align) || r.MemAlign != int(st.Dio_mem_align) {
			t.Errorf("OffsetAlign, MemAlign = %d, %d; statx says %d, %d", r.OffsetAlign, r.MemAlign, st.Dio_offset_align, st.Dio_mem_align)
		}
		if !r.DirectIO {
			t.Error("DirectIO = false, statx reports STATX_DIOALIGN")
		}
	} else if q != "" {
		if want := int(sysNum(t, filepath.Join(q, "dma_alignment"))) + 1; r.MemAlign != want {
			t.Errorf("MemAlign = %d, sysfs dma_alignment+1 = %d", r.MemAlign, want)
		}
	}
	wantRead := r.OffsetAlign
	if st.Mask&unix.STATX_DIO_READ_ALIGN != 0 && st.Dio_read_offset_align != 0 {
		wantRead = int(st.Dio_read_offset_align)
	}
	if r.ReadOffsetAlign != wantRead {
		t.Errorf("ReadOffsetAlign = %d, want %d", r.ReadOffsetAlign, wantRead)
	}
	for _, k := range []string{"LogicalBlock", "PhysicalBlock", "MemAlign", "OffsetAlign", "ReadOffsetAlign", "DirectIO", "Size"} {
		if r.Sources[k] == "" {
			t.Errorf("Sources[%q] is empty", k)
		}
	}
}

// sameValues compares everything but Path and Sources.
func sameValues(t *testing.T, a, b Rules) {
	t.Helper()
	a.Path, b.Path, a.Sources, b.Sources = "", "", nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Discover and DiscoverFile differ:\n%+v\n%+v", a, b)
	}
}

func logRules(t *testing.T, r Rules) {
	t.Helper()
	t.Logf("%s: kind=%s size=%d logical=%d physical=%d optimal=%d mem=%d offset=%d read=%d directio=%v dev=%q %d:%d max_sectors_kb=%d max_hw_sectors_kb=%d max_segments=%d max_segment_size=%d dma_alignment=%d virt_boundary=%#x sched=%q",
		r.Path, r.Kind, r.Size, r.LogicalBlock, r.PhysicalBlock, r.OptimalIO, r.MemAlign, r.OffsetAlign, r.ReadOffsetAlign,
		r.DirectIO, r.Device, r.DevMajor, r.DevMinor, r.MaxSectorsKB, r.MaxHWSectorsKB, r.MaxSegments, r.MaxSegmentSize,
		r.DMAAlignment, r.VirtBoundaryMask, r.Scheduler)
	for k, v := range r.Sources {
		t.Logf("  %-19s %s", k, v)
	}
}

// devQueue returns the name and queue directory of block device
// maj:min by way of its uevent file (DEVNAME, DEVTYPE), independent of
// the code under test.
func devQueue(t *testing.T, maj, min uint32) (name, queue string) {
	t.Helper()
	dir := "/sys/dev/block/" + strconv.Itoa(int(maj)) + ":" + strconv.Itoa(int(min))
	ue, err := os.ReadFile(dir + "/uevent")
	if err != nil {
		return "", ""
	}
	part := false
	for _, l := range strings.Split(string(ue), "\n") {
		if v, ok := strings.CutPrefix(l, "DEVNAME="); ok {
			name = filepath.Base(v)
		}
		if l == "DEVTYPE=partition" {
			part = true
		}
	}
	if part {
		return name, "/sys/class/block/" + name + "/../queue"
	}
	return name, "/sys/block/" + name + "/queue"
}

func TestDiscoverExt4File(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil || fs.Type != unix.EXT4_SUPER_MAGIC {
		t.Skipf("skipping: %s is not on ext4 (statfs type %#x, %v)", dir, fs.Type, err)
	}
	path := testdev.RandomFile(t, dir, 1<<20)
	r, err := Discover(path)
	if err != nil {
		t.Fatal(err)
	}
	logRules(t, r)
	st := statxOf(t, path)
	if r.Kind != KindFile || r.Size != 1<<20 || r.Path != path {
		t.Errorf("Kind, Size, Path = %s, %d, %s", r.Kind, r.Size, r.Path)
	}
	if st.Mask&unix.STATX_DIOALIGN == 0 {
		t.Fatal("ext4 on Linux >= 6.1 reports STATX_DIOALIGN; statx did not")
	}
	if r.LogicalBlock != int(st.Dio_offset_align) {
		t.Errorf("LogicalBlock = %d, statx dio_offset_align = %d", r.LogicalBlock, st.Dio_offset_align)
	}
	name, q := devQueue(t, st.Dev_major, st.Dev_minor)
	if r.Device != name || r.DevMajor != st.Dev_major || r.DevMinor != st.Dev_minor {
		t.Errorf("Device = %q %d:%d, want %q %d:%d", r.Device, r.DevMajor, r.DevMinor, name, st.Dev_major, st.Dev_minor)
	}
	wantDIO(t, r, st, q)
	if q != "" {
		wantQueue(t, r, q)
		if want := int(sysNum(t, q+"/physical_block_size")); r.PhysicalBlock != want {
			t.Errorf("PhysicalBlock = %d, sysfs says %d", r.PhysicalBlock, want)
		}
		if want := int(sysNum(t, q+"/optimal_io_size")); r.OptimalIO != want {
			t.Errorf("OptimalIO = %d, sysfs says %d", r.OptimalIO, want)
		}
		// ext4 reports the device's logical block size as its DIO
		// offset alignment (fs/ext4/inode.c ext4_getattr).
		if want := int(sysNum(t, q+"/logical_block_size")); r.OffsetAlign != want {
			t.Errorf("OffsetAlign = %d, device logical block size %d", r.OffsetAlign, want)
		}
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf, err := DiscoverFile(f)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, r, rf)
	sweep(t, path, r)
}

func TestDiscoverTmpfs(t *testing.T) {
	var fs unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		t.Skipf("skipping: /dev/shm is not tmpfs (%#x, %v)", fs.Type, err)
	}
	dir, err := os.MkdirTemp("/dev/shm", "aligned-test-")
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := testdev.RandomFile(t, dir, 64<<10)
	r, err := Discover(path)
	if err != nil {
		t.Fatal(err)
	}
	logRules(t, r)
	st := statxOf(t, path)

	// DirectIO must be the truth, found independently by an O_DIRECT open.
	fd, oerr := unix.Open(path, unix.O_RDONLY|unix.O_DIRECT, 0)
	if oerr == nil {
		unix.Close(fd)
	}
	if r.DirectIO != (oerr == nil) {
		t.Errorf("DirectIO = %v, but an O_DIRECT open says %v", r.DirectIO, oerr)
	}
	if r.Device != "" || r.MaxSectorsKB != 0 || r.Scheduler != "" {
		t.Errorf("tmpfs has no block device, got Device %q MaxSectorsKB %d Scheduler %q", r.Device, r.MaxSectorsKB, r.Scheduler)
	}
	if st.Mask&unix.STATX_DIOALIGN == 0 {
		// Nothing reports tmpfs's rules: every alignment falls back to
		// the file system's block size.
		for name, v := range map[string]int{"LogicalBlock": r.LogicalBlock, "OffsetAlign": r.OffsetAlign, "MemAlign": r.MemAlign, "ReadOffsetAlign": r.ReadOffsetAlign, "PhysicalBlock": r.PhysicalBlock} {
			if v != int(st.Blksize) {
				t.Errorf("%s = %d, want stx_blksize %d", name, v, st.Blksize)
			}
		}
		if r.Sources["LogicalBlock"] != "statx stx_blksize" {
			t.Errorf("Sources[LogicalBlock] = %q", r.Sources["LogicalBlock"])
		}
	}
	wantDIO(t, r, st, "")
	if r.Size != 64<<10 || r.Kind != KindFile {
		t.Errorf("Kind, Size = %s, %d", r.Kind, r.Size)
	}
	if r.DirectIO {
		// tmpfs's O_DIRECT (mm/shmem.c, Linux 6.6+) still copies through
		// the page cache and accepts any alignment, so the rules are only
		// required to be sufficient here, not exact.
		sweep(t, path, r, "all")
	}
}

// Three loop devices in one test, so each runs once with the sweep below.
func TestDiscoverLoop(t *testing.T) {
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			dev, _ := testdev.Loop(t, 4<<20, sector, false)
			r, err := Discover(dev)
			if err != nil {
				t.Fatal(err)
			}
			logRules(t, r)
			checkBlockDevice(t, dev, r)
			if r.LogicalBlock != sector || r.OffsetAlign != sector {
				t.Errorf("LogicalBlock, OffsetAlign = %d, %d; losetup --sector-size %d", r.LogicalBlock, r.OffsetAlign, sector)
			}
			if r.Size != 4<<20 {
				t.Errorf("Size = %d, want %d", r.Size, 4<<20)
			}
			sweep(t, dev, r)
		})
	}
}

func TestDiscoverZram(t *testing.T) {
	dev := testdev.Zram(t, 16<<20)
	r, err := Discover(dev)
	if err != nil {
		t.Fatal(err)
	}
	logRules(t, r)
	checkBlockDevice(t, dev, r)
	if r.Size != 16<<20 {
		t.Errorf("Size = %d, want %d", r.Size, 16<<20)
	}
	// zram is bio-based, and on Linux 6.18 it accepts any buffer address
	// although statx reports dio_mem_align 512 (apparently the memory
	// check happens where bios are split to the queue limits, which zram
	// skips). Check stays on the advertised rule, so only "Check passes =>
	// the kernel accepts" is required for the buffer address here.
	sweep(t, dev, r, "buffer address")
}

// checkBlockDevice compares Discover's answer for dev with sysfs,
// blockdev(8) and statx, and with DiscoverFile on an open descriptor.
func checkBlockDevice(t *testing.T, dev string, r Rules) {
	t.Helper()
	name := filepath.Base(dev)
	q := "/sys/block/" + name + "/queue"
	st := statxOf(t, dev)
	if r.Kind != KindBlock || r.Device != name || r.DevMajor != st.Rdev_major || r.DevMinor != st.Rdev_minor {
		t.Errorf("Kind %s Device %q %d:%d; want block %q %d:%d", r.Kind, r.Device, r.DevMajor, r.DevMinor, name, st.Rdev_major, st.Rdev_minor)
	}
	ss, pbsz, size, ioopt := blockdev(t, dev)
	if r.LogicalBlock != ss || r.PhysicalBlock != pbsz || r.Size != size || r.OptimalIO != ioopt {
		t.Errorf("LogicalBlock %d PhysicalBlock %d Size %d OptimalIO %d; blockdev says %d %d %d %d",
			r.LogicalBlock, r.PhysicalBlock, r.Size, r.OptimalIO, ss, pbsz, size, ioopt)
	}
	for _, c := range []struct {
		field string
		got   int
		file  string
	}{
		{"LogicalBlock", r.LogicalBlock, "logical_block_size"},
		{"PhysicalBlock", r.PhysicalBlock, "physical_block_size"},
		{"OptimalIO", r.OptimalIO, "optimal_io_size"},
	} {
		if want := int(sysNum(t, filepath.Join(q, c.file))); c.got != want {
			t.Errorf("%s = %d, sysfs %s says %d", c.field, c.got, c.file, want)
		}
	}
	if want := int64(sysNum(t, "/sys/block/"+name+"/size")) * 512; r.Size != want {
		t.Errorf("Size = %d, sysfs size × 512 = %d", r.Size, want)
	}
	wantQueue(t, r, q)
	wantDIO(t, r, st, q)
	for k, want := range map[string]string{"LogicalBlock": "ioctl BLKSSZGET", "Size": "ioctl BLKGETSIZE64", "PhysicalBlock": "ioctl BLKPBSZGET", "OptimalIO": "ioctl BLKIOOPT"} {
		if r.Sources[k] != want {
			t.Errorf("Sources[%s] = %q, want %q", k, r.Sources[k], want)
		}
	}

	f, err := os.OpenFile(dev, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf, err := DiscoverFile(f)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, r, rf)
}

// writeMBR writes a DOS partition table with one Linux partition of
// count 512-byte sectors at start.
func writeMBR(t *testing.T, path string, start, count uint32) {
	t.Helper()
	var mbr [512]byte
	e := mbr[446:]
	e[4] = 0x83 // Linux
	binary.LittleEndian.PutUint32(e[8:], start)
	binary.LittleEndian.PutUint32(e[12:], count)
	mbr[510], mbr[511] = 0x55, 0xaa
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(mbr[:], 0); err != nil {
		t.Fatal(err)
	}
}

// TestDiscoverPartition checks that a partition reads its queue limits
// from the parent disk (a partition has no queue directory of its own).
func TestDiscoverPartition(t *testing.T) {
	testdev.RequireRoot(t)
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("skipping: losetup not found")
	}
	backing := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(backing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(backing, 4<<20); err != nil {
		t.Fatal(err)
	}
	writeMBR(t, backing, 2048, 4096)
	// testdev.Loop does not scan partitions, so attach with -P here and
	// detach the same way testdev does.
	out, err := exec.Command("losetup", "-P", "-f", "--show", backing).CombinedOutput()
	if err != nil {
		t.Skipf("skipping: losetup -P: %v: %s", err, out)
	}
	disk := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		var out []byte
		var err error
		for i := 0; i < 50; i++ {
			if out, err = exec.Command("losetup", "-d", disk).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("detaching %s: %v: %s", disk, err, out)
	})
	part := disk + "p1"
	if _, err := os.Stat("/sys/block/" + filepath.Base(disk) + "/" + filepath.Base(part)); err != nil {
		// The kernel may lack the msdos partition parser
		// (CONFIG_MSDOS_PARTITION); partx adds the partition with BLKPG.
		if out, err := exec.Command("partx", "-a", disk).CombinedOutput(); err != nil {
			t.Skipf("skipping: no partition scan and partx -a failed: %v: %s", err, out)
		}
	}
	for i := 0; i < 100; i++ {
		if _, err = os.Stat(part); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s did not appear: %v", part, err)
	}
	r, err := Discover(part)
	if err != nil {
		t.Fatal(err)
	}
	logRules(t, r)
	if r.Device != filepath.Base(part) {
		t.Errorf("Device = %q, want %q", r.Device, filepath.Base(part))
	}
	if r.Size != 4096*512 {
		t.Errorf("Size = %d, want %d", r.Size, 4096*512)
	}
	q := "/sys/block/" + filepath.Base(disk) + "/queue"
	wantQueue(t, r, q)
	if !strings.HasSuffix(r.Sources["MaxSectorsKB"], "/"+filepath.Base(disk)+"/queue/max_sectors_kb") {
		t.Errorf("Sources[MaxSectorsKB] = %q, want the parent disk's queue", r.Sources["MaxSectorsKB"])
	}
	wantDIO(t, r, statxOf(t, part), q)
}

func TestDiscoverPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	rc, _ := pr.SyscallConn()
	var before, after int
	rc.Control(func(fd uintptr) { before, _ = unix.FcntlInt(fd, unix.F_GETFL, 0) })

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		discover func() (Rules, error)
	}{
		{"os.Pipe", func() (Rules, error) { return DiscoverFile(pr) }},
		// Discover must not open a FIFO: that would block without a writer.
		{"fifo", func() (Rules, error) { return Discover(fifo) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var r Rules
			var err error
			go func() { r, err = tt.discover(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("discovery blocked")
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != KindPipe || r.Size != -1 || r.DirectIO {
				t.Errorf("Kind %s Size %d DirectIO %v; want pipe -1 false", r.Kind, r.Size, r.DirectIO)
			}
			if r.LogicalBlock != 1 || r.MemAlign != 1 || r.OffsetAlign != 1 || r.ReadOffsetAlign != 1 {
				t.Errorf("a pipe has no alignment rules: %+v", r)
			}
			if err := r.Check(3, 5, make([]byte, 5), true); err != nil {
				t.Errorf("Check on a pipe = %v", err)
			}
		})
	}
	rc.Control(func(fd uintptr) { after, _ = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if before != after {
		t.Errorf("DiscoverFile changed the pipe's flags from %#x to %#x", before, after)
	}
}

func TestDiscoverOther(t *testing.T) {
	tests := []struct {
		path string
		kind Kind
	}{
		{"/dev/null", KindOther},
		{"/dev/zero", KindOther},
		{os.TempDir(), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := Discover(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind || r.DirectIO || r.Size != -1 || r.OffsetAlign != 1 {
				t.Errorf("%+v", r)
			}
		})
	}
	if _, err := Discover(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, unix.ENOENT) {
		t.Errorf("Discover(missing) = %v, want ENOENT", err)
	}
}
