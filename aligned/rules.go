package aligned

import (
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// Rules are the direct I/O rules of one file or block device, as the
// kernel reports them. Every value says where it came from in Sources
// (key: the field name, e.g. "MemAlign"; value: the mechanism, e.g.
// "statx stx_dio_mem_align" or "sysfs /sys/dev/block/7:0/queue/dma_alignment + 1";
// the extra key "ioctls" says why a block device's ioctls were skipped,
// e.g. "skipped: open /dev/vda: operation not permitted").
// Zero means unknown for the sysfs limits; the alignments are always > 0
// after Discover (1 means "no constraint").
type Rules struct {
	Path string
	Kind Kind

	// Size is the file size (statx) or the device size (BLKGETSIZE64);
	// -1 when unknown (pipes, character devices).
	Size int64

	// LogicalBlock is the device's logical block size (BLKSSZGET) for a
	// block device; for a file, the file system's direct I/O offset
	// alignment (statx stx_dio_offset_align), else its block size
	// (stx_blksize), else directio.AlignSize.
	LogicalBlock int
	// PhysicalBlock is the physical block size of the device, or of the
	// device under a file (BLKPBSZGET, else sysfs physical_block_size).
	PhysicalBlock int
	// OptimalIO is the device's optimal I/O size (BLKIOOPT); 0 = none.
	OptimalIO int

	// MemAlign is the alignment a buffer's address needs for O_DIRECT
	// (statx stx_dio_mem_align, else sysfs dma_alignment+1, else LogicalBlock).
	MemAlign int
	// OffsetAlign is the alignment file offsets and lengths need for
	// O_DIRECT (statx stx_dio_offset_align, else LogicalBlock).
	OffsetAlign int
	// ReadOffsetAlign is the offset alignment for O_DIRECT reads, which
	// may be smaller than OffsetAlign (statx STATX_DIO_READ_ALIGN, Linux
	// 6.14+, e.g. XFS realtime files); otherwise equal to OffsetAlign.
	ReadOffsetAlign int
	// DirectIO reports whether O_DIRECT is supported: statx said so, or an
	// O_DIRECT open succeeded. Always false for pipes and KindOther.
	DirectIO bool

	// Device is the sysfs name of the block device (or of the device under
	// a file), e.g. "loop0", "vda1"; "" when there is none (tmpfs, btrfs
	// anonymous devices, pipes). DevMajor:DevMinor is st_rdev for a block
	// device and st_dev for a file.
	Device             string
	DevMajor, DevMinor uint32

	// Queue limits from sysfs (/sys/dev/block/MAJ:MIN/queue, the parent
	// disk's queue for a partition). 0 = unknown.
	MaxSectorsKB, MaxHWSectorsKB int
	MaxSegments, MaxSegmentSize  int
	DMAAlignment                 int // the mask, e.g. 511: buffers must be aligned to DMAAlignment+1
	// SegmentBoundaryMask is the block layer's seg_boundary_mask: no DMA
	// segment may cross it. Linux 6.18 does not export it in sysfs, so it
	// is 0 (unknown) unless a queue/segment_boundary_mask file exists.
	SegmentBoundaryMask uint64
	// VirtBoundaryMask is queue/virt_boundary_mask (NVMe-style "no gaps"
	// rule: every segment but the first must start, and every segment but
	// the last must end, on this boundary); 0 = none. Not in the original
	// contract; added because it is the boundary sysfs does expose.
	VirtBoundaryMask uint64
	Scheduler        string // the active (bracketed) I/O scheduler, e.g. "mq-deadline", "none"

	Sources map[string]string
}

// Discover returns the direct I/O rules of the file or block device at
// path (symlinks are followed). It never opens a FIFO or a character
// device (opening either can block or have side effects, e.g. a tape
// rewinds on close); it opens a block device or a regular file read-only
// only when statx cannot answer, and closes it again.
//
// The order of mechanisms is documented in the package comment.
func Discover(path string) (Rules, error) { return discover(path) }

// DiscoverFile is Discover for an open file; it uses the descriptor itself
// (statx AT_EMPTY_PATH, ioctls) and does not change its flags or offset.
// A nil f gives os.ErrInvalid, as os.File's methods do.
func DiscoverFile(f *os.File) (Rules, error) {
	if f == nil {
		return Rules{}, os.ErrInvalid
	}
	return discoverFile(f)
}

// OpenFile opens path like os.OpenFile with O_DIRECT added, through
// github.com/ncw/directio.OpenFile. When the file system or device refuses
// O_DIRECT (open(2) fails with EINVAL, but succeeds without O_DIRECT), the
// error is an *os.PathError whose Err wraps both ErrNoDirectIO and the
// errno, e.g. "open /mnt/f: file system does not support O_DIRECT (ramfs):
// invalid argument". If flag had O_CREAT|O_EXCL, the empty file the kernel
// created before refusing O_DIRECT is removed again; with O_CREAT alone it
// may be left behind (the kernel creates it before checking O_DIRECT, and
// without O_EXCL OpenFile cannot know whether it existed before).
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	return openFile(path, flag, perm)
}

