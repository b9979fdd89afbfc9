package xfer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rawio/rawio/internal/size"
	"github.com/rawio/rawio/pin"
	"github.com/spf13/pflag"
)

// Defaults chosen by measurement on the development machine; see the
// "Defaults" section of docs/rawcp.1.md for the commands and figures.
const (
	DefaultBlockSize = 8 << 20
	DefaultDepth     = 4
)

// maxRing bounds BlockSize × Depth (docs/rawcp.1.md: at most 4 GiB).
const maxRing = 4 << 30

// Engines accepted in Options.Engine.
var engineKinds = []string{"auto", "uring", "sync"}

// Options describe one copy. The zero value plus Src and Dst is a valid
// copy with the defaults (use Count = -1, or NewOptions, to copy to the end).
type Options struct {
	// Src and Dst are paths; "-" means Stdin or Stdout.
	Src, Dst string
	// Stdin and Stdout stand for "-" (os.Stdin and os.Stdout when nil).
	Stdin, Stdout *os.File

	// BlockSize is the bytes per I/O and per ring buffer. 0 picks it:
	// DefaultBlockSize, or when both ends are zram devices (which
	// decompress and compress on the CPU that submits) the size of one
	// CPU's L2 cache, a power of two up to DefaultBlockSize, which
	// measured faster and cheaper there (docs/rawcp.1.md, DEFAULTS).
	BlockSize int64
	// Depth is the number of ring buffers, and of I/Os in flight; 0 =
	// DefaultDepth.
	Depth  int
	Engine string // "auto" (default), "uring" or "sync"
	Lock   pin.Policy

	NoFsync       bool // do not fdatasync the destination at the end
	NoTruncate    bool // do not truncate a regular-file destination to the copied length
	AllowBuffered bool // proceed through the page cache where O_DIRECT is not supported
	// NoHugePages keeps the ring in base pages. By default the ring asks
	// for transparent huge pages (pin.Options.HugePages): physically
	// contiguous buffers let one O_DIRECT request carry a whole --bs
	// instead of being split at the device's max_segments pages.
	NoHugePages bool

	Skip  int64 // bytes of Src to skip (aligned to its rules when O_DIRECT)
	Seek  int64 // offset in Dst to start writing at (aligned to its rules)
	Count int64 // bytes to copy; < 0 = to the end of Src

	// Progress, when set, is called from the copying goroutine about
	// every ProgressInterval (default 200 ms) and once at the end. It must
	// return quickly: the pipeline waits for it.
	Progress         func(Progress)
	ProgressInterval time.Duration

	// bsPicked is set by normalize when BlockSize was 0: prepare may
	// pick another size for CPU-bound devices.
	bsPicked bool
}

// NewOptions returns options with the defaults and Count = -1.
// BlockSize is left 0, to be picked for the devices (see
// Options.BlockSize).
func NewOptions() Options {
	return Options{Engine: "auto", Count: -1}
}

// AddFlags registers the copy flags (--bs, --depth, --engine, --lock,
// --no-fsync, --no-truncate, --allow-buffered, --no-hugepages, --skip, --seek, --count)
// on fs, bound to o's fields. Sizes accept the suffixes of internal/size.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	def := int64(DefaultBlockSize)
	fs.Var(&sizeValue{p: &o.BlockSize, positive: true}, "bs", fmt.Sprintf("bytes per I/O and per buffer, K, M, G… suffixes (default %s; from a zram device to another, one CPU's L2 cache)", (&sizeValue{p: &def}).String()))
	fs.Var(&depthValue{&o.Depth}, "depth", fmt.Sprintf("buffers in the ring, and I/Os in flight (default %d)", DefaultDepth))
	fs.StringVar(&o.Engine, "engine", o.Engine, "I/O engine: auto, uring or sync")
	fs.Var(&o.Lock, "lock", "lock the buffers in RAM: try, require or off")
	fs.BoolVar(&o.NoFsync, "no-fsync", o.NoFsync, "do not fdatasync the destination at the end")
	fs.BoolVar(&o.NoTruncate, "no-truncate", o.NoTruncate, "do not truncate a regular-file destination to the copied length")
	fs.BoolVar(&o.AllowBuffered, "allow-buffered", o.AllowBuffered, "copy through the page cache where O_DIRECT is not supported")
	fs.BoolVar(&o.NoHugePages, "no-hugepages", o.NoHugePages, "keep the buffers in base pages (default: transparent huge pages)")
	fs.Var(&sizeValue{p: &o.Skip}, "skip", "bytes of SRC to skip")
	fs.Var(&sizeValue{p: &o.Seek}, "seek", "offset in DST to start writing at")
	fs.Var(&sizeValue{p: &o.Count, all: true}, "count", "bytes to copy (default: to the end of SRC)")
}

