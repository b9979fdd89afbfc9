package workload

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The chart is hand-written SVG 1.1: two panels sharing one log2 x axis
// (block size, depth or job count, whichever the sweep varies), the upper
// one bandwidth or IOPS, the lower one latency percentiles p50, p99 and
// p99.9 on a log10 axis, one colour per series (engine × cache mode, plus
// whatever else the sweep varies) and a legend on the right.

const (
	plotW       = 1000
	plotH       = 800
	plotLeft    = 90  // room for the y tick labels and axis title
	plotRight   = 260 // legend column
	plotTop     = 88
	panelH      = 270
	panelGap    = 90 // between the panels: x tick labels and axis title of the upper one
	legendX     = plotW - plotRight + 24
	plotAreaW   = plotW - plotLeft - plotRight
	upperBottom = plotTop + panelH
	lowerTop    = upperBottom + panelGap
	lowerBottom = lowerTop + panelH
)

// Tableau 10: distinguishable, and readable on white.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

type plotPoint struct {
	x              float64
	y              float64 // bandwidth (MiB/s) or IOPS
	p50, p99, p999 float64 // ns
}

type plotSeries struct {
	label  string
	points []plotPoint
}

// WritePlot writes an SVG chart of d's results to w. The x axis is the
// block size when the sweep varies it, else the depth, else the job
// count. The upper panel shows bandwidth in MiB/s when x is the block size
// or every block size is at least 128 KiB, and IOPS otherwise.
func WritePlot(w io.Writer, d *Document) error {
	if len(d.Results) == 0 {
		return fmt.Errorf("plot: no results to plot")
	}
	rs := d.Results
	vary := func(f func(Result) string) bool {
		for _, r := range rs[1:] {
			if f(r) != f(rs[0]) {
				return true
			}
		}
		return false
	}
	fBS := func(r Result) string { return strconv.Itoa(r.BS) }
	fDepth := func(r Result) string { return strconv.Itoa(r.Depth) }
	fJobs := func(r Result) string { return strconv.Itoa(r.Jobs) }
	fRW := func(r Result) string {
		if r.Mix != nil {
			return fmt.Sprintf("%s %d%%", r.RW, *r.Mix)
		}
		return r.RW
	}
	fEngine := func(r Result) string { return engineLabel(r.Engine, r.Fixed, r.Taskrun) }
	fCache := func(r Result) string { return r.Cache }

	const (
		xBS = iota
		xDepth
		xJobs
	)
	xDim, xName, xOf := xBS, "block size (bytes, log2 scale)", func(r Result) float64 { return float64(r.BS) }
	switch {
	case vary(fBS):
	case vary(fDepth):
		xDim, xName, xOf = xDepth, "queue depth (I/Os in flight per job, log2 scale)", func(r Result) float64 { return float64(r.Depth) }
	case vary(fJobs):
		xDim, xName, xOf = xJobs, "jobs (parallel instances, log2 scale)", func(r Result) float64 { return float64(r.Jobs) }
	}
	xIsBS := xDim == xBS
	bandwidth := xIsBS
	if !bandwidth {
		bandwidth = true
		for _, r := range rs {
			if r.BS < 128<<10 {
				bandwidth = false
			}
		}
	}

	// Series: every varying dimension except x, engine and cache first.
	type dim struct {
		f      func(Result) string
		prefix string
	}
	dims := []dim{{fEngine, ""}, {fCache, ""}, {fRW, ""}}
	if !xIsBS {
		dims = append(dims, dim{func(r Result) string { return formatBytes(uint64(r.BS)) }, "bs "})
	}
	if xDim != xDepth {
		dims = append(dims, dim{fDepth, "depth "})
	}
	if xDim != xJobs {
		dims = append(dims, dim{fJobs, "jobs "})
	}
	var series []*plotSeries
	index := map[string]*plotSeries{}
	for _, r := range rs {
		var parts []string
		for i, dm := range dims {
			if i < 2 || vary(dm.f) { // engine and cache always named
				parts = append(parts, dm.prefix+dm.f(r))
			}
		}
		label := strings.Join(parts, " ")
		s := index[label]
		if s == nil {
			s = &plotSeries{label: label}
			index[label] = s
			series = append(series, s)
		}
		y := r.IOPS
		if bandwidth {
			y = r.BytesPerSec
		}
		s.points = append(s.points, plotPoint{x: xOf(r), y: y,
			p50: float64(r.Lat.P50), p99: float64(r.Lat.P99), p999: float64(r.Lat.P999)})
	}
	for _, s := range series {
		slices.SortStableFunc(s.points, func(a, b plotPoint) int {
			switch {
			case a.x < b.x:
				return -1
			case a.x > b.x:
				return 1
			}
			return 0
		})
	}

	// Axes ranges.
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymax := 0.0
	lmin, lmax := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.points {
			xmin, xmax = math.Min(xmin, p.x), math.Max(xmax, p.x)
			ymax = math.Max(ymax, p.y)
			for _, v := range []float64{p.p50, p.p99, p.p999} {
				if v > 0 {
					lmin, lmax = math.Min(lmin, v), math.Max(lmax, v)
				}
			}
		}
	}
	lx0, lx1 := math.Floor(math.Log2(xmin)), math.Ceil(math.Log2(xmax))
	if lx1-lx0 < 2 { // a single value or two neighbours: give the points room
		// ...on the right only when the axis starts at 1: a depth, job
		// count or block size below 1 means nothing.
		if lx0 >= 1 {
			lx0--
			lx1++
		} else {
			lx1 = lx0 + 2
		}
	}
	yLabel, yDiv := "IOPS (I/Os per second)", 1.0
	if bandwidth {
		yLabel, yDiv = "bandwidth (MiB/s)", 1<<20
		if ymax >= 10<<30 {
			yLabel, yDiv = "bandwidth (GiB/s)", 1<<30
		}
	}
	for _, s := range series {
		for i := range s.points {
			s.points[i].y /= yDiv
		}
	}
	yTop, yStep := niceMax(ymax / yDiv)
	if math.IsInf(lmin, 1) { // no latency recorded at all
		lmin, lmax = 1e3, 1e6
	}
	ld0, ld1 := math.Floor(math.Log10(lmin)), math.Ceil(math.Log10(lmax))
	if ld1 <= ld0 {
		ld1 = ld0 + 1
	}

	xPos := func(x float64) float64 {
		return plotLeft + (math.Log2(x)-lx0)/(lx1-lx0)*plotAreaW
	}
	yPos := func(y float64) float64 { return upperBottom - y/yTop*panelH }
	lPos := func(ns float64) float64 {
		return lowerBottom - (math.Log10(ns)-ld0)/(ld1-ld0)*panelH
	}

	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`+"\n",
		plotW, plotH, plotW, plotH)
	p(`<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)

	// Title.
	var rws []string
	for _, r := range rs {
		if !slices.Contains(rws, fRW(r)) {
			rws = append(rws, fRW(r))
		}
	}
	title := fmt.Sprintf("rawbench: %s on %s (%s", strings.Join(rws, ", "), d.Env.Target, d.Env.Kind)
	if d.Env.Device != "" {
		title += " on " + d.Env.Device
	}
	title += ")"
	p(`<text x="%d" y="28" font-size="18" font-weight="bold">%s</text>`+"\n", plotLeft, xmlEscape(title))
	sub := fmt.Sprintf("Linux %s, %d CPUs", d.Env.Kernel, d.Env.CPUs)
	if rs[0].IOs > 0 {
		sub += fmt.Sprintf(", %.3g s window per point", rs[0].Seconds)
	}
	p(`<text x="%d" y="50" fill="#555">%s</text>`+"\n", plotLeft, xmlEscape(sub))

	// Upper panel: grid, ticks, axis titles.
	for v := 0.0; v <= yTop*1.0000001; v += yStep {
		y := yPos(v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", plotLeft, y, plotLeft+plotAreaW, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotLeft-8, y, formatTick(v))
	}
	xAxis(p, xPos, lx0, lx1, upperBottom, xIsBS)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", plotLeft+plotAreaW/2, upperBottom+42, xmlEscape(xName))
	p(`<text transform="translate(22 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", plotTop+panelH/2, xmlEscape(yLabel))
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", plotLeft, plotTop, plotAreaW, panelH)

	// Lower panel.
	for dec := ld0; dec <= ld1; dec++ {
		y := lPos(math.Pow(10, dec))
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d0d0d0"/>`+"\n", plotLeft, y, plotLeft+plotAreaW, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotLeft-8, y, formatDuration(math.Pow(10, dec)))
		if dec < ld1 && ld1-ld0 <= 3 { // minor grid at 2 and 5
			for _, m := range []float64{2, 5} {
				y := lPos(m * math.Pow(10, dec))
				p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#f0f0f0"/>`+"\n", plotLeft, y, plotLeft+plotAreaW, y)
				p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="#888" font-size="11">%s</text>`+"\n", plotLeft-8, y, formatDuration(m*math.Pow(10, dec)))
			}
		}
	}
	xAxis(p, xPos, lx0, lx1, lowerBottom, xIsBS)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", plotLeft+plotAreaW/2, lowerBottom+42, xmlEscape(xName))
	p(`<text transform="translate(22 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", lowerTop+panelH/2,
		"latency (log scale)")
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", plotLeft, lowerTop, plotAreaW, panelH)
	p(`<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", plotLeft, plotTop-12, xmlEscape(strings.SplitN(yLabel, " (", 2)[0]))
	p(`<text x="%d" y="%d" font-weight="bold">latency, submission to completion: p50, p99, p99.9</text>`+"\n", plotLeft, lowerTop-12)

	// Data.
	dashes := []struct{ name, dash string }{{"p50", ""}, {"p99", "7 4"}, {"p99.9", "2 3"}}
	for i, s := range series {
		c := palette[i%len(palette)]
		polyline(p, s.points, c, "", 2.5, func(q plotPoint) (float64, float64) { return xPos(q.x), yPos(q.y) })
		for k, dsh := range dashes {
			get := [](func(plotPoint) float64){func(q plotPoint) float64 { return q.p50 }, func(q plotPoint) float64 { return q.p99 }, func(q plotPoint) float64 { return q.p999 }}[k]
			var pts []plotPoint
			for _, q := range s.points {
				if get(q) > 0 {
					pts = append(pts, plotPoint{x: q.x, y: get(q)})
				}
			}
			polyline(p, pts, c, dsh.dash, 2, func(q plotPoint) (float64, float64) { return xPos(q.x), lPos(q.y) })
		}
	}

	// Legend.
	ly := plotTop + 10
	p(`<text x="%d" y="%d" font-weight="bold">series</text>`+"\n", legendX, ly)
	ly += 22
	for i, s := range series {
		c := palette[i%len(palette)]
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", legendX, ly-4, legendX+28, ly-4, c)
		p(`<circle cx="%d" cy="%d" r="3.5" fill="%s"/>`+"\n", legendX+14, ly-4, c)
		p(`<text x="%d" y="%d">%s</text>`+"\n", legendX+36, ly, xmlEscape(s.label))
		ly += 20
	}
	ly = lowerTop + 10
	p(`<text x="%d" y="%d" font-weight="bold">percentile</text>`+"\n", legendX, ly)
	ly += 22
	for _, dsh := range dashes {
		da := ""
		if dsh.dash != "" {
			da = fmt.Sprintf(` stroke-dasharray="%s"`, dsh.dash)
		}
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="2"%s/>`+"\n", legendX, ly-4, legendX+28, ly-4, da)
		p(`<text x="%d" y="%d">%s</text>`+"\n", legendX+36, ly, dsh.name)
		ly += 20
	}
	p("</svg>\n")
	return bw.Flush()
}

