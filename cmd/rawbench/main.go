// Command rawbench times I/O on a file or block device the way storage
// engineers use fio, through the same pinned buffers and engines as
// rawcp, and measures the page cache and system-time cost of buffered
// I/O beside direct I/O. See docs/rawbench.1.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawio/rawio/internal/size"
	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes, documented in --help and docs/rawbench.1.md.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

type options struct {
	rw, bs, depth, jobs, engine, cache string
	mix                                int
	size, offset                       string
	runtime, ramp                      string
	ios                                int64
	fixed, vectored                    bool
	dir                                string
	allowWrite                         bool
	json                               bool
	plot                               string
	lock                               pin.Policy
	hugePages                          bool
	seed                               uint64
	quiet                              bool
	cpuProfile                         string
	help                               bool
}

func (o *options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.rw, "rw", "randread", "access pattern: read, write, randread, randwrite, randrw (comma list sweeps)")
	fs.IntVar(&o.mix, "mix", 50, "percent reads for randrw")
	fs.StringVar(&o.bs, "bs", "4k", "block size per I/O, e.g. 4k,64k,1m (comma list sweeps)")
	fs.StringVar(&o.depth, "depth", "1", "I/Os in flight per job, 1..32768 (comma list sweeps)")
	fs.StringVar(&o.jobs, "jobs", "1", "parallel instances, each with its own file handle, buffers and engine (comma list sweeps)")
	fs.StringVar(&o.size, "size", "", "region size in bytes (default: to the end of TARGET; without TARGET the test file size, 1G)")
	fs.StringVar(&o.offset, "offset", "0", "start of the region in bytes")
	fs.StringVar(&o.runtime, "runtime", "5s", "measurement window per job (Go duration, or seconds)")
	fs.StringVar(&o.ramp, "ramp", "1s", "time before the window opens; I/O done then is not counted")
	fs.Int64Var(&o.ios, "ios", 0, "stop each job instance after this many counted I/Os instead of --runtime")
	fs.StringVar(&o.engine, "engine", "auto", "I/O engine: auto, sync, uring (comma list sweeps)")
	fs.BoolVar(&o.fixed, "fixed", false, "io_uring: register the buffers and use READ_FIXED/WRITE_FIXED")
	fs.BoolVar(&o.vectored, "vectored", false, "sync engine: preadv/pwritev through scatter-gather lists")
	fs.StringVar(&o.cache, "cache", "direct", "direct (O_DIRECT), buffered (page cache), or both (direct then buffered, compared)")
	fs.StringVar(&o.dir, "dir", "", "directory for the default run's test file (default $TMPDIR, else the current directory)")
	fs.BoolVar(&o.allowWrite, "allow-write", false, "allow write jobs on a block device or on a file rawbench did not create")
	fs.BoolVar(&o.json, "json", false, "print one JSON document on stdout")
	fs.StringVar(&o.plot, "plot", "", "write an SVG chart of the results to `FILE.svg`")
	o.lock = pin.LockTry
	fs.Var(&o.lock, "lock", "buffer locking: try (lock if possible), require (fail if not), off")
	fs.BoolVar(&o.hugePages, "hugepages", false, "ask for transparent huge pages for the buffers")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for random offsets (0: a random seed)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines or table on stderr")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to `FILE`")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
}

const usageHead = `usage: rawbench [flags] [TARGET]

Times I/O on TARGET (a regular file or a block device) through pinned
buffers and the sync or io_uring engine. Without TARGET, a test file (--size,
default 1 GiB) is created in --dir, filled with random data, benchmarked with
the default suite (sequential read and write 1 MiB, random read and write
4 KiB, each at depth 1 and 32, direct) and removed. The default suite also
runs on a TARGET when none of --rw, --bs, --depth is given (its write jobs
only with --allow-write).

flags:
`

const usageTail = `
Comma lists in --rw, --bs, --depth, --jobs, --engine (and --cache both) run
every combination. Sizes take K/KiB, M/MiB, G/GiB, T/TiB (binary) or KB,
MB, GB, TB (decimal).

Safety: write jobs on a block device or on an existing file need
--allow-write; a mounted or otherwise held block device is refused.

exit codes:
  0    done
  1    error (missing or unusable target, bs/offset/size breaking the target's
       alignment, unsafe write, mounted device, io_uring unavailable with
       --engine uring, I/O error)
  2    usage (unknown flag, rw, engine or cache mode, bad size or duration,
       value out of range, empty list entry, too many arguments)
  130  interrupted (SIGINT/SIGTERM); the results so far are still printed
`

type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := runErr(args, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "rawbench: %v (see rawbench --help)\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "rawbench: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "rawbench: %v\n", err)
		return exitError
	}
}

