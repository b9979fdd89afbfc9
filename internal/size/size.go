package size

import (
	"math"
	"strconv"
	"strings"
)

// unit maps a lower-cased suffix to its multiplier.
var units = map[string]int64{
	"":    1,
	"b":   1,
	"k":   1 << 10,
	"kib": 1 << 10,
	"m":   1 << 20,
	"mib": 1 << 20,
	"g":   1 << 30,
	"gib": 1 << 30,
	"t":   1 << 40,
	"tib": 1 << 40,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
}

// Parse returns the number of bytes s stands for: decimal digits and an
// optional suffix (see the package documentation), with surrounding spaces
// ignored. It returns an *Error wrapping ErrSyntax, ErrNegative or
// ErrRange when s is not a valid size.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, suffix := t[:i], strings.TrimSpace(t[i:])
	mult, ok := units[strings.ToLower(suffix)]
	if !ok || num == "" || num == "+" || num == "-" {
		return 0, &Error{Input: s, Err: ErrSyntax}
	}
	neg := num[0] == '-'
	digits := strings.TrimLeft(num, "+-")
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		// Only range errors are possible: digits holds nothing but 0-9.
		if neg {
			return 0, &Error{Input: s, Err: ErrNegative}
		}
		return 0, &Error{Input: s, Err: ErrRange}
	}
	if neg && n != 0 {
		return 0, &Error{Input: s, Err: ErrNegative}
	}
	if n > uint64(math.MaxInt64)/uint64(mult) {
		return 0, &Error{Input: s, Err: ErrRange}
	}
	return int64(n) * mult, nil
}

// ParseList parses a comma-separated list of sizes, such as "4k,64k,1M".
// Spaces around elements are ignored; an empty list or an empty element is
// a syntax error. The first bad element's error is returned.
func ParseList(s string) ([]int64, error) {
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, &Error{Input: s, Err: ErrSyntax}
		}
		n, err := Parse(p)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func quote(s string) string { return strconv.Quote(s) }
