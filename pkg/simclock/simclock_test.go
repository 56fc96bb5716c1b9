package simclock

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestAcceleratedRunsScaleTimesFaster(t *testing.T) {
	wall := clocktesting.NewFakePassiveClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start, 86400, wall) // one real second is one day

	if !c.Now().Equal(start) {
		t.Fatalf("Now() = %v at creation, want %v", c.Now(), start)
	}
	wall.SetTime(wall.Now().Add(14 * time.Second))
	if want := start.AddDate(0, 0, 14); !c.Now().Equal(want) {
		t.Fatalf("after 14 s Now() = %v, want %v", c.Now(), want)
	}
	if got := RealDuration(c, 48*time.Hour); got != 2*time.Second {
		t.Fatalf("RealDuration(48h) = %v, want 2s", got)
	}
	if got := RealDuration(wall, time.Hour); got != time.Hour {
		t.Fatalf("RealDuration on a plain clock = %v, want unchanged", got)
	}
}
