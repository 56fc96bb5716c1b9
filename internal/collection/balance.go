package collection

import (
	"fmt"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// location is where the policy counts days (UTC without a policy).
func location(p *Policy) *time.Location {
	if p != nil && p.Timing.Location != nil {
		return p.Timing.Location
	}
	return time.UTC
}

// extraFee is a fee about to be recorded, so the balance written with the
// step is the one every later reconcile replays.
type extraFee struct {
	step string
	fee  money.Money
	at   time.Time
}

// Balance replays the claim's money up to now: credit notes, the fees of
// its history (plus extra, fees about to be recorded), payments and late
// interest under the policy (none without a policy).
func Balance(c *Claim, p *Policy, d *Debtor, now time.Time, extra ...extraFee) (ledger.Result, error) {
	loc := location(p)
	in := ledger.Input{Currency: c.Currency, Amount: c.Amount, DueDate: c.DueDate, AsOf: civil.Of(now, loc),
		Business: d != nil && d.Business}
	if p != nil {
		in.Interest, in.Rate, in.DayCount, in.Order = p.Money.Interest, p.Money.Rate, p.Money.DayCount, p.Money.Order
	}
	for _, cr := range c.Credits {
		in.Events = append(in.Events, ledger.Event{Date: cr.Date, Kind: ledger.KindCredit, Ref: cr.ID, Amount: cr.Amount})
	}
	for _, py := range c.Payments {
		in.Events = append(in.Events, ledger.Event{Date: py.Date, Kind: ledger.KindPayment, Ref: py.ID, Amount: py.Amount,
			ReceivedByCreditor: py.ByCreditor})
	}
	for _, h := range c.State.History {
		if h.HasFee && h.Fee.IsPositive() {
			in.Events = append(in.Events, ledger.Event{Date: civil.Of(h.Time, loc), Kind: ledger.KindFee, Ref: h.Step, Amount: h.Fee})
		}
	}
	if pp := c.State.Plan; pp != nil && pp.HasFee && pp.Fee.IsPositive() {
		in.Events = append(in.Events, ledger.Event{Date: civil.Of(pp.AgreedAt, loc), Kind: ledger.KindFee, Ref: "payment-plan", Amount: pp.Fee})
	}
	for _, x := range extra {
		if x.fee.IsPositive() {
			in.Events = append(in.Events, ledger.Event{Date: civil.Of(x.at, loc), Kind: ledger.KindFee, Ref: x.step, Amount: x.fee})
		}
	}
	r, err := ledger.Compute(in)
	if err != nil {
		return r, fmt.Errorf("claim %s: %w", c.Name, err)
	}
	return r, nil
}

// paidToCreditor reports a payment the creditor received directly, dated up to today.
func paidToCreditor(b ledger.Result) bool {
	for _, e := range b.Entries {
		if e.Kind == ledger.KindPayment && e.ReceivedByCreditor {
			return true
		}
	}
	return false
}
