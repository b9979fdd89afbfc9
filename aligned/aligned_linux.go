package aligned

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"github.com/ncw/directio"
	"golang.org/x/sys/unix"
)

// ignoringEINTR retries fn while it fails with EINTR: open(2) on NFS or
// FUSE, statx(2) and ioctl(2) may be interrupted by a signal (the Go
// runtime sends SIGURG for preemption). Same idea as os/file_unix.go.
func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

// statxMask asks for the basic fields plus the direct I/O alignments.
// Kernels that do not know a bit simply leave it out of stx_mask
// (STATX_DIOALIGN: Linux 6.1, for block device nodes 6.11;
// STATX_DIO_READ_ALIGN: Linux 6.14), see statx(2).
const statxMask = unix.STATX_BASIC_STATS | unix.STATX_DIOALIGN | unix.STATX_DIO_READ_ALIGN

// statx fills st for path relative to dirfd (flags as for statx(2)).
// Without statx(2) (ENOSYS: Linux < 4.11 or a seccomp filter) it falls
// back to fstatat(2) and reports only the basic fields in st.Mask.
func statx(dirfd int, path string, flags int, st *unix.Statx_t) error {
	err := ignoringEINTR(func() error { return unix.Statx(dirfd, path, flags, statxMask, st) })
	if err != unix.ENOSYS {
		return err
	}
	var s unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstatat(dirfd, path, &s, flags) }); err != nil {
		return err
	}
	*st = unix.Statx_t{
		Mask:       unix.STATX_BASIC_STATS,
		Blksize:    uint32(s.Blksize),
		Mode:       uint16(s.Mode),
		Size:       uint64(s.Size),
		Rdev_major: unix.Major(s.Rdev),
		Rdev_minor: unix.Minor(s.Rdev),
		Dev_major:  unix.Major(s.Dev),
		Dev_minor:  unix.Minor(s.Dev),
	}
	return nil
}

// nounOf names a file type for Sources and messages.
func nounOf(mode uint16) string {
	switch uint32(mode) & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFIFO:
		return "pipe"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFDIR:
		return "directory"
	}
	return "special file"
}

func kindOf(mode uint16) Kind {
	switch uint32(mode) & unix.S_IFMT {
	case unix.S_IFREG:
		return KindFile
	case unix.S_IFBLK:
		return KindBlock
	case unix.S_IFIFO:
		return KindPipe
	}
	return KindOther
}

// ioctlU32 reads an unsigned int (or int) sized result: BLKSSZGET,
// BLKPBSZGET and BLKIOOPT (block/ioctl.c put_int / put_uint).
func ioctlU32(fd int, req uint) (uint32, error) {
	var v uint32
	err := ignoringEINTR(func() (err error) { v, err = unix.IoctlGetUint32(fd, req); return })
	return v, err
}

// ioctlU64 reads a u64 result: BLKGETSIZE64 (block/ioctl.c put_u64).
func ioctlU64(fd int, req uint) (uint64, error) {
	var v uint64
	err := ignoringEINTR(func() error {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&v)))
		if e != 0 {
			return e
		}
		return nil
	})
	return v, err
}

// probe gives discovery access to a descriptor and to an O_DIRECT
// open attempt, for a path (Discover) or an open file (DiscoverFile).
type probe struct {
	// withFD calls fn with a read-only descriptor of the file, opening
	// it if needed; it returns the open error if there is none.
	withFD func(fn func(fd int)) error
	// direct reports whether the file can be opened with O_DIRECT, and
	// how that was found out (for Sources).
	direct func() (bool, string)
}

func discover(path string) (Rules, error) {
	var st unix.Statx_t
	if err := statx(unix.AT_FDCWD, path, 0, &st); err != nil {
		return Rules{}, &os.PathError{Op: "statx", Path: path, Err: err}
	}
	kind := kindOf(st.Mode)
	p := probe{
		withFD: func(fn func(int)) error {
			if kind != KindBlock && kind != KindFile {
				return errors.New("not opened: a " + nounOf(st.Mode))
			}
			var fd int
			err := ignoringEINTR(func() (err error) {
				// O_NONBLOCK: a CD-ROM without media still opens
				// (drivers/cdrom/cdrom.c), the ioctls need no media.
				fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
				return
			})
			if err != nil {
				return &os.PathError{Op: "open", Path: path, Err: err}
			}
			defer unix.Close(fd)
			fn(fd)
			return nil
		},
		direct: func() (bool, string) {
			if kind != KindBlock && kind != KindFile {
				return false, "not probed: opening a " + nounOf(st.Mode) + " can block or have side effects"
			}
			return openDirect(path)
		},
	}
	return build(path, &st, p), nil
}