// normalize fills defaults and rejects values that cannot work whatever
// the files are, as *UsageError.
func (o *Options) normalize() error {
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
		o.bsPicked = true
	}
	if o.Depth == 0 {
		o.Depth = DefaultDepth
	}
	if o.Engine == "" {
		o.Engine = "auto"
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 200 * time.Millisecond
	}
	if o.Src == "" || o.Dst == "" {
		return &UsageError{"SRC and DST are required"}
	}
	if o.Src == "-" && o.Dst == "-" {
		return &UsageError{"SRC and DST cannot both be \"-\": nothing would use O_DIRECT (use cat)"}
	}
	if o.BlockSize < 0 || o.BlockSize > 1<<30 {
		return &UsageError{fmt.Sprintf("--bs %d is out of range (1 B to 1 GiB)", o.BlockSize)}
	}
	if o.Depth < 1 || o.Depth > 1024 {
		return &UsageError{fmt.Sprintf("--depth %d is out of range (1 to 1024)", o.Depth)}
	}
	if o.BlockSize*int64(o.Depth) > maxRing { // more is a typo, not a plan
		return &UsageError{fmt.Sprintf("--bs × --depth is %s, more than 4 GiB of buffers", pin.FormatBytes(uint64(o.BlockSize)*uint64(o.Depth)))}
	}
	ok := false
	for _, k := range engineKinds {
		ok = ok || o.Engine == k
	}
	if !ok {
		return &UsageError{fmt.Sprintf("unknown --engine %q (want auto, uring or sync)", o.Engine)}
	}
	if _, err := pin.ParsePolicy(o.Lock.String()); err != nil {
		return &UsageError{err.Error()}
	}
	if o.Skip < 0 || o.Seek < 0 {
		return &UsageError{"--skip and --seek must not be negative"}
	}
	if o.Dst == "-" && o.Seek > 0 {
		return &UsageError{"--seek needs a seekable DST, not stdout"}
	}
	return nil
}

// sizeValue is a pflag.Value for byte counts parsed by internal/size.
// With all set, an unset value is negative and means "to the end". With
// positive set, 0 is refused: on the command line "--bs 0" is a mistake,
// not a request for the default (the zero Options field means default).
type sizeValue struct {
	p        *int64
	all      bool
	positive bool
}

func (v *sizeValue) String() string {
	if v.p == nil || (v.all && *v.p < 0) {
		return ""
	}
	// The shortest form that parses back to the same value: "8M", not
	// "8388608", in --help.
	n := *v.p
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (v *sizeValue) Set(s string) error {
	n, err := size.Parse(s)
	if err != nil {
		return err
	}
	if v.positive && n == 0 {
		return errors.New("must be at least 1")
	}
	*v.p = n
	return nil
}

func (v *sizeValue) Type() string { return "size" }

// depthValue is --depth: a decimal integer of at least 1 (0 would
// silently mean the default; the upper bound is checked by normalize).
type depthValue struct{ p *int }

func (v *depthValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v *depthValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 1 {
		return errors.New("must be at least 1")
	}
	*v.p = n
	return nil
}

func (v *depthValue) Type() string { return "int" }
