package workload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/pin"
)

// quick is a short spec for tests: 4 KiB at depth 4 for 300 ms, no ramp.
func quick() Spec {
	return Spec{
		RW: []RW{RandRead}, BS: []int{4096}, Depth: []int{4}, Jobs: []int{1},
		Engine: []string{EngineSync}, Cache: []Cache{Direct},
		Mix: 50, Runtime: 300 * time.Millisecond,
	}
}

func checkConsistent(t *testing.T, r Result) {
	t.Helper()
	if r.IOs <= 0 {
		t.Errorf("%s %s: no I/O counted", r.RW, r.Engine)
	}
	if r.Bytes != r.IOs*int64(r.BS) {
		t.Errorf("bytes %d != ios %d × bs %d", r.Bytes, r.IOs, r.BS)
	}
	if r.IOPS*float64(r.BS) != r.BytesPerSec {
		t.Errorf("iops×bs %v != bytes_per_sec %v", r.IOPS*float64(r.BS), r.BytesPerSec)
	}
	if r.Seconds <= 0 || r.IOPS != float64(r.IOs)/r.Seconds {
		t.Errorf("seconds %v iops %v ios %d", r.Seconds, r.IOPS, r.IOs)
	}
	l := r.Lat
	if !(0 < l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("latency not ordered: %+v", l)
	}
	if r.CPU.UsrSec < 0 || r.CPU.SysSec < 0 {
		t.Errorf("negative CPU time: %+v", r.CPU)
	}
}

func skipIfNoURing(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, engine.ErrUringUnavailable) {
		t.Skipf("skipping: %v", err)
	}
}

func TestRunModes(t *testing.T) {
	path := testdev.RandomFile(t, t.TempDir(), 8<<20)
	for _, eng := range []string{EngineSync, EngineURing} {
		t.Run(eng, func(t *testing.T) {
			s := quick()
			s.RW = []RW{Read, Write, RandRead, RandWrite, RandRW}
			s.Engine = []string{eng}
			doc, err := Bench(context.Background(), Config{Target: path, Spec: s, AllowWrite: true})
			skipIfNoURing(t, err)
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Results) != 5 {
				t.Fatalf("%d results", len(doc.Results))
			}
			for i, r := range doc.Results {
				if r.RW != string(s.RW[i]) || r.Engine != eng || r.Cache != "direct" {
					t.Errorf("result %d is %s %s %s", i, r.RW, r.Engine, r.Cache)
				}
				checkConsistent(t, r)
			}
			if doc.Results[4].Mix == nil || *doc.Results[4].Mix != 50 {
				t.Errorf("randrw mix not reported")
			}
			if doc.Env.Kind != "file" || doc.Env.Target != path || doc.Env.Kernel == "" || doc.Env.CPUs < 1 {
				t.Errorf("env %+v", doc.Env)
			}
		})
	}
}

func TestIOCount(t *testing.T) {
	path := testdev.RandomFile(t, t.TempDir(), 4<<20)
	s := quick()
	s.Runtime, s.IOs, s.Jobs, s.Depth = 0, 300, []int{2}, []int{8}
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Results[0]
	if r.IOs != 600 {
		t.Fatalf("ios %d, want 2 jobs × 300", r.IOs)
	}
	checkConsistent(t, r)
}

func TestFixedBuffers(t *testing.T) {
	path := testdev.RandomFile(t, t.TempDir(), 4<<20)
	s := quick()
	s.Engine, s.Fixed, s.Depth = []string{EngineURing}, true, []int{16}
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	skipIfNoURing(t, err)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Results[0]
	checkConsistent(t, r)
	if !r.Fixed && len(doc.Fallbacks) == 0 {
		t.Errorf("fixed not used and no fallback reported")
	}
}

// TestDiskstatsLoop checks the tool's count against the block layer's on a
// loop device, for direct reads.
func TestDiskstatsLoop(t *testing.T) {
	dev, _ := testdev.Loop(t, 16<<20, 512, true)
	time.Sleep(200 * time.Millisecond) // let udev's probe of the new device finish
	for _, eng := range []string{EngineSync, EngineURing} {
		t.Run(eng, func(t *testing.T) {
			s := quick()
			s.Depth = []int{8}
			s.RW = []RW{RandRead, Read}
			s.Engine = []string{eng}
			doc, err := Bench(context.Background(), Config{Target: dev, Spec: s})
			skipIfNoURing(t, err)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Env.Kind != "block" || !strings.HasPrefix(doc.Env.Device, "loop") {
				t.Fatalf("env %+v", doc.Env)
			}
			for _, r := range doc.Results {
				checkDiskstats(t, r)
			}
		})
	}
}

