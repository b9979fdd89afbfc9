package workload

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	base := Spec{
		RW: []RW{RandRead}, BS: []int{4096}, Depth: []int{1}, Jobs: []int{1},
		Engine: []string{EngineAuto}, Cache: []Cache{Direct}, Runtime: time.Second,
	}
	type key struct {
		rw    RW
		bs    int
		depth int
		eng   string
		cache Cache
	}
	keys := func(js []Job) []key {
		var out []key
		for _, j := range js {
			out = append(out, key{j.RW, j.BS, j.Depth, j.Engine, j.Cache})
		}
		return out
	}
	tests := []struct {
		name    string
		mod     func(*Spec)
		want    []key
		wantErr bool
	}{
		{"single", func(s *Spec) {}, []key{{RandRead, 4096, 1, "auto", Direct}}, false},
		{"bs x depth", func(s *Spec) { s.BS = []int{4096, 65536}; s.Depth = []int{1, 32} }, []key{
			{RandRead, 4096, 1, "auto", Direct}, {RandRead, 4096, 32, "auto", Direct},
			{RandRead, 65536, 1, "auto", Direct}, {RandRead, 65536, 32, "auto", Direct}}, false},
		{"cache both adjacent", func(s *Spec) { s.Engine = []string{"sync", "uring"}; s.Cache = []Cache{Direct, Buffered} }, []key{
			{RandRead, 4096, 1, "sync", Direct}, {RandRead, 4096, 1, "sync", Buffered},
			{RandRead, 4096, 1, "uring", Direct}, {RandRead, 4096, 1, "uring", Buffered}}, false},
		{"rw outermost", func(s *Spec) { s.RW = []RW{Read, Write}; s.BS = []int{512, 1024} }, []key{
			{Read, 512, 1, "auto", Direct}, {Read, 1024, 1, "auto", Direct},
			{Write, 512, 1, "auto", Direct}, {Write, 1024, 1, "auto", Direct}}, false},
		{"duplicates dropped", func(s *Spec) { s.Depth = []int{8, 1, 8} }, []key{
			{RandRead, 4096, 8, "auto", Direct}, {RandRead, 4096, 1, "auto", Direct}}, false},
		{"empty list", func(s *Spec) { s.BS = nil }, nil, true},
		{"zero bs", func(s *Spec) { s.BS = []int{0} }, nil, true},
		{"zero depth", func(s *Spec) { s.Depth = []int{0} }, nil, true},
		{"depth beyond the engines' bound", func(s *Spec) { s.Depth = []int{1, MaxDepth + 1} }, nil, true},
		{"largest depth", func(s *Spec) { s.Depth = []int{MaxDepth} }, []key{{RandRead, 4096, MaxDepth, "auto", Direct}}, false},
		{"zero jobs", func(s *Spec) { s.Jobs = []int{0} }, nil, true},
		{"too many jobs", func(s *Spec) { s.Jobs = []int{MaxJobs + 1} }, nil, true},
		{"negative bs", func(s *Spec) { s.BS = []int{-4096} }, nil, true},
		{"negative offset", func(s *Spec) { s.Offset = -1 }, nil, true},
		{"negative ramp", func(s *Spec) { s.Ramp = -1 }, nil, true},
		{"unknown cache", func(s *Spec) { s.Cache = []Cache{"both"} }, nil, true},
		{"unknown engine", func(s *Spec) { s.Engine = []string{"aio"} }, nil, true},
		{"unknown rw", func(s *Spec) { s.RW = []RW{"trim"} }, nil, true},
		{"mix out of range", func(s *Spec) { s.Mix = 101 }, nil, true},
		{"no runtime no ios", func(s *Spec) { s.Runtime = 0 }, nil, true},
		{"ios instead of runtime", func(s *Spec) { s.Runtime = 0; s.IOs = 10 }, []key{{RandRead, 4096, 1, "auto", Direct}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.mod(&s)
			got, err := s.Expand()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(keys(got), tt.want) {
				t.Fatalf("got %v\nwant %v", keys(got), tt.want)
			}
			for _, j := range got {
				if j.Jobs != 1 || j.Runtime != s.Runtime || j.IOs != s.IOs {
					t.Fatalf("scalar fields not copied: %+v", j)
				}
			}
		})
	}
}