func xAxis(p func(string, ...any), xPos func(float64) float64, lx0, lx1 float64, bottom int, bytes bool) {
	step := 1.0
	if lx1-lx0 > 12 {
		step = 2
	}
	for e := lx0; e <= lx1; e += step {
		v := math.Pow(2, e)
		x := xPos(v)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/>`+"\n", x, bottom-panelH, x, bottom)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`+"\n", x, bottom, x, bottom+5)
		label := formatTick(v)
		if bytes {
			label = shortBytes(v)
		}
		p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, bottom+20, label)
	}
}

func polyline(p func(string, ...any), pts []plotPoint, color, dash string, width float64, pos func(plotPoint) (float64, float64)) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for _, q := range pts {
		x, y := pos(q)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
	}
	da := ""
	if dash != "" {
		da = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	p(`<polyline points="%s" fill="none" stroke="%s" stroke-width="%.1f"%s/>`+"\n", strings.TrimSpace(b.String()), color, width, da)
	if dash == "" {
		for _, q := range pts {
			x, y := pos(q)
			p(`<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", x, y, color)
		}
	}
}

// niceMax returns an axis top at or above v of the form 1, 2 or 5 × 10^k
// times a whole number of steps, and the step, for about five gridlines.
func niceMax(v float64) (top, step float64) {
	if v <= 0 || math.IsNaN(v) {
		return 1, 0.2
	}
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// formatTick prints an axis value without exponent notation: 0.01, 5,
// 250, 12k, 1.5M.
func formatTick(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

// formatDuration labels a latency tick given in nanoseconds: 500 ns,
// 2 µs, 10 ms, 1 s.
func formatDuration(ns float64) string {
	for _, u := range []struct {
		s string
		n float64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}} {
		if ns >= u.n {
			return strconv.FormatFloat(math.Round(ns/u.n*1000)/1000, 'f', -1, 64) + " " + u.s
		}
	}
	return strconv.FormatFloat(ns, 'f', -1, 64) + " ns"
}

// shortBytes labels a power-of-two byte count: 512, 4K, 1M, 2G.
func shortBytes(v float64) string {
	n := uint64(v)
	for _, u := range []struct {
		s string
		n uint64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatUint(n/u.n, 10) + u.s
		}
	}
	return strconv.FormatUint(n, 10)
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			if r < 0x20 && r != '\t' && r != '\n' {
				b.WriteRune('\uFFFD') // not allowed in XML 1.0
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
