package pin

import (
	"fmt"
	"strings"
)

// Policy says whether Alloc locks a region in RAM.
type Policy int

const (
	// LockTry locks the region if possible; otherwise Alloc returns an
	// unlocked region whose Locked is false and whose Reason says why.
	// It is the zero value and the default.
	LockTry Policy = iota
	// LockRequire makes Alloc fail with a *LockError when the region
	// cannot be locked.
	LockRequire
	// LockOff never locks.
	LockOff
)

var policyNames = [...]string{
	LockTry:     "try",
	LockRequire: "require",
	LockOff:     "off",
}

// ParsePolicy parses "try", "require" or "off" (case does not matter),
// the strings String returns.
func ParsePolicy(s string) (Policy, error) {
	for p, name := range policyNames {
		if strings.EqualFold(s, name) {
			return Policy(p), nil
		}
	}
	return 0, fmt.Errorf("pin: unknown lock policy %q (want try, require or off)", s)
}

// String returns "try", "require" or "off", or "Policy(n)" for a value
// outside the constants.
func (p Policy) String() string {
	if p.valid() {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

func (p Policy) valid() bool { return p >= 0 && int(p) < len(policyNames) }

// Set parses s into p; with Type and String, *Policy is a pflag.Value and
// a flag.Value, so a command can offer --lock=try|require|off.
func (p *Policy) Set(s string) error {
	v, err := ParsePolicy(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Type names the flag value type for pflag's help output.
func (p *Policy) Type() string { return "policy" }

// MarshalText renders p as its name, so JSON reports say "try", not 0.
func (p Policy) MarshalText() ([]byte, error) {
	if !p.valid() {
		return nil, fmt.Errorf("pin: unknown lock policy %d", int(p))
	}
	return []byte(policyNames[p]), nil
}

// UnmarshalText parses a name as ParsePolicy does.
func (p *Policy) UnmarshalText(b []byte) error { return p.Set(string(b)) }

// Options configures Alloc. The zero value locks if possible (LockTry)
// and does not ask for huge pages.
type Options struct {
	Policy Policy
	// HugePages asks for transparent huge pages with
	// madvise(MADV_HUGEPAGE), best effort: the mapping is aligned to the
	// huge page size so whole huge pages fit in it, and Region.HugePages
	// reports whether the advice was given and, if not, why.
	HugePages bool
}
