package workload

import (
	"encoding/json"
	"fmt"
	"io"
)

// Version is the version of the JSON document. It changes when a field
// changes meaning or disappears; new fields may appear without a change.
const Version = 1

// Document is what `rawbench --json` prints: the environment, one Result
// per job in the order run, and every fallback taken. It is the one value
// both the human table and the JSON output render.
type Document struct {
	Version   int      `json:"version"`
	Env       Env      `json:"env"`
	Results   []Result `json:"results"`
	Fallbacks []string `json:"fallbacks"` // never null: empty when none
}

// Env describes the machine and the target.
type Env struct {
	Kernel            string      `json:"kernel"` // uname release
	CPUs              int         `json:"cpus"`   // CPUs the process may run on (sched_getaffinity)
	Target            string      `json:"target"` // path benchmarked
	Kind              string      `json:"kind"`   // "file" or "block"
	Size              int64       `json:"size"`   // target size, bytes
	Device            string      `json:"device"` // block device (or the one under the file), "" if none
	Scheduler         string      `json:"scheduler"`
	LogicalBlockSize  int         `json:"logical_block_size"`  // bytes
	PhysicalBlockSize int         `json:"physical_block_size"` // bytes
	DIOMemAlign       int         `json:"dio_mem_align"`       // bytes: buffer address alignment for O_DIRECT
	DIOOffsetAlign    int         `json:"dio_offset_align"`    // bytes: offset and length alignment for O_DIRECT
	Queue             QueueLimits `json:"queue_limits"`
	MemlockLimit      int64       `json:"memlock_limit"` // soft RLIMIT_MEMLOCK after raising, bytes; -1 unlimited
	Locked            bool        `json:"locked"`        // every I/O buffer was mlocked
}

// QueueLimits are the block layer's request limits of the device
// (/sys/block/DEV/queue); 0 when unknown.
type QueueLimits struct {
	MaxSectorsKB   int    `json:"max_sectors_kb"`
	MaxHWSectorsKB int    `json:"max_hw_sectors_kb"`
	MaxSegments    int    `json:"max_segments"`
	MaxSegmentSize int    `json:"max_segment_size"` // bytes
	DMAAlignment   int    `json:"dma_alignment"`    // bytes
	OptimalIO      int    `json:"optimal_io_size"`  // bytes
	BoundaryMask   uint64 `json:"segment_boundary_mask"`
}

// Result is the measurement of one Job.
type Result struct {
	RW     string `json:"rw"`
	Mix    *int   `json:"mix,omitempty"` // percent reads; randrw only
	BS     int    `json:"bs"`            // bytes
	Depth  int    `json:"depth"`
	Jobs   int    `json:"jobs"`
	Engine string `json:"engine"` // engine actually used: "uring" or "sync"
	Fixed  bool   `json:"fixed"`  // registered buffers actually used
	// Taskrun is how the io_uring ran completion work, "coop" or
	// "defer" (what was used, not only asked); absent for sync.
	Taskrun string `json:"taskrun,omitempty"`
	Cache   string `json:"cache"` // "direct" or "buffered"

	IOs         int64   `json:"ios"`           // I/Os completed inside the window
	Bytes       int64   `json:"bytes"`         // ios × bs
	Seconds     float64 `json:"seconds"`       // length of the window (past the runtime only when it ran to a first completion)
	IOPS        float64 `json:"iops"`          // ios / seconds
	BytesPerSec float64 `json:"bytes_per_sec"` // iops × bs

	Lat             Latency `json:"lat_ns"`
	CPU             CPU     `json:"cpu"`
	CachePagesAdded *int64  `json:"cache_pages_added"` // null when it could not be measured
	// HugePageBytes is how much of the job's I/O buffers the kernel put
	// in transparent huge pages (AnonHugePages at setup, all instances; a
	// lower bound). 0 with NoHugePages, for bs of one page, or when THP
	// is off: then every 4 KiB page of a buffer is its own segment.
	HugePageBytes int64 `json:"huge_page_bytes"`
	Disk          *Disk `json:"disk"` // null when the target has no block device
}

// CPU is the CPU time spent over the window: the process's own
// (getrusage RUSAGE_SELF, all threads) and the whole machine's share
// (/proc/stat, percent of all CPUs' time).
type CPU struct {
	UsrSec          float64 `json:"usr_sec"`
	SysSec          float64 `json:"sys_sec"`
	SystemUsrPct    float64 `json:"system_usr_pct"`
	SystemSysPct    float64 `json:"system_sys_pct"`
	SystemIOWaitPct float64 `json:"system_iowait_pct"`
	SystemBusyPct   float64 `json:"system_busy_pct"`
}

// Disk is the /proc/diskstats delta of the target's device over the
// window. Sectors are 512 bytes whatever the device's block size. IOs are
// requests completed; Merges are I/Os merged into a queued request, so
// for I/Os the block layer did not split, the I/Os submitted are
// IOs + Merges.
type Disk struct {
	ReadIOs      uint64 `json:"read_ios"`
	WriteIOs     uint64 `json:"write_ios"`
	ReadSectors  uint64 `json:"read_sectors"`
	WriteSectors uint64 `json:"write_sectors"`
	ReadMerges   uint64 `json:"read_merges"`
	WriteMerges  uint64 `json:"write_merges"`
}

// WriteJSON writes d as one indented JSON document followed by a newline.
func (d *Document) WriteJSON(w io.Writer) error {
	if d.Fallbacks == nil {
		d.Fallbacks = []string{}
	}
	if d.Results == nil {
		d.Results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// ReadJSON decodes a document written by WriteJSON. It refuses a version
// it does not know and unknown fields are ignored.
func ReadJSON(r io.Reader) (*Document, error) {
	var d Document
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return nil, err
	}
	if d.Version != Version {
		return nil, fmt.Errorf("rawbench document version %d, want %d", d.Version, Version)
	}
	return &d, nil
}
