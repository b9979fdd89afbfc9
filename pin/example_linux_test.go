package pin_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/rawio/rawio/pin"
)

func ExampleAlloc() {
	// LockTry (the zero Options) locks if it can and otherwise says why.
	r, err := pin.Alloc(1<<20, pin.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Free()
	if !r.Locked() {
		fmt.Fprintln(os.Stderr, "warning: buffer not locked:", r.Reason())
	}
	buf := r.Bytes() // page aligned, zero filled, outside the Go heap
	fmt.Println(len(buf), pin.FormatBytes(uint64(r.Len())))
	// Output: 1048576 1 MiB
}

func ExampleAlloc_require() {
	r, err := pin.Alloc(64<<20, pin.Options{Policy: pin.LockRequire, HugePages: true})
	var le *pin.LockError
	if errors.As(err, &le) {
		// One line that names the size, the limit and the way out.
		fmt.Fprintln(os.Stderr, "rawcp:", err)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawcp:", err)
		return
	}
	defer r.Free()
	if ok, why := r.HugePages(); !ok {
		fmt.Fprintln(os.Stderr, "huge pages not used:", why)
	}
}

func ExampleRelease() {
	r, err := pin.Alloc(8192, pin.Options{Policy: pin.LockOff})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := r.Bytes()
	// A derived slice is refused and nothing is freed.
	fmt.Println(errors.Is(pin.Release(b[4096:]), pin.ErrNotRegion))
	// The exact slice frees the region.
	fmt.Println(pin.Release(b))
	// Output:
	// true
	// <nil>
}

func ExampleRegion_Free() {
	r, err := pin.Alloc(4096, pin.Options{Policy: pin.LockOff})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Free())
	fmt.Println(errors.Is(r.Free(), pin.ErrFreed))
	// Output:
	// <nil>
	// true
}

func ExampleMemlockLimit() {
	soft, hard, err := pin.MemlockLimit()
	if err != nil {
		fmt.Println(err)
		return
	}
	show := func(v uint64) string {
		if v == pin.Unlimited {
			return "unlimited"
		}
		return pin.FormatBytes(v)
	}
	fmt.Printf("RLIMIT_MEMLOCK soft %s, hard %s, CAP_IPC_LOCK %v\n", show(soft), show(hard), pin.HasCapIPCLock())
}