func runErr(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := pflag.NewFlagSet("rawbench", pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, by run
	o.AddFlags(fs)
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			o.help = true
		} else {
			return usageError{err}
		}
	}
	if o.help {
		fmt.Fprint(stdout, usageHead+fs.FlagUsages()+usageTail)
		return pflag.ErrHelp
	}
	if fs.NArg() > 1 {
		return usagef("one TARGET at most, got %d arguments", fs.NArg())
	}
	cfg, err := o.config(fs)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if !o.quiet {
		cfg.Log = stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the run winds down (drain, summary, remove
	// the test file); restore the default action so a second one kills.
	go func() { <-ctx.Done(); stop() }()
	doc, err := workload.Bench(ctx, cfg)
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}
	if !o.quiet {
		fmt.Fprintln(stderr)
		if werr := doc.WriteTable(stderr); werr != nil {
			return werr
		}
	}
	if o.json {
		if werr := doc.WriteJSON(stdout); werr != nil {
			return werr
		}
	}
	if o.plot != "" && len(doc.Results) > 0 {
		if werr := writePlot(o.plot, doc); werr != nil {
			return werr
		}
		if !o.quiet {
			fmt.Fprintf(stderr, "plot written to %s\n", o.plot)
		}
	}
	return err
}

func writePlot(path string, doc *workload.Document) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := workload.WritePlot(f, doc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// config turns the flags into a workload.Config; every error is a usage
// error.
func (o *options) config(fs *pflag.FlagSet) (workload.Config, error) {
	cfg := workload.Config{
		Target:     fs.Arg(0),
		Dir:        o.dir,
		AllowWrite: o.allowWrite,
		Lock:       o.lock,
		HugePages:  o.hugePages,
		Seed:       o.seed,
	}
	s := workload.Spec{Mix: o.mix, Fixed: o.fixed, Vectored: o.vectored, IOs: o.ios}
	var err error
	rws, err := listItems("rw", o.rw)
	if err != nil {
		return cfg, err
	}
	for _, v := range rws {
		rw, err := workload.ParseRW(v)
		if err != nil {
			return cfg, usageError{err}
		}
		s.RW = append(s.RW, rw)
	}
	if s.BS, err = sizeList("bs", o.bs); err != nil {
		return cfg, err
	}
	if s.Depth, err = intList("depth", o.depth); err != nil {
		return cfg, err
	}
	if s.Jobs, err = intList("jobs", o.jobs); err != nil {
		return cfg, err
	}
	engines, err := listItems("engine", o.engine)
	if err != nil {
		return cfg, err
	}
	for _, v := range engines {
		e, err := workload.ParseEngine(v)
		if err != nil {
			return cfg, usageError{err}
		}
		s.Engine = append(s.Engine, e)
	}
	caches, err := listItems("cache", o.cache)
	if err != nil {
		return cfg, err
	}
	for _, v := range caches {
		c, err := workload.ParseCache(v)
		if err != nil {
			return cfg, usageError{err}
		}
		s.Cache = append(s.Cache, c...)
	}
	if o.size != "" {
		if s.Size, err = size.Parse(o.size); err != nil {
			return cfg, usagef("--size: %v", err)
		}
		if s.Size == 0 {
			return cfg, usagef("--size must be greater than 0")
		}
	}
	if s.Offset, err = size.Parse(o.offset); err != nil {
		return cfg, usagef("--offset: %v", err)
	}
	if s.Runtime, err = parseDuration("runtime", o.runtime); err != nil {
		return cfg, err
	}
	if s.Ramp, err = parseDuration("ramp", o.ramp); err != nil {
		return cfg, err
	}
	if o.ios < 0 {
		return cfg, usagef("--ios %d must not be negative", o.ios)
	}
	if s.Runtime == 0 && s.IOs == 0 {
		return cfg, usagef("--runtime must be greater than 0 unless --ios is given")
	}
	if o.mix < 0 || o.mix > 100 {
		return cfg, usagef("--mix %d out of range 0..100", o.mix)
	}
	if cfg.Target == "" {
		// The default run: --size is the test file's size, and the
		// region is the whole file.
		cfg.FileSize = s.Size
		s.Size = 0
	}
	cfg.Suite = !fs.Changed("rw") && !fs.Changed("bs") && !fs.Changed("depth")
	cfg.Spec = s
	if _, err := s.Expand(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// listItems splits the comma list given to --name. Every entry must be
// non-empty: "4k,,8k" or a trailing comma is more likely a typo than a
// wish for fewer jobs, so it is a usage error rather than skipped.
func listItems(name, s string) ([]string, error) {
	parts := strings.Split(s, ",")
	for i, v := range parts {
		if parts[i] = strings.TrimSpace(v); parts[i] == "" {
			return nil, usagef("--%s %q: empty entry in the list", name, s)
		}
	}
	return parts, nil
}

func sizeList(name, s string) ([]int, error) {
	items, err := listItems(name, s)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(items))
	for i, v := range items {
		n, err := size.Parse(v)
		if err != nil {
			return nil, usagef("--%s: %v", name, err)
		}
		if n <= 0 || n > 1<<30 {
			return nil, usagef("--%s %d out of range 1..1 GiB", name, n)
		}
		out[i] = int(n)
	}
	return out, nil
}

func intList(name, s string) ([]int, error) {
	items, err := listItems(name, s)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(items))
	for i, v := range items {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, usagef("--%s %q: want a positive integer or a comma list of them", name, v)
		}
		out[i] = n
	}
	return out, nil
}

// parseDuration accepts a Go duration ("300ms", "1m30s") or a plain
// number of seconds as fio does ("10", "0.5").
func parseDuration(name, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if !(f >= 0 && f <= 1e6) { // written so that NaN fails too
			return 0, usagef("--%s %q out of range", name, s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usagef("--%s %q: want a duration such as 5s or 300ms", name, s)
	}
	return d, nil
}
