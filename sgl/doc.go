// Package sgl provides scatter-gather lists for direct I/O from user space,
// modelled on the list drivers/scsi/st.c builds in sgl_map_user_pages and
// on the block layer's rules for turning it into device requests.
//
// The pipeline has four steps, each usable alone:
//
//   - Map (and MapBytes) splits a range of memory into one Entry per
//     virtual page, exactly as st.c does: the first entry starts at the
//     address's offset in its page, interior entries are whole pages, the
//     last holds the remainder. A range that wraps the address space is
//     EINVAL; one that needs more entries than the list holds is ENOMEM and
//     maps nothing (all or nothing, as the kernel settled after st.c's 2005
//     partial-pin bug). A list of more than 1<<24 entries (64 GiB of 4 KiB
//     pages) is ENOMEM too, as a failed allocation of the page array would
//     be in the kernel; Split maps larger buffers in pieces. The page size
//     comes from os.Getpagesize.
//   - Merge joins virtually contiguous entries into Segments no longer than
//     the device's maximum segment size and not crossing its segment
//     boundary (block/blk-merge.c).
//   - Split deals the segments of a buffer out into Requests of at most the
//     device's bytes and segments per request, each starting and ending on
//     a logical block; Request.Iovecs gives the iovecs for preadv/pwritev.
//   - ReadAt and WriteAt run one preadv(2)/pwritev(2) per request, retrying
//     EINTR and resuming short transfers.
//
// PhysRuns reads /proc/self/pagemap to show how a buffer lies in physical
// memory: the runs of physically contiguous pages, which is what the block
// layer can merge into DMA segments once it has pinned the pages. A buffer
// on transparent huge pages lies in far fewer runs than one on 4 KiB pages.
// Without CAP_SYS_ADMIN the kernel hides page frame numbers and PhysRuns
// says they are unknown (ErrPhysUnknown) rather than report zeros.
//
// # Limits
//
// Limits carries a device's request-queue limits; LimitsOf fills them from
// aligned.Rules. A zero field means unknown and takes the block layer's
// default for a queue whose driver sets nothing: 64 KiB segments
// (DefaultMaxSegmentSize), a 4 GiB segment boundary
// (DefaultSegmentBoundaryMask), 128 segments (DefaultMaxSegments), 1280 KiB
// per request (DefaultMaxBytes) and 512-byte blocks (DefaultLogicalBlock).
// Segments per request are capped at IOV_MAX (1024), the most iovecs one
// preadv takes, and bytes per request at MAX_RW_COUNT, the most one
// read or write transfers.
//
// # What user space can and cannot do
//
// The kernel pins the pages of an O_DIRECT buffer for each I/O
// (pin_user_pages, bio_iov_iter_get_pages) and merges them by physical
// address; a process sees only virtual addresses. Map, Merge and Split
// therefore model the request the kernel will build, so that each system
// call carries one request the device takes whole, and PhysRuns reports
// the physical side where the process may see it. Nothing here pins
// memory: use package pin for memory that is locked and outside the Go
// heap, and package aligned for the memory and offset alignment O_DIRECT
// needs.
//
// # Ownership, errors, concurrency, platforms
//
// Entries and Segments hold addresses, not references; a Request from
// Split keeps its buffer reachable, and its iovecs are slices of it (a
// hand-built Request whose segments cannot be memory gives no iovecs). The
// caller keeps the memory valid and unchanged in place for as long as it
// uses them. Validation errors read as one sentence and unwrap to the
// errno the kernel would give (errors.Is(err, unix.EINVAL), unix.ENOMEM);
// system call errors are *os.SyscallError or *os.PathError with the errno
// kept. All functions are safe for concurrent use; none keeps state.
//
// Map, Merge and Split work everywhere. ReadAt, WriteAt and PhysRuns are
// Linux-only: elsewhere ReadAt and WriteAt return ErrNotSupported and
// PhysRuns an error wrapping ErrPhysUnknown.
package sgl
