// Package diskstats reads the per-device I/O counters of /proc/diskstats
// and takes differences between two samples, so a benchmark can check the
// number of I/Os it counted against the number the block layer counted
// over the same window.
//
// The format is described in Documentation/admin-guide/iostats.rst: the
// first three fields are major, minor and device name, then reads
// completed, reads merged, sectors read, milliseconds reading, writes
// completed, writes merged, sectors written, milliseconds writing, and
// more. Sectors are always 512-byte units regardless of the device's
// logical block size. The counters are system-wide: another process doing
// I/O on the same device during the window is counted too.
//
// The package is Linux-only; elsewhere Read returns ErrNotSupported.
package diskstats