func checkDiskstats(t *testing.T, r Result) {
	t.Helper()
	checkConsistent(t, r)
	if r.Disk == nil {
		t.Fatalf("%s: no diskstats", r.RW)
	}
	// I/Os in flight at either edge of the window may fall on either
	// side: allow depth at each edge, plus 1%.
	slack := int64(2*r.Depth) + r.IOs/100
	// A sequential run of 4 KiB reads is partly merged into larger
	// requests (most of it with io_uring, which submits a batch under one
	// plug): the I/Os the block layer saw are requests + merges.
	if d := int64(r.Disk.ReadIOs+r.Disk.ReadMerges) - r.IOs; d > slack || d < -slack {
		t.Errorf("%s: diskstats read_ios %d + read_merges %d, tool ios %d (slack %d)", r.RW, r.Disk.ReadIOs, r.Disk.ReadMerges, r.IOs, slack)
	}
	if r.Disk.WriteIOs != 0 {
		t.Errorf("%s: %d writes during a read job", r.RW, r.Disk.WriteIOs)
	}
	if sect := int64(r.Disk.ReadSectors); sect < (r.IOs-slack)*8 || sect > (r.IOs+slack)*8 {
		t.Errorf("%s: read_sectors %d for %d I/Os of 4 KiB", r.RW, sect, r.IOs)
	}
	if r.CachePagesAdded == nil || *r.CachePagesAdded != 0 {
		t.Errorf("%s: direct reads added cache pages: %v", r.RW, r.CachePagesAdded)
	}
}

func TestCacheBoth(t *testing.T) {
	// On the disk, not testdev.MemDir: tmpfs pages are always cached, so
	// the buffered job's page-cache check could not hold there.
	path := testdev.RandomFile(t, t.TempDir(), 8<<20)
	s := quick()
	s.RW, s.BS = []RW{Read}, []int{64 << 10}
	s.Cache = []Cache{Direct, Buffered}
	s.Runtime = 200 * time.Millisecond
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 2 {
		t.Fatalf("%d results", len(doc.Results))
	}
	d, b := doc.Results[0], doc.Results[1]
	if d.Cache != "direct" || b.Cache != "buffered" {
		t.Fatalf("order %s, %s", d.Cache, b.Cache)
	}
	checkConsistent(t, d)
	checkConsistent(t, b)
	if d.CachePagesAdded == nil || b.CachePagesAdded == nil {
		t.Fatal("cache pages not measured")
	}
	if *d.CachePagesAdded > 1 {
		t.Errorf("direct reads added %d pages", *d.CachePagesAdded)
	}
	if *b.CachePagesAdded <= 0 {
		t.Errorf("buffered reads added %d pages", *b.CachePagesAdded)
	}
	if c := Compare(doc.Results); len(c) != 1 {
		t.Errorf("%d comparisons", len(c))
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func TestRefusals(t *testing.T) {
	file := testdev.RandomFile(t, t.TempDir(), 1<<20)
	dev, _ := testdev.Loop(t, 4<<20, 4096, true)
	write := quick()
	write.RW = []RW{RandRead, RandWrite} // the write job is second: refused before the read runs
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		wantMsg string
	}{
		{"block device without --allow-write", Config{Target: dev, Spec: write}, ErrWriteNotAllowed, "block device " + dev},
		{"existing file without --allow-write", Config{Target: file, Spec: write}, ErrWriteNotAllowed, "existing file"},
		{"missing target", Config{Target: filepath.Join(t.TempDir(), "nope"), Spec: quick()}, os.ErrNotExist, "nope"},
		{"directory", Config{Target: t.TempDir(), Spec: quick()}, ErrBadTarget, "regular file or a block device"},
		{"bs against 4096 sectors", Config{Target: dev, Spec: func() Spec { s := quick(); s.BS = []int{512}; return s }()},
			nil, "bs 512 is not a multiple of 4096, the logical block size of " + dev},
		{"offset against 4096 sectors", Config{Target: dev, Spec: func() Spec { s := quick(); s.Offset = 1024; return s }()},
			nil, "offset 1024 is not a multiple of 4096"},
		{"size against 4096 sectors", Config{Target: dev, Spec: func() Spec { s := quick(); s.Size = 1<<20 + 512; return s }()},
			nil, "size 1049088 is not a multiple of 4096"},
		{"region past the end", Config{Target: dev, Spec: func() Spec { s := quick(); s.Size = 8 << 20; return s }()},
			ErrBadTarget, "past the end"},
	}
	before := map[string][32]byte{file: sum(t, file), dev: sum(t, dev)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Bench(context.Background(), tt.cfg)
			if err == nil {
				t.Fatal("not refused")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err %q lacks %q", err, tt.wantMsg)
			}
			if tt.wantErr == nil {
				var ae *aligned.AlignError
				if !errors.As(err, &ae) {
					t.Errorf("err %v is not an *aligned.AlignError", err)
				}
			}
			if doc != nil && len(doc.Results) != 0 {
				t.Errorf("%d jobs ran before the refusal", len(doc.Results))
			}
		})
	}
	for p, h := range before {
		if sum(t, p) != h {
			t.Errorf("%s changed", p)
		}
	}
}

