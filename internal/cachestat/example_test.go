package cachestat_test

import (
	"fmt"
	"os"

	"github.com/rawio/rawio/internal/cachestat"
)

func ExampleFile() {
	f, err := os.Open("/etc/hostname")
	if err != nil {
		return
	}
	defer f.Close()
	before, err := cachestat.File(f)
	if err != nil {
		return
	}
	// ... copy ...
	after, _ := cachestat.File(f)
	fmt.Println(cachestat.Added(before, after) >= 0, before.Method != "")
	// Output: true true
}
