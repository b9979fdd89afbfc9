package workload

import (
	"context"
	"io"

	"github.com/rawio/rawio/pin"
)

// DefaultFileSize is the size of the test file of the default run.
const DefaultFileSize = 1 << 30

// Config describes one rawbench run: a target and the jobs to run on it.
type Config struct {
	// Target is the file or block device to benchmark. Empty means the
	// default run: a test file of FileSize bytes is created in Dir, filled
	// with random data, and removed at the end (also when ctx is
	// cancelled).
	Target string
	// Dir is where the default run creates its file; "" means $TMPDIR,
	// else the current directory.
	Dir string
	// FileSize is the default run's file size; 0 means DefaultFileSize.
	FileSize int64

	// Spec is the sweep to run. With Suite set, DefaultSuite(Spec) runs
	// instead of Spec.Expand(): the embedded default jobs with Spec's
	// engines, cache modes, job counts and timing.
	Spec  Spec
	Suite bool

	// AllowWrite permits write jobs on a block device or on a file that
	// rawbench did not create. Without it such jobs are refused before
	// any I/O, except in the default suite on a TARGET, where the write
	// jobs are left out (and Log says so).
	AllowWrite bool

	Lock pin.Policy // locking of the I/O buffers

	// NoHugePages keeps the I/O buffers in 4 KiB pages. By default the
	// buffers of a job whose bs is larger than a page ask for transparent
	// huge pages (madvise MADV_HUGEPAGE), so that one request of bs bytes
	// is one scatter-gather segment per 2 MiB rather than one per 4 KiB
	// page; buffers the kernel did not put wholly in huge pages are a
	// fallback, and Result.HugePageBytes says how much was.
	NoHugePages bool

	Seed uint64 // random offsets; 0 picks one at random

	// Log receives one progress line per job; nil for none.
	Log io.Writer
}

// Bench validates every job against the target, runs them one after the
// other and returns the document: the environment, one result per job,
// and the fallbacks taken. Nothing is written before every check has
// passed: a missing target, a kind that cannot be benchmarked, writing
// without AllowWrite (ErrWriteNotAllowed), a mounted or held device
// (ErrMounted), a region outside the target, a bs, offset or size that
// breaks the target's direct I/O alignment (*aligned.AlignError naming the
// rule), I/O buffers larger than half the available memory (ErrNoMemory),
// and io_uring unavailable to a job that asks for "uring" by name (an
// error wrapping engine.ErrUringUnavailable; "auto" falls back to sync
// and records it in Document.Fallbacks).
//
// When ctx is cancelled, the job in progress stops submitting, waits for
// its I/O in flight, and Bench returns the document with the results so
// far (the interrupted job's window ends at the cancellation) together
// with ctx's error.
func Bench(ctx context.Context, cfg Config) (*Document, error) { return bench(ctx, cfg) }

type runOptions struct {
	lock        pin.Policy
	noHugePages bool
	seed        uint64
	keepP       bool // set per job by runJob: engine.Options.KeepP
}
