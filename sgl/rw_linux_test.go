package sgl

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// mmapBytes maps n bytes of anonymous memory, unmapped when the test ends:
// direct I/O memory comes from mmap, never from the Go heap.
func mmapBytes(t testing.TB, n int) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatalf("mmap %d bytes: %v", n, err)
	}
	t.Cleanup(func() {
		if err := unix.Munmap(b); err != nil {
			t.Errorf("munmap: %v", err)
		}
	})
	return b
}

// openDirect opens path with O_DIRECT and closes it when the test ends.
func openDirect(t testing.TB, path string, flag int) int {
	t.Helper()
	fd, err := unix.Open(path, flag|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s O_DIRECT: %v", path, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// queueLimits reads a block device's request-queue limits from sysfs, the
// way aligned.Discover does, so the test does not depend on that package.
func queueLimits(t testing.TB, dev string, sector int) Limits {
	t.Helper()
	q := filepath.Join("/sys/block", filepath.Base(dev), "queue")
	num := func(name string) int {
		b, err := os.ReadFile(filepath.Join(q, name))
		if err != nil {
			t.Fatalf("reading queue limit: %v", err)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 63)
		if err != nil {
			t.Fatalf("queue/%s: %v", name, err)
		}
		return int(v)
	}
	return Limits{
		MaxSegmentSize: num("max_segment_size"),
		MaxSegments:    num("max_segments"),
		MaxBytes:       num("max_sectors_kb") * 1024,
		LogicalBlock:   sector,
	}
}

// limitCases are the limits the I/O tests run under: the device's own, as
// LimitsOf finds them, and small ones that force many requests, segments cut at a 64 KiB
// boundary and requests cut back to a block.
func limitCases(t testing.TB, dev string, sector int) []struct {
	name string
	lim  Limits
} {
	t.Helper()
	r, err := aligned.Discover(dev)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		lim  Limits
	}{
		{"device limits", LimitsOf(r)},
		{"small limits", Limits{MaxSegmentSize: 3 * pageSize, SegmentBoundaryMask: 0xFFFF, MaxSegments: 3, MaxBytes: 32 << 10, LogicalBlock: sector}},
	}
}

func TestReadAtLoop(t *testing.T) {
	const size = 4 << 20
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			dev, want := testdev.LoopData(t, size, sector)
			fd := openDirect(t, dev, unix.O_RDONLY)
			mem := mmapBytes(t, 1<<20+pageSize)
			for _, lc := range limitCases(t, dev, sector) {
				// A page-aligned buffer, and one at page offset 0x200
				// (st.c's case: the first segment is 3584 bytes on 4 KiB
				// pages), which a 4096-byte-sector device must take as
				// iovecs that are not whole blocks.
				for _, pageOff := range []int{0, 0x200} {
					t.Run(lc.name+"/page offset "+strconv.Itoa(pageOff), func(t *testing.T) {
						b := mem[pageOff : pageOff+1<<20]
						clear(b)
						off := int64(64<<10 + sector)
						reqs, err := Split(b, off, lc.lim)
						if err != nil {
							t.Fatal(err)
						}
						n, err := ReadAt(fd, b, off, lc.lim)
						if err != nil {
							t.Fatalf("ReadAt %d bytes at %d in %d requests: %v (n=%d)", len(b), off, len(reqs), err, n)
						}
						if n != len(b) {
							t.Fatalf("read %d bytes, want %d", n, len(b))
						}
						if !bytes.Equal(b, want[off:off+int64(len(b))]) {
							t.Fatalf("bytes read through %d requests differ from the backing file", len(reqs))
						}
						t.Logf("%d requests, %d iovecs in the first", len(reqs), len(reqs[0].Segments))
					})
				}
			}
			t.Run("end of device", func(t *testing.T) {
				b := mem[:4*sector]
				off := int64(size - 2*sector)
				n, err := ReadAt(fd, b, off, Limits{LogicalBlock: sector})
				if n != 2*sector || err != io.EOF {
					t.Fatalf("ReadAt across the end = %d, %v; want %d, io.EOF", n, err, 2*sector)
				}
				if !bytes.Equal(b[:n], want[off:]) {
					t.Fatal("bytes before the end differ from the backing file")
				}
			})
			t.Run("misaligned offset", func(t *testing.T) {
				n, err := ReadAt(fd, mem[:sector], int64(sector/2), Limits{LogicalBlock: sector})
				if n != 0 || !errors.Is(err, unix.EINVAL) {
					t.Fatalf("ReadAt at half a block = %d, %v; want 0, EINVAL", n, err)
				}
			})
		})
	}
}

