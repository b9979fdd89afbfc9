package workload

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteTable writes the human summary of d: a header naming the target,
// one row per result, the direct/buffered comparisons of `--cache both`,
// and every fallback. It is what rawbench prints on stderr.
func (d *Document) WriteTable(w io.Writer) error {
	e := d.Env
	if e.Kind == "" { // stopped before the target was opened
		target := e.Target
		if target == "" {
			target = "the default run's test file"
		}
		fmt.Fprintf(w, "no job ran: stopped before %s was opened\n", target)
		for _, f := range d.Fallbacks {
			fmt.Fprintf(w, "fallback: %s\n", f)
		}
		return nil
	}
	fmt.Fprintf(w, "target %s (%s", e.Target, e.Kind)
	if e.Device != "" {
		fmt.Fprintf(w, " on %s", e.Device)
	}
	fmt.Fprintf(w, ", %s, logical block %d, dio align mem %d offset %d), kernel %s, %d cpus, buffers %s\n",
		formatBytes(uint64(max(e.Size, 0))), e.LogicalBlockSize, e.DIOMemAlign, e.DIOOffsetAlign, e.Kernel, e.CPUs, lockedWord(e.Locked))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rw\tbs\tdepth\tjobs\tengine\tcache\tIOPS\tMiB/s\tlat p50\tp99\tp99.9\tusr s\tsys s\tcache pages\tdisk ios\t")
	for _, r := range d.Results {
		rw := r.RW
		if r.Mix != nil {
			rw += fmt.Sprintf("(%d%%)", *r.Mix)
		}
		cache := "-"
		if r.CachePagesAdded != nil {
			cache = strconv.FormatInt(*r.CachePagesAdded, 10)
		}
		disk := "-"
		if r.Disk != nil {
			disk = strconv.FormatUint(r.Disk.ReadIOs+r.Disk.WriteIOs, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t\n",
			rw, formatBytes(uint64(r.BS)), r.Depth, r.Jobs, engineLabel(r.Engine, r.Fixed, r.Taskrun), r.Cache,
			formatCount(r.IOPS), r.BytesPerSec/(1<<20),
			formatNs(r.Lat.P50), formatNs(r.Lat.P99), formatNs(r.Lat.P999),
			r.CPU.UsrSec, r.CPU.SysSec, cache, disk)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range Compare(d.Results) {
		fmt.Fprintf(w, "%s\n", c)
	}
	for _, f := range d.Fallbacks {
		fmt.Fprintf(w, "fallback: %s\n", f)
	}
	return nil
}

func lockedWord(b bool) string {
	if b {
		return "locked"
	}
	return "not locked"
}

// Comparison pairs the direct and the buffered run of one job, as
// `--cache both` produces them.
type Comparison struct {
	Direct, Buffered Result
}

// SysPerGiB returns the system CPU seconds per GiB moved by r, or 0 when
// it moved nothing. Comparing per byte keeps the ratio meaningful when the
// two modes moved different amounts in the same runtime.
func SysPerGiB(r Result) float64 {
	if r.Bytes == 0 {
		return 0
	}
	return r.CPU.SysSec / (float64(r.Bytes) / (1 << 30))
}

// SysRatio is direct system time per byte over buffered system time per
// byte: 0.67 means direct I/O cost two-thirds of the kernel time of
// buffered I/O for the same amount of data. It is 0 when either side is
// unknown.
func (c Comparison) SysRatio() float64 {
	d, b := SysPerGiB(c.Direct), SysPerGiB(c.Buffered)
	if d == 0 || b == 0 {
		return 0
	}
	return d / b
}

func (c Comparison) String() string {
	r := c.Direct
	name := fmt.Sprintf("%s %s depth %d jobs %d %s", r.RW, formatBytes(uint64(r.BS)), r.Depth, r.Jobs, engineLabel(r.Engine, r.Fixed, r.Taskrun))
	pages := func(p *int64) string {
		if p == nil {
			return "unknown"
		}
		return strconv.FormatInt(*p, 10)
	}
	ratio := "n/a"
	if v := c.SysRatio(); v != 0 {
		ratio = fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%s: system time per GiB direct %.3f s, buffered %.3f s, direct/buffered %s; page cache pages added direct %s, buffered %s",
		name, SysPerGiB(c.Direct), SysPerGiB(c.Buffered), ratio, pages(c.Direct.CachePagesAdded), pages(c.Buffered.CachePagesAdded))
}

// Compare finds the direct/buffered pairs in results: a direct result
// immediately followed by a buffered one of the same job.
func Compare(results []Result) []Comparison {
	var out []Comparison
	for i := 0; i+1 < len(results); i++ {
		a, b := results[i], results[i+1]
		if a.Cache == string(Direct) && b.Cache == string(Buffered) && a.RW == b.RW && a.BS == b.BS &&
			a.Depth == b.Depth && a.Jobs == b.Jobs && a.Engine == b.Engine && a.Fixed == b.Fixed && a.Taskrun == b.Taskrun {
			out = append(out, Comparison{Direct: a, Buffered: b})
			i++
		}
	}
	return out
}

// formatCount prints an I/O rate compactly: 950, 12.3k, 1.23M.
func formatCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// formatNs prints a latency with three significant digits and a unit.
func formatNs(ns int64) string {
	v := float64(ns)
	switch {
	case ns <= 0:
		return "-"
	case v >= 1e9:
		return sig3(v/1e9) + " s"
	case v >= 1e6:
		return sig3(v/1e6) + " ms"
	case v >= 1e3:
		return sig3(v/1e3) + " µs"
	default:
		return fmt.Sprintf("%d ns", ns)
	}
}

// sig3 prints v (1 <= v < 1000 in practice) with about three significant
// digits and never in exponent notation.
func sig3(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}