func discoverFile(f *os.File) (Rules, error) {
	// SyscallConn, not f.Fd: Fd would switch a pipe to blocking mode.
	rc, err := f.SyscallConn()
	if err != nil {
		return Rules{}, &os.PathError{Op: "statx", Path: f.Name(), Err: err}
	}
	var r Rules
	var serr error
	cerr := rc.Control(func(fdp uintptr) {
		fd := int(fdp)
		var st unix.Statx_t
		if serr = statx(fd, "", unix.AT_EMPTY_PATH, &st); serr != nil {
			return
		}
		kind := kindOf(st.Mode)
		p := probe{
			withFD: func(fn func(int)) error { fn(fd); return nil },
			direct: func() (bool, string) {
				fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
				if err == nil && fl&unix.O_DIRECT != 0 && kind != KindPipe {
					return true, "descriptor opened with O_DIRECT (fcntl F_GETFL)"
				}
				if kind != KindBlock && kind != KindFile {
					return false, "not probed: reopening a " + nounOf(st.Mode) + " can block or have side effects"
				}
				// Reopen through /proc so the caller's descriptor keeps
				// its flags (F_SETFL O_DIRECT would race with its I/O).
				return openDirect("/proc/self/fd/" + strconv.Itoa(fd))
			},
		}
		r = build(f.Name(), &st, p)
	})
	if cerr != nil {
		return Rules{}, &os.PathError{Op: "statx", Path: f.Name(), Err: cerr}
	}
	if serr != nil {
		return Rules{}, &os.PathError{Op: "statx", Path: f.Name(), Err: serr}
	}
	return r, nil
}

// openDirect tries a read-only O_DIRECT open: do_dentry_open (fs/open.c)
// fails it with EINVAL when the file lacks FMODE_CAN_ODIRECT, i.e. the
// file system has no direct I/O.
func openDirect(path string) (bool, string) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		return
	})
	if err != nil {
		if err == unix.EINVAL {
			return false, "O_DIRECT open failed: " + err.Error() + " (" + fsName(path) + ")"
		}
		return false, "unknown: O_DIRECT open failed: " + err.Error()
	}
	unix.Close(fd)
	return true, "O_DIRECT open succeeded"
}