func TestWriteAtLoop(t *testing.T) {
	const size = 4 << 20
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			dev, backing := testdev.Loop(t, size, sector, false)
			fd := openDirect(t, dev, unix.O_RDWR)
			src := mmapBytes(t, 1<<20+pageSize)
			dst := mmapBytes(t, 1<<20+pageSize)
			for i, lc := range limitCases(t, dev, sector) {
				t.Run(lc.name, func(t *testing.T) {
					w := src[0x200 : 0x200+1<<20]
					if _, err := rand.Read(w); err != nil {
						t.Fatal(err)
					}
					off := int64(i) * (2 << 20)
					n, err := WriteAt(fd, w, off, lc.lim)
					if err != nil || n != len(w) {
						t.Fatalf("WriteAt = %d, %v; want %d, nil", n, err, len(w))
					}
					if err := unix.Fsync(fd); err != nil {
						t.Fatal(err)
					}
					r := dst[:len(w)]
					clear(r)
					if n, err := ReadAt(fd, r, off, lc.lim); err != nil || n != len(r) {
						t.Fatalf("ReadAt = %d, %v", n, err)
					}
					if !bytes.Equal(r, w) {
						t.Fatal("bytes read back from the device differ from those written")
					}
					f, err := os.Open(backing)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					got := make([]byte, len(w))
					if _, err := f.ReadAt(got, off); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, w) {
						t.Fatal("backing file differs from the bytes written")
					}
				})
			}
		})
	}
}

// TestReadAtFile reads a regular file whose size is not a whole number of
// blocks: ReadAt returns what there is and io.EOF, buffered and (where the
// file system allows it) with O_DIRECT, where the kernel ends the read at
// the file size.
func TestReadAtFile(t *testing.T) {
	const size = 10000
	path := testdev.RandomFile(t, t.TempDir(), size)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, direct := range []bool{false, true} {
		t.Run("O_DIRECT="+strconv.FormatBool(direct), func(t *testing.T) {
			flag := unix.O_RDONLY | unix.O_CLOEXEC
			if direct {
				flag |= unix.O_DIRECT
			}
			fd, err := unix.Open(path, flag, 0)
			if direct && errors.Is(err, unix.EINVAL) {
				t.Skipf("skipping: %s does not support O_DIRECT", filepath.Dir(path))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			b := mmapBytes(t, 3*pageSize)
			lim := Limits{LogicalBlock: 4096, MaxBytes: 8192}
			n, err := ReadAt(fd, b, 0, lim)
			if n != size || err != io.EOF {
				t.Fatalf("ReadAt = %d, %v; want %d, io.EOF", n, err, size)
			}
			if !bytes.Equal(b[:n], want) {
				t.Fatal("bytes differ from the file")
			}
		})
	}
}

func TestReadAtBadFD(t *testing.T) {
	n, err := ReadAt(-1, make([]byte, 512), 0, Limits{})
	var se *os.SyscallError
	if n != 0 || !errors.As(err, &se) || se.Syscall != "preadv" || !errors.Is(err, unix.EBADF) {
		t.Fatalf("ReadAt(-1) = %d, %v; want an *os.SyscallError from preadv wrapping EBADF", n, err)
	}
	if _, err := WriteAt(-1, make([]byte, 512), 0, Limits{}); !errors.Is(err, unix.EBADF) {
		t.Fatalf("WriteAt(-1) error = %v, want EBADF", err)
	}
}
