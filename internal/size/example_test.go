package size_test

import (
	"fmt"

	"github.com/rawio/rawio/internal/size"
)

func ExampleParse() {
	for _, s := range []string{"512", "4K", "4KiB", "4KB", "1G"} {
		n, _ := size.Parse(s)
		fmt.Println(s, n)
	}
	_, err := size.Parse("-1M")
	fmt.Println(err)
	// Output:
	// 512 512
	// 4K 4096
	// 4KiB 4096
	// 4KB 4000
	// 1G 1073741824
	// size "-1M": negative size
}

func ExampleParseList() {
	l, _ := size.ParseList("4k,64k,1M")
	fmt.Println(l)
	// Output: [4096 65536 1048576]
}
