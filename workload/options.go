package workload

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawio/rawio/internal/size"
	"github.com/rawio/rawio/pin"
)

// Options are rawbench's flags as the user typed them: comma lists, sizes
// and durations still as text. AddFlags binds them to a pflag.FlagSet;
// Config checks them and turns them into a Config. Programs that do not
// parse a command line build a Config directly instead.
type Options struct {
	RW, BS, Depth, Jobs, Engine, Cache string // comma lists, one sweep dimension each
	Taskrun                            string // comma list too
	Mix                                int    // percent reads for randrw
	Size, Offset                       string // sizes, as internal/size parses them
	Runtime, Ramp                      string // Go durations, or seconds
	IOs                                int64
	Fixed, Vectored                    bool
	Dir                                string
	AllowWrite                         bool

	// JSON and Plot say how the command renders the Document (one JSON
	// document on stdout; an SVG chart written to the file Plot names).
	// Config ignores them. They are here so that --help lists them beside
	// the other flags, where rawbench has always listed them.
	JSON bool
	Plot string

	Lock        pin.Policy
	NoHugePages bool
	Seed        uint64
}

// AddFlags registers the benchmark flags on fs with rawbench's defaults,
// bound to o's fields, in the order --help lists them (set fs.SortFlags to
// false to keep it). It sets o's fields to the defaults.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.RW, "rw", "randread", "access pattern: read, write, randread, randwrite, randrw (comma list sweeps)")
	fs.IntVar(&o.Mix, "mix", 50, "percent reads for randrw")
	fs.StringVar(&o.BS, "bs", "4k", "block size per I/O, e.g. 4k,64k,1m (comma list sweeps)")
	fs.StringVar(&o.Depth, "depth", "1", "I/Os in flight per job, 1..32768 (comma list sweeps)")
	fs.StringVar(&o.Jobs, "jobs", "1", "parallel instances, each with its own file handle, buffers and engine (comma list sweeps)")
	fs.StringVar(&o.Size, "size", "", "region size in bytes (default: to the end of TARGET; without TARGET the test file size, 1G)")
	fs.StringVar(&o.Offset, "offset", "0", "start of the region in bytes")
	fs.StringVar(&o.Runtime, "runtime", "5s", "measurement window per job (Go duration, or seconds)")
	fs.StringVar(&o.Ramp, "ramp", "1s", "time before the window opens; I/O done then is not counted")
	fs.Int64Var(&o.IOs, "ios", 0, "stop each job instance after this many counted I/Os instead of --runtime")
	fs.StringVar(&o.Engine, "engine", "auto", "I/O engine: auto, sync, uring (comma list sweeps)")
	fs.BoolVar(&o.Fixed, "fixed", false, "io_uring: register the buffers and use READ_FIXED/WRITE_FIXED")
	fs.StringVar(&o.Taskrun, "taskrun", "coop", "io_uring completion work: coop (COOP_TASKRUN) or defer (DEFER_TASKRUN, as fio sets its rings up) (comma list sweeps)")
	fs.BoolVar(&o.Vectored, "vectored", false, "sync engine: preadv/pwritev through scatter-gather lists")
	fs.StringVar(&o.Cache, "cache", "direct", "direct (O_DIRECT), buffered (page cache), or both (direct then buffered, compared)")
	fs.StringVar(&o.Dir, "dir", "", "directory for the default run's test file (default $TMPDIR, else the current directory)")
	fs.BoolVar(&o.AllowWrite, "allow-write", false, "allow write jobs on a block device or on a file rawbench did not create")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON document on stdout")
	fs.StringVar(&o.Plot, "plot", "", "write an SVG chart of the results to `FILE.svg`")
	o.Lock = pin.LockTry
	fs.Var(&o.Lock, "lock", "buffer locking: try (lock if possible), require (fail if not), off")
	fs.BoolVar(&o.NoHugePages, "no-hugepages", false, "keep the buffers in 4 KiB pages (default: transparent huge pages when bs is larger than a page)")
	// --hugepages asked for what is now the default; still accepted so
	// that scripts written for it keep working (--hugepages=false is
	// --no-hugepages).
	fs.VarPF(notValue{&o.NoHugePages}, "hugepages", "", "transparent huge pages for the buffers (the default)").NoOptDefVal = "true"
	_ = fs.MarkDeprecated("hugepages", "huge pages are the default; --no-hugepages turns them off")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed for random offsets (0: a random seed)")
}

