// Package aligned provides the direct I/O (O_DIRECT) rules of a file or
// block device as the kernel reports them, a check of a request against
// those rules, an O_DIRECT open, rounding helpers, and pinned buffers that
// satisfy the rules.
//
// # Discovery
//
// Discover (a path) and DiscoverFile (an open file) never hard-code an
// alignment. Each value comes from the first mechanism that answers, and
// Rules.Sources records which one did, e.g. {"MemAlign": "statx
// stx_dio_mem_align"}. The order is:
//
//  1. statx(2): STATX_DIOALIGN gives stx_dio_mem_align and
//     stx_dio_offset_align (Linux 6.1 for files, 6.11 for block device
//     nodes); STATX_DIO_READ_ALIGN gives stx_dio_read_offset_align (Linux
//     6.14, for XFS; on 6.18 neither ext4, tmpfs nor block devices report
//     it, so their reads use the offset alignment). Both bits are checked
//     in stx_mask, since a kernel leaves out what it does not know. A file whose
//     stx_dio_offset_align is 0 has no direct I/O. For a file, stx_size is
//     the size and stx_blksize the file system block size.
//  2. ioctl(2) on a block device: BLKSSZGET (logical block), BLKPBSZGET
//     (physical block), BLKGETSIZE64 (size), BLKIOOPT (optimal I/O size).
//     A file's underlying device is not opened (that would need root and a
//     node in /dev); sysfs has the same values for anyone.
//  3. sysfs, for the device or the device under a file (st_dev →
//     /sys/dev/block/MAJ:MIN; a partition reads its parent disk's queue):
//     queue/logical_block_size, physical_block_size, optimal_io_size, the
//     size file (× 512), and the queue limits max_sectors_kb,
//     max_hw_sectors_kb, max_segments, max_segment_size, dma_alignment,
//     virt_boundary_mask and the active scheduler. The block layer's
//     seg_boundary_mask is not in sysfs; SegmentBoundaryMask stays 0
//     (unknown). MemAlign falls back to dma_alignment + 1.
//  4. github.com/ncw/directio's AlignSize (4096), the last resort, for a
//     file whose file system reports nothing and has no block size.
//
// Then the derived fallbacks: OffsetAlign = LogicalBlock, ReadOffsetAlign
// = OffsetAlign, MemAlign = LogicalBlock, PhysicalBlock = LogicalBlock.
// DirectIO is statx's answer where it gives one; otherwise an O_DIRECT
// open of the file (a path, or /proc/self/fd/N so the caller's descriptor
// keeps its flags) decides. Discover never opens a FIFO or a character
// device (it could block, or rewind a tape): a pipe or FIFO is KindPipe
// with Size -1 and DirectIO false, anything else KindOther; both have all
// alignments 1, so LCM with the other side of a copy is that side.
//
// # Measured on Linux 6.18 (x86-64, virtio disk)
//
//	                    logical physical mem  offset read  max_sectors_kb segments seg_size dma  sched
//	ext4 file on vda    512     4096     512  512    512   4096           254      4 GiB-1  511  mq-deadline
//	tmpfs (/dev/shm)    4096    4096     4096 4096   4096  -              -        -        -    -
//	loop, 512 sectors   512     512      512  512    512   1280           128      65536    511  none
//	loop, 4096 sectors  4096    4096     512  4096   4096  1280           128      65536    511  none
//	zram                4096    4096     512  4096   4096  124            128      65536    511  none (bio-based)
//
// The ext4 file's offset alignment is its device's logical block (512),
// not the file system block (4096). tmpfs reports no STATX_DIOALIGN but
// accepts O_DIRECT since Linux 6.6, so DirectIO is true (an O_DIRECT open
// succeeded) and every alignment falls back to stx_blksize, 4096.
//
// # Check
//
// Check validates a request before it reaches the kernel, in the spirit
// of the sbullr raw driver in "Linux-Gerätetreiber" (kiobufs chapter),
// whose transfer function refused a misaligned offset or count and a
// misaligned buffer with -EINVAL before mapping the user pages. Check
// validates the offset, the length and the buffer address separately and
// names which one breaks which rule, e.g.
//
//	offset 100 is not a multiple of 512, the logical block size of /dev/loop0
//	buffer address 0x7f3a2c001004 is not a multiple of 512, the DIO memory alignment of /dev/loop0
//
// The error is an *AlignError and unwraps to EINVAL, the errno the kernel
// returns for the same request. The tests issue O_DIRECT preads and
// pwrites that break each rule on an ext4 file and on 512- and 4096-byte
// loop devices: the kernel fails exactly where Check fails. The rules are
// always sufficient but may be stricter than the kernel: tmpfs accepts
// any alignment (its O_DIRECT still copies through the page cache), and on
// 6.18 zram, a bio-based driver, accepted every buffer address in the
// tests although statx reports 512 (apparently the memory check now
// happens where bios are split to a queue's limits, which zram skips).
// Check stays on the advertised rule: what statx promises works
// everywhere.
//
// # Caveats
//
// Rules are a snapshot: a loop device can be reconfigured, a file moved
// to another file system. Rules is a plain value, safe to copy and to
// share between goroutines. O_DIRECT bypasses the page cache but is not
// durability: the device may still cache writes, so fsync is still needed.
// OpenFile with O_CREAT on a file system without O_DIRECT may leave an
// empty file behind (the kernel creates it before refusing O_DIRECT)
// unless O_EXCL was given, in which case OpenFile removes it.
//
// # Platforms
//
// Discovery needs Linux. Elsewhere Discover reports the kind and size from
// os.Stat, every alignment as directio.AlignSize and DirectIO false
// (unknown); OpenFile still uses directio.OpenFile, and NewBuffer returns
// pin's ErrUnsupported.
package aligned
