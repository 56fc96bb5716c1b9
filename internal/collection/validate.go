package collection

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Minimums are a jurisdiction's statutory minimum deadlines and gaps, as
// data with the day they took effect (shared/domain.md). A policy cannot
// go below them: it is refused (CEL, where the rule fits one step) or the
// claims under it stall with reason InvalidPolicy naming the step.
type Minimums struct {
	From time.Time
	// NoticeDeadlineDays: every notice after the reminders that states a
	// deadline gives at least this many days (NO: inkassoloven §§ 9, 10).
	NoticeDeadlineDays int
	// DemandDeadlineDays: a demand (a LightSalary step) gives at least this
	// many days to pay (NO 14, inkassoloven § 10; SE 8, inkassolagen 5 §).
	DemandDeadlineDays int
	// DemandAfterNoticeDeadline: a demand comes only after the deadline of
	// the notice before it has run out (NO: inkassoloven § 10).
	DemandAfterNoticeDeadline bool
	// HeavyAfterDemandDeadlineDays: heavy salær only once the demand's
	// deadline is overrun by more than this many days (NO 28,
	// inkassoforskriften § 2-3).
	HeavyAfterDemandDeadlineDays int
	// LetterGapDays: letters to the debtor at least this many days apart
	// (FI business letters 10, perintälaki 10 f §; the consumer reminders'
	// 14 days are a fee rule, see Allowance).
	LetterGapDays int
	// DemandNeedsCreditor: a demand must name the creditor (NO: § 10).
	DemandNeedsCreditor bool
	// ReminderFeeAfterDueDays: a reminder-type fee only on a reminder sent
	// at least this many days after the due date (NO 14,
	// inkassoforskriften § 1-2; FI consumers 14, perintälaki 10 e §).
	ReminderFeeAfterDueDays int
	// ReminderFeeGapDays: a further reminder fee only this many days after
	// the previous one (FI consumers 14).
	ReminderFeeGapDays int
	// ReminderFeeNeedsAgreement: a reminder fee only when agreed when the
	// debt arose (SE: lag om ersättning för inkassokostnader m.m. 2 §).
	ReminderFeeNeedsAgreement bool
	// PostJudgmentYears: limitation after a judgment (NO 10,
	// foreldelsesloven § 21; SE 10; FI 15, UNCONFIRMED).
	PostJudgmentYears int
}

// StatutoryMinimums by jurisdiction, oldest first.
var StatutoryMinimums = map[string][]Minimums{
	"NO": {{From: time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC), NoticeDeadlineDays: 14, DemandDeadlineDays: 14,
		DemandAfterNoticeDeadline: true, HeavyAfterDemandDeadlineDays: 28, DemandNeedsCreditor: true, ReminderFeeAfterDueDays: 14,
		PostJudgmentYears: 10}},
	"SE": {{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), DemandDeadlineDays: 8, ReminderFeeNeedsAgreement: true, PostJudgmentYears: 10}},
	"FI": {{From: time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), LetterGapDays: 10, ReminderFeeAfterDueDays: 14, ReminderFeeGapDays: 14,
		PostJudgmentYears: 15}},
}

// MinimumsOn returns the jurisdiction's minimums in force on day t.
func MinimumsOn(jurisdiction string, t time.Time) Minimums {
	table := StatutoryMinimums[jurisdiction]
	i := sort.Search(len(table), func(i int) bool { return table[i].From.After(t) }) - 1
	if i < 0 {
		return Minimums{}
	}
	return table[i]
}

