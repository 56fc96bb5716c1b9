// Package balance computes a claim's money position from its invoice amount,
// credit notes, payments and the fees charged so far. Late interest and the
// allocation of payments (costs, interest, principal) come with the money
// engine; until then interest is zero.
package balance

import (
	"fmt"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Input is a claim's money facts, as decimal strings in one currency.
type Input struct {
	Currency string
	Amount   string
	Credits  []string
	Payments []string
	Fees     []string // fee charged with each completed step
}

// Balance is a claim's money position.
type Balance struct {
	Principal, Fees, Interest, Paid, Outstanding money.Money
}

// Compute returns the balance: outstanding = principal + fees + interest - paid,
// where principal is the amount less credit notes (never below zero).
func Compute(in Input) (Balance, error) {
	cur := in.Currency
	amount, err := money.Parse(in.Amount, cur)
	if err != nil {
		return Balance{}, fmt.Errorf("spec.amount: %w", err)
	}
	sum := func(field string, xs []string) (money.Money, error) {
		total := money.Zero(cur)
		for i, x := range xs {
			if x == "" {
				continue
			}
			m, err := money.Parse(x, cur)
			if err != nil {
				return total, fmt.Errorf("%s[%d]: %w", field, i, err)
			}
			total = total.Add(m)
		}
		return total, nil
	}
	credits, err := sum("spec.credits", in.Credits)
	if err != nil {
		return Balance{}, err
	}
	paid, err := sum("spec.payments", in.Payments)
	if err != nil {
		return Balance{}, err
	}
	fees, err := sum("status.history.fee", in.Fees)
	if err != nil {
		return Balance{}, err
	}
	principal := amount.Sub(credits)
	if !principal.IsPositive() {
		principal = money.Zero(cur)
	}
	b := Balance{Principal: principal, Fees: fees, Interest: money.Zero(cur), Paid: paid}
	b.Outstanding = principal.Add(fees).Add(b.Interest).Sub(paid)
	return b, nil
}

// Settled reports that nothing remains to be paid.
func (b Balance) Settled() bool { return !b.Outstanding.IsPositive() }