// build turns what statx said into Rules, asking the descriptor (ioctls)
// and sysfs for what statx does not say. The order per field is the one
// documented in doc.go.
func build(path string, st *unix.Statx_t, p probe) Rules {
	r := Rules{Path: path, Kind: kindOf(st.Mode), Size: -1, Sources: map[string]string{}}
	src := r.Sources

	if r.Kind == KindPipe || r.Kind == KindOther {
		// Pipes and character devices are read and written through their
		// own buffers: any offset, length and address is fine, so every
		// alignment is 1 and LCM with the other side of a copy is that side.
		r.LogicalBlock, r.PhysicalBlock, r.MemAlign, r.OffsetAlign, r.ReadOffsetAlign = 1, 1, 1, 1, 1
		for _, k := range []string{"LogicalBlock", "PhysicalBlock", "MemAlign", "OffsetAlign", "ReadOffsetAlign"} {
			src[k] = "none: a " + nounOf(st.Mode) + " has no alignment rules"
		}
		src["Size"] = "unknown for a " + nounOf(st.Mode)
		if r.Kind == KindPipe {
			// pipe(7): O_DIRECT on a pipe selects packet mode; it is not
			// direct I/O, so it never counts here.
			src["DirectIO"] = "none: O_DIRECT on a pipe means packet mode (pipe(7)), not direct I/O"
		} else {
			r.DevMajor, r.DevMinor = st.Rdev_major, st.Rdev_minor
			r.DirectIO, src["DirectIO"] = p.direct()
		}
		return r
	}

	// 1. statx.
	dio := st.Mask&unix.STATX_DIOALIGN != 0
	if dio && st.Dio_offset_align != 0 {
		r.OffsetAlign = int(st.Dio_offset_align)
		src["OffsetAlign"] = "statx stx_dio_offset_align"
		r.MemAlign = int(st.Dio_mem_align)
		src["MemAlign"] = "statx stx_dio_mem_align"
		r.DirectIO = true
		src["DirectIO"] = "statx STATX_DIOALIGN"
	} else if dio {
		// statx(2): "If direct I/O is not supported on the file, both
		// will be 0."
		src["DirectIO"] = "statx STATX_DIOALIGN: stx_dio_offset_align is 0 (" + fsName(path) + ")"
	}
	if st.Mask&unix.STATX_DIO_READ_ALIGN != 0 && st.Dio_read_offset_align != 0 {
		r.ReadOffsetAlign = int(st.Dio_read_offset_align)
		src["ReadOffsetAlign"] = "statx stx_dio_read_offset_align"
	}

	// The device: itself, or the one under the file system.
	if r.Kind == KindBlock {
		r.DevMajor, r.DevMinor = st.Rdev_major, st.Rdev_minor
	} else {
		r.DevMajor, r.DevMinor = st.Dev_major, st.Dev_minor
		if st.Mask&unix.STATX_SIZE != 0 {
			r.Size = int64(st.Size)
			src["Size"] = "statx stx_size"
		}
	}
	sb, sbErr := findSysBlock(r.DevMajor, r.DevMinor)
	if sbErr == nil {
		r.Device = sb.name
		src["Device"] = "sysfs " + sb.dir
		r.readQueue(sb)
	} else {
		src["Device"] = fmt.Sprintf("none: %d:%d is not a block device in sysfs", r.DevMajor, r.DevMinor)
	}

	// 2. ioctls, for a block device only: a file's device would have to
	// be opened (root, and a node in /dev), while sysfs has the same
	// queue limits for anyone.
	if r.Kind == KindBlock {
		ferr := p.withFD(func(fd int) {
			if v, err := ioctlU32(fd, unix.BLKSSZGET); err == nil && v > 0 {
				r.LogicalBlock, src["LogicalBlock"] = int(v), "ioctl BLKSSZGET"
			}
			if v, err := ioctlU32(fd, unix.BLKPBSZGET); err == nil && v > 0 {
				r.PhysicalBlock, src["PhysicalBlock"] = int(v), "ioctl BLKPBSZGET"
			}
			if v, err := ioctlU64(fd, unix.BLKGETSIZE64); err == nil {
				r.Size, src["Size"] = int64(v), "ioctl BLKGETSIZE64"
			}
			if v, err := ioctlU32(fd, unix.BLKIOOPT); err == nil {
				r.OptimalIO, src["OptimalIO"] = int(v), "ioctl BLKIOOPT"
			}
		})
		if ferr != nil {
			src["ioctls"] = "skipped: " + ferr.Error()
		}
	} else if dio && st.Dio_offset_align != 0 {
		r.LogicalBlock, src["LogicalBlock"] = int(st.Dio_offset_align), "statx stx_dio_offset_align"
	} else if b := int(st.Blksize); isPow2(int64(b)) {
		r.LogicalBlock, src["LogicalBlock"] = b, "statx stx_blksize"
	}

	// 3. sysfs, for whatever is still unknown.
	if sbErr == nil {
		q := sb.queue
		if r.LogicalBlock == 0 {
			if v, ok := readSysInt(filepath.Join(q, "logical_block_size")); ok && v > 0 {
				r.LogicalBlock, src["LogicalBlock"] = v, "sysfs "+filepath.Join(q, "logical_block_size")
			}
		}
		if r.PhysicalBlock == 0 {
			if v, ok := readSysInt(filepath.Join(q, "physical_block_size")); ok && v > 0 {
				r.PhysicalBlock, src["PhysicalBlock"] = v, "sysfs "+filepath.Join(q, "physical_block_size")
			}
		}
		if _, ok := src["OptimalIO"]; !ok {
			if v, ok := readSysInt(filepath.Join(q, "optimal_io_size")); ok {
				r.OptimalIO, src["OptimalIO"] = v, "sysfs "+filepath.Join(q, "optimal_io_size")
			}
		}
		if _, ok := src["Size"]; !ok && r.Kind == KindBlock {
			// The size attribute counts 512-byte sectors whatever the
			// logical block size (Documentation/ABI/stable/sysfs-block).
			if v, ok := readSysInt(filepath.Join(sb.dir, "size")); ok {
				r.Size, src["Size"] = int64(v)*512, "sysfs "+filepath.Join(sb.dir, "size")+" × 512"
			}
		}
		if r.MemAlign == 0 {
			if _, ok := src["DMAAlignment"]; ok {
				r.MemAlign, src["MemAlign"] = r.DMAAlignment+1, "sysfs "+filepath.Join(q, "dma_alignment")+" + 1"
			}
		}
	}

	// 4. ncw/directio's AlignSize, the last resort.
	if r.LogicalBlock == 0 {
		r.LogicalBlock, src["LogicalBlock"] = directio.AlignSize, "directio.AlignSize (nothing else reported it)"
	}
	if r.PhysicalBlock == 0 {
		r.PhysicalBlock, src["PhysicalBlock"] = r.LogicalBlock, "LogicalBlock (no device reported it)"
	}
	if r.OffsetAlign == 0 {
		r.OffsetAlign, src["OffsetAlign"] = r.LogicalBlock, "LogicalBlock (no STATX_DIOALIGN)"
	}
	if r.MemAlign == 0 {
		r.MemAlign, src["MemAlign"] = r.LogicalBlock, "LogicalBlock (assumed: neither statx nor sysfs reported a memory alignment)"
	}
	if r.ReadOffsetAlign == 0 {
		// statx(2): without STATX_DIO_READ_ALIGN (or with 0), reads need
		// the same alignment as writes.
		r.ReadOffsetAlign, src["ReadOffsetAlign"] = r.OffsetAlign, "OffsetAlign (no STATX_DIO_READ_ALIGN)"
	}
	if _, ok := src["DirectIO"]; !ok {
		r.DirectIO, src["DirectIO"] = p.direct()
	}
	return r
}

