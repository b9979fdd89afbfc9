package cpustat

import (
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Times
		wantErr  bool
	}{
		{"full", "cpu  2955 1 1827 32048 251 2 23 14 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
			Times{2955, 1, 1827, 32048, 251, 2, 23, 14}, false},
		{"old kernel", "cpu 10 0 20 70\n", Times{User: 10, System: 20, Idle: 70}, false},
		{"no cpu line", "intr 1 2 3\n", Times{}, true},
		{"garbage", "cpu a b c d\n", Times{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Fatalf("got %+v want %+v", got, tt.want)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	a := Times{User: 100, System: 100, Idle: 800}
	b := Times{User: 150, Nice: 10, System: 120, Idle: 900, IOWait: 10, SoftIRQ: 10}
	s := Between(a, b)
	// total 200: user 60, sys 30, iowait 10, idle 100.
	want := Share{User: 0.3, System: 0.15, IOWait: 0.05, Busy: 0.45}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"user", s.User, want.User}, {"system", s.System, want.System}, {"iowait", s.IOWait, want.IOWait}, {"busy", s.Busy, want.Busy}} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v want %v", c.name, c.got, c.want)
		}
	}
	if z := Between(a, a); z != (Share{}) {
		t.Errorf("empty window: %+v", z)
	}
}

func TestReadLive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipping: /proc/stat is Linux-only")
	}
	ts, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	if ts.Total() == 0 {
		t.Fatalf("zero total: %+v", ts)
	}
}
