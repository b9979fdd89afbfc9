// Package testdev gives tests real block devices: loop devices over a
// backing file with a chosen logical sector size, and zram devices of
// their own (hot-added, so parallel test packages never share one). For
// tests that time a window of I/O it gives a directory on tmpfs that
// takes O_DIRECT (MemDir), so that the disk's slow phases cannot decide
// them.
//
// Every device is torn down with t.Cleanup, so it is detached or removed
// even when the test fails. Where the machine cannot provide a device (not
// root, no losetup, no zram module) the test is skipped with the reason.
// The package is for tests only and is Linux-only.
package testdev
