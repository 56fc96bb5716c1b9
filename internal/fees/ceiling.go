package fees

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Ceiling is the largest single fee the jurisdiction's law lets one step
// charge on day on, in the jurisdiction's currency, for any debtor and any
// principal: Norway's heavy salær in the top band for a business debtor of
// a creditor not VAT-registered; Sweden's business compensation; Finland's
// consumer cap in its top band. A policy's fixed fee above it can never be
// lawful, so the policy is refused (CEL, with today's figures) or its
// claims stall naming the field (collection.ValidatePolicy, by date).
func Ceiling(jurisdiction string, on time.Time) (money.Money, error) {
	switch jurisdiction {
	case "NO":
		sats, err := inForce(Norway.Sats, datedFrom, on, "Norwegian inkassosats")
		if err != nil {
			return money.Money{}, err
		}
		top := Norway.Bands[len(Norway.Bands)-1].Value
		fee := sats.Amount.Mul(top).Mul(decimal.NewFromInt(2)).Mul(Norway.BusinessFactor).Mul(Norway.NoVATFactor)
		return money.FromDecimal(fee, "NOK"), nil
	case "SE":
		r, err := inForce(Sweden, func(r SwedenRules) time.Time { return r.From }, on, "Swedish fee table")
		if err != nil {
			return money.Money{}, err
		}
		return money.FromDecimal(decimal.Max(r.Reminder, r.Demand, r.PaymentPlan, r.BusinessCompensation), "SEK"), nil
	case "FI":
		r, err := inForce(Finland, func(r FinlandRules) time.Time { return r.From }, on, "Finnish fee table")
		if err != nil {
			return money.Money{}, err
		}
		top := func(b []Band) decimal.Decimal { return b[len(b)-1].Value }
		return money.FromDecimal(decimal.Max(top(r.ConsumerCap), top(r.BusinessDemand), r.BusinessCompensation, r.BusinessReminder,
			r.ConsumerReminder), "EUR"), nil
	}
	return money.Money{}, fmt.Errorf("no fee tables for jurisdiction %q", jurisdiction)
}
