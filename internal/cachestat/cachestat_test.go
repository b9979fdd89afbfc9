package cachestat

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// drop writes back and evicts f's pages so a test starts from an empty
// cache (posix_fadvise(2) POSIX_FADV_DONTNEED drops clean pages only).
func drop(t *testing.T, f *os.File) {
	t.Helper()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		size  int64
		touch int64 // bytes to read back buffered after dropping
		want  uint64
	}{
		{"empty", 0, 0, 0},
		{"dropped", 1 << 20, 0, 0},
		{"one page", 1 << 20, 1, 1},
		{"partial", 1 << 20, 3*4096 + 1, 4},
		{"whole", 1<<20 + 7, 1<<20 + 7, 257},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if os.Getpagesize() != 4096 {
				t.Skip("skipping: expectations assume 4 KiB pages")
			}
			p := testdev.RandomFile(t, dir, tt.size)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			drop(t, f)
			// Readahead off so a small read brings in only its pages.
			if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM); err != nil {
				t.Fatal(err)
			}
			if tt.touch > 0 {
				if _, err := f.ReadAt(make([]byte, tt.touch), 0); err != nil {
					t.Fatal(err)
				}
			}
			s, err := File(f)
			if err != nil {
				t.Fatal(err)
			}
			if s.Pages != tt.want {
				t.Errorf("File: %d pages (%s), want %d", s.Pages, s.Method, tt.want)
			}
			m, err := viaMincore(f, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if m.Pages != tt.want {
				t.Errorf("mincore: %d pages, want %d", m.Pages, tt.want)
			}
		})
	}
}

func TestBlockDevice(t *testing.T) {
	dev, _ := testdev.Loop(t, 4<<20, 512, true)
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	drop(t, f)
	before, err := File(f)
	if err != nil {
		t.Fatal(err)
	}
	if before.Method != MethodCachestat {
		t.Logf("block device measured with %s (%s)", before.Method, before.Fallback)
	}
	if _, err := f.ReadAt(make([]byte, 1<<20), 0); err != nil {
		t.Fatal(err)
	}
	after, err := File(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := Added(before, after); got < 256 {
		t.Fatalf("a 1 MiB buffered read of %s added %d pages, want >= 256", dev, got)
	}
	m, err := viaMincore(f, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Both methods must see the read. They need not agree exactly: udev
	// and blkid probe a freshly attached loop device and may add pages
	// between the two measurements, and the two walk the cache differently.
	if m.Pages < 256 {
		t.Errorf("mincore sees %d pages after a 1 MiB read (cachestat %d), want >= 256", m.Pages, after.Pages)
	}
}

func TestNoCache(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := File(r); !errors.Is(err, ErrNoCache) {
		t.Fatalf("pipe: %v, want ErrNoCache", err)
	}
	d, err := os.Open(filepath.Dir(os.Args[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := File(d); !errors.Is(err, ErrNoCache) {
		t.Fatalf("directory: %v, want ErrNoCache", err)
	}
}

func TestAdded(t *testing.T) {
	tests := []struct{ before, after, want uint64 }{
		{0, 0, 0}, {0, 5, 5}, {5, 3, 0}, {3, 3, 0},
	}
	for _, tt := range tests {
		if got := Added(Stat{Pages: tt.before}, Stat{Pages: tt.after}); got != tt.want {
			t.Errorf("Added(%d, %d) = %d, want %d", tt.before, tt.after, got, tt.want)
		}
	}
}
