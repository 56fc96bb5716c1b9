// Package fees computes the collection fees a step may charge, from dated rule
// tables per jurisdiction. Figures are data with an effective date; a policy
// override replaces them. The full rule set (Sweden, Finland, caps, §17) grows
// in this package; the foundation ships Norway's inkassosats-based fees.
package fees

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Kind is the fee a policy step names.
type Kind string

// Fee kinds of a policy step.
const (
	None        Kind = "None"
	Reminder    Kind = "Reminder"
	LightSalary Kind = "LightSalary"
	HeavySalary Kind = "HeavySalary"
)

// Dated is a figure in force from a date on.
type Dated struct {
	From        time.Time
	Amount      decimal.Decimal
	Unconfirmed bool // DERIVED or UNCONFIRMED in domain.md: override in a policy when known
}

// Band is a salær band: principal up to UpTo (nil: above every band) costs
// Multiple times the inkassosats for a consumer's light fee.
type Band struct {
	UpTo     *decimal.Decimal
	Multiple decimal.Decimal
}

// Norway holds the Norwegian figures (inkassoforskriften, domain.md).
var Norway = struct {
	Sats            []Dated // inkassosats by year
	ReminderDivisor decimal.Decimal
	Bands           []Band
	BusinessFactor  decimal.Decimal
	NoVATFactor     decimal.Decimal
	MaxReminderFees int
}{
	Sats: []Dated{
		{From: date(2024, 1, 1), Amount: dec("700")},
		{From: date(2025, 1, 1), Amount: dec("700")},
		{From: date(2026, 1, 1), Amount: dec("750")},
	},
	ReminderDivisor: dec("20"), // 1/20 of the sats since 2020-10-01
	Bands: []Band{
		{UpTo: ptr(dec("500")), Multiple: dec("0.25")},
		{UpTo: ptr(dec("1000")), Multiple: dec("0.35")},
		{UpTo: ptr(dec("2500")), Multiple: dec("0.40")},
		{UpTo: ptr(dec("10000")), Multiple: dec("0.80")},
		{UpTo: ptr(dec("50000")), Multiple: dec("1.60")},
		{UpTo: ptr(dec("250000")), Multiple: dec("3.60")},
		{Multiple: dec("7.20")},
	},
	BusinessFactor:  dec("1.5"),
	NoVATFactor:     dec("1.25"),
	MaxReminderFees: 2,
}

// Input is what a fee depends on.
type Input struct {
	Jurisdiction  string
	Kind          Kind
	Fixed         string // a fixed amount instead of a Kind, as in the policy
	Currency      string
	Principal     money.Money // the case's principal, for the salær band
	Business      bool
	NoVAT         bool         // creditor not VAT-registered
	On            time.Time    // when the fee is charged: selects the table in force
	ReminderFees  int          // reminder-type fees already charged on the claim
	SalaryCharged money.Money  // salær already charged: heavy salær replaces it
	SatsOverride  *money.Money // policy override of the inkassosats
	ReminderFee   *money.Money // policy override of the reminder fee
}

// Compute returns the fee for in, rounded to the currency's minor unit.
func Compute(in Input) (money.Money, error) {
	zero := money.Zero(in.Currency)
	if in.Fixed != "" {
		return money.Parse(in.Fixed, in.Currency)
	}
	if in.Kind == None || in.Kind == "" {
		return zero, nil
	}
	if in.Jurisdiction != "NO" {
		return zero, fmt.Errorf("fee %s for jurisdiction %s is not in the rule tables yet; set a fixed fee in the policy step", in.Kind, in.Jurisdiction)
	}
	if in.Currency != "NOK" {
		return zero, fmt.Errorf("norwegian fee %s is defined in NOK, not %s", in.Kind, in.Currency)
	}
	sats, err := satsOn(in.On)
	if err != nil {
		return zero, err
	}
	if in.SatsOverride != nil {
		sats = in.SatsOverride.Amount
	}
	switch in.Kind {
	case Reminder:
		if in.ReminderFees >= Norway.MaxReminderFees {
			return zero, nil // at most two reminder-type fees per claim
		}
		if in.ReminderFee != nil {
			return *in.ReminderFee, nil
		}
		return money.FromDecimal(sats.Div(Norway.ReminderDivisor), in.Currency), nil
	case LightSalary, HeavySalary:
		fee := sats.Mul(band(in.Principal.Amount).Multiple)
		if in.Kind == HeavySalary {
			fee = fee.Mul(decimal.NewFromInt(2))
		}
		if in.Business {
			fee = fee.Mul(Norway.BusinessFactor)
		}
		if in.NoVAT {
			fee = fee.Mul(Norway.NoVATFactor)
		}
		// The salær maximum is for the claim as a whole: charge only what
		// is above the salær already charged.
		out := money.FromDecimal(fee, in.Currency)
		if in.SalaryCharged.Currency == in.Currency {
			out = out.Sub(in.SalaryCharged)
		}
		if !out.IsPositive() {
			return zero, nil
		}
		return out, nil
	}
	return zero, fmt.Errorf("unknown fee kind %q", in.Kind)
}

func satsOn(t time.Time) (decimal.Decimal, error) {
	var found *Dated
	for i := range Norway.Sats {
		if !t.Before(Norway.Sats[i].From) {
			found = &Norway.Sats[i]
		}
	}
	if found == nil {
		return decimal.Zero, fmt.Errorf("no inkassosats in force on %s", t.Format(time.DateOnly))
	}
	return found.Amount, nil
}

func band(principal decimal.Decimal) Band {
	for _, b := range Norway.Bands {
		if b.UpTo == nil || principal.LessThanOrEqual(*b.UpTo) {
			return b
		}
	}
	return Norway.Bands[len(Norway.Bands)-1]
}

func dec(s string) decimal.Decimal           { return decimal.RequireFromString(s) }
func ptr(d decimal.Decimal) *decimal.Decimal { return &d }
func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
