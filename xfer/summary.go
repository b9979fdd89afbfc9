package xfer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rawio/rawio/pin"
)

// Summary is the result of a copy, complete or not. The command renders
// it as text (WriteText) on stderr and as JSON (MarshalJSON field tags)
// on stdout; both come from the same values.
type Summary struct {
	Bytes       int64   `json:"bytes"`         // bytes written to Dst (the copied length)
	Seconds     float64 `json:"seconds"`       // from the first I/O to the end of the final sync
	BytesPerSec float64 `json:"bytes_per_sec"` // Bytes / Seconds (0 when Seconds is 0)

	Engine       string `json:"engine"`        // "uring" or "sync"
	FixedBuffers bool   `json:"fixed_buffers"` // io_uring registered buffers (READ_FIXED/WRITE_FIXED)
	BlockSize    int64  `json:"block_size"`
	Depth        int    `json:"depth"`
	// BlockSizeReason is set when the block size was picked for the
	// devices rather than DefaultBlockSize (both ends are zram devices;
	// Options.BlockSize), and says why; "" otherwise.
	BlockSizeReason string `json:"block_size_reason,omitempty"`
	Locked          bool   `json:"locked"`      // the ring is mlocked
	LockReason      string `json:"lock_reason"` // why not, "" when locked
	// HugePageBytes is how much of the ring is backed by transparent
	// huge pages (pin.Region.HugeBytes). With NoHugePages it is usually
	// 0, but THP mode "always" may back the ring anyway.
	HugePageBytes int64 `json:"huge_page_bytes"`

	// Fallbacks lists, one sentence each, every place the copy did not do
	// what was asked or what O_DIRECT promises: sync engine instead of
	// io_uring, unlocked buffers, a buffered tail, a side without O_DIRECT.
	// Empty (never null in JSON) when there were none.
	Fallbacks []string `json:"fallbacks"`
	Tail      Tail     `json:"tail"`

	Synced      bool   `json:"synced"`      // Dst was fdatasync'ed
	Truncated   bool   `json:"truncated"`   // a regular-file Dst was truncated to the copied length
	Interrupted bool   `json:"interrupted"` // the copy was cancelled (SIGINT)
	Error       string `json:"error,omitempty"`

	Src Side `json:"src"`
	Dst Side `json:"dst"`
}

// Tail says how the last bytes shorter than the destination's logical
// block were written.
type Tail struct {
	Bytes int `json:"bytes"` // 0 when the copy ended on a block boundary
	// Method: "none", "buffered" (pwrite through the page cache, then
	// fdatasync — sync_file_range with NoFsync — and
	// POSIX_FADV_DONTNEED), or "rmw" (read-modify-write of the last
	// logical block of a block device with O_DIRECT).
	Method string `json:"method"`
}

// Side describes one end of the copy.
type Side struct {
	Path             string `json:"path"`
	Kind             string `json:"kind"` // "file", "block", "pipe" or "other" (a character device)
	Size             int64  `json:"size"` // file or device size (after the copy for Dst); -1 unknown
	LogicalBlockSize int    `json:"logical_block_size"`
	DIOMemAlign      int    `json:"dio_mem_align"`
	DIOOffsetAlign   int    `json:"dio_offset_align"`
	Direct           bool   `json:"direct"` // opened with O_DIRECT
	// CachePagesAdded is the number of pages of this file or device that
	// entered the page cache during the copy (after minus before, never
	// negative), measured with CacheMethod: "cachestat", "mincore", or
	// "none" for a pipe.
	CachePagesAdded uint64 `json:"cache_pages_added"`
	CacheMethod     string `json:"cache_method"`
}

// MarshalJSON keeps Fallbacks an array even when it is nil.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	p := plain(s)
	if p.Fallbacks == nil {
		p.Fallbacks = []string{}
	}
	return json.Marshal(p)
}

