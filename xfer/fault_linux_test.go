package xfer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

// prepareFileCopy writes data to a new source file and prepares a copy of
// it to a new destination with engine eng, block size bs and depth (0:
// the default), for a test to wrap j.eng before j.run. The job is closed
// when the test ends.
func prepareFileCopy(t *testing.T, eng string, data []byte, bs int64, depth int) (j *job, dst string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.Src, o.Dst, o.Engine, o.BlockSize = src, filepath.Join(dir, "dst"), eng, bs
	if depth > 0 {
		o.Depth = depth
	}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	j, err := prepare(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.close)
	return j, o.Dst
}

// faultEngine wraps a real engine and makes the requests that match fail
// with errno, as a file system or a failing disk would; everything else
// passes through.
type faultEngine struct {
	engine.Engine
	match func(engine.Request) bool
	op    string // the system call named in the error ("pread", "pwrite")
	errno unix.Errno
	bad   map[uint64]bool
}

func newFaultEngine(e engine.Engine, op string, errno unix.Errno, match func(engine.Request) bool) *faultEngine {
	return &faultEngine{Engine: e, match: match, op: op, errno: errno, bad: map[uint64]bool{}}
}

func (e *faultEngine) Submit(reqs ...engine.Request) error {
	for _, r := range reqs {
		e.bad[r.Tag] = e.match(r)
	}
	return e.Engine.Submit(reqs...)
}

func (e *faultEngine) Wait(min int, out []engine.Completion) (int, error) {
	n, err := e.Engine.Wait(min, out)
	for i := range out[:n] {
		if e.bad[out[i].Tag] {
			out[i].N, out[i].Err = 0, os.NewSyscallError(e.op, e.errno)
			e.bad[out[i].Tag] = false
		}
	}
	return n, err
}
