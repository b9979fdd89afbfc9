package workload_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rawio/rawio/workload"
)

func ExampleSpec_Expand() {
	s := workload.Spec{
		RW:      []workload.RW{workload.RandRead},
		BS:      []int{4096, 65536},
		Depth:   []int{1, 32},
		Jobs:    []int{1},
		Engine:  []string{workload.EngineURing},
		Cache:   []workload.Cache{workload.Direct, workload.Buffered},
		Runtime: 5 * time.Second,
	}
	jobs, err := s.Expand()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range jobs {
		fmt.Println(j)
	}
	// Output:
	// randread 4 KiB depth 1 uring direct
	// randread 4 KiB depth 1 uring buffered
	// randread 4 KiB depth 32 uring direct
	// randread 4 KiB depth 32 uring buffered
	// randread 64 KiB depth 1 uring direct
	// randread 64 KiB depth 1 uring buffered
	// randread 64 KiB depth 32 uring direct
	// randread 64 KiB depth 32 uring buffered
}

// Bench a file with random 4 KiB reads at depth 32 and print the JSON
// document and the table.
func ExampleBench() {
	cfg := workload.Config{
		Target: "/var/tmp/test.img",
		Spec: workload.Spec{
			RW: []workload.RW{workload.RandRead}, BS: []int{4096}, Depth: []int{32}, Jobs: []int{1},
			Engine: []string{workload.EngineAuto}, Cache: []workload.Cache{workload.Direct},
			Runtime: 5 * time.Second, Ramp: time.Second,
		},
	}
	doc, err := workload.Bench(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	doc.WriteJSON(os.Stdout)
	doc.WriteTable(os.Stderr)
}
