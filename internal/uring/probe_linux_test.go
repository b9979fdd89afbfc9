package uring

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProbeSysctl(t *testing.T) {
	real := Probe()
	t.Logf("Probe on this machine: %v", real)

	for _, tc := range []struct {
		name      string
		disabled  string // "" = no such file
		group     string // "" = no such file
		admin     bool
		member    bool
		wantErr   string // "" = same as the real Probe
		disabled_ bool
	}{
		{name: "sysctl missing (kernel before 6.6)"},
		{name: "0", disabled: "0\n"},
		{name: "2", disabled: "2\n", admin: true, wantErr: "io_uring_disabled=2: io_uring is disabled for all processes", disabled_: true},
		{name: "1 as CAP_SYS_ADMIN", disabled: "1\n", admin: true},
		{name: "1, group unset", disabled: "1\n", group: "-1\n", wantErr: "kernel.io_uring_group is unset", disabled_: true},
		{name: "1, not in the group", disabled: "1\n", group: "4242\n", wantErr: "not in group 4242", disabled_: true},
		{name: "1, in the group", disabled: "1\n", group: "4242\n", member: true},
		{name: "unparsable", disabled: "x\n", wantErr: "parsing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fake := func(v *string, name, content string) {
				old := *v
				*v = filepath.Join(dir, name)
				t.Cleanup(func() { *v = old })
				if content != "" {
					if err := os.WriteFile(*v, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			fake(&disabledPath, "io_uring_disabled", tc.disabled)
			fake(&groupPath, "io_uring_group", tc.group)
			oldAdmin, oldGroup := hasSysAdmin, inGroup
			t.Cleanup(func() { hasSysAdmin, inGroup = oldAdmin, oldGroup })
			hasSysAdmin = func() bool { return tc.admin }
			inGroup = func(gid int) bool { return tc.member && gid == 4242 }

			err := Probe()
			if tc.wantErr == "" {
				if (err == nil) != (real == nil) {
					t.Fatalf("Probe = %v, want what the real one says: %v", err, real)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Probe = %v, want an error containing %q", err, tc.wantErr)
			}
			if errors.Is(err, ErrDisabled) != tc.disabled_ {
				t.Errorf("errors.Is(%v, ErrDisabled) = %v, want %v", err, !tc.disabled_, tc.disabled_)
			}
		})
	}
}
