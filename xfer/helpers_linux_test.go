package xfer_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

func sum256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func randomBytes(t *testing.T, n int64) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, dir string, b []byte) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "src-*.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	// Start without the source in the page cache, as a real backup would.
	f.Sync()
	unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	return f.Name()
}

// readAt reads n bytes at off of a file or device without leaving them in
// the page cache.
func readAt(t *testing.T, path string, off, n int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	return b
}

// state is what "untouched" compares: existence, size, mtime, content.
type state struct {
	exists bool
	size   int64
	mtime  unix.Timespec
	sha    string
}

func stateOf(t *testing.T, path string) state {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return state{}
	}
	s := state{exists: true, size: st.Size, mtime: st.Mtim}
	n := st.Size
	if st.Mode&unix.S_IFMT == unix.S_IFBLK {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		end, _ := f.Seek(0, io.SeekEnd)
		f.Close()
		n, s.size = end, end
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return s
	}
	s.sha = sum256(readAt(t, path, 0, n))
	return s
}

// untouched snapshots path and returns a check that it is as it was.
func untouched(t *testing.T, path string) func() {
	t.Helper()
	before := stateOf(t, path)
	return func() {
		t.Helper()
		if after := stateOf(t, path); after != before {
			t.Errorf("%s changed: before %+v, after %+v", path, before, after)
		}
	}
}

// loop returns a loop device and its initial content.
func loop(t *testing.T, size int64, sector int) (string, []byte) {
	t.Helper()
	dev, b := testdev.LoopData(t, size, sector)
	return dev, b
}

func tempPath(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }

func equalPrefix(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: sha256 %s, want %s (%d vs %d bytes)", what, sum256(got), sum256(want), len(got), len(want))
	}
}
