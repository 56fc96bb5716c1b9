// Package ledger replays a claim's money events in date order — credit notes,
// fees, payments — accruing late interest between them and allocating each
// payment (costs, then interest, then principal by default). The result is the
// claim's exact balance and a settlement ledger a bookkeeping system can
// import, with the creditor's and the agency's shares kept apart: principal
// and interest belong to the creditor, collection fees to the agency.
package ledger

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Order is the payment allocation order.
type Order string

// Allocation orders.
const (
	CostsInterestPrincipal Order = "CostsInterestPrincipal" // Norwegian practice, the default
	PrincipalInterestCosts Order = "PrincipalInterestCosts"
)

// Kind of a ledger entry.
type Kind string

// Entry kinds.
const (
	KindInvoice  Kind = "Invoice"
	KindCredit   Kind = "Credit"
	KindFee      Kind = "Fee"
	KindInterest Kind = "Interest"
	KindPayment  Kind = "Payment"
	// KindCreditorCharge: fees left unpaid that the creditor owes the agency
	// because it ended collection.
	KindCreditorCharge Kind = "CreditorCharge"
	// KindWriteOff: what the debtor no longer owes because the claim was
	// credited to zero (fees and interest left unpaid).
	KindWriteOff Kind = "WriteOff"
)

// Event is a dated money event of the claim.
type Event struct {
	Date civil.Date
	Kind Kind   // Credit, Fee or Payment
	Ref  string // credit note or payment id, or the step of a fee
	// Amount in major units, positive.
	Amount money.Money
	// ReceivedByCreditor marks a payment made to the creditor directly.
	ReceivedByCreditor bool
}

// Entry is one line of the settlement ledger.
type Entry struct {
	Date   civil.Date
	Kind   Kind
	Ref    string
	Amount money.Money // the event's amount (for interest: the accrual)
	// For payments: how the amount was allocated.
	ToFees, ToInterest, ToPrincipal, Overpaid money.Money
	// Creditor and Agency are the shares of this entry: what each is owed
	// (invoice, fees, interest) or received (payments).
	Creditor, Agency money.Money
	// ReceivedByCreditor marks a payment made to the creditor directly.
	ReceivedByCreditor bool
}

// Input is a claim's money facts.
type Input struct {
	Currency string
	Amount   money.Money // invoice principal
	DueDate  civil.Date
	AsOf     civil.Date // today
	Events   []Event
	Interest *interest.Table // nil: no late interest
	Business bool
	Rate     *decimal.Decimal // policy override of the yearly rate
	DayCount interest.DayCount
	Order    Order
}

// Result is the balance and the ledger.
type Result struct {
	// Principal is the invoice amount less credit notes; Fees and Interest are
	// what was charged and accrued; Paid is the sum of payments.
	Principal, Fees, Interest, Paid money.Money
	// Outstanding = Principal + Fees + Interest - Paid; negative when over-paid.
	Outstanding money.Money
	// Remaining parts after allocation.
	PrincipalDue, FeesDue, InterestDue money.Money
	// Overpaid is what payments exceeded the debt by: reported, never kept silently.
	Overpaid money.Money
	// UnconfirmedRate reports that an interest rate marked unconfirmed was used.
	UnconfirmedRate bool
	// CreditorCharge is set by ChargeCreditor.
	CreditorCharge money.Money
	// AsOf is the day interest was accrued to (Input.AsOf).
	AsOf civil.Date
	// Pending are events dated after AsOf, not counted yet.
	Pending []Event
	Entries []Entry
}

// kindOrder settles events of one day: credit notes, then fees, then payments.
var kindOrder = map[Kind]int{KindCredit: 0, KindFee: 1, KindPayment: 2}

