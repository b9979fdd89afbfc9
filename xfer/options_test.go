package xfer

import (
	"testing"

	"github.com/rawio/rawio/pin"
	"github.com/spf13/pflag"
)

func TestAddFlags(t *testing.T) {
	tests := []struct {
		args []string
		want func(o Options) bool
	}{
		{nil, func(o Options) bool {
			return o.BlockSize == 0 && o.Depth == 0 && o.Engine == "auto" && o.Count == -1 && o.Lock == pin.LockTry
		}},
		{[]string{"--bs", "1MiB", "--depth", "8", "--engine", "sync", "--lock", "off"}, func(o Options) bool {
			return o.BlockSize == 1<<20 && o.Depth == 8 && o.Engine == "sync" && o.Lock == pin.LockOff
		}},
		{[]string{"--skip", "4K", "--seek", "2KB", "--count", "1G"}, func(o Options) bool {
			return o.Skip == 4096 && o.Seek == 2000 && o.Count == 1<<30
		}},
		{[]string{"--skip", "0", "--count", "0", "--depth", "1", "--bs", "4KiB"}, func(o Options) bool {
			return o.Skip == 0 && o.Count == 0 && o.Depth == 1 && o.BlockSize == 4096
		}},
		{[]string{"--no-fsync", "--no-truncate", "--allow-buffered"}, func(o Options) bool {
			return o.NoFsync && o.NoTruncate && o.AllowBuffered
		}},
	}
	for _, tt := range tests {
		o := NewOptions()
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if !tt.want(o) {
			t.Errorf("%q: %+v", tt.args, o)
		}
	}
	for _, bad := range [][]string{{"--bs", "1.5M"}, {"--bs", "0"}, {"--depth", "0"}, {"--depth", "-2"}, {"--depth", "two"},
		{"--count", "-1"}, {"--skip", "x"}, {"--lock", "maybe"}} {
		o := NewOptions()
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		mod  func(o *Options)
		ok   bool
	}{
		{"defaults", func(o *Options) {}, true},
		{"zero means default", func(o *Options) { o.BlockSize, o.Depth, o.Engine = 0, 0, "" }, true},
		{"no src", func(o *Options) { o.Src = "" }, false},
		{"both stdio", func(o *Options) { o.Src, o.Dst = "-", "-" }, false},
		{"negative bs", func(o *Options) { o.BlockSize = -1 }, false},
		{"huge bs", func(o *Options) { o.BlockSize = 2 << 30 }, false},
		{"depth 0 after default is fine, -1 not", func(o *Options) { o.Depth = -1 }, false},
		{"too much memory", func(o *Options) { o.BlockSize, o.Depth = 1<<30, 8 }, false},
		{"4 GiB of buffers is the limit", func(o *Options) { o.BlockSize, o.Depth = 1<<30, 4 }, true},
		{"just over 4 GiB", func(o *Options) { o.BlockSize, o.Depth = 1<<30+512, 4 }, false},
		{"engine", func(o *Options) { o.Engine = "aio" }, false},
		{"policy", func(o *Options) { o.Lock = pin.Policy(7) }, false},
		{"negative skip", func(o *Options) { o.Skip = -1 }, false},
		{"seek on stdout", func(o *Options) { o.Dst, o.Seek = "-", 512 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			o.Src, o.Dst = "a", "b"
			tt.mod(&o)
			err := o.normalize()
			if (err == nil) != tt.ok {
				t.Fatalf("normalize: %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if _, ok := err.(*UsageError); !ok {
					t.Fatalf("%T is not a *UsageError", err)
				}
			}
		})
	}
}

func TestSizeValueString(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0"}, {512, "512"}, {4096, "4K"}, {8 << 20, "8M"}, {3 << 30, "3G"}, {1 << 40, "1T"}, {1<<20 + 512, "1049088"}} {
		n := tt.n
		v := &sizeValue{p: &n}
		if got := v.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.n, got, tt.want)
		}
		if err := v.Set(v.String()); err != nil || n != tt.n {
			t.Errorf("%d does not round-trip through %q: %d, %v", tt.n, v.String(), n, err)
		}
	}
}
