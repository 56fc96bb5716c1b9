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

func TestAnchoredClocksShareOneTimeline(t *testing.T) {
	wall := clocktesting.NewFakePassiveClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	anchor := wall.Now()
	first := NewAnchored(start, anchor, 86400, wall)
	wall.SetTime(wall.Now().Add(10 * time.Second))
	restarted := NewAnchored(start, anchor, 86400, wall) // a replica started 10 s later
	if want := start.AddDate(0, 0, 10); !restarted.Now().Equal(want) || !first.Now().Equal(want) {
		t.Fatalf("restarted reads %v and first %v, both want %v", restarted.Now(), first.Now(), want)
	}
}
