//go:build !linux

package xfer

import "context"

func copyFile(ctx context.Context, o *Options) (*Summary, error) { return nil, ErrNotSupported }