// ValidatePolicy checks a policy against the statutory minimums in force
// on day t; each problem names the step and the rule.
func ValidatePolicy(p *Policy, creditorName string, t time.Time) []Problem {
	m := MinimumsOn(p.Jurisdiction, t)
	var out []Problem
	bad := func(step, format string, args ...any) {
		out = append(out, Problem{Reason: ReasonInvalidPolicy, Message: fmt.Sprintf("policy %s step %q: ", p.Name, step) + fmt.Sprintf(format, args...)})
	}
	out = append(out, fixedFeesWithinCeiling(p, t)...)
	// Distances are counted in minGapDays, the gaps the schedule keeps even
	// for a claim created long after its due date.
	var lastDeadline, sinceDeadline, demandDeadline, sinceDemand, sinceFeeLetter int
	demandSeen, feeLetterSeen := false, false
	for i, s := range p.Steps {
		gap := p.Timing.Steps[i].MinGapDays
		sinceDeadline += gap
		sinceDemand += gap
		sinceFeeLetter += gap
		demand := s.Fee == fees.LightSalary && s.FixedFee == ""
		if !s.Reminder() && s.PaymentDeadlineDays > 0 && s.PaymentDeadlineDays < m.NoticeDeadlineDays {
			bad(s.Name, "paymentDeadlineDays %d is below the statutory %d days of a notice after the reminders (inkassoloven §§ 9-10)", s.PaymentDeadlineDays, m.NoticeDeadlineDays)
		}
		if demand && m.DemandDeadlineDays > 0 && s.PaymentDeadlineDays < m.DemandDeadlineDays {
			bad(s.Name, "a demand (fee LightSalary) must give at least %d days to pay; paymentDeadlineDays is %d", m.DemandDeadlineDays, s.PaymentDeadlineDays)
		}
		if demand && m.DemandAfterNoticeDeadline && lastDeadline > 0 && sinceDeadline < lastDeadline {
			bad(s.Name, "a payment demand comes only after the collection notice's %d-day deadline has run out: the steps since keep only %d days (minGapDays) (inkassoloven § 10)", lastDeadline, sinceDeadline)
		}
		if demand && m.DemandNeedsCreditor && creditorName == "" {
			bad(s.Name, "a payment demand must name the creditor: set spec.creditor.name (inkassoloven § 10)")
		}
		if s.Fee == fees.HeavySalary && s.FixedFee == "" && m.HeavyAfterDemandDeadlineDays > 0 {
			if !demandSeen {
				bad(s.Name, "heavy salær needs a payment demand (a LightSalary step) before it (inkassoforskriften § 2-3)")
			} else if need := demandDeadline + m.HeavyAfterDemandDeadlineDays + 1; sinceDemand < need {
				bad(s.Name, "heavy salær only when the demand's %d-day deadline is overrun by more than %d days: the steps since the demand keep only %d days (minGapDays), %d needed (inkassoforskriften § 2-3)",
					demandDeadline, m.HeavyAfterDemandDeadlineDays, sinceDemand, need)
			}
		}
		feeLetter := s.Action.Sends() && s.Action != ActionNotifyCreditor && (s.FixedFee != "" || (s.Fee != "" && s.Fee != fees.None))
		if m.LetterGapDays > 0 && feeLetter {
			if feeLetterSeen && sinceFeeLetter < m.LetterGapDays {
				bad(s.Name, "letters that charge the debtor must be at least %d days apart (perintälaki 10 f §); the steps since the last keep %d days (minGapDays)", m.LetterGapDays, sinceFeeLetter)
			}
			feeLetterSeen, sinceFeeLetter = true, 0
		}
		if demand {
			demandSeen, demandDeadline, sinceDemand = true, s.PaymentDeadlineDays, 0
		}
		if s.PaymentDeadlineDays > 0 && !s.Reminder() {
			lastDeadline, sinceDeadline = s.PaymentDeadlineDays, 0
		}
	}
	return out
}

// FixedFeeCeiling is the largest fee one step may charge in the
// jurisdiction on day t (fees.Ceiling); zero money when it has no tables.
func FixedFeeCeiling(jurisdiction string, t time.Time) money.Money {
	c, err := fees.Ceiling(jurisdiction, t)
	if err != nil {
		return money.Money{}
	}
	return c
}

// fixedFeesWithinCeiling refuses a fixed amount above the largest single
// fee the law allows (a step's fee, the plan fee, the reminder-fee
// override), naming the field: issue 20 found a 250,000 NOK step fee on a
// 100 NOK claim accepted and demanded. The amount is compared as a number
// in the jurisdiction's currency.
func fixedFeesWithinCeiling(p *Policy, t time.Time) []Problem {
	ceiling, err := fees.Ceiling(p.Jurisdiction, t)
	if err != nil {
		return nil
	}
	var out []Problem
	check := func(field, amount string) {
		d, err := decimal.NewFromString(amount)
		if err != nil || d.LessThanOrEqual(ceiling.Amount) {
			return
		}
		out = append(out, Problem{Reason: ReasonInvalidPolicy, Message: fmt.Sprintf("policy %s %s %s exceeds %s %s, the largest single fee %s law allows on %s",
			p.Name, field, amount, ceiling, ceiling.Currency, p.Jurisdiction, t.Format(time.DateOnly))})
	}
	for i, s := range p.Steps {
		if s.FixedFee != "" {
			check(fmt.Sprintf("spec.steps[%d].fee", i), s.FixedFee)
		}
	}
	if p.PlanFee != "" && p.PlanFee != PlanFeeNone && p.PlanFee != PlanFeeStatutory {
		check("spec.paymentPlans.fee", p.PlanFee)
	}
	if p.Fees.ReminderFee != "" {
		check("spec.overrides.reminderFee", p.Fees.ReminderFee)
	}
	return out
}