// Compute replays the events and returns the balance and ledger.
func Compute(in Input) (Result, error) {
	cur := in.Currency
	zero := money.Zero(cur)
	r := Result{AsOf: in.AsOf, Principal: in.Amount, Fees: zero, Interest: zero, Paid: zero, Overpaid: zero,
		PrincipalDue: in.Amount, FeesDue: zero, InterestDue: zero}
	r.Entries = append(r.Entries, Entry{Date: in.DueDate, Kind: KindInvoice, Amount: in.Amount, Creditor: in.Amount, Agency: zero,
		ToFees: zero, ToInterest: zero, ToPrincipal: zero, Overpaid: zero})

	events := append([]Event(nil), in.Events...)
	for _, e := range events {
		if e.Amount.Currency != cur {
			return r, fmt.Errorf("%s %s is in %s, the claim in %s", e.Kind, e.Ref, e.Amount.Currency, cur)
		}
		if e.Amount.Amount.IsNegative() {
			return r, fmt.Errorf("%s %s is negative", e.Kind, e.Ref)
		}
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].Date.Equal(events[j].Date) {
			return events[i].Date.Before(events[j].Date)
		}
		return kindOrder[events[i].Kind] < kindOrder[events[j].Kind]
	})

	accruedThrough := in.DueDate // interest counted for days up to and including this one
	accrue := func(through civil.Date) error {
		if in.Interest == nil || !through.After(accruedThrough) {
			return nil
		}
		res, err := interest.Accrue(interest.Input{Table: *in.Interest, Business: in.Business, Principal: r.PrincipalDue.Amount,
			DueDate: accruedThrough, AsOf: through, Override: in.Rate, DayCount: in.DayCount})
		if err != nil {
			return err
		}
		accruedThrough = through
		r.UnconfirmedRate = r.UnconfirmedRate || res.Unconfirmed
		amt := money.FromDecimal(res.Interest, cur)
		if !amt.IsPositive() {
			return nil
		}
		r.Interest = r.Interest.Add(amt)
		r.InterestDue = r.InterestDue.Add(amt)
		r.Entries = append(r.Entries, Entry{Date: through, Kind: KindInterest, Amount: amt, Creditor: amt, Agency: zero,
			ToFees: zero, ToInterest: zero, ToPrincipal: zero, Overpaid: zero})
		return nil
	}

	for _, e := range events {
		if e.Date.After(in.AsOf) {
			// Dated in the future (an ERP's value date): it counts from its day.
			r.Pending = append(r.Pending, e)
			continue
		}
		// Interest runs through the event's day (days = event date - due
		// date), so paying the balance shown as of day X on day X settles it.
		// A fee changes no principal: accruing (and rounding) at it would
		// make the interest depend on when fees were booked.
		if e.Kind != KindFee {
			if err := accrue(e.Date); err != nil {
				return r, err
			}
		}
		entry := Entry{Date: e.Date, Kind: e.Kind, Ref: e.Ref, Amount: e.Amount, ReceivedByCreditor: e.ReceivedByCreditor,
			ToFees: zero, ToInterest: zero, ToPrincipal: zero, Overpaid: zero, Creditor: zero, Agency: zero}
		switch e.Kind {
		case KindCredit:
			// A credit note takes the invoice down, paid or not: what it
			// cancels of principal already paid goes to what else is due
			// and the rest back to the debtor (Overpaid), in whichever
			// order payment and credit note came.
			c := minMoney(e.Amount, r.Principal)
			fromDue := minMoney(c, r.PrincipalDue)
			r.Principal = r.Principal.Sub(c)
			r.PrincipalDue = r.PrincipalDue.Sub(fromDue)
			if freed := c.Sub(fromDue); freed.IsPositive() {
				allocate(&r, &entry, freed, in.Order)
				entry.ToPrincipal = zero // allocate found none due
			}
			entry.Creditor = entry.ToInterest.Sub(c)
		case KindFee:
			r.Fees = r.Fees.Add(e.Amount)
			r.FeesDue = r.FeesDue.Add(e.Amount)
			entry.Agency = e.Amount
		case KindPayment:
			r.Paid = r.Paid.Add(e.Amount)
			order := in.Order
			if e.ReceivedByCreditor {
				// Money the creditor received settles its own claim first:
				// principal collection stops; fees stay with the debtor.
				order = PrincipalInterestCosts
			}
			allocate(&r, &entry, e.Amount, order)
		default:
			return r, fmt.Errorf("unknown event kind %q", e.Kind)
		}
		r.Entries = append(r.Entries, entry)
	}
	if err := accrue(in.AsOf); err != nil {
		return r, err
	}
	r.Outstanding = r.Principal.Add(r.Fees).Add(r.Interest).Sub(r.Paid)
	return r, nil
}

// allocate splits a payment over what is due, in order; the rest is over-paid.
func allocate(r *Result, entry *Entry, amount money.Money, order Order) {
	left := amount
	take := func(due *money.Money, into *money.Money) {
		t := minMoney(left, *due)
		*due = due.Sub(t)
		*into = into.Add(t)
		left = left.Sub(t)
	}
	if order == PrincipalInterestCosts {
		take(&r.PrincipalDue, &entry.ToPrincipal)
		take(&r.InterestDue, &entry.ToInterest)
		take(&r.FeesDue, &entry.ToFees)
	} else {
		take(&r.FeesDue, &entry.ToFees)
		take(&r.InterestDue, &entry.ToInterest)
		take(&r.PrincipalDue, &entry.ToPrincipal)
	}
	entry.Overpaid = left
	r.Overpaid = r.Overpaid.Add(left)
	entry.Agency = entry.ToFees
	entry.Creditor = entry.ToInterest.Add(entry.ToPrincipal)
}

func minMoney(a, b money.Money) money.Money {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// ChargeCreditor records that the creditor ended collection on day and owes
// the agency the fees left unpaid, unless free (inside the free-cancellation
// window). It returns the charge.
func (r *Result) ChargeCreditor(day civil.Date, free bool) money.Money {
	charge := r.FeesDue
	if free {
		charge = money.Zero(r.FeesDue.Currency)
	}
	zero := money.Zero(charge.Currency)
	r.Entries = append(r.Entries, Entry{Date: day, Kind: KindCreditorCharge, Amount: charge, Agency: charge, Creditor: zero.Sub(charge),
		ToFees: zero, ToInterest: zero, ToPrincipal: zero, Overpaid: zero})
	r.CreditorCharge = charge
	return charge
}

// WriteOff records on day that the debtor owes nothing more: the fees and
// interest left unpaid are written off (a claim credited to zero; the
// creditor may be charged the fees by ChargeCreditor). It returns what was
// written off.
func (r *Result) WriteOff(day civil.Date) money.Money {
	zero := money.Zero(r.FeesDue.Currency)
	off := r.FeesDue.Add(r.InterestDue).Add(r.PrincipalDue)
	if !off.IsPositive() {
		return zero
	}
	r.Entries = append(r.Entries, Entry{Date: day, Kind: KindWriteOff, Amount: off,
		Agency: zero.Sub(r.FeesDue), Creditor: zero.Sub(r.InterestDue.Add(r.PrincipalDue)),
		ToFees: r.FeesDue, ToInterest: r.InterestDue, ToPrincipal: r.PrincipalDue, Overpaid: zero})
	r.FeesDue, r.InterestDue, r.PrincipalDue = zero, zero, zero
	r.Outstanding = r.Outstanding.Sub(off)
	return off
}