// WriteText writes the human summary, a few lines prefixed with prog.
func (s *Summary) WriteText(w io.Writer, prog string) error {
	var b strings.Builder
	verb := "copied"
	if s.Interrupted {
		verb = "copied before the interrupt"
	}
	fmt.Fprintf(&b, "%s: %s (%d bytes) %s in %s, %s/s\n", prog, pin.FormatBytes(uint64(s.Bytes)), s.Bytes, verb,
		(time.Duration(s.Seconds * float64(time.Second))).Round(time.Millisecond), formatRate(s.BytesPerSec))
	eng := s.Engine
	if s.FixedBuffers {
		eng += " with registered buffers"
	}
	lock := "locked"
	if !s.Locked {
		lock = "not locked"
		if s.LockReason != "" {
			lock += " (" + s.LockReason + ")"
		}
	}
	pages := "in " + pin.FormatBytes(uint64(os.Getpagesize())) + " pages"
	if ring := s.BlockSize * int64(s.Depth); ring > 0 && s.HugePageBytes >= ring {
		pages = "in huge pages"
	} else if s.HugePageBytes > 0 {
		pages = pin.FormatBytes(uint64(s.HugePageBytes)) + " in huge pages"
	}
	fmt.Fprintf(&b, "  engine %s, %d × %s buffers, %s, %s\n", eng, s.Depth, pin.FormatBytes(uint64(s.BlockSize)), pages, lock)
	if s.BlockSizeReason != "" {
		fmt.Fprintf(&b, "  bs %s: %s\n", pin.FormatBytes(uint64(s.BlockSize)), s.BlockSizeReason)
	}
	for _, x := range []struct {
		name string
		side *Side
	}{{"src", &s.Src}, {"dst", &s.Dst}} {
		d := x.side
		mode := "O_DIRECT"
		switch {
		case d.Kind == "pipe" || d.Kind == "other":
			mode = "plain read/write (no O_DIRECT on a pipe)"
		case !d.Direct:
			mode = "buffered"
		}
		fmt.Fprintf(&b, "  %s %s: %s, %s", x.name, d.Path, d.Kind, mode)
		if d.Direct {
			fmt.Fprintf(&b, ", logical block %d, align memory %d offset %d", d.LogicalBlockSize, d.DIOMemAlign, d.DIOOffsetAlign)
		}
		if d.CacheMethod != "none" && d.CacheMethod != "" {
			fmt.Fprintf(&b, "; %d pages added to the page cache (%s)", d.CachePagesAdded, d.CacheMethod)
		}
		b.WriteString("\n")
	}
	switch s.Tail.Method {
	case "rmw":
		fmt.Fprintf(&b, "  tail: %d bytes merged into the last logical block with an O_DIRECT read-modify-write\n", s.Tail.Bytes)
	}
	sync := "dst synced (fdatasync)"
	if !s.Synced {
		sync = "dst not synced"
	}
	if s.Truncated {
		sync += ", truncated to the copied length"
	}
	b.WriteString("  " + sync + "\n")
	if len(s.Fallbacks) == 0 {
		b.WriteString("  fallbacks: none\n")
	} else {
		for _, f := range s.Fallbacks {
			b.WriteString("  fallback: " + f + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatRate(bps float64) string {
	if bps <= 0 {
		return "0 B"
	}
	return pin.FormatBytes(uint64(bps + 0.5))
}

// Progress is a snapshot passed to Options.Progress. Its JSON form is one
// --progress=json line.
type Progress struct {
	Bytes       int64         `json:"bytes"`         // bytes written so far
	Total       int64         `json:"total"`         // bytes to copy, -1 when unknown (a pipe without --count)
	BytesPerSec float64       `json:"bytes_per_sec"` // average since the start
	ETASec      float64       `json:"eta_sec"`       // -1 when unknown
	Elapsed     time.Duration `json:"-"`
	Done        bool          `json:"-"` // the last call
}
