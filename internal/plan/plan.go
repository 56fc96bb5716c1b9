// Package plan follows a payment plan (nedbetalingsplan / avbetalningsplan):
// an agreed list of installments. While every installment is met by its due
// date (plus a grace period), escalation stops; the first one missed breaks
// the plan and collection resumes where it left off.
//
// The verdict depends only on the plan, the payments and the date, so it is
// the same on every reconcile: a payment made late still leaves the plan
// broken (the creditor agrees a new plan by changing spec.paymentPlan).
package plan

import (
	"fmt"
	"sort"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Installment is one agreed payment.
type Installment struct {
	Due    civil.Date
	Amount money.Money
}

// Payment is a payment towards the claim.
type Payment struct {
	Date   civil.Date
	Amount money.Money
}

// State of a plan.
type State string

// Plan states.
const (
	OnTrack   State = "OnTrack"   // every installment due so far is met
	Missed    State = "Missed"    // an installment was not met in time: the plan is broken
	Completed State = "Completed" // every installment is met
)

// Verdict is the plan's state on a day.
type Verdict struct {
	State State
	// Installment is the index of the installment missed (Missed) or next due
	// (OnTrack); -1 when Completed.
	Installment int
	// Shortfall is how much was missing at the missed installment's deadline.
	Shortfall money.Money
	// MissedOn is the first day the plan counts as broken (Missed).
	MissedOn civil.Date
	// CheckOn is the next day the verdict can change by time alone (OnTrack).
	CheckOn civil.Date
}

// Evaluate judges the plan on day today. Installments are met cumulatively:
// by the end of installment i's grace period, the payments made so far must
// cover installments 0..i. Overpaying an installment counts towards the next.
func Evaluate(installments []Installment, payments []Payment, today civil.Date, graceDays int) (Verdict, error) {
	if len(installments) == 0 {
		return Verdict{}, fmt.Errorf("a payment plan needs at least one installment")
	}
	cur := installments[0].Amount.Currency
	inst := append([]Installment(nil), installments...)
	sort.SliceStable(inst, func(i, j int) bool { return inst[i].Due.Before(inst[j].Due) })
	pays := append([]Payment(nil), payments...)
	sort.SliceStable(pays, func(i, j int) bool { return pays[i].Date.Before(pays[j].Date) })

	for i, in := range inst {
		if in.Amount.Currency != cur {
			return Verdict{}, fmt.Errorf("installment %d is in %s, the plan in %s", i, in.Amount.Currency, cur)
		}
	}
	for _, p := range pays {
		if p.Amount.Currency != cur {
			return Verdict{}, fmt.Errorf("payment in %s towards a plan in %s", p.Amount.Currency, cur)
		}
	}
	owed := money.Zero(cur)
	for i, in := range inst {
		owed = owed.Add(in.Amount)
		deadline := in.Due.AddDays(graceDays)
		paid := money.Zero(cur)
		for _, p := range pays {
			if !p.Date.After(deadline) {
				paid = paid.Add(p.Amount)
			}
		}
		if paid.Cmp(owed) >= 0 {
			continue
		}
		missedOn := deadline.AddDays(1)
		if today.Before(missedOn) {
			return Verdict{State: OnTrack, Installment: i, CheckOn: missedOn}, nil
		}
		return Verdict{State: Missed, Installment: i, Shortfall: owed.Sub(paid), MissedOn: missedOn}, nil
	}
	return Verdict{State: Completed, Installment: -1}, nil
}
