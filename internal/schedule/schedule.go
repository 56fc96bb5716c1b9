// Package schedule decides when a claim's collection steps fire. It is pure:
// it takes the policy, the claim's facts and completed steps, and the time,
// and returns the plan; the Claim controller acts on it and nothing else
// decides timing.
//
// A step fires at its policy stepTime (local time in the policy's zone) on the
// later of: its afterDueDays after the due date; for steps past the reminder
// phase, the eligibility minimums after the due and invoice dates; and
// minGapDays after the day the previous step fired (never before it). So a
// claim created long after its due date starts at the first step and still
// walks every step with its gaps, without a burst of notices.
//
// A policy's StepWindow spreads that time per claim: each claim's steps fire
// at stepTime plus an offset in [0, window) taken from a hash of its key, so
// a day's steps do not all fall due in the same second. The offset is added
// last; day arithmetic (gaps, waits) runs on the nominal stepTime, so the
// offset never moves a step to another day's schedule, and a step never
// fires before stepTime.
package schedule

import (
	"hash/fnv"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// Step is one step of a policy, as the engine sees it.
type Step struct {
	Name         string
	Reminder     bool // a reminder-phase step, allowed before eligibility
	AfterDueDays int
	MinGapDays   int
	// DecisionWaitDays: without a manual credit decision (Claim.Decided),
	// the step waits this long after the previous step for one.
	DecisionWaitDays int
}

// Policy is the timing part of a CollectionPolicy.
type Policy struct {
	Steps    []Step
	Location *time.Location
	// StepTime is the local time of day steps fire, as an offset from midnight.
	StepTime time.Duration
	// StepWindow spreads StepTime per claim over [StepTime, StepTime+window)
	// (0: every claim fires at StepTime).
	StepWindow          time.Duration
	MinDaysAfterDue     int
	MinDaysAfterInvoice int
	// CreditorWarning, when set, warns the creditor WarnAfterDueDays after
	// the due date that the claim transfers to collection, and no step past
	// the reminders fires until TransferWarningDays after that warning
	// (seed 004).
	CreditorWarning     bool
	WarnAfterDueDays    int
	TransferWarningDays int
	// SkewAllowance is how far a replica's clock may run ahead of or behind
	// real time. Nothing fires until the reading is past its time by that
	// much, so a clock up to SkewAllowance fast never acts early: a step
	// due at 09:00 fires at 09:00 real time at the earliest (and up to
	// twice the allowance late on a slow clock). Deadlines a notice states
	// count from the latest real moment it can be (collection.PayBy).
	SkewAllowance time.Duration
}

// Done is a completed step.
type Done struct {
	Step string
	At   time.Time
}

// Claim holds the facts of a claim that timing depends on.
type Claim struct {
	// Key names the claim (namespace/name, or a case's debtor) for its
	// offset in the policy's StepWindow.
	Key         string
	InvoiceDate civil.Date
	DueDate     civil.Date
	Done        []Done // completed steps, oldest first
	// ShiftDays moves every due-date anchor later: the days collection was
	// paused (suspended, disputed), so resuming shifts the remaining schedule.
	ShiftDays int
	// WarnedAt is when the creditor was warned of the transfer (zero: not yet).
	WarnedAt time.Time
	// Decided reports a manual credit decision on the claim.
	Decided bool
}

// Plan is what the engine decided.
type Plan struct {
	// OverdueAt is the start of the day after the due date, local time.
	OverdueAt time.Time
	// Overdue reports now >= OverdueAt.
	Overdue bool
	// Next is the index in Policy.Steps of the step to do next, or -1 when
	// every step is done.
	Next int
	// NextAt is when Next fires.
	NextAt time.Time
	// Due reports that Next should fire now.
	Due bool
	// WakeAt is the next moment the plan changes by time alone (zero if never).
	WakeAt time.Time
	// WarnAt is when the creditor warning is due (zero when the policy sends
	// none or it was sent); WarnDue reports it should go out now.
	WarnAt  time.Time
	WarnDue bool
}

// At returns the moment a step fires on day d: the policy's stepTime, local.
func (p Policy) At(d civil.Date) time.Time {
	return d.At(p.Location, p.StepTime.Truncate(time.Minute)) // stepTime is HH:MM
}

// Offset is how far after stepTime a claim with this key fires under a
// window: a whole number of seconds in [0, window), from the key's FNV-1a
// hash, so it is the same in every process and after every restart.
func Offset(key string, window time.Duration) time.Duration {
	secs := uint64(window / time.Second)
	if secs == 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64()%secs) * time.Second
}

