package xfer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rawio/rawio/xfer"
)

func ExampleCopy() {
	dir, err := os.MkdirTemp("", "xfer-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	data := bytes.Repeat([]byte("rawio "), 10000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		fmt.Println(err)
		return
	}

	o := xfer.NewOptions()
	o.Src, o.Dst = src, filepath.Join(dir, "dst")
	o.BlockSize, o.Depth = 16<<10, 2
	sum, err := xfer.Copy(context.Background(), o)
	if err != nil {
		fmt.Println(err)
		return
	}
	got, _ := os.ReadFile(o.Dst)
	fmt.Println(sum.Bytes, bytes.Equal(got, data), sum.Synced)
	// Output: 60000 true true
}
