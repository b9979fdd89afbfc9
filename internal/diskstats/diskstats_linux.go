package diskstats

import "os"

// Read returns the current counters of the device named name (as in
// /sys/block, e.g. "loop0", "vda", "nvme0n1p2").
func Read(name string) (Stat, error) {
	f, err := os.Open("/proc/diskstats")
	if err != nil {
		return Stat{}, err
	}
	defer f.Close()
	return Parse(f, name)
}
