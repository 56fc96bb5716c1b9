package collection

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Fee is a fee a step charges, with its legal basis.
type Fee struct {
	Amount money.Money
	Kind   fees.Kind // empty for a fixed fee
	Basis  string    // the rule that allows it
}

// feeBasis names the law (or the policy) that allows a fee kind.
func feeBasis(jurisdiction string, kind fees.Kind, fixed bool) string {
	if fixed {
		return "fixed fee of the policy step"
	}
	switch jurisdiction + "/" + string(kind) {
	case "NO/Reminder":
		return "inkassoforskriften § 1-2 (1/20 of the inkassosats; at most two reminder-type fees per claim)"
	case "NO/LightSalary", "NO/HeavySalary":
		return "inkassoforskriften §§ 2-2, 2-3 (salær maximum by principal band)"
	case "NO/Compensation":
		return "forsinkelsesrenteloven § 3a (standardkompensasjon, business debtors)"
	case "SE/Reminder", "SE/LightSalary", "SE/PaymentPlan":
		return "lagen om ersättning för inkassokostnader m.m. 2 §, 5 §"
	case "SE/Compensation":
		return "lagen om ersättning för inkassokostnader m.m. 4 § (450 SEK once per debt)"
	case "FI/Reminder", "FI/LightSalary":
		return "perintälaki 10 e § (consumer caps) / 10 f § (business)"
	case "FI/Compensation":
		return "korkolaki 10 a § (40 EUR fixed compensation)"
	}
	return string(kind)
}

// kindOf is the fee kind a history record was charged under: recorded, or
// for records written before kinds were kept, what the policy step's kind
// counts as for this debtor (fees.CountedAs).
func kindOf(p *Policy, d *Debtor, step string, recorded fees.Kind) fees.Kind {
	if recorded != "" {
		return fees.CountedAs(fees.Input{Jurisdiction: p.Jurisdiction, Kind: recorded, Business: d != nil && d.Business})
	}
	s, ok := p.StepNamed(step)
	switch {
	case ok && s.FixedFee == "":
		return fees.CountedAs(fees.Input{Jurisdiction: p.Jurisdiction, Kind: s.Fee, Business: d != nil && d.Business})
	case ok && s.Reminder():
		// A fixed amount on a reminder step is a reminder fee (fixedReminderFee).
		return fees.CountedAs(fees.Input{Jurisdiction: p.Jurisdiction, Kind: fees.Reminder, Business: d != nil && d.Business})
	}
	return ""
}

// count adds a fee charged under kind to c.
func count(c *fees.Charged, kind fees.Kind, charged money.Money) {
	c.Total = c.Total.Add(charged)
	switch kind {
	case fees.Reminder:
		c.ReminderFees++
	case fees.LightSalary:
		c.DemandFees++
		c.Salary = c.Salary.Add(charged)
	case fees.HeavySalary:
		c.Salary = c.Salary.Add(charged)
	case fees.Compensation:
		c.Compensation = true
		c.Salary = c.Salary.Add(charged)
	}
}

// Charged is what the claim's whole history charged, by kind: its own
// steps, its shares of every case step, before and after it joined a case,
// and a payment plan's fee. This is the fee ledger of the debt: every cap
// counts it.
func Charged(p *Policy, d *Debtor, c *Claim) fees.Charged {
	out := fees.Charged{Salary: money.Zero(c.Currency), Total: money.Zero(c.Currency)}
	for _, h := range c.State.History {
		if !h.HasFee || !h.Fee.IsPositive() || h.Fee.Currency != c.Currency {
			continue
		}
		count(&out, kindOf(p, d, h.Step, h.FeeKind), h.Fee)
	}
	if pp := c.State.Plan; pp != nil && pp.HasFee && pp.Fee.IsPositive() && pp.Fee.Currency == c.Currency {
		count(&out, fees.PaymentPlan, pp.Fee)
	}
	return out
}

// feeInput is the fee tables' input for a step on a principal.
func feeInput(p *Policy, d *Debtor, step Step, currency string, principal money.Money, on time.Time) (fees.Input, error) {
	in := fees.Input{Jurisdiction: p.Jurisdiction, Currency: currency, Principal: principal,
		Business: d != nil && d.Business, On: legalDay(p, on), Kind: step.Fee, Fixed: step.FixedFee, NoVAT: p.Fees.NoVAT}
	if p.Fees.Sats != "" {
		m, err := money.Parse(p.Fees.Sats, currency)
		if err != nil {
			return in, fmt.Errorf("spec.overrides.feeUnit: %w", err)
		}
		in.SatsOverride = &m
	}
	if p.Fees.ReminderFee != "" {
		m, err := money.Parse(p.Fees.ReminderFee, currency)
		if err != nil {
			return in, fmt.Errorf("spec.overrides.reminderFee: %w", err)
		}
		in.ReminderFee = &m
	}
	return in, nil
}