// Compute returns the plan for c under p at now.
func Compute(p Policy, c Claim, now time.Time) Plan {
	plan := Plan{
		OverdueAt: c.DueDate.AddDays(1).Midnight(p.Location),
		Next:      -1,
	}
	// gate is the earliest real time the reading now can stand for.
	gate := now.Add(-p.SkewAllowance)
	plan.Overdue = !gate.Before(plan.OverdueAt)
	off := Offset(c.Key, p.StepWindow)

	next, prev := nextIndex(p, c)
	if next < len(p.Steps) {
		plan.Next = next
		// No step fires before the claim is overdue, whatever its offset.
		plan.NextAt = latest(p.stepAt(next, c, prev, off), plan.OverdueAt).Add(off)
		plan.Due = plan.Overdue && !gate.Before(plan.NextAt)
	}
	switch {
	case !plan.Overdue:
		plan.WakeAt = plan.OverdueAt.Add(p.SkewAllowance)
	case plan.Next >= 0:
		plan.WakeAt = plan.NextAt.Add(p.SkewAllowance)
	}
	if p.CreditorWarning && c.WarnedAt.IsZero() && !transferred(p, c) {
		plan.WarnAt = p.warnAt(c).Add(off)
		plan.WarnDue = !gate.Before(plan.WarnAt)
		if wake := plan.WarnAt.Add(p.SkewAllowance); !plan.WarnDue && (plan.WakeAt.IsZero() || wake.Before(plan.WakeAt)) {
			plan.WakeAt = wake
		}
	}
	return plan
}

// warnAt is when the creditor warning is due: WarnAfterDueDays after the
// due date, and never before the claim is overdue.
func (p Policy) warnAt(c Claim) time.Time {
	overdue := c.DueDate.AddDays(1).Midnight(p.Location)
	return latest(p.At(c.DueDate.AddDays(p.WarnAfterDueDays+c.ShiftDays)), overdue)
}

// transferred reports whether a step past the reminders is done: after that
// the creditor is no longer warned.
func transferred(p Policy, c Claim) bool {
	for _, d := range c.Done {
		for _, s := range p.Steps {
			if s.Name == d.Step && !s.Reminder {
				return true
			}
		}
	}
	return false
}

// nextIndex finds the step after the furthest completed one, and when that
// one was done. Steps removed from the policy since are ignored.
func nextIndex(p Policy, c Claim) (int, *Done) {
	last := -1
	var prev *Done
	for i := range c.Done {
		for j, s := range p.Steps {
			if s.Name == c.Done[i].Step && j > last {
				last, prev = j, &c.Done[i]
			}
		}
	}
	if prev == nil && len(c.Done) > 0 {
		prev = &c.Done[len(c.Done)-1]
	}
	return last + 1, prev
}

// stepAt is when step i is due at stepTime, before the claim's offset:
// times that include the offset (a previous step, the warning) are taken
// back by it, so the day they count from is the nominal one.
func (p Policy) stepAt(i int, c Claim, prev *Done, off time.Duration) time.Time {
	s := p.Steps[i]
	at := p.At(c.DueDate.AddDays(s.AfterDueDays + c.ShiftDays))
	if !s.Reminder {
		at = latest(at,
			p.At(c.DueDate.AddDays(p.MinDaysAfterDue)),
			p.At(c.InvoiceDate.AddDays(p.MinDaysAfterInvoice)))
		if p.CreditorWarning && !transferred(p, c) {
			// The transfer waits for the warning's notice period, counted
			// from when the warning actually went out (or will).
			warned := c.WarnedAt.Add(-off)
			if c.WarnedAt.IsZero() {
				warned = p.warnAt(c)
			}
			at = latest(at, p.At(civil.Of(warned, p.Location).AddDays(p.TransferWarningDays)))
		}
	}
	if prev != nil {
		prevAt := prev.At.Add(-off)
		at = latest(at, p.At(civil.Of(prevAt, p.Location).AddDays(s.MinGapDays)), prevAt)
		if s.DecisionWaitDays > 0 && !c.Decided {
			at = latest(at, p.At(civil.Of(prevAt, p.Location).AddDays(s.DecisionWaitDays)))
		}
	}
	return at
}

// RecheckAt is when the claim with this key in surveillance is next
// credit-checked: days after the last check (or the start of surveillance),
// at the step time plus its offset.
func (p Policy) RecheckAt(key string, last time.Time, days int) time.Time {
	off := Offset(key, p.StepWindow)
	return p.At(civil.Of(last.Add(-off), p.Location).AddDays(days)).Add(off)
}

func latest(t time.Time, more ...time.Time) time.Time {
	for _, m := range more {
		if m.After(t) {
			t = m
		}
	}
	return t
}
