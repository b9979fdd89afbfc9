package workload

import "strconv"

// formatBytes prints n in binary units as pin.FormatBytes does ("4 KiB",
// "1.5 GiB", "513 B"), kept local so the plot and table code stand alone.
func formatBytes(n uint64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + units[i:i+1] + "iB"
}