// TestExpandTaskrun: the taskrun list is a sweep dimension for the
// engines that may use io_uring, inside the engine and outside the cache;
// a sync job is expanded once, with no taskrun.
func TestExpandTaskrun(t *testing.T) {
	base := Spec{RW: []RW{RandRead}, BS: []int{4096}, Depth: []int{32}, Jobs: []int{1},
		Cache: []Cache{Direct}, Runtime: time.Second}
	tests := []struct {
		name              string
		engines, taskruns []string
		caches            []Cache
		want              []string // engine/taskrun/cache per job
		wantErr           bool
	}{
		{"coop when not given", []string{"uring"}, nil, nil, []string{"uring/coop/direct"}, false},
		{"sweep", []string{"uring", "auto"}, []string{"coop", "defer"}, nil,
			[]string{"uring/coop/direct", "uring/defer/direct", "auto/coop/direct", "auto/defer/direct"}, false},
		{"sync once", []string{"sync", "uring"}, []string{"coop", "defer"}, nil,
			[]string{"sync//direct", "uring/coop/direct", "uring/defer/direct"}, false},
		{"cache innermost", []string{"uring"}, []string{"defer", "coop"}, []Cache{Direct, Buffered},
			[]string{"uring/defer/direct", "uring/defer/buffered", "uring/coop/direct", "uring/coop/buffered"}, false},
		{"duplicates dropped", []string{"uring"}, []string{"defer", "defer"}, nil, []string{"uring/defer/direct"}, false},
		{"case folded", []string{"uring"}, []string{"Defer", "defer"}, nil, []string{"uring/defer/direct"}, false},
		{"unknown", []string{"uring"}, []string{"lazy"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.Engine, s.Taskrun = tt.engines, tt.taskruns
			if tt.caches != nil {
				s.Cache = tt.caches
			}
			jobs, err := s.Expand()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.Engine+"/"+j.Taskrun+"/"+string(j.Cache))
				if want := j.Taskrun == TaskrunDefer; strings.Contains(j.String(), "+defer") != want {
					t.Errorf("%q: +defer in the name is %v, want %v", j.String(), !want, want)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestDefaultSuite(t *testing.T) {
	base := Spec{Jobs: []int{1}, Engine: []string{EngineAuto}, Cache: []Cache{Direct}, Runtime: time.Second}
	all, err := DefaultSuite(base, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"read 1 MiB depth 1 auto direct", "read 1 MiB depth 32 auto direct",
		"write 1 MiB depth 1 auto direct", "write 1 MiB depth 32 auto direct",
		"randread 4 KiB depth 1 auto direct", "randread 4 KiB depth 32 auto direct",
		"randwrite 4 KiB depth 1 auto direct", "randwrite 4 KiB depth 32 auto direct",
	}
	var got []string
	for _, j := range all {
		got = append(got, j.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	reads, err := DefaultSuite(base, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range reads {
		if j.RW.Writes() {
			t.Fatalf("write job %s in the read-only suite", j)
		}
	}
	if len(reads) != 4 {
		t.Fatalf("read-only suite has %d jobs, want 4", len(reads))
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"read", "write", "randread", "randwrite", "randrw", " RandRead "} {
		if _, err := ParseRW(s); err != nil {
			t.Errorf("ParseRW(%q): %v", s, err)
		}
	}
	if _, err := ParseRW("rw"); err == nil {
		t.Error("ParseRW(rw) accepted")
	}
	if _, err := ParseEngine("libaio"); err == nil {
		t.Error("ParseEngine(libaio) accepted")
	}
	c, err := ParseCache("both")
	if err != nil || !slices.Equal(c, []Cache{Direct, Buffered}) {
		t.Errorf("ParseCache(both) = %v, %v", c, err)
	}
	if _, err := ParseCache("none"); err == nil {
		t.Error("ParseCache(none) accepted")
	}
}
