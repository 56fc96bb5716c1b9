// Package fees computes the collection fee a step may charge, from rule tables
// per jurisdiction that are data with effective dates (shared/domain.md).
// A policy override replaces a figure; figures marked Unconfirmed should be
// overridden when an official source is known.
package fees

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Kind is the fee a policy step names.
type Kind string

// Fee kinds of a policy step.
const (
	None Kind = "None"
	// Reminder: Norway's reminder or collection-notice fee (1/20 sats),
	// Sweden's påminnelseavgift, Finland's reminder fee.
	Reminder Kind = "Reminder"
	// LightSalary: Norway's light salær, Sweden's inkassokrav fee, Finland's
	// demand-letter fee.
	LightSalary Kind = "LightSalary"
	// HeavySalary: Norway's heavy salær (twice the light one in all).
	HeavySalary Kind = "HeavySalary"
	// Compensation: the fixed compensation a business debtor owes for late
	// payment (Norway's standardkompensasjon, Sweden's 450 SEK, Finland's 40 EUR).
	Compensation Kind = "Compensation"
	// PaymentPlan: the fee for agreeing an installment plan (Sweden's
	// amorteringsplan fee); Norway and Finland set none.
	PaymentPlan Kind = "PaymentPlan"
)

// Charged is what the claim (or case) has been charged before this step.
type Charged struct {
	ReminderFees int         // reminder-type fees
	DemandFees   int         // demand letters / light salær
	Salary       money.Money // salær and compensation, deducted from a later salær
	Compensation bool        // the fixed business compensation was charged
	Total        money.Money // every fee, for the Finnish caps
}

// Input is what a fee depends on.
type Input struct {
	Jurisdiction string
	Kind         Kind
	Fixed        string // a fixed amount instead of a Kind, as in the policy
	Currency     string
	Principal    money.Money // the case's principal: selects the band
	Business     bool
	NoVAT        bool      // creditor not VAT-registered (Norway: +25 %)
	On           time.Time // when the fee is charged: selects the table in force
	Charged      Charged
	SatsOverride *money.Money // policy override of Norway's inkassosats
	ReminderFee  *money.Money // policy override of the reminder fee
}

// Compute returns the fee for in, rounded to the currency's minor unit
// (half away from zero).
func Compute(in Input) (money.Money, error) {
	zero := money.Zero(in.Currency)
	if in.Fixed != "" {
		fixed, err := money.Parse(in.Fixed, in.Currency)
		if err != nil || in.Jurisdiction != "FI" || in.Business {
			return fixed, err
		}
		// A Finnish consumer's collection costs together stay under the
		// cap (perintälaki 10 e §), a policy's fixed amounts included.
		return finnishConsumerCapped(in, fixed)
	}
	if in.Kind == None || in.Kind == "" {
		return zero, nil
	}
	if in.Charged.Salary.Currency == "" {
		in.Charged.Salary = zero
	}
	if in.Charged.Total.Currency == "" {
		in.Charged.Total = zero
	}
	var (
		fee decimal.Decimal
		err error
	)
	switch in.Jurisdiction {
	case "NO":
		fee, err = norway(in)
	case "SE":
		fee, err = sweden(in)
	case "FI":
		fee, err = finland(in)
	default:
		return zero, fmt.Errorf("no fee tables for jurisdiction %q; give the step a fixed fee", in.Jurisdiction)
	}
	if err != nil {
		return zero, err
	}
	out := money.FromDecimal(fee, in.Currency)
	if !out.IsPositive() {
		return zero, nil
	}
	return out, nil
}

// inForce returns the entry of a dated table in force on t.
func inForce[T any](table []T, from func(T) time.Time, t time.Time, what string) (T, error) {
	i := sort.Search(len(table), func(i int) bool { return from(table[i]).After(t) }) - 1
	if i < 0 {
		var zero T
		return zero, fmt.Errorf("no %s in force on %s", what, t.Format(time.DateOnly))
	}
	return table[i], nil
}

func requireCurrency(in Input, cur string) error {
	if in.Currency != cur {
		return fmt.Errorf("%s fees are defined in %s, not %s", in.Jurisdiction, cur, in.Currency)
	}
	return nil
}

// Band maps a principal up to UpTo (nil: above every band) to a value.
type Band struct {
	UpTo  *decimal.Decimal
	Value decimal.Decimal
}

func band(bands []Band, principal decimal.Decimal) decimal.Decimal {
	for _, b := range bands {
		if b.UpTo == nil || principal.LessThanOrEqual(*b.UpTo) {
			return b.Value
		}
	}
	return bands[len(bands)-1].Value
}

func dec(s string) decimal.Decimal              { return decimal.RequireFromString(s) }
func ptr(d decimal.Decimal) *decimal.Decimal    { return &d }
func upTo(s string, v string) Band              { return Band{UpTo: ptr(dec(s)), Value: dec(v)} }
func above(v string) Band                       { return Band{Value: dec(v)} }
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// CountedAs is the kind a fee computed for in counts as in the debt's fee
// ledger: a Swedish business debtor pays the fixed 450 SEK compensation
// instead of reminder and demand fees (lagen om ersättning för
// inkassokostnader 4 §), so a later step must see it as compensation.
func CountedAs(in Input) Kind {
	if in.Fixed != "" {
		return ""
	}
	if in.Jurisdiction == "SE" && in.Business && (in.Kind == Reminder || in.Kind == LightSalary) {
		return Compensation
	}
	return in.Kind
}

// finnishConsumerCapped limits a fixed fee to the room left under the
// Finnish consumer cap.
func finnishConsumerCapped(in Input, fee money.Money) (money.Money, error) {
	r, err := inForce(Finland, func(r FinlandRules) time.Time { return r.From }, in.On, "Finnish fee table")
	if err != nil {
		return money.Money{}, err
	}
	charged := decimal.Zero
	if in.Charged.Total.Currency != "" {
		charged = in.Charged.Total.Amount
	}
	room := decimal.Max(band(r.ConsumerCap, in.Principal.Amount).Sub(charged), decimal.Zero)
	return money.FromDecimal(decimal.Min(fee.Amount, room), in.Currency), nil
}
