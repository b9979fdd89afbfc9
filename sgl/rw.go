package sgl

// ReadAt reads len(b) bytes from the file descriptor fd at offset off into
// b, one preadv(2) per request of Split(b, off, lim), so that each system
// call hands the device a request it can take whole.
//
// It follows io.ReaderAt: it returns the number of bytes read and, when
// that is less than len(b), an error saying why; reaching the end of the
// file gives io.EOF. A read cut short by the kernel (a signal, a partial
// completion) is resumed where it stopped, and EINTR is retried. Errors
// from the system call are *os.SyscallError wrapping the errno; errors
// from Split are returned before anything is read.
//
// For O_DIRECT, b must be pinned, suitably aligned memory (packages pin and
// aligned); ReadAt does not check the memory alignment. ReadAt is safe for
// concurrent use on the same fd with disjoint buffers.
func ReadAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return readAt(fd, b, off, lim)
}

// WriteAt writes b to the file descriptor fd at offset off, one pwritev(2)
// per request of Split(b, off, lim). Like io.WriterAt it returns the bytes
// written and an error when that is less than len(b): a short write is
// resumed, EINTR retried, and a write that makes no progress without an
// error gives io.ErrShortWrite. The requirements on b are those of ReadAt.
func WriteAt(fd int, b []byte, off int64, lim Limits) (int, error) {
	return writeAt(fd, b, off, lim)
}
