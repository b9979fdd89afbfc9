package workload

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func sampleDoc() *Document {
	mix := 70
	pages := int64(0)
	buffered := int64(2048)
	return &Document{
		Version: Version,
		Env: Env{Kernel: "6.18.0", CPUs: 2, Target: "/dev/loop0", Kind: "block", Size: 64 << 20, Device: "loop0",
			Scheduler: "none", LogicalBlockSize: 4096, PhysicalBlockSize: 4096, DIOMemAlign: 512, DIOOffsetAlign: 4096,
			Queue:        QueueLimits{MaxSectorsKB: 1280, MaxHWSectorsKB: 32767, MaxSegments: 128, MaxSegmentSize: 65536, DMAAlignment: 511},
			MemlockLimit: 8 << 20, Locked: true},
		Results: []Result{
			{RW: "randread", BS: 4096, Depth: 32, Jobs: 1, Engine: "uring", Fixed: true, Cache: "direct",
				IOs: 1000, Bytes: 4096000, Seconds: 0.5, IOPS: 2000, BytesPerSec: 8192000,
				Lat:             Latency{Min: 1000, Mean: 1500.5, P50: 1400, P90: 1800, P99: 2500, P999: 4000, Max: 9000},
				CPU:             CPU{UsrSec: 0.1, SysSec: 0.2, SystemBusyPct: 40},
				CachePagesAdded: &pages, Disk: &Disk{ReadIOs: 1000, ReadSectors: 8000}},
			{RW: "randread", BS: 4096, Depth: 32, Jobs: 1, Engine: "uring", Fixed: true, Cache: "buffered",
				IOs: 1000, Bytes: 4096000, Seconds: 0.5, IOPS: 2000, BytesPerSec: 8192000,
				CPU: CPU{UsrSec: 0.1, SysSec: 0.3}, CachePagesAdded: &buffered},
			{RW: "randrw", Mix: &mix, BS: 8192, Depth: 1, Jobs: 2, Engine: "sync", Cache: "direct"},
		},
		Fallbacks: []string{"engine auto ran as sync: io_uring unavailable"},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d := sampleDoc()
	var buf bytes.Buffer
	if err := d.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip changed the document:\n%+v\n%+v", got, d)
	}
	// Exactly one document and nothing else.
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatal("more than one JSON value")
	}
}

// TestJSONSchema pins the field names of issue 4's schema.
func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleDoc().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var out []string
		for k := range v.(map[string]any) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys %v, want %v", name, got, want)
		}
	}
	check("document", keys(m), "version", "env", "results", "fallbacks")
	if m["version"].(float64) != 1 {
		t.Errorf("version %v", m["version"])
	}
	check("env", keys(m["env"]), "kernel", "cpus", "target", "kind", "size", "device", "scheduler",
		"logical_block_size", "physical_block_size", "dio_mem_align", "dio_offset_align",
		"queue_limits", "memlock_limit", "locked")
	res := m["results"].([]any)
	r0 := res[0].(map[string]any)
	check("result", keys(r0), "rw", "bs", "depth", "jobs", "engine", "fixed", "cache", "ios", "bytes", "seconds",
		"iops", "bytes_per_sec", "lat_ns", "cpu", "cache_pages_added", "huge_page_bytes", "disk")
	check("lat_ns", keys(r0["lat_ns"]), "min", "mean", "p50", "p90", "p99", "p999", "max")
	check("disk", keys(r0["disk"]), "read_ios", "write_ios", "read_sectors", "write_sectors", "read_merges", "write_merges")
	cpu := keys(r0["cpu"])
	if !slices.Contains(cpu, "usr_sec") || !slices.Contains(cpu, "sys_sec") {
		t.Errorf("cpu keys %v", cpu)
	}
	if r1 := res[1].(map[string]any); r1["disk"] != nil {
		t.Errorf("disk of a result without a device is %v, want null", r1["disk"])
	}
	if r2 := res[2].(map[string]any); r2["mix"].(float64) != 70 {
		t.Errorf("randrw mix %v", r2["mix"])
	}
	if _, ok := r0["mix"]; ok {
		t.Error("mix present for randread")
	}
	empty := &Document{Version: Version}
	buf.Reset()
	if err := empty.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"fallbacks": []`) || !strings.Contains(buf.String(), `"results": []`) {
		t.Errorf("empty lists not written as []: %s", buf.String())
	}
}

func TestReadJSONVersion(t *testing.T) {
	if _, err := ReadJSON(strings.NewReader(`{"version":2}`)); err == nil {
		t.Fatal("version 2 accepted")
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleDoc().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"/dev/loop0", "randread", "uring+fixed", "2000", "1.40 µs", "fallback: engine auto ran as sync",
		"direct/buffered 0.67", "buffered 2048", "randrw(70%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	// The default run interrupted while it wrote its test file: no
	// target, no results; one line rather than an empty table.
	buf.Reset()
	empty := &Document{Version: Version, Env: Env{Kernel: "6.18", CPUs: 2}}
	if err := empty.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "no job ran: stopped before the default run's test file was opened\n"; got != want {
		t.Errorf("empty table %q, want %q", got, want)
	}
}

func TestCompare(t *testing.T) {
	c := Compare(sampleDoc().Results)
	if len(c) != 1 {
		t.Fatalf("%d comparisons, want 1", len(c))
	}
	if r := c[0].SysRatio(); r < 0.666 || r > 0.667 {
		t.Fatalf("ratio %v", r)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatBytes(4096), "4 KiB"}, {formatBytes(513), "513 B"}, {formatBytes(3 << 29), "1.5 GiB"},
		{formatNs(999), "999 ns"}, {formatNs(1000), "1.00 µs"}, {formatNs(999_999), "1000 µs"}, {formatNs(12_345_678), "12.3 ms"},
		{formatCount(950), "950"}, {formatCount(443_217), "443.2k"}, {formatCount(1_234_567), "1.23M"},
		{formatTick(0.5), "0.5"}, {formatTick(250), "250"}, {formatTick(12000), "12k"}, {formatTick(1.5e6), "1.5M"},
		{formatDuration(1e3), "1 µs"}, {formatDuration(2e7), "20 ms"}, {formatDuration(500), "500 ns"}, {formatDuration(1e9), "1 s"},
		{shortBytes(4096), "4K"}, {shortBytes(1 << 20), "1M"}, {shortBytes(512), "512"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q want %q", tt.got, tt.want)
		}
	}
}