// Allowance is the most the step may charge the claim alone, after what
// its whole history charged (its principal after credit notes selects the
// band).
func Allowance(p *Policy, d *Debtor, c *Claim, step Step, principal money.Money, on time.Time) (Fee, error) {
	if step.FixedFee != "" && step.Reminder() {
		return fixedReminderFee(p, d, c, step, principal, on)
	}
	in, err := feeInput(p, d, step, c.Currency, principal, on)
	if err != nil {
		return Fee{}, err
	}
	in.Charged = Charged(p, d, c)
	kind := fees.CountedAs(in)
	why := reminderFeeRefused(p, d, c, kind, on)
	if why == "" && step.FixedFee == "" {
		why = heavySalaryRefused(p, c, kind, on)
	}
	if why != "" {
		return Fee{Amount: money.Zero(c.Currency), Kind: kind, Basis: why}, nil
	}
	amt, err := fees.Compute(in)
	if err != nil {
		return Fee{}, err
	}
	return Fee{Amount: amt, Kind: kind, Basis: feeBasis(p.Jurisdiction, kind, step.FixedFee != "")}, nil
}

// reminderFeeRefused says why the law allows no reminder-type fee on a
// letter sent on day on ("": it allows one): Norway only on a reminder sent
// at least 14 days after the due date (inkassoforskriften § 1-2); Finnish
// consumers likewise, and 14 days after the previous reminder fee
// (perintälaki 10 e §); Sweden only when agreed when the debt arose (lag
// om ersättning för inkassokostnader m.m. 2 §).
func reminderFeeRefused(p *Policy, d *Debtor, c *Claim, kind fees.Kind, on time.Time) string {
	if kind != fees.Reminder {
		return ""
	}
	m := MinimumsOn(p.Jurisdiction, legalDay(p, on))
	sent := civil.Of(on, location(p))
	business := d != nil && d.Business
	consumerRule := p.Jurisdiction != "FI" || !business
	if n := m.ReminderFeeAfterDueDays; n > 0 && consumerRule && sent.Before(c.DueDate.AddDays(n)) {
		return fmt.Sprintf("no reminder fee: sent %s, less than %d days after the due date %s", sent, n, c.DueDate)
	}
	if n := m.ReminderFeeGapDays; n > 0 && consumerRule {
		for _, h := range c.State.History {
			if h.HasFee && h.Fee.IsPositive() && kindOf(p, d, h.Step, h.FeeKind) == fees.Reminder {
				if last := civil.Of(h.Time, location(p)); sent.Before(last.AddDays(n)) {
					return fmt.Sprintf("no reminder fee: less than %d days after the reminder fee of %s", n, last)
				}
			}
		}
	}
	if m.ReminderFeeNeedsAgreement {
		agreed := d != nil && d.ReminderFeeAgreed
		if c.ReminderFeeAgreed != nil {
			agreed = *c.ReminderFeeAgreed
		}
		if !agreed {
			return "no reminder fee: not agreed when the debt arose (spec.reminderFeeAgreed of the claim or debtor)"
		}
	}
	return ""
}

// fixedReminderFee is a policy's fixed amount on a Reminder-phase step:
// still a reminder fee in law, so never more than the reminder fee the law
// (or the policy's reminderFee override) allows the claim that day, under
// the same conditions (Norway: 14 days after the due date, two per claim;
// Sweden: agreed when the debt arose, once; Finland: the gaps and caps).
func fixedReminderFee(p *Policy, d *Debtor, c *Claim, step Step, principal money.Money, on time.Time) (Fee, error) {
	fixed, err := money.Parse(step.FixedFee, c.Currency)
	if err != nil {
		return Fee{}, fmt.Errorf("fixed fee of step %q: %w", step.Name, err)
	}
	statutory := step
	statutory.FixedFee, statutory.Fee = "", fees.Reminder
	a, err := Allowance(p, d, c, statutory, principal, on)
	if err != nil {
		return Fee{}, err
	}
	switch {
	case !a.Amount.IsPositive():
		return a, nil // the law allows no reminder fee now: a.Basis says why
	case fixed.Cmp(a.Amount) > 0:
		a.Basis = fmt.Sprintf("the step's fixed fee %s %s, capped at the reminder fee the law allows: %s", fixed, c.Currency, a.Basis)
		return a, nil
	}
	return Fee{Amount: fixed, Kind: a.Kind, Basis: "fixed fee of the policy step, within the reminder fee the law allows"}, nil
}

