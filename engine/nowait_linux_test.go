package engine_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rawio/rawio/engine"
	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/pin"
)

// TestAutoBlockingDevice: auto keeps io_uring on a blk-mq loop device and
// picks sync, saying why, on zram, whose driver refuses RWF_NOWAIT.
func TestAutoBlockingDevice(t *testing.T) {
	loop, _ := testdev.Loop(t, 1<<20, 4096, true)
	zram := testdev.Zram(t, 1<<20)
	r, err := pin.Alloc(64<<10, pin.Options{Policy: pin.LockOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Free() })
	for _, tt := range []struct {
		dev      string
		wantName string
	}{{loop, engine.KindUring}, {zram, engine.KindSync}} {
		t.Run(tt.dev, func(t *testing.T) {
			// Write-only, as rawcp opens a destination: the probe must
			// not depend on the caller's access mode.
			f, err := os.OpenFile(tt.dev, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			e, fb, err := engine.New(engine.Options{Kind: engine.KindAuto, Depth: 2, Files: []*os.File{f}, Buffers: [][]byte{r.Bytes()}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Name() != tt.wantName {
				t.Fatalf("auto on %s picked %s (fallback %+v), want %s", tt.dev, e.Name(), fb, tt.wantName)
			}
			if tt.wantName == engine.KindSync && (!fb.Happened || !strings.Contains(fb.Reason, "RWF_NOWAIT")) {
				t.Fatalf("sync chosen on %s without saying why: %+v", tt.dev, fb)
			}
			if tt.wantName == engine.KindUring && fb.Happened && strings.Contains(fb.Reason, "RWF_NOWAIT") {
				t.Fatalf("loop device reported as blocking: %+v", fb)
			}
		})
	}
}
