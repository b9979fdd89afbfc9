package workload

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawio/rawio/pin"
)

// wantUsage checks that err is a *UsageError whose message holds want.
func wantUsage(t *testing.T, err error, want string) {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T), want a *UsageError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to hold %q", err, want)
	}
}

func TestListItems(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"4k", []string{"4k"}, ""},
		{"read, write ,randread", []string{"read", "write", "randread"}, ""},
		{"4k,,8k", nil, `--x "4k,,8k": empty entry in the list`},
		{"1,8,", nil, `--x "1,8,": empty entry`},
		{",sync", nil, `--x ",sync": empty entry`},
		{"", nil, `--x "": empty entry`},
		{" ", nil, `--x " ": empty entry`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := listItems("x", tt.in)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSizeList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  string
	}{
		{"4k", []int{4096}, ""},
		{"4k, 64KiB,1m", []int{4096, 65536, 1 << 20}, ""},
		{"512", []int{512}, ""},
		{"1G", []int{1 << 30}, ""},
		{"2G", nil, "--bs 2147483648 out of range 1..1 GiB"},
		{"0", nil, "--bs 0 out of range"},
		{"4x", nil, "--bs: "},
		{"4k,,8k", nil, "empty entry"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sizeList("bs", tt.in)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestIntList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  string
	}{
		{"1", []int{1}, ""},
		{"1, 8,32", []int{1, 8, 32}, ""},
		{"0", nil, `--depth "0": want a positive integer`},
		{"-2", nil, `--depth "-2": want a positive integer`},
		{"1,x", nil, `--depth "x": want a positive integer`},
		{"1k", nil, `--depth "1k"`},
		{"1,8,", nil, "empty entry"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := intList("depth", tt.in)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"5s", 5 * time.Second, ""},
		{"300ms", 300 * time.Millisecond, ""},
		{"1m30s", 90 * time.Second, ""},
		{"10", 10 * time.Second, ""},
		{" 0.5 ", 500 * time.Millisecond, ""},
		{"0", 0, ""},
		{"NaN", 0, `--ramp "NaN" out of range`},
		{"-1", 0, `--ramp "-1" out of range`},
		{"2e6", 0, `--ramp "2e6" out of range`},
		{"-1s", 0, `--ramp "-1s": want a duration`},
		{"soon", 0, `--ramp "soon": want a duration such as 5s or 300ms`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration("ramp", tt.in)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// parseOptions registers Options on a fresh flag set and parses args.
func parseOptions(t *testing.T, args ...string) (*Options, *pflag.FlagSet) {
	t.Helper()
	var o Options
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return &o, fs
}

func TestOptionsConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(c Config) bool
	}{
		{"defaults, default run", nil, func(c Config) bool {
			s := c.Spec
			return c.Target == "" && c.Suite && c.FileSize == 0 && c.Lock == pin.LockTry &&
				slices.Equal(s.RW, []RW{RandRead}) && slices.Equal(s.BS, []int{4096}) &&
				slices.Equal(s.Depth, []int{1}) && slices.Equal(s.Jobs, []int{1}) &&
				slices.Equal(s.Engine, []string{EngineAuto}) && slices.Equal(s.Cache, []Cache{Direct}) &&
				s.Mix == 50 && s.Runtime == 5*time.Second && s.Ramp == time.Second
		}},
		{"size of the default run's file", []string{"--size", "4M"}, func(c Config) bool {
			return c.FileSize == 4<<20 && c.Spec.Size == 0
		}},
		{"size of a target's region", []string{"--size", "4M", "--offset", "1M", "f"}, func(c Config) bool {
			return c.Target == "f" && c.FileSize == 0 && c.Spec.Size == 4<<20 && c.Spec.Offset == 1<<20
		}},
		{"engine or cache keeps the suite", []string{"--engine", "sync,uring", "--cache", "both", "f"}, func(c Config) bool {
			return c.Suite && slices.Equal(c.Spec.Engine, []string{EngineSync, EngineURing}) &&
				slices.Equal(c.Spec.Cache, []Cache{Direct, Buffered})
		}},
		{"rw ends the suite", []string{"--rw", "read,randrw", "--mix", "70"}, func(c Config) bool {
			return !c.Suite && slices.Equal(c.Spec.RW, []RW{Read, RandRW}) && c.Spec.Mix == 70
		}},
		{"bs ends the suite", []string{"--bs", "4k"}, func(c Config) bool { return !c.Suite }},
		{"depth ends the suite", []string{"--depth", "1,32"}, func(c Config) bool {
			return !c.Suite && slices.Equal(c.Spec.Depth, []int{1, 32})
		}},
		{"ios without runtime", []string{"--runtime", "0", "--ios", "100"}, func(c Config) bool {
			return c.Spec.Runtime == 0 && c.Spec.IOs == 100
		}},
		{"taskrun coop by default", nil, func(c Config) bool { return slices.Equal(c.Spec.Taskrun, []string{TaskrunCoop}) }},
		{"taskrun sweep", []string{"--taskrun", "coop,DEFER"}, func(c Config) bool {
			return c.Suite && slices.Equal(c.Spec.Taskrun, []string{TaskrunCoop, TaskrunDefer})
		}},
		{"huge pages by default", nil, func(c Config) bool { return !c.NoHugePages }},
		{"deprecated hugepages still the default", []string{"--hugepages"}, func(c Config) bool { return !c.NoHugePages }},
		{"hugepages=false", []string{"--hugepages=false"}, func(c Config) bool { return c.NoHugePages }},
		{"the rest", []string{"--dir", "d", "--allow-write", "--lock", "off", "--no-hugepages", "--seed", "7",
			"--fixed", "--vectored", "--jobs", "2"}, func(c Config) bool {
			return c.Dir == "d" && c.AllowWrite && c.Lock == pin.LockOff && c.NoHugePages && c.Seed == 7 &&
				c.Spec.Fixed && c.Spec.Vectored && slices.Equal(c.Spec.Jobs, []int{2})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, fs := parseOptions(t, tt.args...)
			c, err := o.Config(fs)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestOptionsConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two targets", []string{"a", "b"}, "one TARGET at most, got 2 arguments"},
		{"unknown rw", []string{"--rw", "trim"}, `unknown rw "trim"`},
		{"unknown engine", []string{"--engine", "libaio"}, `unknown engine "libaio"`},
		{"unknown cache", []string{"--cache", "none"}, "unknown cache mode"},
		{"unknown taskrun", []string{"--taskrun", "lazy"}, `unknown taskrun "lazy" (want coop or defer)`},
		{"empty taskrun entry", []string{"--taskrun", "coop,"}, `--taskrun "coop,": empty entry`},
		{"empty rw entry", []string{"--rw", "read,,write"}, `--rw "read,,write": empty entry`},
		{"zero jobs", []string{"--jobs", "0"}, "--jobs"},
		{"too many jobs", []string{"--jobs", "2000"}, "jobs 2000 out of range"},
		{"depth beyond the engines", []string{"--depth", "32769"}, "depth 32769 out of range 1..32768"},
		{"zero size", []string{"--size", "0"}, "--size must be greater than 0"},
		{"bad size", []string{"--size", "1q"}, "--size: "},
		{"negative offset", []string{"--offset", "-4k"}, "--offset: "},
		{"bad runtime", []string{"--runtime", "soon"}, "--runtime"},
		{"no runtime", []string{"--runtime", "0"}, "--runtime must be greater than 0 unless --ios is given"},
		{"negative ios", []string{"--ios", "-1"}, "--ios -1 must not be negative"},
		{"mix", []string{"--mix", "120"}, "--mix 120 out of range 0..100"},
		{"negative mix", []string{"--mix", "-1"}, "--mix -1 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, fs := parseOptions(t, tt.args...)
			_, err := o.Config(fs)
			wantUsage(t, err, tt.want)
		})
	}
}

func TestAddFlagsOrder(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.SortFlags = false
	o.AddFlags(fs)
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	want := []string{"rw", "mix", "bs", "depth", "jobs", "size", "offset", "runtime", "ramp", "ios",
		"engine", "fixed", "taskrun", "vectored", "cache", "dir", "allow-write", "json", "plot", "lock", "no-hugepages", "hugepages", "seed"}
	if !slices.Equal(names, want) {
		t.Errorf("flags %q, want %q", names, want)
	}
}
