// Command rawcp copies files, block devices and pipes with O_DIRECT
// through a ring of pinned buffers, leaving the page cache untouched.
// See docs/rawcp.1.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/rawio/rawio/xfer"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes, documented in --help and docs/rawcp.1.md.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

const usageHead = `Usage: rawcp [flags] SRC DST

Copy SRC to DST with O_DIRECT through a ring of --depth pinned buffers of
--bs bytes, reads and writes overlapping. SRC and DST are regular files,
block devices, or "-" for stdin / stdout (pipes are read and written
without O_DIRECT; the other side stays direct). Sizes take binary suffixes
K, M, G, T (or KiB, MiB, GiB, TiB) and decimal ones KB, MB, GB, TB.

Flags:
`

const usageTail = `
Exit status:
  0    the copy is complete (and synced unless --no-fsync)
  1    an error, or a refusal before anything was written
  2    usage error (unknown flag, wrong arguments, unparsable size)
  130  interrupted (SIGINT): the I/O in flight was finished, DST synced,
       and the summary gives the bytes copied
`

type options struct {
	xfer.Options
	progress string
	json     bool
}

func (o *options) AddFlags(fs *pflag.FlagSet) {
	o.Options.AddFlags(fs)
	fs.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal), bar, json or none")
	fs.BoolVar(&o.json, "json", false, "print the summary as one JSON object on stdout")
}

func run(args []string, stdin, stdout *os.File, stderr io.Writer) int {
	o := options{Options: xfer.NewOptions()}
	fs := pflag.NewFlagSet("rawcp", pflag.ContinueOnError)
	fs.SortFlags = false
	o.AddFlags(fs)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usage(stderr, err.Error())
	}
	if *help {
		fs.SetOutput(stderr)
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(stderr, usageTail)
		return exitOK
	}
	if fs.NArg() != 2 {
		return usage(stderr, fmt.Sprintf("expected SRC and DST, got %d argument(s)", fs.NArg()))
	}
	o.Src, o.Dst = fs.Arg(0), fs.Arg(1)
	o.Stdin, o.Stdout = stdin, stdout
	switch o.progress {
	case "auto", "bar", "json", "none":
	default:
		return usage(stderr, fmt.Sprintf("unknown --progress %q (want auto, bar, json or none)", o.progress))
	}
	if o.json && o.Dst == "-" {
		return usage(stderr, "--json writes to stdout, which is DST here")
	}

	// The first SIGINT cancels the copy, which then drains, syncs and
	// reports; restoring the default handler right away lets a second
	// SIGINT kill a copy stuck where it cannot be woken (opening a FIFO
	// that has no writer yet).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	prog := newProgress(o.progress, stderr)
	o.Progress = prog.update
	if o.progress == "json" {
		o.ProgressInterval = time.Second
	}
	sum, err := xfer.Copy(ctx, o.Options)
	prog.finish()

	var ue *xfer.UsageError
	switch {
	case errors.As(err, &ue):
		return usage(stderr, err.Error())
	case sum == nil && err != nil: // refused before anything was written
		fmt.Fprintf(stderr, "rawcp: %s\n", line(err.Error()))
		return exitError
	}
	if o.json {
		b, jerr := json.Marshal(sum)
		if jerr == nil {
			fmt.Fprintf(stdout, "%s\n", b)
		}
	} else {
		sum.WriteText(stderr, "rawcp")
	}
	switch {
	case errors.Is(err, xfer.ErrInterrupted):
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "rawcp: %s\n", line(err.Error()))
		return exitError
	}
	return exitOK
}

func usage(w io.Writer, msg string) int {
	fmt.Fprintf(w, "rawcp: %s (see rawcp --help)\n", line(strings.TrimSuffix(msg, "\n")))
	return exitUsage
}

// line keeps an error on one line of stderr whatever the paths in it
// contain (a file name may hold a newline).
var line = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace

// progress renders xfer.Progress as a bar or as NDJSON lines.
type progress struct {
	mode string
	w    io.Writer
	bar  *progressbar.ProgressBar
	enc  *json.Encoder
	last time.Time
}

func newProgress(mode string, w io.Writer) *progress {
	if mode == "auto" {
		mode = "none"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	p := &progress{mode: mode, w: w}
	if mode == "json" {
		p.enc = json.NewEncoder(w)
	}
	return p
}

func (p *progress) update(pr xfer.Progress) {
	switch p.mode {
	case "bar":
		if pr.Total == 0 {
			return // nothing to show (and 0/0 is no percentage)
		}
		if p.bar == nil {
			// Created at the copy's first snapshot (0 bytes), so the bar's
			// clock, rate and ETA start with the copy. -1 (a pipe without
			// --count) makes a spinner with bytes and rate, no percentage.
			width := progressbar.OptionFullWidth()
			if f, ok := p.w.(*os.File); ok {
				// A terminal that reports 0 columns (a pty nobody sized,
				// as under script(1)) would get a bar of width 0.
				if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols < 40 {
					width = progressbar.OptionSetWidth(20)
				}
			}
			p.bar = progressbar.NewOptions64(pr.Total,
				progressbar.OptionSetWriter(p.w),
				width,
				progressbar.OptionShowCount(),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionUseIECUnits(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSpinnerType(14),
				progressbar.OptionSetDescription("rawcp"),
			)
		}
		p.bar.Set64(pr.Bytes)
	case "json":
		// About once a second (xfer calls about every second; the margin
		// keeps a call that comes a little early from being skipped),
		// plus the first and the last line.
		if pr.Done || p.last.IsZero() || time.Since(p.last) >= 900*time.Millisecond {
			p.last = time.Now()
			p.enc.Encode(pr)
		}
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
