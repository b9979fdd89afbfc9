//go:build !linux

package aligned

import (
	"os"

	"github.com/ncw/directio"
)

// Without Linux there is no statx, no block-layer ioctls and no sysfs:
// every alignment is ncw/directio's AlignSize, the last step of the
// fallback order, and DirectIO is reported as unknown (false). OpenFile
// still goes through directio.OpenFile (F_NOCACHE on macOS,
// FILE_FLAG_NO_BUFFERING on Windows).

func discover(path string) (Rules, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Rules{}, err
	}
	return fromFileInfo(path, fi), nil
}

func discoverFile(f *os.File) (Rules, error) {
	fi, err := f.Stat()
	if err != nil {
		return Rules{}, err
	}
	return fromFileInfo(f.Name(), fi), nil
}

func fromFileInfo(path string, fi os.FileInfo) Rules {
	r := Rules{Path: path, Size: -1, Sources: map[string]string{}}
	m := fi.Mode()
	switch {
	case m.IsRegular():
		r.Kind = KindFile
		r.Size, r.Sources["Size"] = fi.Size(), "os.Stat"
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0:
		r.Kind = KindBlock
	case m&os.ModeNamedPipe != 0:
		r.Kind = KindPipe
	default:
		r.Kind = KindOther
	}
	a, why := directio.AlignSize, "directio.AlignSize (no discovery on this platform)"
	if r.Kind == KindPipe || r.Kind == KindOther {
		a, why = 1, "none: a "+r.Kind.String()+" has no alignment rules"
	}
	r.LogicalBlock, r.PhysicalBlock, r.MemAlign, r.OffsetAlign, r.ReadOffsetAlign = a, a, a, a, a
	for _, k := range []string{"LogicalBlock", "PhysicalBlock", "MemAlign", "OffsetAlign", "ReadOffsetAlign"} {
		r.Sources[k] = why
	}
	r.Sources["DirectIO"] = "unknown: discovery needs Linux"
	return r
}

func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	return directio.OpenFile(path, flag, perm)
}
