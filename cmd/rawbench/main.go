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
	"syscall"

	"github.com/spf13/pflag"

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

// options are rawbench's flags: the benchmark's, and those of the
// process itself.
type options struct {
	workload.Options
	quiet      bool
	cpuProfile string
	help       bool
}

func (o *options) AddFlags(fs *pflag.FlagSet) {
	o.Options.AddFlags(fs)
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

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := runErr(args, stdout, stderr)
	var ue *workload.UsageError
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
			return &workload.UsageError{Err: err}
		}
	}
	if o.help {
		fmt.Fprint(stdout, usageHead+fs.FlagUsages()+usageTail)
		return pflag.ErrHelp
	}
	cfg, err := o.Config(fs)
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
	if o.JSON {
		if werr := doc.WriteJSON(stdout); werr != nil {
			return werr
		}
	}
	if o.Plot != "" && len(doc.Results) > 0 {
		if werr := writePlot(o.Plot, doc); werr != nil {
			return werr
		}
		if !o.quiet {
			fmt.Fprintf(stderr, "plot written to %s\n", o.Plot)
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
