package xfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/internal/cachestat"
	"golang.org/x/sys/unix"
)

func copyFile(ctx context.Context, o *Options) (*Summary, error) {
	j, err := prepare(o)
	if err != nil {
		return nil, err
	}
	defer j.close()
	return j.run(ctx)
}

// truncating reports whether a regular-file destination ends at the
// copied length: not with --seek (the bytes after the copy are kept, as
// with dd conv=notrunc) nor with --no-truncate.
func (j *job) truncating() bool {
	return j.dst.kind == aligned.KindFile && !j.dst.stream && j.o.Seek == 0 && !j.o.NoTruncate
}

func (j *job) run(ctx context.Context) (*Summary, error) {
	start := time.Now()
	dst := j.dst
	p := &pump{j: j, holeAt: -1}
	p.run(ctx)
	err := p.err
	interrupted := p.cancelled.Load() || ctx.Err() != nil

	// The tail: fewer bytes than the destination's logical block.
	j.sum.Tail.Method = "none"
	if err == nil && p.tail != nil {
		err = j.writeTail(p)
	}

	if err != nil && j.truncating() && !dst.stream && dst.kind == aligned.KindFile {
		// A copy that failed part-way must not leave a destination that
		// looks complete: preallocation set its full size, and pieces
		// complete out of order. Cut it to the prefix that is known to be
		// there, so its size says how far the copy got.
		at := j.o.Seek + p.prefix()
		if e := ignoringEINTR(func() error { return unix.Ftruncate(int(dst.f.Fd()), at) }); e == nil {
			j.fallback("%s: copy failed; truncated to the %d bytes known to be copied", dst.name, p.prefix())
		}
	}

	if err == nil && j.truncating() {
		var st unix.Stat_t
		if e := unix.Fstat(int(dst.f.Fd()), &st); e != nil {
			err = &os.PathError{Op: "fstat", Path: dst.name, Err: e}
		} else if st.Size != p.done {
			// ftruncate(2) to a length inside a block may read and zero
			// that block through the page cache (ext4_block_truncate_page);
			// dropCache below evicts it after the sync.
			if e := ignoringEINTR(func() error { return unix.Ftruncate(int(dst.f.Fd()), p.done) }); e != nil {
				err = &os.PathError{Op: "ftruncate", Path: dst.name, Err: e}
			}
		}
		j.sum.Truncated = err == nil
	}

	if !j.o.NoFsync && (dst.kind == aligned.KindFile || dst.kind == aligned.KindBlock) {
		if e := ignoringEINTR(func() error { return unix.Fdatasync(int(dst.f.Fd())) }); e != nil {
			if err == nil {
				err = &os.PathError{Op: "fdatasync", Path: dst.name, Err: e}
			}
		} else {
			j.sum.Synced = true
		}
	}
	if dst.kind == aligned.KindFile && !dst.stream && (p.tail != nil || j.sum.Truncated) {
		j.dropCache(p)
	}
	elapsed := time.Since(start)

	s := &j.sum
	s.Bytes = p.done
	s.Seconds = elapsed.Seconds()
	if s.Seconds > 0 {
		s.BytesPerSec = float64(s.Bytes) / s.Seconds
	}
	s.Engine, s.FixedBuffers = j.eng.Name(), j.eng.Fixed()
	s.BlockSize, s.Depth = j.o.BlockSize, j.o.Depth
	s.Interrupted = interrupted
	s.Src = j.side(j.src)
	s.Dst = j.side(j.dst)
	if p.start.IsZero() {
		p.start = start
	}
	p.progress(true)
	if err != nil {
		s.Error = err.Error()
		return s, err
	}
	if interrupted {
		return s, ErrInterrupted
	}
	return s, nil
}

