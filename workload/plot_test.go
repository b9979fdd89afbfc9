package workload

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func sweepDoc() *Document {
	d := &Document{Version: Version, Env: Env{Kernel: "6.18", CPUs: 2, Target: "/dev/zram0 & <co>", Kind: "block", Device: "zram0"}}
	for _, eng := range []string{"sync", "uring"} {
		for _, cache := range []string{"direct", "buffered"} {
			for i, bs := range []int{4096, 65536, 1 << 20} {
				ios := int64(100000 / (i + 1))
				iops, bps := rates(ios, bs, 1)
				d.Results = append(d.Results, Result{RW: "randread", BS: bs, Depth: 8, Jobs: 1, Engine: eng, Cache: cache,
					IOs: ios, Bytes: ios * int64(bs), Seconds: 1, IOPS: iops, BytesPerSec: bps,
					Lat: Latency{Min: 900, P50: int64(2000 * (i + 1)), P90: int64(3000 * (i + 1)), P99: int64(9000 * (i + 1)), P999: int64(40000 * (i + 1)), Max: 90000}})
			}
		}
	}
	return d
}

// parseSVG checks that the plot is well-formed XML and returns its text.
func parseSVG(t *testing.T, b []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = v.Name.Local
			}
		case xml.CharData:
			text.Write(v)
			text.WriteByte('\n')
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q", root)
	}
	return text.String()
}

func TestPlot(t *testing.T) {
	tests := []struct {
		name    string
		doc     func() *Document
		want    []string
		notWant []string
	}{
		{"bs sweep", sweepDoc, []string{"block size (bytes, log2 scale)", "bandwidth (GiB/s)", "latency (log scale)", "1 µs", "100 µs",
			"sync direct", "uring buffered", "p99.9", "4K", "1M", "/dev/zram0 & <co>"}, nil},
		{"depth sweep", func() *Document {
			d := sweepDoc()
			for i := range d.Results {
				d.Results[i].Depth = 1 << (i % 3 * 2)
				d.Results[i].BS = 4096
			}
			return d
		}, []string{"queue depth (I/Os in flight per job, log2 scale)", "IOPS (I/Os per second)"}, nil},
		{"single point", func() *Document {
			d := sweepDoc()
			d.Results = d.Results[:1]
			return d
		}, []string{"block size", "sync direct"}, nil},
		// Two neighbouring job counts: the axis is padded to the right,
		// not down to half a job.
		{"jobs 1,2", func() *Document {
			d := sweepDoc()
			d.Results = d.Results[:2]
			d.Results[0].BS, d.Results[1].BS, d.Results[1].Jobs = 4096, 4096, 2
			return d
		}, []string{"jobs (parallel instances, log2 scale)", "\n1\n", "\n2\n", "\n4\n"}, []string{"0.5", "\n8\n"}},
		{"no latency", func() *Document {
			d := sweepDoc()
			for i := range d.Results {
				d.Results[i].Lat = Latency{}
			}
			return d
		}, []string{"latency"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePlot(&buf, tt.doc()); err != nil {
				t.Fatal(err)
			}
			text := parseSVG(t, buf.Bytes())
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("plot text lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("plot text has %q", w)
				}
			}
			if strings.Contains(buf.String(), "NaN") || strings.Contains(buf.String(), "Inf") {
				t.Errorf("plot contains NaN or Inf")
			}
		})
	}
	if err := WritePlot(io.Discard, &Document{}); err == nil {
		t.Error("empty document plotted")
	}
}

func TestNiceMax(t *testing.T) {
	for _, v := range []float64{0.3, 1, 7, 99, 100, 101, 1234, 443217, 1e9} {
		top, step := niceMax(v)
		if top < v || step <= 0 || top/step > 10.0001 || top/step < 1 {
			t.Errorf("niceMax(%v) = %v, %v", v, top, step)
		}
	}
}
