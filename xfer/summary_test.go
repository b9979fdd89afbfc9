package xfer_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rawio/rawio/pin"
	"github.com/rawio/rawio/xfer"
)

func TestSummaryJSON(t *testing.T) {
	s := xfer.Summary{Bytes: 513, Engine: "sync", Tail: xfer.Tail{Method: "none"},
		Src: xfer.Side{Path: "a", Kind: "file"}, Dst: xfer.Side{Path: "-", Kind: "pipe", Size: -1}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if fb, ok := m["fallbacks"].([]any); !ok || len(fb) != 0 {
		t.Errorf("fallbacks = %#v, want []", m["fallbacks"])
	}
	if _, ok := m["error"]; ok {
		t.Error("error present without an error")
	}
	for _, k := range []string{"bytes", "seconds", "bytes_per_sec", "engine", "block_size", "depth", "locked", "src", "dst"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q in %s", k, b)
		}
	}
}

func TestSummaryText(t *testing.T) {
	s := &xfer.Summary{Bytes: 1 << 20, Seconds: 0.5, BytesPerSec: 2 << 20, Engine: "uring", FixedBuffers: true,
		BlockSize: 4 << 20, Depth: 4, Locked: false, LockReason: "locking off", Synced: true,
		Fallbacks: []string{"x: y"}, Tail: xfer.Tail{Bytes: 7, Method: "rmw"},
		Src: xfer.Side{Path: "a", Kind: "file", Direct: true, CacheMethod: "cachestat"},
		Dst: xfer.Side{Path: "/dev/loop0", Kind: "block", Direct: true, CacheMethod: "cachestat"}}
	var b strings.Builder
	if err := s.WriteText(&b, "rawcp"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{"rawcp: 1 MiB (1048576 bytes) copied in 500ms, 2 MiB/s", "registered buffers", "4 × 4 MiB buffers, in " + basePages + " pages", "not locked (locking off)",
		"read-modify-write", "fallback: x: y", "0 pages added"} {
		if !strings.Contains(out, w) {
			t.Errorf("text lacks %q:\n%s", w, out)
		}
	}
}

// basePages is how the summary names the base page size.
var basePages = pin.FormatBytes(uint64(os.Getpagesize()))

func TestSummaryTextHugePages(t *testing.T) {
	for _, tt := range []struct {
		huge int64
		want string
	}{
		{0, "2 × 4 MiB buffers, in " + basePages + " pages, locked"},
		{2 << 20, "2 × 4 MiB buffers, 2 MiB in huge pages, locked"},
		{8 << 20, "2 × 4 MiB buffers, in huge pages, locked"},
	} {
		s := &xfer.Summary{Engine: "sync", BlockSize: 4 << 20, Depth: 2, Locked: true, HugePageBytes: tt.huge}
		var b strings.Builder
		if err := s.WriteText(&b, "rawcp"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("HugePageBytes %d: text lacks %q:\n%s", tt.huge, tt.want, b.String())
		}
	}
}
