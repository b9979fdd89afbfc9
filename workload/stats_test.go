package workload

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestRatesExact(t *testing.T) {
	tests := []struct {
		ios     int64
		bs      int
		seconds float64
	}{
		{1, 4096, 1}, {443217, 4096, 5.000123}, {3, 1 << 20, 0.3}, {7, 512, 1.0 / 3}, {1 << 40, 65536, 12345.678},
	}
	for _, tt := range tests {
		iops, bps := rates(tt.ios, tt.bs, tt.seconds)
		if iops*float64(tt.bs) != bps {
			t.Errorf("ios %d bs %d s %v: iops*bs = %v != bytes_per_sec %v", tt.ios, tt.bs, tt.seconds, iops*float64(tt.bs), bps)
		}
		if iops != float64(tt.ios)/tt.seconds {
			t.Errorf("iops = %v", iops)
		}
	}
	if i, b := rates(10, 4096, 0); i != 0 || b != 0 {
		t.Errorf("zero window: %v %v", i, b)
	}
}

func TestLatencyOrdering(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
	}{
		{"constant", func(*rand.Rand) time.Duration { return 50 * time.Microsecond }},
		{"uniform", func(r *rand.Rand) time.Duration { return time.Duration(1 + r.Int64N(int64(time.Millisecond))) }},
		{"long tail", func(r *rand.Rand) time.Duration {
			if r.IntN(1000) == 0 {
				return 20 * time.Millisecond
			}
			return time.Duration(10_000 + r.Int64N(5_000))
		}},
		{"out of range", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(3)) * time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			h := newHistogram()
			var sum float64
			const n = 20000
			for i := 0; i < n; i++ {
				d := tt.gen(r)
				record(h, d)
				sum += float64(min(max(int64(d), latencyMin), latencyMax))
			}
			if h.TotalCount() != n {
				t.Fatalf("count %d, want %d", h.TotalCount(), n)
			}
			l := latencyOf(h)
			seq := []int64{l.Min, l.P50, l.P90, l.P99, l.P999, l.Max}
			for i := 1; i < len(seq); i++ {
				if seq[i] < seq[i-1] {
					t.Fatalf("not ordered: %+v", l)
				}
			}
			if l.Mean < float64(l.Min) || l.Mean > float64(l.Max) {
				t.Fatalf("mean %v outside [min, max]: %+v", l.Mean, l)
			}
			if exact := sum / n; l.Mean < exact*0.99 || l.Mean > exact*1.01 {
				t.Fatalf("mean %v, exact %v", l.Mean, exact)
			}
		})
	}
	if l := latencyOf(newHistogram()); l != (Latency{}) {
		t.Fatalf("empty histogram: %+v", l)
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	h := newHistogram()
	allocs := testing.AllocsPerRun(1000, func() { record(h, 12345*time.Nanosecond) })
	if allocs != 0 {
		t.Fatalf("record allocates %v times", allocs)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := newHistogram()
	for i := 0; b.Loop(); i++ {
		record(h, time.Duration(1000+i%100000))
	}
}

func TestLatenciesBatched(t *testing.T) {
	// Batched and direct recording must give the same histogram for any
	// count, around the batch's edges too, out-of-range values included.
	for _, n := range []int{0, 1, latencyBatch - 1, latencyBatch, latencyBatch + 1, 3*latencyBatch + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(n)))
			want := newHistogram()
			var l latencies
			l.init()
			for i := range n {
				d := time.Duration(r.Int64N(int64(2 * time.Millisecond)))
				switch i % 97 {
				case 0:
					d = -5
				case 1:
					d = 3 * time.Hour
				}
				record(want, d)
				l.add(d)
			}
			got := l.histogram()
			if got.TotalCount() != int64(n) || !got.Equals(want) {
				t.Fatalf("batched: %d values, %+v; direct: %d values, %+v",
					got.TotalCount(), latencyOf(got), want.TotalCount(), latencyOf(want))
			}
			// Reading it again adds nothing twice.
			if again := l.histogram(); again.TotalCount() != int64(n) {
				t.Fatalf("second read: %d values, want %d", again.TotalCount(), n)
			}
		})
	}
}

func TestLatenciesAddDoesNotAllocate(t *testing.T) {
	var l latencies
	l.init()
	allocs := testing.AllocsPerRun(3*latencyBatch, func() { l.add(12345 * time.Nanosecond) })
	if allocs != 0 {
		t.Fatalf("add allocates %v times", allocs)
	}
}

// BenchmarkClock is what the run loop saved by taking the time from
// Completion.Reaped: a time.Now (wall and monotonic clocks) against the
// engine's time.Since of a monotonic base (docs/benchmarks.md, "The lanes'
// user time, found").
func BenchmarkClock(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			sink += time.Duration(time.Now().Nanosecond())
		}
	})
	b.Run("time.Since", func(b *testing.B) {
		for b.Loop() {
			sink += time.Since(base)
		}
	})
	_ = sink
}
