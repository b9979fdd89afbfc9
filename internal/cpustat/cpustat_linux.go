package cpustat

import "os"

// Read samples the aggregate "cpu" line of /proc/stat.
func Read() (Times, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return Times{}, err
	}
	defer f.Close()
	return Parse(f)
}
