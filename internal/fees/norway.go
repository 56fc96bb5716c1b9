package fees

import (
	"time"

	"github.com/shopspring/decimal"
)

// Dated is a figure in force from a date on.
type Dated struct {
	From        time.Time
	Amount      decimal.Decimal
	Unconfirmed bool // DERIVED or UNCONFIRMED in domain.md
}

func datedFrom(d Dated) time.Time { return d.From }

// Norway holds the Norwegian figures (inkassoforskriften, domain.md).
var Norway = struct {
	Sats            []Dated // inkassosats by year
	Compensation    []Dated // standardkompensasjon for business debtors
	ReminderDivisor decimal.Decimal
	Bands           []Band // consumer light salær as multiples of the sats
	BusinessFactor  decimal.Decimal
	NoVATFactor     decimal.Decimal
	MaxReminderFees int
}{
	Sats: []Dated{
		{From: date(2024, 1, 1), Amount: dec("700")},
		{From: date(2025, 1, 1), Amount: dec("700")},
		{From: date(2026, 1, 1), Amount: dec("750")},
	},
	Compensation: []Dated{
		{From: date(2024, 1, 1), Amount: dec("470")},
		{From: date(2026, 1, 1), Amount: dec("460")},
	},
	ReminderDivisor: dec("20"), // 1/20 of the sats since 2020-10-01 (DERIVED for 2026: 37.50)
	Bands: []Band{
		upTo("500", "0.25"), upTo("1000", "0.35"), upTo("2500", "0.40"), upTo("10000", "0.80"),
		upTo("50000", "1.60"), upTo("250000", "3.60"), above("7.20"),
	},
	BusinessFactor:  dec("1.5"),
	NoVATFactor:     dec("1.25"),
	MaxReminderFees: 2,
}

func norway(in Input) (decimal.Decimal, error) {
	if err := requireCurrency(in, "NOK"); err != nil {
		return decimal.Zero, err
	}
	satsRow, err := inForce(Norway.Sats, datedFrom, in.On, "Norwegian inkassosats")
	if err != nil {
		return decimal.Zero, err
	}
	sats := satsRow.Amount
	if in.SatsOverride != nil {
		sats = in.SatsOverride.Amount
	}
	switch in.Kind {
	case Reminder:
		if in.Charged.ReminderFees >= Norway.MaxReminderFees {
			return decimal.Zero, nil // at most two reminder-type fees per claim
		}
		if in.ReminderFee != nil {
			return in.ReminderFee.Amount, nil
		}
		return sats.Div(Norway.ReminderDivisor), nil
	case Compensation:
		if !in.Business || in.Charged.Compensation {
			return decimal.Zero, nil
		}
		c, err := inForce(Norway.Compensation, datedFrom, in.On, "Norwegian standard compensation")
		return c.Amount, err
	case LightSalary, HeavySalary:
		fee := sats.Mul(band(Norway.Bands, in.Principal.Amount))
		if in.Kind == HeavySalary {
			fee = fee.Mul(decimal.NewFromInt(2))
		}
		if in.Business {
			fee = fee.Mul(Norway.BusinessFactor)
		}
		if in.NoVAT {
			fee = fee.Mul(Norway.NoVATFactor)
		}
		// The maximum is for the claim as a whole: a later salær charges only
		// what exceeds the salær and compensation already charged.
		return fee.Round(2).Sub(in.Charged.Salary.Amount), nil
	}
	return decimal.Zero, unknownKind(in)
}
