package pin_test

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/rawio/rawio/pin"
)

func ExampleFormatBytes() {
	fmt.Println(pin.FormatBytes(513))
	fmt.Println(pin.FormatBytes(4096))
	fmt.Println(pin.FormatBytes(64 << 20))
	fmt.Println(pin.FormatBytes(3 << 29))
	fmt.Println(pin.FormatBytes(8<<20 + 4096)) // exact rather than "8 MiB"
	fmt.Println(pin.FormatBytes(1234567891))   // two decimals: rounded
	// Output:
	// 513 B
	// 4 KiB
	// 64 MiB
	// 1.5 GiB
	// 8196 KiB
	// 1.15 GiB
}

func ExampleParsePolicy() {
	for _, s := range []string{"try", "require", "off", "sometimes"} {
		p, err := pin.ParsePolicy(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p)
	}
	// Output:
	// try
	// require
	// off
	// pin: unknown lock policy "sometimes" (want try, require or off)
}

func ExampleLockError() {
	// What Alloc with LockRequire returns for 64 MiB under an 8 MiB limit
	// without CAP_IPC_LOCK.
	var err error = &pin.LockError{Size: 64 << 20, Limit: 8 << 20, Err: syscall.ENOMEM}
	fmt.Println(err)
	var le *pin.LockError
	fmt.Println(errors.As(err, &le), errors.Is(err, syscall.ENOMEM))
	// Output:
	// locking 64 MiB failed: RLIMIT_MEMLOCK is 8 MiB and the process lacks CAP_IPC_LOCK (raise ulimit -l, or run without locking)
	// true true
}
