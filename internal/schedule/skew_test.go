package schedule

import (
	"fmt"
	"testing"
	"time"
)

// TestSkewedClocksNeverFireEarly: a replica reads real time plus its skew.
// With an allowance of 2 minutes, no reading of a clock up to 2 minutes
// fast or slow makes a step, the overdue start or the creditor warning due
// before its real time; and each is due by its time plus twice the
// allowance (a clock 2 minutes slow, at the latest).
func TestSkewedClocksNeverFireEarly(t *testing.T) {
	const allowance = 2 * time.Minute
	p := kravia()
	p.SkewAllowance = allowance
	p.CreditorWarning, p.WarnAfterDueDays, p.TransferWarningDays = true, 1, 5
	claims := []struct {
		name string
		c    Claim
	}{
		{"fresh", Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15")}},
		{"reminded", Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15"),
			Done: []Done{{Step: "reminder", At: time.Date(2026, 1, 16, 9, 0, 0, 0, oslo)}}}},
	}
	for _, cl := range claims {
		nominal := Compute(Policy{Steps: p.Steps, Location: p.Location, StepTime: p.StepTime, MinDaysAfterDue: p.MinDaysAfterDue,
			MinDaysAfterInvoice: p.MinDaysAfterInvoice}, cl.c, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		moments := map[string]time.Time{"step " + fmt.Sprint(nominal.Next): nominal.NextAt, "overdue": nominal.OverdueAt, "warning": p.warnAt(cl.c)}
		for what, at := range moments {
			for _, skew := range []time.Duration{-allowance, -time.Minute, -time.Second, 0, time.Second, time.Minute, allowance} {
				firstDue := time.Time{}
				for real := at.Add(-10 * time.Minute); !real.After(at.Add(10 * time.Minute)); real = real.Add(15 * time.Second) {
					pl := Compute(p, cl.c, real.Add(skew))
					var due bool
					switch what {
					case "warning":
						due = pl.WarnDue
					case "overdue":
						due = pl.Overdue
					default:
						due = pl.Due
					}
					if due && real.Before(at) {
						t.Errorf("%s, %s at %s, clock %v off: due at real %s, before its time", cl.name, what, at.Format(time.RFC3339), skew, real.Format(time.RFC3339))
					}
					if due && firstDue.IsZero() {
						firstDue = real
					}
					if !due && !pl.WakeAt.IsZero() && !real.Add(skew).Before(pl.WakeAt) && what != "warning" {
						t.Errorf("%s, %s: woken at reading %s (WakeAt %s) but not due", cl.name, what, real.Add(skew), pl.WakeAt)
					}
				}
				if firstDue.IsZero() || firstDue.After(at.Add(2*allowance)) {
					t.Errorf("%s, %s at %s, clock %v off: first due at real %v, want by %s", cl.name, what, at.Format(time.RFC3339), skew, firstDue, at.Add(2*allowance).Format(time.RFC3339))
				}
			}
		}
	}
}

// TestNoAllowanceIsTheNominalSchedule: without an allowance the plan is the
// schedule as written, to the second.
func TestNoAllowanceIsTheNominalSchedule(t *testing.T) {
	p := kravia()
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15")}
	at := Compute(p, c, time.Date(2026, 1, 1, 0, 0, 0, 0, oslo)).NextAt
	if pl := Compute(p, c, at.Add(-time.Second)); pl.Due {
		t.Errorf("due a second early")
	}
	if pl := Compute(p, c, at); !pl.Due {
		t.Errorf("not due on the second")
	}
	p.SkewAllowance = 2 * time.Minute
	if pl := Compute(p, c, at.Add(time.Minute)); pl.Due || !pl.WakeAt.Equal(at.Add(2*time.Minute)) || !pl.NextAt.Equal(at) {
		t.Errorf("with the allowance, a minute late: due %v, wake %s, next %s; want not due, wake %s, next at the nominal time", pl.Due, pl.WakeAt, pl.NextAt, at.Add(2*time.Minute))
	}
}
