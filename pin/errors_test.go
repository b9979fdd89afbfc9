package pin

import (
	"errors"
	"syscall"
	"testing"
)

func TestLockErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *LockError
		want string
	}{
		{
			"over the limit",
			&LockError{Size: 64 << 20, Limit: 8 << 20, Err: syscall.ENOMEM},
			"locking 64 MiB failed: RLIMIT_MEMLOCK is 8 MiB and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
		},
		{
			"limit zero",
			&LockError{Size: 4096, Limit: 0, Err: syscall.EPERM},
			"locking 4 KiB failed: RLIMIT_MEMLOCK is 0 B and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
		},
		{
			"over the limit with some already locked",
			&LockError{Size: 4 << 20, Limit: 8 << 20, Locked: 6 << 20, Err: syscall.ENOMEM},
			"locking 4 MiB failed: RLIMIT_MEMLOCK is 8 MiB, 6 MiB of it already locked, and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
		},
		{
			"capability present",
			&LockError{Size: 64 << 30, Limit: 8 << 20, CapIPCLock: true, Err: syscall.ENOMEM},
			"locking 64 GiB failed: the kernel could not lock it (" + syscall.ENOMEM.Error() + "); the process has CAP_IPC_LOCK, so RLIMIT_MEMLOCK (8 MiB) was not the cause (free memory, lock less, or run without locking)",
		},
		{
			"within the limit",
			&LockError{Size: 4 << 20, Limit: Unlimited, Err: syscall.EAGAIN},
			"locking 4 MiB failed: the kernel could not lock it (" + syscall.EAGAIN.Error() + ") although RLIMIT_MEMLOCK (unlimited) allows it (free memory, lock less, or run without locking)",
		},
		{
			"size beyond limit near overflow",
			&LockError{Size: 1 << 63, Limit: 1<<64 - 2, Locked: 1 << 63, Err: syscall.ENOMEM},
			"locking 8 EiB failed: RLIMIT_MEMLOCK is 16.00 EiB, 8 EiB of it already locked, and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
			var err error = tt.err
			if !errors.Is(err, tt.err.Err) {
				t.Fatalf("errors.Is(err, %v) = false", tt.err.Err)
			}
			var le *LockError
			if !errors.As(err, &le) || le != tt.err {
				t.Fatal("errors.As did not find the *LockError")
			}
		})
	}
}

func TestErrUnsupportedMatchesStd(t *testing.T) {
	if !errors.Is(ErrUnsupported, errors.ErrUnsupported) {
		t.Fatal("ErrUnsupported does not match errors.ErrUnsupported")
	}
}
