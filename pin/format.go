package pin

import (
	"math/bits"
	"strconv"
)

var byteUnits = [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// FormatBytes renders n in binary units for user messages: "513 B",
// "4 KiB", "64 MiB", "1.5 GiB".
//
// The number is exact whenever it can be short: a whole or half count of
// the largest unit that fits, else a whole count (below 10240) of a
// smaller unit, so a limit of 8 MiB and a request of 8196 KiB never both
// read "8 MiB". Only when no short exact form exists is the value rounded
// to two decimals of the largest unit ("1.15 GiB"); two decimals always
// mean "rounded".
func FormatBytes(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + " B"
	}
	top := (bits.Len64(n) - 1) / 10 // largest k with 1024^k <= n
	for k := top; k >= 0; k-- {
		shift := uint(10 * k)
		whole := n >> shift
		if whole >= 10240 {
			break
		}
		if k == 0 {
			return strconv.FormatUint(n, 10) + " B"
		}
		switch n & (1<<shift - 1) {
		case 0:
			return strconv.FormatUint(whole, 10) + " " + byteUnits[k]
		case 1 << (shift - 1):
			return strconv.FormatUint(whole, 10) + ".5 " + byteUnits[k]
		}
	}
	s := strconv.FormatFloat(float64(n)/float64(uint64(1)<<(10*top)), 'f', 2, 64)
	if s == "1024.00" && top+1 < len(byteUnits) {
		s, top = "1.00", top+1
	}
	return s + " " + byteUnits[top]
}