// MaxIOBytes is the largest request the block layer builds for the device
// (max_sectors_kb × 1024), or 0 when unknown. Larger reads and writes are
// legal; the kernel splits them.
func (r Rules) MaxIOBytes() int {
	if r.MaxSectorsKB <= 0 {
		return 0
	}
	if r.MaxSectorsKB > math.MaxInt/1024 {
		return math.MaxInt
	}
	return r.MaxSectorsKB * 1024
}

// Check validates a direct I/O request against r before it reaches the
// kernel, in the spirit of the sbullr raw driver's transfer checks
// ("Linux-Gerätetreiber", chapter 13): the file offset, the length and
// the buffer address are checked separately, in that order, and the first
// that breaks a rule is returned as an *AlignError that names it, the
// alignment and where the rule comes from. The error unwraps to EINVAL.
//
// off and length are checked against ReadOffsetAlign for reads and
// OffsetAlign for writes; the address of buf (if buf is not nil) against
// MemAlign. length is the number of bytes to transfer, usually len(buf).
// A negative offset or length is EINVAL too. Check does not look at
// DirectIO or Size: a request past the end is the kernel's business.
func (r Rules) Check(off int64, length int, buf []byte, write bool) error {
	field, align := "OffsetAlign", r.OffsetAlign
	if !write && r.ReadOffsetAlign > 0 && r.ReadOffsetAlign != r.OffsetAlign {
		field, align = "ReadOffsetAlign", r.ReadOffsetAlign
	}
	// Offset, then length, then address: each with its sign first, so the
	// error always names the first of the three that is wrong.
	if off < 0 {
		return fmt.Errorf("offset %d is negative: %w", off, syscall.EINVAL)
	}
	if align > 1 && !IsAligned(off, int64(align)) {
		return &AlignError{What: "offset", Value: uint64(off), Align: align, Rule: r.rule(field), Path: r.Path}
	}
	if length < 0 {
		return fmt.Errorf("length %d is negative: %w", length, syscall.EINVAL)
	}
	if align > 1 && !IsAligned(int64(length), int64(align)) {
		return &AlignError{What: "length", Value: uint64(length), Align: align, Rule: r.rule(field), Path: r.Path}
	}
	if buf != nil && r.MemAlign > 1 {
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
		if addr%uintptr(r.MemAlign) != 0 {
			return &AlignError{What: "buffer address", Value: uint64(addr), Align: r.MemAlign, Rule: r.rule("MemAlign"), Path: r.Path}
		}
	}
	return nil
}

// rule names the origin of an alignment for AlignError, from Sources:
// "logical block size", "DIO memory alignment", "file system block size"…
func (r Rules) rule(field string) string {
	src := r.Sources[field]
	if field == "MemAlign" {
		switch {
		case strings.Contains(src, "dio_mem_align"):
			return "DIO memory alignment"
		case strings.Contains(src, "dma_alignment"):
			return "DMA alignment"
		}
		return "memory alignment"
	}
	// Offsets and lengths. Follow derived values to their origin first.
	switch {
	case strings.HasPrefix(src, "OffsetAlign"):
		return r.rule("OffsetAlign")
	case strings.HasPrefix(src, "LogicalBlock"):
		return r.rule("LogicalBlock")
	case strings.Contains(src, "dio_read_offset_align"):
		return "DIO read offset alignment"
	case r.Kind == KindBlock && field == "OffsetAlign" && r.OffsetAlign == r.LogicalBlock:
		// statx and BLKSSZGET agree: for a device the rule is its sector.
		return "logical block size"
	case strings.Contains(src, "dio_offset_align"):
		return "DIO offset alignment"
	case strings.Contains(src, "BLKSSZGET"), strings.Contains(src, "logical_block_size"):
		return "logical block size"
	case strings.Contains(src, "stx_blksize"):
		return "file system block size"
	case strings.Contains(src, "directio.AlignSize"):
		return "assumed alignment (directio.AlignSize)"
	}
	return "alignment"
}