// preallocate reserves the destination's blocks with fallocate(2) when
// the size is known, so the O_DIRECT writes neither extend the file (ext4
// serialises extending direct writes on the inode lock) nor fragment it.
// Mode 0 sets the size at once when the file will end at the copied
// length anyway; otherwise FALLOC_FL_KEEP_SIZE leaves the size alone.
//
// It is the last step of prepare: a failure (ENOSPC, EFBIG, a quota) is a
// *Refusal, nothing has been written, and an existing destination that
// fallocate grew before failing is cut back to its size.
func (j *job) preallocate() error {
	d := j.dst
	if d.kind != aligned.KindFile || d.stream || j.total <= 0 {
		return nil
	}
	mode := uint32(unix.FALLOC_FL_KEEP_SIZE)
	if j.truncating() {
		mode = 0
	}
	fd := int(d.f.Fd())
	err := ignoringEINTR(func() error { return unix.Fallocate(fd, mode, j.o.Seek, j.total) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		j.fallback("%s: fallocate not supported by the file system: not preallocated", d.name)
		return nil
	}
	if !d.created {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Size > d.st.Size {
			ignoringEINTR(func() error { return unix.Ftruncate(fd, d.st.Size) })
		}
	}
	var hint string
	switch {
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		hint = "free some space, or copy less with --count"
	case errors.Is(err, unix.EFBIG), errors.Is(err, unix.EINVAL):
		hint = "the file system does not allow a file that large: use a smaller --seek or --count"
	default:
		hint = "nothing was written"
	}
	return refuse(err, "%s: fallocate of %d bytes at offset %d: %v (%s)", d.name, j.total, j.o.Seek, err, hint)
}

// writeTail writes the last bytes, fewer than the destination's logical
// block, that O_DIRECT cannot write alone.
//
// A block device gets an O_DIRECT read-modify-write of its last block:
// the bytes after the copy are the device's own and stay as they were.
// A regular file gets a buffered pwrite that the final fdatasync (or,
// with NoFsync, sync_file_range) writes back and POSIX_FADV_DONTNEED then
// drops, so at most one page passes through the cache and does not stay.
// (Padding to a block and ftruncating back would also work, but ftruncate
// inside a block makes ext4 read and zero that block through the page
// cache anyway, and with --no-truncate the padding would overwrite data.)
func (j *job) writeTail(p *pump) error {
	d := j.dst
	t := p.tail
	j.sum.Tail.Bytes = len(t)
	if d.kind == aligned.KindBlock {
		j.sum.Tail.Method = "rmw"
		// The ring is idle once drained; its first buffer is aligned and
		// at least one block long (bs is a multiple of the alignment).
		blk := j.ring[0][:d.align]
		fd := int(d.f.Fd())
		if err := fullIO(func(b []byte, off int64) (int, error) { return unix.Pread(fd, b, off) }, blk, p.tailOff); err != nil {
			return &os.PathError{Op: "pread", Path: d.name, Err: err}
		}
		copy(blk, t)
		if err := fullIO(func(b []byte, off int64) (int, error) { return unix.Pwrite(fd, b, off) }, blk, p.tailOff); err != nil {
			return &os.PathError{Op: "pwrite", Path: d.name, Err: err}
		}
		p.done += int64(len(t))
		return nil
	}
	j.sum.Tail.Method = "buffered"
	f, err := d.bufferedFile(os.O_WRONLY)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(t, p.tailOff); err != nil {
		return err
	}
	p.done += int64(len(t))
	j.fallback("%s: last %d bytes (less than the %d-byte O_DIRECT alignment) written through the page cache, then synced and dropped from it", d.name, len(t), d.align)
	return nil
}

// dropCache evicts the destination's last pages, which the buffered tail
// or ftruncate brought into the page cache. POSIX_FADV_DONTNEED drops
// only clean pages, so without the final fdatasync they are written back
// first with sync_file_range(2).
func (j *job) dropCache(p *pump) {
	d := j.dst
	fd := int(d.f.Fd())
	page := int64(os.Getpagesize())
	from := j.o.Seek + p.done
	if p.tail != nil {
		from = p.tailOff
	}
	from = aligned.RoundDown(max(from-page, 0), page)
	if !j.sum.Synced {
		ignoringEINTR(func() error {
			return unix.SyncFileRange(fd, from, 0, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		})
	}
	unix.Fadvise(fd, from, 0, unix.FADV_DONTNEED)
}

// fullIO runs a pread/pwrite until b is done; EINTR is retried, a zero
// transfer is io.ErrUnexpectedEOF.
func fullIO(op func([]byte, int64) (int, error), b []byte, off int64) error {
	for len(b) > 0 {
		var n int
		err := ignoringEINTR(func() (err error) { n, err = op(b, off); return })
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%d bytes short: %w", len(b), unix.EIO)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// side renders an end for the Summary, measuring the page cache again.
func (j *job) side(e *end) Side {
	s := Side{
		Path:             e.name,
		Kind:             e.kind.String(),
		Size:             e.rules.Size,
		LogicalBlockSize: e.rules.LogicalBlock,
		DIOMemAlign:      e.rules.MemAlign,
		DIOOffsetAlign:   e.rules.OffsetAlign,
		Direct:           e.direct,
		CacheMethod:      "none",
	}
	if e.stream && e.kind != aligned.KindFile && e.kind != aligned.KindBlock {
		s.Size = -1
	}
	if e.kind == aligned.KindFile && e.f != nil {
		var st unix.Stat_t
		if unix.Fstat(int(e.f.Fd()), &st) == nil {
			s.Size = st.Size
		}
	}
	if e.cacheErr == nil && e.cache0.Method != "" {
		if after, err := cachestat.File(e.f); err == nil {
			s.CachePagesAdded = cachestat.Added(e.cache0, after)
			s.CacheMethod = string(after.Method)
		}
	}
	return s
}
