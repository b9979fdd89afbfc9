package size

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"1", 1, nil},
		{"512", 512, nil},
		{" 4096 ", 4096, nil},
		{"+7", 7, nil},
		{"-0", 0, nil},
		{"10B", 10, nil},
		{"4k", 4096, nil},
		{"4K", 4096, nil},
		{"4KiB", 4096, nil},
		{"4kib", 4096, nil},
		{"4KB", 4000, nil},
		{"4kB", 4000, nil},
		{"1M", 1 << 20, nil},
		{"1MiB", 1 << 20, nil},
		{"1MB", 1000000, nil},
		{"2G", 2 << 30, nil},
		{"2GiB", 2 << 30, nil},
		{"2GB", 2000000000, nil},
		{"3T", 3 << 40, nil},
		{"3TiB", 3 << 40, nil},
		{"3TB", 3000000000000, nil},
		{"1 MiB", 1 << 20, nil},
		{"9223372036854775807", math.MaxInt64, nil},
		{"8388607T", 8388607 << 40, nil},
		{"", 0, ErrSyntax},
		{"  ", 0, ErrSyntax},
		{"K", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{"1.5M", 0, ErrSyntax},
		{"1X", 0, ErrSyntax},
		{"1KiBB", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"1e3", 0, ErrSyntax},
		{"1 2", 0, ErrSyntax},
		{"--1", 0, ErrSyntax},
		{"-1", 0, ErrNegative},
		{"-4K", 0, ErrNegative},
		{"-99999999999999999999", 0, ErrNegative},
		{"9223372036854775808", 0, ErrRange},
		{"99999999999999999999", 0, ErrRange},
		{"8388608T", 0, ErrRange},
		{"9223372036854776KB", 0, ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) = %d, %v; want error %v", tt.in, got, err, tt.err)
				}
				var pe *Error
				if !errors.As(err, &pe) || pe.Input != tt.in {
					t.Fatalf("Parse(%q) error %#v does not record the input", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse("12Q")
	if got, want := err.Error(), `size "12Q": invalid syntax`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
		err  error
	}{
		{"4k", []int64{4096}, nil},
		{"4k,64k,1M", []int64{4096, 65536, 1 << 20}, nil},
		{" 1 , 2KB ", []int64{1, 2000}, nil},
		{"", nil, ErrSyntax},
		{"4k,", nil, ErrSyntax},
		{",4k", nil, ErrSyntax},
		{"4k,,8k", nil, ErrSyntax},
		{"4k,-1", nil, ErrNegative},
		{"1,99999999999999999999", nil, ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseList(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseList(%q) = %v, %v; want %v", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzParse checks the invariants: a successful parse is never negative,
// equals the number times the suffix's multiplier computed without
// overflow, and a plain decimal re-parses to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1", "4k", "4KB", "1MiB", "8388607T", "8388608T", "-1", "1.5M", "99999999999999999999", " 3 tb "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) && !errors.Is(err, ErrNegative) {
				t.Fatalf("Parse(%q): unexpected error kind %v", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d < 0", s, n)
		}
		back, err := Parse(strconv.FormatInt(n, 10))
		if err != nil || back != n {
			t.Fatalf("round trip of %d: %d, %v", n, back, err)
		}
		// Recompute independently: the multiplier divides n and the
		// quotient is the digits.
		tr := strings.TrimSpace(s)
		i := 0
		for i < len(tr) && (tr[i] == '+' || tr[i] == '-' || (tr[i] >= '0' && tr[i] <= '9')) {
			i++
		}
		mult := units[strings.ToLower(strings.TrimSpace(tr[i:]))]
		if mult == 0 || n%mult != 0 {
			t.Fatalf("Parse(%q) = %d not a multiple of %d", s, n, mult)
		}
		digits, err := strconv.ParseUint(strings.TrimLeft(tr[:i], "+-"), 10, 64)
		if err != nil || int64(digits) != n/mult {
			t.Fatalf("Parse(%q) = %d, digits %d × %d", s, n, digits, mult)
		}
	})
}
