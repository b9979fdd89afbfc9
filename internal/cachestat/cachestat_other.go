//go:build !linux

package cachestat

import "os"

func file(f *os.File) (Stat, error) { return Stat{}, ErrNotSupported }
