package controllers

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// claimLedger replays the claim's money up to today: credit notes, fees of
// the history (plus extra, a fee about to be charged), payments, and late
// interest under the policy's jurisdiction. policy and debtor may be nil
// (not found yet): then no interest is computed.
func claimLedger(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, debtor *inkassov1.Debtor, now time.Time, extra *money.Money) (ledger.Result, error) {
	cur := string(claim.Spec.Currency)
	amount, err := money.Parse(string(claim.Spec.Amount), cur)
	if err != nil {
		return ledger.Result{}, fmt.Errorf("spec.amount: %w", err)
	}
	due, err := civil(string(claim.Spec.DueDate))
	if err != nil {
		return ledger.Result{}, fmt.Errorf("spec.dueDate: %w", err)
	}
	loc := time.UTC
	in := ledger.Input{Currency: cur, Amount: amount, DueDate: due}
	if policy != nil {
		if tp, err := timing(policy); err == nil {
			loc = tp.Location
		}
		if t, ok := interest.Tables[string(policy.Spec.Jurisdiction)]; ok {
			in.Interest = &t
		}
		if o := policy.Spec.Overrides; o != nil {
			if o.LateInterestRate != "" {
				r, err := decimal.NewFromString(string(o.LateInterestRate))
				if err != nil {
					return ledger.Result{}, fmt.Errorf("policy %s spec.overrides.lateInterestRate: %w", policy.Name, err)
				}
				in.Rate = &r
			}
			in.DayCount = interest.DayCount(o.DayCount)
			in.Order = ledger.Order(o.PaymentOrder)
		}
	}
	in.Business = debtor != nil && debtor.Spec.Type == inkassov1.DebtorBusiness
	in.AsOf = civilOf(now, loc)

	for i, c := range claim.Spec.Credits {
		e, err := moneyEvent(ledger.KindCredit, c.ID, string(c.Amount), string(c.Date), cur)
		if err != nil {
			return ledger.Result{}, fmt.Errorf("spec.credits[%d]: %w", i, err)
		}
		in.Events = append(in.Events, e)
	}
	for i, p := range claim.Spec.Payments {
		e, err := moneyEvent(ledger.KindPayment, p.ID, string(p.Amount), string(p.Date), cur)
		if err != nil {
			return ledger.Result{}, fmt.Errorf("spec.payments[%d]: %w", i, err)
		}
		e.ReceivedByCreditor = p.ReceivedBy == inkassov1.ReceivedByCreditor
		in.Events = append(in.Events, e)
	}
	for _, h := range claim.Status.History {
		if h.Fee == "" {
			continue
		}
		fee, err := money.Parse(h.Fee, cur)
		if err != nil || !fee.IsPositive() {
			continue
		}
		in.Events = append(in.Events, ledger.Event{Date: civilOf(h.Time.Time, loc), Kind: ledger.KindFee, Ref: h.Step, Amount: fee})
	}
	if extra != nil && extra.IsPositive() {
		in.Events = append(in.Events, ledger.Event{Date: in.AsOf, Kind: ledger.KindFee, Ref: "(this step)", Amount: *extra})
	}
	return ledger.Compute(in)
}

func moneyEvent(kind ledger.Kind, ref, amount, date, cur string) (ledger.Event, error) {
	m, err := money.Parse(amount, cur)
	if err != nil {
		return ledger.Event{}, err
	}
	d, err := civil(date)
	if err != nil {
		return ledger.Event{}, err
	}
	return ledger.Event{Date: d, Kind: kind, Ref: ref, Amount: m}, nil
}

// civil reads YYYY-MM-DD as UTC midnight, the ledger's calendar days.
func civil(s string) (time.Time, error) {
	d, err := schedule.ParseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), nil
}

// civilOf is the calendar day of t in loc, as UTC midnight.
func civilOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func toStatusBalance(b ledger.Result) *inkassov1.Balance {
	return &inkassov1.Balance{
		Principal: b.Principal.String(), Fees: b.Fees.String(), Interest: b.Interest.String(),
		Paid: b.Paid.String(), Outstanding: b.Outstanding.String(),
	}
}
