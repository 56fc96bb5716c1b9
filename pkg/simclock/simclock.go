// Package simclock provides an accelerated clock for demos and benchmarks: the
// operator's time runs Scale times faster than the wall clock from a chosen
// start. Reconcilers convert the operator-time delay until the next step into
// wall time with RealDuration, so RequeueAfter stays correct at any speed.
package simclock

import (
	"time"

	"k8s.io/utils/clock"
)

// Scaler is implemented by clocks whose time does not run at wall speed.
type Scaler interface {
	// RealDuration converts a span of the clock's time into wall time.
	RealDuration(d time.Duration) time.Duration
}

// Accelerated is a clock.PassiveClock whose time starts at Start when created
// and runs Scale times faster than the wall clock.
type Accelerated struct {
	start time.Time
	wall  time.Time
	scale float64
	real  clock.PassiveClock
}

// New returns a clock that reads start now and advances scale times faster
// than real time. scale must be at least 1.
func New(start time.Time, scale float64, real clock.PassiveClock) *Accelerated {
	if scale < 1 {
		scale = 1
	}
	return &Accelerated{start: start, wall: real.Now(), scale: scale, real: real}
}

// NewAnchored returns a clock that read start at the wall time anchor and
// advances scale times faster than real time: processes given the same start
// and anchor share one timeline, so a restarted or standby replica goes on
// where the last one was instead of turning the clock back.
func NewAnchored(start, anchor time.Time, scale float64, real clock.PassiveClock) *Accelerated {
	a := New(start, scale, real)
	a.wall = anchor
	return a
}

// Now returns the accelerated time, truncated to the millisecond.
func (a *Accelerated) Now() time.Time {
	elapsed := a.real.Since(a.wall)
	return a.start.Add(time.Duration(float64(elapsed) * a.scale)).Truncate(time.Millisecond)
}

// Since returns the accelerated time elapsed since t.
func (a *Accelerated) Since(t time.Time) time.Duration { return a.Now().Sub(t) }

// RealDuration converts accelerated time into wall time.
func (a *Accelerated) RealDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / a.scale)
}

// RealDuration converts a span of c's time into wall time: unchanged unless c
// is a Scaler.
func RealDuration(c clock.PassiveClock, d time.Duration) time.Duration {
	if s, ok := c.(Scaler); ok {
		return s.RealDuration(d)
	}
	return d
}