// fsName names the file system holding path, for messages.
func fsName(path string) string {
	var s unix.Statfs_t
	if err := ignoringEINTR(func() error { return unix.Statfs(path, &s) }); err != nil {
		return "unknown file system"
	}
	switch uint32(s.Type) {
	case unix.EXT4_SUPER_MAGIC:
		return "ext2/ext3/ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.RAMFS_MAGIC:
		return "ramfs"
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.V9FS_MAGIC:
		return "9p"
	case unix.SQUASHFS_MAGIC:
		return "squashfs"
	case unix.EROFS_SUPER_MAGIC_V1:
		return "erofs"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case unix.MSDOS_SUPER_MAGIC:
		return "vfat"
	case unix.EXFAT_SUPER_MAGIC:
		return "exfat"
	case unix.BCACHEFS_SUPER_MAGIC:
		return "bcachefs"
	case unix.HUGETLBFS_MAGIC:
		return "hugetlbfs"
	case unix.DEBUGFS_MAGIC:
		return "debugfs"
	case unix.TRACEFS_MAGIC:
		return "tracefs"
	case unix.CGROUP2_SUPER_MAGIC:
		return "cgroup2"
	case unix.CIFS_SUPER_MAGIC, unix.SMB2_SUPER_MAGIC:
		return "cifs/smb"
	case 0x2fc12fc1:
		return "zfs"
	}
	return fmt.Sprintf("file system magic %#x", uint32(s.Type))
}

func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := directio.OpenFile(path, flag, perm) // os.OpenFile adds O_CLOEXEC
	if err == nil || !errors.Is(err, unix.EINVAL) {
		return f, err
	}
	// open(2) EINVAL: "The filesystem does not support the O_DIRECT flag"
	// (do_dentry_open, fs/open.c), or bad flags. Tell them apart.
	var st unix.Statx_t
	if statx(unix.AT_FDCWD, path, 0, &st) != nil {
		return nil, err
	}
	var what string
	switch kindOf(st.Mode) {
	case KindFile, KindBlock:
		// Confirm that only O_DIRECT was refused: the same open without
		// it (and without creating or truncating) must work.
		nf := flag&^(unix.O_DIRECT|unix.O_CREAT|unix.O_EXCL|unix.O_TRUNC) | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
		var fd int
		if e := ignoringEINTR(func() (e error) { fd, e = unix.Open(path, nf, 0); return }); e != nil {
			return nil, err
		}
		unix.Close(fd)
		if kindOf(st.Mode) == KindBlock {
			what = fmt.Sprintf("block device %d:%d", st.Rdev_major, st.Rdev_minor)
		} else {
			what = fsName(path)
		}
		if flag&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL && kindOf(st.Mode) == KindFile {
			// O_EXCL proves the kernel created this file for us before
			// do_dentry_open refused O_DIRECT; do not leave it behind.
			os.Remove(path)
		}
	case KindPipe:
		what = "fifo"
	default:
		if uint32(st.Mode)&unix.S_IFMT != unix.S_IFCHR {
			return nil, err
		}
		// Not reopened: opening a character device again can have side
		// effects. O_DIRECT is the usual reason a device open says EINVAL.
		what = fmt.Sprintf("character device %d:%d", st.Rdev_major, st.Rdev_minor)
	}
	return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s): %w", ErrNoDirectIO, what, unix.EINVAL)}
}
