//go:build !linux

package workload

import "context"

func bench(ctx context.Context, cfg Config) (*Document, error) { return nil, ErrNotSupported }
