package workload

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenNoatime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// fake opens the real file, refusing O_NOATIME with refuse.
	fake := func(refuse error, calls *[]int) func(string, int, os.FileMode) (*os.File, error) {
		return func(name string, flag int, perm os.FileMode) (*os.File, error) {
			*calls = append(*calls, flag)
			if flag&unix.O_NOATIME != 0 && refuse != nil {
				return nil, &os.PathError{Op: "open", Path: name, Err: refuse}
			}
			return os.OpenFile(name, flag, perm)
		}
	}
	tests := []struct {
		name        string
		refuse      error
		wantCalls   int
		wantNoatime bool
		wantErr     error
	}{
		{"allowed", nil, 1, true, nil},
		{"not the owner", unix.EPERM, 2, false, nil},
		{"other errors are returned", unix.ENOENT, 1, false, unix.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []int
			f, err := openNoatime(fake(tt.refuse, &calls), path, os.O_RDONLY)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(calls) != tt.wantCalls {
				t.Fatalf("%d opens (flags %#x), want %d", len(calls), calls, tt.wantCalls)
			}
			if err != nil {
				return
			}
			defer f.Close()
			fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := fl&unix.O_NOATIME != 0; got != tt.wantNoatime {
				t.Errorf("O_NOATIME set = %v, want %v (flags %#x)", got, tt.wantNoatime, fl)
			}
		})
	}
}