// Config checks the options and turns them into a Config. fs is the set
// AddFlags registered on, after Parse: its one argument, if any, is the
// target, and the default suite runs unless --rw, --bs or --depth was
// given. Every error is a *UsageError: the options cannot work whatever
// the target is. Checks against the target itself (alignment, region,
// safety) are Bench's.
func (o *Options) Config(fs *pflag.FlagSet) (Config, error) {
	if fs.NArg() > 1 {
		return Config{}, usagef("one TARGET at most, got %d arguments", fs.NArg())
	}
	cfg := Config{
		Target:      fs.Arg(0),
		Dir:         o.Dir,
		AllowWrite:  o.AllowWrite,
		Lock:        o.Lock,
		NoHugePages: o.NoHugePages,
		Seed:        o.Seed,
	}
	s := Spec{Mix: o.Mix, Fixed: o.Fixed, Vectored: o.Vectored, IOs: o.IOs}
	var err error
	if s.RW, err = parsedList("rw", o.RW, ParseRW); err != nil {
		return cfg, err
	}
	if s.BS, err = sizeList("bs", o.BS); err != nil {
		return cfg, err
	}
	if s.Depth, err = intList("depth", o.Depth); err != nil {
		return cfg, err
	}
	if s.Jobs, err = intList("jobs", o.Jobs); err != nil {
		return cfg, err
	}
	if s.Engine, err = parsedList("engine", o.Engine, ParseEngine); err != nil {
		return cfg, err
	}
	if s.Taskrun, err = parsedList("taskrun", o.Taskrun, ParseTaskrun); err != nil {
		return cfg, err
	}
	caches, err := parsedList("cache", o.Cache, ParseCache)
	if err != nil {
		return cfg, err
	}
	for _, c := range caches {
		s.Cache = append(s.Cache, c...)
	}
	if o.Size != "" {
		if s.Size, err = size.Parse(o.Size); err != nil {
			return cfg, usagef("--size: %v", err)
		}
		if s.Size == 0 {
			return cfg, usagef("--size must be greater than 0")
		}
	}
	if s.Offset, err = size.Parse(o.Offset); err != nil {
		return cfg, usagef("--offset: %v", err)
	}
	if s.Runtime, err = parseDuration("runtime", o.Runtime); err != nil {
		return cfg, err
	}
	if s.Ramp, err = parseDuration("ramp", o.Ramp); err != nil {
		return cfg, err
	}
	if o.IOs < 0 {
		return cfg, usagef("--ios %d must not be negative", o.IOs)
	}
	if s.Runtime == 0 && s.IOs == 0 {
		return cfg, usagef("--runtime must be greater than 0 unless --ios is given")
	}
	if o.Mix < 0 || o.Mix > 100 {
		return cfg, usagef("--mix %d out of range 0..100", o.Mix)
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
		return cfg, &UsageError{err}
	}
	return cfg, nil
}

// parsedList splits the comma list given to --name (listItems) and parses
// each entry; a parse error is a *UsageError.
func parsedList[T any](name, s string, parse func(string) (T, error)) ([]T, error) {
	items, err := listItems(name, s)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, v := range items {
		x, err := parse(v)
		if err != nil {
			return nil, &UsageError{err}
		}
		out = append(out, x)
	}
	return out, nil
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

// sizeList parses a comma list of block sizes, each 1 B to 1 GiB.
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

// intList parses a comma list of positive decimal integers; the upper
// bounds are Spec.Expand's.
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

// notValue is a bool flag bound to the opposite of *p: --hugepages clears
// NoHugePages, --hugepages=false sets it.
type notValue struct{ p *bool }

func (v notValue) String() string {
	if v.p == nil {
		return "true"
	}
	return strconv.FormatBool(!*v.p)
}

func (v notValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.p = !b
	return nil
}

func (v notValue) Type() string { return "bool" }
