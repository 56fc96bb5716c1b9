package fees

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// SwedenRules are the Swedish maximums (lagen om ersättning för inkassokostnader).
type SwedenRules struct {
	From                 time.Time
	Reminder             decimal.Decimal // påminnelseavgift, only if agreed; one per claim
	Demand               decimal.Decimal // inkassokrav, one per debt
	PaymentPlan          decimal.Decimal // amorteringsplan
	BusinessCompensation decimal.Decimal // instead of reminder and demand fees
}

// Sweden's tables by effective date.
var Sweden = []SwedenRules{
	{From: date(2024, 1, 1), Reminder: dec("60"), Demand: dec("180"), PaymentPlan: dec("170"), BusinessCompensation: dec("450")},
}

func sweden(in Input) (decimal.Decimal, error) {
	if err := requireCurrency(in, "SEK"); err != nil {
		return decimal.Zero, err
	}
	r, err := inForce(Sweden, func(r SwedenRules) time.Time { return r.From }, in.On, "Swedish fee table")
	if err != nil {
		return decimal.Zero, err
	}
	if in.Kind == PaymentPlan {
		return r.PaymentPlan, nil
	}
	if in.Business {
		// A business pays the fixed compensation once, instead of reminder and demand fees.
		if in.Kind == HeavySalary || in.Charged.Compensation {
			return decimal.Zero, nil
		}
		return r.BusinessCompensation, nil
	}
	switch in.Kind {
	case Reminder:
		if in.Charged.ReminderFees >= 1 {
			return decimal.Zero, nil
		}
		if in.ReminderFee != nil {
			return in.ReminderFee.Amount, nil
		}
		return r.Reminder, nil
	case LightSalary:
		if in.Charged.DemandFees >= 1 {
			return decimal.Zero, nil
		}
		return r.Demand, nil
	case Compensation:
		return decimal.Zero, nil
	case HeavySalary:
		return decimal.Zero, fmt.Errorf("swedish law has no heavy collection fee; use None or a fixed amount")
	}
	return decimal.Zero, unknownKind(in)
}

// FinlandRules are the Finnish maximums (perintälaki).
type FinlandRules struct {
	From                 time.Time
	ConsumerReminder     decimal.Decimal
	ConsumerDemand       []Band // by capital
	ConsumerCap          []Band // all collection costs together, by capital
	BusinessReminder     decimal.Decimal
	BusinessCompensation decimal.Decimal
	BusinessDemand       []Band
	LaterLetterFactor    decimal.Decimal // business: later letters cost this share of the first
}

// Finland's tables by effective date.
var Finland = []FinlandRules{{
	From:                 date(2023, 5, 1),
	ConsumerReminder:     dec("5"),
	ConsumerDemand:       []Band{upTo("100", "14"), upTo("1000", "24"), above("50")},
	ConsumerCap:          []Band{upTo("100", "60"), upTo("1000", "120"), above("210")},
	BusinessReminder:     dec("12"),
	BusinessCompensation: dec("40"),
	BusinessDemand:       []Band{upTo("500", "50"), upTo("2500", "70"), upTo("10000", "90"), above("110")},
	LaterLetterFactor:    dec("0.5"),
}}

func finland(in Input) (decimal.Decimal, error) {
	if err := requireCurrency(in, "EUR"); err != nil {
		return decimal.Zero, err
	}
	r, err := inForce(Finland, func(r FinlandRules) time.Time { return r.From }, in.On, "Finnish fee table")
	if err != nil {
		return decimal.Zero, err
	}
	var fee decimal.Decimal
	switch {
	case in.Kind == HeavySalary:
		return decimal.Zero, fmt.Errorf("finnish law has no heavy collection fee; use LightSalary for later demand letters")
	case in.Kind == Compensation:
		if !in.Business || in.Charged.Compensation {
			return decimal.Zero, nil
		}
		return r.BusinessCompensation, nil
	case in.Kind == Reminder && in.Business:
		fee = r.BusinessReminder
	case in.Kind == Reminder:
		fee = r.ConsumerReminder
		if in.ReminderFee != nil {
			fee = in.ReminderFee.Amount
		}
	case in.Kind == LightSalary && in.Business:
		fee = band(r.BusinessDemand, in.Principal.Amount)
		if in.Charged.DemandFees > 0 {
			fee = fee.Mul(r.LaterLetterFactor)
		}
	case in.Kind == LightSalary:
		fee = band(r.ConsumerDemand, in.Principal.Amount)
	default:
		return decimal.Zero, unknownKind(in)
	}
	if !in.Business {
		// Consumers: all collection costs together stay under the cap.
		room := band(r.ConsumerCap, in.Principal.Amount).Sub(in.Charged.Total.Amount)
		fee = decimal.Min(fee, decimal.Max(room, decimal.Zero))
	}
	return fee, nil
}

func unknownKind(in Input) error {
	if in.Kind == PaymentPlan {
		return fmt.Errorf("%s law sets no payment-plan fee; give the policy a fixed amount or None", in.Jurisdiction)
	}
	return fmt.Errorf("unknown fee kind %q", in.Kind)
}
