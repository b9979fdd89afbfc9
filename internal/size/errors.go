package size

import "errors"

var (
	// ErrSyntax reports a value that is not a number with a known suffix.
	ErrSyntax = errors.New("invalid syntax")
	// ErrNegative reports a value below zero.
	ErrNegative = errors.New("negative size")
	// ErrRange reports a value that does not fit in an int64.
	ErrRange = errors.New("value out of range")
)

// Error records a failed parse: the input and the reason.
type Error struct {
	Input string
	Err   error
}

func (e *Error) Error() string {
	return "size " + quote(e.Input) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
