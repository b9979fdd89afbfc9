// Package size parses byte counts written the way people write them on a
// command line: a decimal integer optionally followed by a unit suffix.
//
// Binary suffixes are powers of 1024: K or KiB, M or MiB, G or GiB, T or
// TiB. Decimal suffixes are powers of 1000: KB, MB, GB, TB. A trailing B
// alone, or no suffix, means bytes. Suffixes are case-insensitive, so "4k"
// and "4KiB" are both 4096 while "4kb" is 4000 (the convention of dd(1) and
// of the IEC 80000-13 prefixes; "KB" is never 1024 here, because a size that
// silently means two different things breaks alignment checks).
//
// Negative values, fractions, empty strings and values that do not fit in
// an int64 are refused with an error wrapping ErrSyntax, ErrNegative or
// ErrRange, so a caller can tell a typo from an out-of-range value.
package size
