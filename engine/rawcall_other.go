//go:build !linux

package engine

// rawPRWOK is false: Options.KeepP is Linux only.
const rawPRWOK = false

func rawPRW(op Op, fd int, b []byte, off int64) (int, error) {
	panic("engine: rawPRW without rawPRWOK")
}
