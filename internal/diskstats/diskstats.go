package diskstats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrNotFound is returned by Read when the device is not listed.
var ErrNotFound = errors.New("device not found in /proc/diskstats")

// ErrNotSupported is returned on platforms without /proc/diskstats.
var ErrNotSupported = errors.New("diskstats: not supported on this platform")

// SectorSize is the unit of the sector counters in /proc/diskstats,
// whatever the device's logical block size (include/linux/blk_types.h
// SECTOR_SHIFT).
const SectorSize = 512

// Stat is one device's counters.
type Stat struct {
	Major, Minor uint32
	Name         string
	ReadIOs      uint64 // reads completed
	ReadMerges   uint64
	ReadSectors  uint64 // 512-byte units
	ReadTicks    uint64 // milliseconds
	WriteIOs     uint64
	WriteMerges  uint64
	WriteSectors uint64
	WriteTicks   uint64
	InFlight     uint64
	IOTicks      uint64
	TimeInQueue  uint64
}

// Delta is the difference between two samples of the same device.
//
// IOs count requests completed; Merges count I/Os the block layer merged
// into a request already queued (a sequential run of small I/Os often
// becomes one request). So, as long as no I/O is split (none larger than
// the queue's max_sectors_kb or max_segments allow), the I/Os submitted
// are IOs + Merges.
type Delta struct {
	ReadIOs, WriteIOs         uint64
	ReadMerges, WriteMerges   uint64
	ReadSectors, WriteSectors uint64
}

// Sub returns s minus before. Counters that went backwards (the device
// was re-created between the samples) give zero rather than a huge
// unsigned value.
func (s Stat) Sub(before Stat) Delta {
	d := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return Delta{
		ReadIOs:      d(s.ReadIOs, before.ReadIOs),
		WriteIOs:     d(s.WriteIOs, before.WriteIOs),
		ReadMerges:   d(s.ReadMerges, before.ReadMerges),
		WriteMerges:  d(s.WriteMerges, before.WriteMerges),
		ReadSectors:  d(s.ReadSectors, before.ReadSectors),
		WriteSectors: d(s.WriteSectors, before.WriteSectors),
	}
}

// Parse reads a /proc/diskstats listing and returns the line whose
// device name is name.
func Parse(r io.Reader, name string) (Stat, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 14 || string(f[2]) != name {
			continue
		}
		return parseFields(f)
	}
	if err := sc.Err(); err != nil {
		return Stat{}, err
	}
	return Stat{}, fmt.Errorf("%s: %w", name, ErrNotFound)
}

func parseFields(f [][]byte) (Stat, error) {
	var v [14]uint64
	for i := 0; i < 14; i++ {
		if i == 2 {
			continue
		}
		n, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("diskstats: field %d of %s: %w", i+1, f[2], err)
		}
		v[i] = n
	}
	return Stat{
		Major: uint32(v[0]), Minor: uint32(v[1]), Name: string(f[2]),
		ReadIOs: v[3], ReadMerges: v[4], ReadSectors: v[5], ReadTicks: v[6],
		WriteIOs: v[7], WriteMerges: v[8], WriteSectors: v[9], WriteTicks: v[10],
		InFlight: v[11], IOTicks: v[12], TimeInQueue: v[13],
	}, nil
}
