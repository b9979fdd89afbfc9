package cpustat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrNotSupported is returned on platforms without /proc/stat.
var ErrNotSupported = errors.New("cpustat: not supported on this platform")

// Times is one sample of the aggregate "cpu" line, in USER_HZ ticks.
type Times struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

// Total is the sum of all fields: the CPU time that elapsed on all CPUs.
func (t Times) Total() uint64 {
	return t.User + t.Nice + t.System + t.Idle + t.IOWait + t.IRQ + t.SoftIRQ + t.Steal
}

// Share is the fraction (0..1) of all CPU time spent in each state
// between two samples.
type Share struct {
	User   float64 // user + nice
	System float64 // system + irq + softirq
	IOWait float64
	Busy   float64 // everything except idle and iowait
}

// Between returns the shares of CPU time between before and after. A
// window with no ticks gives zero shares.
func Between(before, after Times) Share {
	d := func(a, b uint64) float64 {
		if a < b {
			return 0
		}
		return float64(a - b)
	}
	total := d(after.Total(), before.Total())
	if total == 0 {
		return Share{}
	}
	user := d(after.User, before.User) + d(after.Nice, before.Nice)
	sys := d(after.System, before.System) + d(after.IRQ, before.IRQ) + d(after.SoftIRQ, before.SoftIRQ)
	iow := d(after.IOWait, before.IOWait)
	idle := d(after.Idle, before.Idle)
	busy := total - idle - iow
	if busy < 0 {
		busy = 0
	}
	return Share{User: user / total, System: sys / total, IOWait: iow / total, Busy: busy / total}
}

// Parse reads the aggregate "cpu" line of a /proc/stat listing.
func Parse(r io.Reader) (Times, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || string(f[0]) != "cpu" {
			continue
		}
		var v [8]uint64
		for i := 0; i < 8 && i+1 < len(f); i++ { // iowait and later appeared in 2.5/2.6
			n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
			if err != nil {
				return Times{}, fmt.Errorf("cpustat: field %d of the cpu line: %w", i+1, err)
			}
			v[i] = n
		}
		return Times{User: v[0], Nice: v[1], System: v[2], Idle: v[3], IOWait: v[4], IRQ: v[5], SoftIRQ: v[6], Steal: v[7]}, nil
	}
	if err := sc.Err(); err != nil {
		return Times{}, err
	}
	return Times{}, errors.New("cpustat: no cpu line in /proc/stat")
}
