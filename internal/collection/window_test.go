package collection

import (
	"slices"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// A policy's stepWindow moves every step of a claim (and of its debtor's
// case) by one fixed offset after stepTime: the same steps, in the same
// order, none before stepTime, each due at 09:00 plus the claim's offset
// (its own steps) or its debtor's (the case's steps).
func TestStepWindowSpreadsClaimsAndCases(t *testing.T) {
	walk := func(window time.Duration) *world {
		p := kraviaPolicy()
		p.Timing.StepWindow = window
		a := newClaim("inv-a", "NOK", "1000.00", kDue)
		b := newClaim("inv-b", "NOK", "3000.00", kDue)
		single := newClaim("inv-c", "NOK", "500.00", kDue.AddDays(20)) // joins the case late: steps of its own first
		w := newWorld(p, consumer("ola", "NO"), kDue.AddDays(1).Midnight(oslo), a, b, single)
		w.run(t, kDue.AddDays(130).Midnight(oslo), nil)
		return w
	}
	plain, spread := walk(0), walk(12*time.Hour)
	caseOff := schedule.Offset("acme/ola", 12*time.Hour)
	for _, name := range []string{"inv-a", "inv-b", "inv-c"} {
		c0, c1 := plain.claim(name), spread.claim(name)
		off := schedule.Offset(c1.Key(), 12*time.Hour)
		if off == caseOff {
			t.Fatalf("%s: the claim's and the debtor's offsets are equal (%v): the test cannot tell them apart", name, off)
		}
		steps := func(c *Claim) []string {
			var out []string
			for _, e := range c.State.History {
				out = append(out, e.Step)
			}
			return out
		}
		if !slices.Equal(steps(c0), steps(c1)) {
			t.Fatalf("%s: steps %v with the window, %v without", name, steps(c1), steps(c0))
		}
		if c1.State.Phase != c0.State.Phase {
			t.Errorf("%s: phase %s with the window, %s without", name, c1.State.Phase, c0.State.Phase)
		}
		for i, e := range c1.State.History {
			if e.DueAt.IsZero() {
				continue
			}
			nominal := c0.State.History[i].DueAt
			if !e.DueAt.Equal(nominal.Add(off)) && !e.DueAt.Equal(nominal.Add(caseOff)) {
				t.Errorf("%s %s: due %v, want %v plus the claim's offset %v or the case's %v",
					name, e.Step, e.DueAt.In(oslo), nominal.In(oslo), off, caseOff)
			}
			if e.Time.Before(e.DueAt) {
				t.Errorf("%s %s: done %v before it was due %v", name, e.Step, e.Time, e.DueAt)
			}
		}
	}
}

// Claims of one debtor due the same day are collected together under a
// stepWindow too, although each claim's own transfer falls due at its own
// offset (here 09:42 and 19:32): the first opens the case, whose steps fall
// due at the debtor's offset (19:10), and the second joins it there, so the
// case's collection notice covers both (one letter, one fee split), as
// without a window, and neither needs a collection notice and payment
// demand of its own first (domain.md, "combining"). Driven at the exact
// moments the decisions ask to be woken, as the controllers are: an hourly
// walk could take both in the same hour and hide a split.
func TestStepWindowKeepsADebtorsClaimsTogether(t *testing.T) {
	const window = 12 * time.Hour
	p := kraviaPolicy()
	p.Timing.StepWindow = window
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	b := newClaim("inv-b", "NOK", "3000.00", kDue)
	if oa, ob := schedule.Offset(a.Key(), window), schedule.Offset(b.Key(), window); oa/time.Minute == ob/time.Minute {
		t.Fatalf("the claims' own offsets are equal (%v): the test cannot show them apart", oa)
	}
	w := newWorld(p, consumer("ola", "NO"), kDue.AddDays(1).Midnight(oslo), a, b)
	until := kDue.AddDays(130).Midnight(oslo)
	var first *CaseStep
	for i := 0; i < 10000 && !w.now.After(until); i++ {
		w.reconcile(t)
		if first == nil && len(w.cases) > 0 && len(w.cases[0].History) > 0 {
			first = &w.cases[0].History[0]
		}
		next := w.lastCases.Wake
		if w.lastCases.Recorded {
			next = w.now // the debtor writes, and is reconciled again
		}
		for _, c := range w.cases {
			next = Earliest(next, c.NextStepAt)
		}
		for _, d := range w.last {
			next = Earliest(next, d.Wake)
		}
		if next.IsZero() {
			break
		}
		w.now = Earliest(until.Add(time.Second), latestOf(next, w.now.Add(time.Second)))
	}
	if first == nil {
		t.Fatal("no case step: want the claims collected as a case")
	}
	if first.Step != "collection-notice" || !slices.Equal(first.Claims, []string{"inv-a", "inv-b"}) {
		t.Errorf("the case's first step %s for %v: want the collection notice for inv-a and inv-b together", first.Step, first.Claims)
	}
	for _, c := range []*Claim{a, b} {
		n := 0
		for _, e := range c.State.History {
			if e.Step == "collection-notice" {
				n++
			}
		}
		if n != 1 || c.State.Phase != PhaseSurveillance {
			t.Errorf("%s: %d collection notices, phase %s: want one, and the process finished", c.Name, n, c.State.Phase)
		}
	}
}

func latestOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
