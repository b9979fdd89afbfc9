package sgl

import (
	"strconv"
	"testing"

	"github.com/rawio/rawio/aligned"
	"github.com/rawio/rawio/internal/testdev"
)

// TestLimitsOfLoop checks LimitsOf against the sysfs values of a real loop
// device, through aligned.Discover.
func TestLimitsOfLoop(t *testing.T) {
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			dev, _ := testdev.Loop(t, 1<<20, sector, false)
			r, err := aligned.Discover(dev)
			if err != nil {
				t.Fatal(err)
			}
			got := LimitsOf(r)
			want := queueLimits(t, dev, sector).normalized()
			if got != want {
				t.Errorf("LimitsOf(Discover(%s)) = %+v, want (sysfs) %+v", dev, got, want)
			}
		})
	}
}
