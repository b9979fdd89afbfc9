package aligned

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// sysBlock locates the sysfs directories of the block device MAJ:MIN.
// /sys/dev/block/MAJ:MIN links to the device's directory; a partition
// (it has a "partition" file) has no queue of its own, so its limits are
// the parent disk's (block/partitions/core.c adds the partition as a child
// of the disk's device; Documentation/ABI/stable/sysfs-block).
type sysBlock struct {
	name  string // e.g. "vda1"
	dir   string // /sys/dev/block/254:1 (as given, for Sources)
	queue string // the queue directory to read limits from
}

func findSysBlock(major, minor uint32) (sysBlock, error) {
	link := fmt.Sprintf("/sys/dev/block/%d:%d", major, minor)
	real, err := filepath.EvalSymlinks(link)
	if err != nil {
		return sysBlock{}, err
	}
	s := sysBlock{name: filepath.Base(real), dir: link, queue: link + "/queue"}
	if _, err := os.Stat(filepath.Join(real, "partition")); err == nil {
		s.queue = filepath.Join(filepath.Dir(real), "queue")
	}
	return s, nil
}

// readSys returns the trimmed contents of a sysfs attribute.
func readSys(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// readSysInt reads a decimal attribute, clamping values beyond int (e.g.
// max_segment_size 4294967295 on a 32-bit build) to math.MaxInt.
func readSysInt(path string) (int, bool) {
	s, ok := readSys(path)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	if u > math.MaxInt {
		return math.MaxInt, true
	}
	return int(u), true
}

// readSysUint reads a decimal or 0x-prefixed hexadecimal attribute.
func readSysUint(path string) (uint64, bool) {
	s, ok := readSys(path)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, false
	}
	return u, true
}

// activeScheduler returns the bracketed entry of queue/scheduler
// ("none [mq-deadline] kyber" -> "mq-deadline"), or the single word when
// the queue has only one choice and prints it without brackets.
func activeScheduler(s string) string {
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
		return ""
	}
	if f := strings.Fields(s); len(f) == 1 {
		return f[0]
	}
	return ""
}

// readQueue fills the sysfs queue limits of the device under sb.
func (r *Rules) readQueue(sb sysBlock) {
	q := sb.queue
	ints := []struct {
		field, file string
		dst         *int
	}{
		{"MaxSectorsKB", "max_sectors_kb", &r.MaxSectorsKB},
		{"MaxHWSectorsKB", "max_hw_sectors_kb", &r.MaxHWSectorsKB},
		{"MaxSegments", "max_segments", &r.MaxSegments},
		{"MaxSegmentSize", "max_segment_size", &r.MaxSegmentSize},
		{"DMAAlignment", "dma_alignment", &r.DMAAlignment},
	}
	for _, x := range ints {
		if v, ok := readSysInt(filepath.Join(q, x.file)); ok {
			*x.dst = v
			r.Sources[x.field] = "sysfs " + filepath.Join(q, x.file)
		}
	}
	if v, ok := readSysUint(filepath.Join(q, "segment_boundary_mask")); ok {
		r.SegmentBoundaryMask = v
		r.Sources["SegmentBoundaryMask"] = "sysfs " + filepath.Join(q, "segment_boundary_mask")
	} else {
		r.Sources["SegmentBoundaryMask"] = "unknown (not exported by sysfs)"
	}
	if v, ok := readSysUint(filepath.Join(q, "virt_boundary_mask")); ok {
		r.VirtBoundaryMask = v
		r.Sources["VirtBoundaryMask"] = "sysfs " + filepath.Join(q, "virt_boundary_mask")
	}
	if s, ok := readSys(filepath.Join(q, "scheduler")); ok {
		r.Scheduler = activeScheduler(s)
		r.Sources["Scheduler"] = "sysfs " + filepath.Join(q, "scheduler")
	} else if _, err := os.Stat(q); err == nil {
		// Bio-based drivers (zram, brd, dm, md) have no queue/scheduler:
		// bios go to the driver without an elevator.
		r.Scheduler = "none"
		r.Sources["Scheduler"] = "none: no " + filepath.Join(q, "scheduler") + " (bio-based driver)"
	}
}