func TestMemoryRefused(t *testing.T) {
	old := memAvailable
	t.Cleanup(func() { memAvailable = old })
	memAvailable = func() (uint64, error) { return 64 << 20, nil }
	path := testdev.RandomFile(t, t.TempDir(), 4<<20)
	s := quick()
	s.RW, s.BS, s.Depth = []RW{Read}, []int{1 << 20}, []int{1, 33} // 33 MiB: more than half of 64
	doc, err := Bench(context.Background(), Config{Target: path, Spec: s})
	if !errors.Is(err, ErrNoMemory) || !strings.Contains(err.Error(), "33 MiB of I/O buffers") {
		t.Fatalf("err = %v, want ErrNoMemory naming 33 MiB", err)
	}
	if len(doc.Results) != 0 {
		t.Errorf("%d jobs ran before the refusal", len(doc.Results))
	}
	s.Depth = []int{32} // exactly half: allowed
	if _, err := Bench(context.Background(), Config{Target: path, Spec: s}); err != nil {
		t.Fatal(err)
	}
}

func TestMountedRefused(t *testing.T) {
	dev, _ := testdev.Loop(t, 16<<20, 512, false)
	for _, tool := range []string{"mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s not found", tool)
		}
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", dev).CombinedOutput(); err != nil {
		t.Skipf("skipping: mkfs.ext4: %v: %s", err, out)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", dev, mnt).CombinedOutput(); err != nil {
		t.Skipf("skipping: mount: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	_, err := Bench(context.Background(), Config{Target: dev, Spec: quick()})
	if !errors.Is(err, ErrMounted) || !strings.Contains(err.Error(), mnt) {
		t.Fatalf("err = %v, want ErrMounted naming %s", err, mnt)
	}
}

func TestDefaultRun(t *testing.T) {
	dir := t.TempDir()
	s := quick()
	s.Runtime = 50 * time.Millisecond
	var log bytes.Buffer
	doc, err := Bench(context.Background(), Config{Dir: dir, FileSize: 8 << 20, Spec: s, Suite: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 8 {
		t.Fatalf("%d results, want the 8 jobs of the suite", len(doc.Results))
	}
	for _, r := range doc.Results {
		checkConsistent(t, r)
	}
	if !strings.HasPrefix(filepath.Base(doc.Env.Target), "rawbench-") || doc.Env.Size != 8<<20 {
		t.Errorf("env %+v", doc.Env)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("test file left behind: %v", ents)
	}
	if !strings.Contains(log.String(), "[8/8]") {
		t.Errorf("progress log: %s", log.String())
	}
}

func TestDefaultRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	s := quick()
	s.Runtime = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	start := time.Now()
	doc, err := Bench(ctx, Config{Dir: dir, FileSize: 4 << 20, Spec: s, Suite: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("test file left behind: %v", ents)
	}
	if doc == nil {
		t.Fatal("no document")
	}
	for _, r := range doc.Results {
		if r.Bytes != r.IOs*int64(r.BS) || r.IOPS*float64(r.BS) != r.BytesPerSec {
			t.Errorf("inconsistent partial result %+v", r)
		}
	}
}

func TestLockRequireReported(t *testing.T) {
	path := testdev.RandomFile(t, testdev.MemDir(t), 1<<20)
	doc, err := Bench(context.Background(), Config{Target: path, Spec: quick(), Lock: pin.LockOff})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Env.Locked {
		t.Error("env says locked with locking off")
	}
	found := false
	for _, f := range doc.Fallbacks {
		found = found || strings.Contains(f, "not locked")
	}
	if !found {
		t.Errorf("unlocked buffers not reported: %q", doc.Fallbacks)
	}
}
