package workload

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record nanoseconds from 1 ns to latencyMax with three
// significant digits (a relative error below 0.1%), which is finer than
// the clock's resolution for any I/O worth timing. Larger values are
// clamped to latencyMax rather than lost, so the count always equals the
// I/O count.
const (
	latencyMin    = 1
	latencyMax    = int64(100 * time.Second)
	latencyDigits = 3
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(latencyMin, latencyMax, latencyDigits)
}

// record adds one latency to h. It does not allocate.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	v := int64(d)
	if v < latencyMin {
		v = latencyMin
	} else if v > latencyMax {
		v = latencyMax
	}
	_ = h.RecordValue(v) // in range by construction
}

// latencyBatch is how many latencies a runner keeps (4 KiB of them) before
// adding them to its histogram.
const latencyBatch = 512

// latencies is a runner's histogram with the latencies of its last I/Os
// held back and added in batches. A histogram's counters span 224 KiB, and
// a lane's latencies land on a few thousand of them at random; added one by
// one, with 32 lanes and every I/O's data passing through the caches
// between two records of one lane, each add missed the cache. Written one
// after another the latencies cost a store each, and a batch touches each
// line of counters it needs once (docs/benchmarks.md, "The lanes' user
// time, found: a cache miss per recorded latency").
type latencies struct {
	n   int
	h   *hdrhistogram.Histogram
	buf [latencyBatch]time.Duration
}

func (l *latencies) init() { l.h = newHistogram() }

// add records d. It does not allocate.
func (l *latencies) add(d time.Duration) {
	l.buf[l.n] = d
	l.n++
	if l.n == len(l.buf) {
		l.flush()
	}
}

func (l *latencies) flush() {
	for _, d := range l.buf[:l.n] {
		record(l.h, d)
	}
	l.n = 0
}

// histogram returns the histogram of every latency added so far.
func (l *latencies) histogram() *hdrhistogram.Histogram {
	l.flush()
	return l.h
}

// Latency summarises submission-to-completion times in nanoseconds.
type Latency struct {
	Min  int64   `json:"min"`
	Mean float64 `json:"mean"`
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p999"`
	Max  int64   `json:"max"`
}

// latencyOf summarises h. Percentiles are HDR "highest equivalent"
// values: within 0.1% of the true value and never below it. Min and Max
// are clamped to the percentiles so that min <= p50 <= ... <= max holds
// even though the histogram reports max as the highest equivalent value.
// An empty histogram gives all zeros.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	p := h.ValueAtPercentiles([]float64{50, 90, 99, 99.9})
	l := Latency{
		Min:  h.Min(),
		Mean: h.Mean(),
		P50:  p[50],
		P90:  p[90],
		P99:  p[99],
		P999: p[99.9],
		Max:  h.Max(),
	}
	if l.Max < l.P999 {
		l.Max = l.P999
	}
	if l.Min > l.P50 {
		l.Min = l.P50
	}
	return l
}

// rates returns iops and bytes per second for ios I/Os of bs bytes over
// seconds. bytes_per_sec is computed as iops*bs, so the identity
// iops × bs == bytes_per_sec holds exactly in float64 for any reader who
// recomputes it.
func rates(ios int64, bs int, seconds float64) (iops, bytesPerSec float64) {
	if seconds <= 0 {
		return 0, 0
	}
	iops = float64(ios) / seconds
	return iops, iops * float64(bs)
}
