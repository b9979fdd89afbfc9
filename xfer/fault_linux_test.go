package xfer

import (
	"os"

	"github.com/rawio/rawio/engine"
	"golang.org/x/sys/unix"
)

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