// heavySalaryRefused says why the law allows no heavy salær for the claim
// on day on ("": it allows it): only once the deadline of the claim's own
// payment demand is overrun by more than 28 days (inkassoforskriften
// § 2-3). A claim collected alone has it by its policy's timing (checked
// when the policy is admitted); one that joined a case after its own
// demand follows the case's timing, which may come sooner.
func heavySalaryRefused(p *Policy, c *Claim, kind fees.Kind, on time.Time) string {
	m := MinimumsOn(p.Jurisdiction, legalDay(p, on))
	if kind != fees.HeavySalary || m.HeavyAfterDemandDeadlineDays <= 0 {
		return ""
	}
	var demandAt time.Time
	deadline := 0
	for _, h := range c.State.History {
		if s, ok := p.StepNamed(h.Step); ok && s.Fee == fees.LightSalary && s.FixedFee == "" {
			demandAt, deadline = h.Time, s.PaymentDeadlineDays
		}
	}
	if demandAt.IsZero() {
		return "no heavy salær: the claim has had no payment demand of its own"
	}
	loc := location(p)
	from := civil.Of(demandAt, loc).AddDays(deadline + m.HeavyAfterDemandDeadlineDays + 1)
	if sent := civil.Of(on, loc); sent.Before(from) {
		return fmt.Sprintf("no heavy salær: %s is not more than %d days after the deadline of the claim's payment demand of %s (from %s)",
			sent, m.HeavyAfterDemandDeadlineDays, civil.Of(demandAt, loc), from)
	}
	return ""
}

// legalDay is the day on falls on where the policy collects, as the dated
// tables (fees, minimums) name their days at midnight UTC: a figure in
// force from 1 January applies from midnight in Oslo, not from 01:00.
func legalDay(p *Policy, on time.Time) time.Time {
	return civil.Of(on, location(p)).Midnight(time.UTC)
}

// caseCharged is what the case's own records charged, by kind.
func caseCharged(p *Policy, d *Debtor, c *Case) fees.Charged {
	out := fees.Charged{Salary: money.Zero(c.Currency), Total: money.Zero(c.Currency)}
	for _, h := range c.History {
		if !h.Fee.IsPositive() || h.Fee.Currency != c.Currency {
			continue
		}
		count(&out, kindOf(p, d, h.Step, h.FeeKind), h.Fee)
	}
	return out
}

// SplitCapped divides a case fee over its claims in proportion to their
// principals (fees.Split), then caps each part at the claim's own
// allowance; what a capped claim cannot carry goes to the others in
// proportion, up to their allowances, and the rest is not charged. So no
// claim ever pays more than it would alone, and the case never more than
// its fee.
func SplitCapped(fee money.Money, principals, caps []money.Money) ([]money.Money, error) {
	if len(caps) != len(principals) {
		return nil, fmt.Errorf("%d caps for %d claims", len(caps), len(principals))
	}
	shares, err := fees.Split(fee, principals)
	if err != nil {
		return nil, err
	}
	for range len(shares) {
		excess := money.Zero(fee.Currency)
		var open []int
		for i := range shares {
			if shares[i].Cmp(caps[i]) > 0 {
				excess = excess.Add(shares[i].Sub(caps[i]))
				shares[i] = caps[i]
			} else if shares[i].Cmp(caps[i]) < 0 {
				open = append(open, i)
			}
		}
		if !excess.IsPositive() || len(open) == 0 {
			break
		}
		weights := make([]money.Money, len(open))
		for k, i := range open {
			weights[k] = principals[i]
		}
		extra, err := fees.Split(excess, weights)
		if err != nil {
			return nil, err
		}
		for k, i := range open {
			shares[i] = shares[i].Add(extra[k])
		}
	}
	for i := range shares {
		if shares[i].Cmp(caps[i]) > 0 {
			shares[i] = caps[i] // what no claim can carry is not charged
		}
		if shares[i].Amount.LessThan(decimal.Zero) {
			shares[i] = money.Zero(fee.Currency)
		}
	}
	return shares, nil
}
