package collection

import (
	"strings"
	"testing"
	"time"
)

// The statutory minimums of shared/domain.md: NO 14 days to pay a notice
// and a demand, a demand only after the notice's deadline, heavy salær more
// than 28 days after the demand's deadline, a demand names the creditor;
// SE 8 days for the inkassokrav; FI letters that charge at least 10 days
// apart. Each broken rule is reported naming the step.
func TestValidatePolicy(t *testing.T) {
	on := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		policy   func() *Policy
		creditor string
		want     []string // substrings of the problems, in order; none: valid
	}{
		{"kravia sample", kraviaPolicy, "Acme AS", nil},
		{"collectors sample", collectorsPolicy, "Acme AS", nil},
		{"sweden sample", swedenPolicy, "", nil},
		{"finland sample", finlandPolicy, "", nil},
		{"NO notice with 13 days", func() *Policy {
			p := kraviaPolicy()
			p.Steps[1].PaymentDeadlineDays = 13
			return p
		}, "Acme AS", []string{`step "collection-notice": paymentDeadlineDays 13 is below the statutory 14`}},
		{"NO demand before the notice's deadline ran out", func() *Policy {
			p := kraviaPolicy()
			p.Timing.Steps[2].MinGapDays = 13
			return p
		}, "Acme AS", []string{`step "payment-demand": a payment demand comes only after the collection notice's 14-day deadline`}},
		{"NO demand without a creditor", kraviaPolicy, "", []string{`step "payment-demand": a payment demand must name the creditor`}},
		{"NO heavy salær 28 days after the demand's deadline", func() *Policy {
			p := kraviaPolicy()
			p.Timing.Steps[9].MinGapDays = 2 // 7+3+8+9+11+2+2 = 42 days after the demand: deadline 14 + 28, not more
			return p
		}, "Acme AS", []string{`step "handover": heavy salær only when the demand's 14-day deadline is overrun by more than 28 days`}},
		{"SE inkassokrav with 7 days", func() *Policy {
			p := swedenPolicy()
			p.Steps[1].PaymentDeadlineDays = 7
			return p
		}, "", []string{`step "collection-demand": a demand (fee LightSalary) must give at least 8 days`}},
		{"FI letters 9 days apart", func() *Policy {
			p := finlandPolicy()
			p.Timing.Steps[1].MinGapDays = 9
			return p
		}, "", []string{`step "second-reminder": letters that charge the debtor must be at least 10 days apart`}},
		// Issue 20: a fixed fee of 250,000 on a 100 NOK claim made the
		// letter demand 250 101,02 NOK.
		{"NO fixed fee of 250,000", func() *Policy {
			p := kraviaPolicy()
			p.Steps[0].Fee, p.Steps[0].FixedFee = "", "250000.00"
			return p
		}, "Acme AS", []string{`spec.steps[0].fee 250000.00 exceeds 20250.00 NOK`}},
		{"NO fixed fee at the ceiling", func() *Policy {
			p := kraviaPolicy()
			p.Steps[0].Fee, p.Steps[0].FixedFee = "", "20250"
			return p
		}, "Acme AS", nil},
		{"SE fixed plan fee over the ceiling", func() *Policy {
			p := swedenPolicy()
			p.PlanFee = "450.01"
			return p
		}, "", []string{`spec.paymentPlans.fee 450.01 exceeds 450.00 SEK`}},
		{"FI reminder fee override over the ceiling", func() *Policy {
			p := finlandPolicy()
			p.Fees.ReminderFee = "1000"
			return p
		}, "", []string{`spec.overrides.reminderFee 1000 exceeds 210.00 EUR`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ValidatePolicy(tc.policy(), tc.creditor, on)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %+v, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Reason != "InvalidPolicy" || !strings.Contains(got[i].Message, w) {
					t.Errorf("problem %d: %s: %s, want InvalidPolicy containing %q", i, got[i].Reason, got[i].Message, w)
				}
			}
		})
	}
}
