package xfer

import "testing"

func TestIsZramName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"zram0", true},
		{"zram12", true},
		{"zram", false},
		{"zram0p1", false},
		{"ram0", false},
		{"vda", false},
		{"loop0", false},
		{"nvme0n1", false},
		{"dm-0", false},
	} {
		if got := isZramName(tt.name); got != tt.want {
			t.Errorf("isZramName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
