package xfer

import "testing"

func TestIsRAMDevice(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"zram0", true},
		{"zram12", true},
		{"ram0", true},
		{"ram15", true},
		{"zram", false},
		{"ram", false},
		{"zram0p1", false},
		{"ramdisk", false},
		{"vda", false},
		{"loop0", false},
		{"nvme0n1", false},
		{"dm-0", false},
	} {
		if got := isRAMDevice(tt.name); got != tt.want {
			t.Errorf("isRAMDevice(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
