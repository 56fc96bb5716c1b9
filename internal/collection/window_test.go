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
