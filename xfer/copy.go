package xfer

import "context"

// Copy copies Options.Src to Options.Dst and returns what it did.
//
// Every check that can refuse the copy runs before anything is written:
// it then returns a nil Summary and a *Refusal (or a *UsageError for an
// option value that cannot work at all), and the destination is as it
// was (a destination that did not exist is not created).
//
// Once bytes move, Copy returns a non-nil Summary even on failure. When
// ctx is cancelled it stops submitting reads, waits for the I/O in flight
// and writes what was read, syncs the destination, truncates a
// regular-file destination to the bytes copied (unless Seek or NoTruncate
// say otherwise) and returns the Summary with ErrInterrupted: the
// destination then holds exactly Summary.Bytes bytes of the source's prefix.
func Copy(ctx context.Context, o Options) (*Summary, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	return copyFile(ctx, &o)
}
