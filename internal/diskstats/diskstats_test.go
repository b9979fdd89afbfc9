package diskstats

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

const sample = `   7       0 loop0 10 1 80 3 20 2 160 4 0 7 7 0 0 0 0 0 0
 253       0 vda 12345 678 999999 1000 54321 876 888888 2000 1 3000 4000 5 6 7 8 9 10
 253       1 vda1 1 2 3 4
`

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		want    Stat
		wantErr error
	}{
		{"loop0", Stat{Major: 7, Minor: 0, Name: "loop0", ReadIOs: 10, ReadMerges: 1, ReadSectors: 80, ReadTicks: 3,
			WriteIOs: 20, WriteMerges: 2, WriteSectors: 160, WriteTicks: 4, IOTicks: 7, TimeInQueue: 7}, nil},
		{"vda", Stat{Major: 253, Name: "vda", ReadIOs: 12345, ReadMerges: 678, ReadSectors: 999999, ReadTicks: 1000,
			WriteIOs: 54321, WriteMerges: 876, WriteSectors: 888888, WriteTicks: 2000, InFlight: 1, IOTicks: 3000, TimeInQueue: 4000}, nil},
		{"vda1", Stat{}, ErrNotFound}, // the pre-2.6.25 partition format has too few fields: skipped
		{"sdz", Stat{}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(sample), tt.name)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSub(t *testing.T) {
	a := Stat{ReadIOs: 10, WriteIOs: 5, ReadMerges: 3, WriteMerges: 9, ReadSectors: 80, WriteSectors: 40}
	b := Stat{ReadIOs: 15, WriteIOs: 5, ReadMerges: 10, WriteMerges: 2, ReadSectors: 120, WriteSectors: 30}
	got := b.Sub(a)
	want := Delta{ReadIOs: 5, ReadMerges: 7, ReadSectors: 40}
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
}

func TestReadLive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipping: /proc/diskstats is Linux-only")
	}
	if _, err := Read("no-such-device"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}
