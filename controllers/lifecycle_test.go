package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// patchClaim applies a JSON merge patch to a claim.
func patchClaim(t *testing.T, ns, name, p string) error {
	t.Helper()
	return k8s.Patch(context.Background(), &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		client.RawPatch("application/merge-patch+json", []byte(p)))
}

func mustPatchClaim(t *testing.T, ns, name, p string) {
	t.Helper()
	if err := patchClaim(t, ns, name, p); err != nil {
		t.Fatal(err)
	}
}

// driveToStep moves the fake clock from step to step until the claim has
// recorded step.
func driveToStep(t *testing.T, ns, name, step string) *inkassov1.Claim {
	t.Helper()
	for range 40 {
		c := settledClaim(t, ns, name)
		if hasStep(c, step) {
			return c
		}
		if c.Status.NextStepAt == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		nextStep(t, ns, name, c)
	}
	t.Fatalf("claim %s never reached step %s", name, step)
	return nil
}

func hasStep(c *inkassov1.Claim, step string) bool {
	for _, h := range c.Status.History {
		if h.Step == step {
			return true
		}
	}
	return false
}

// advance moves the fake clock by d and waits until the claim satisfies ok.
func advance(t *testing.T, ns, name string, d time.Duration, ok func(*inkassov1.Claim) error) *inkassov1.Claim {
	t.Helper()
	if d > 0 {
		// Notices due before the jump go out first, as on a cluster where
		// the days pass (a jump over a pending one fails it by its deadline).
		target := fclock.Now().Add(d)
		waitNoticesDelivered(t, ns, target)
		fclock.SetTime(target)
	}
	var c *inkassov1.Claim
	eventually(t, 10*time.Second, func() error {
		wakeClaim(ns, name)
		c = getClaim(t, ns, name)
		return ok(c)
	})
	return c
}

func today(days int) string {
	return fclock.Now().In(oslo).AddDate(0, 0, days).Format(time.DateOnly)
}

// TestPaymentPlanStopsEscalationUntilAnInstallmentIsMissed: a plan agreed
// after the collection notice holds the claim in PaymentPlan while its
// installments are met; the missed second one breaks it, and collection
// resumes at the step it left (the payment demand), shifted by the time held.
func TestPaymentPlanStopsEscalationUntilAnInstallmentIsMissed(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "plan", inkassov1.DebtorConsumer), claimDue(ns, "pp", "plan", "2000.00", -1))
	c := driveToStep(t, ns, "pp", "collection-notice")
	if c.Status.NextStep != "payment-demand" {
		t.Fatalf("next step %q, want payment-demand", c.Status.NextStep)
	}
	demandAt := c.Status.NextStepAt.Time

	mustPatchClaim(t, ns, "pp", fmt.Sprintf(`{"spec":{"paymentPlan":{"installments":[{"dueDate":%q,"amount":"1000.00"},{"dueDate":%q,"amount":"1200.00"}]}}}`,
		today(10), today(40)))
	c = advance(t, ns, "pp", 0, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhasePaymentPlan || c.Status.NextStepAt != nil {
			return fmt.Errorf("phase %s next %v, want PaymentPlan without a timer", c.Status.Phase, c.Status.NextStepAt)
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionPaymentPlan, metav1.ConditionTrue, "OnTrack")
	})
	if c.Status.PaymentPlan == nil || *c.Status.PaymentPlan.Installment != 0 || c.Status.PaymentPlan.Fee != "0.00" {
		t.Errorf("plan status %+v: want installment 0 due, no fee under Norwegian law", c.Status.PaymentPlan)
	}

	// The first installment is paid on time; the demand does not go out on
	// its original date.
	mustPatchClaim(t, ns, "pp", fmt.Sprintf(`{"spec":{"payments":[{"id":"p1","amount":"1000.00","date":%q}]}}`, today(9)))
	c = advance(t, ns, "pp", 20*24*time.Hour, func(c *inkassov1.Claim) error {
		if c.Status.PaymentPlan == nil || c.Status.PaymentPlan.Installment == nil || *c.Status.PaymentPlan.Installment != 1 {
			return fmt.Errorf("plan %+v: want the second installment due", c.Status.PaymentPlan)
		}
		return nil
	})
	if fclock.Now().Before(demandAt) || hasStep(c, "payment-demand") || c.Status.Phase != inkassov1.PhasePaymentPlan {
		t.Fatalf("at %v (demand was due %v): phase %s, history %d: escalation must stop", fclock.Now(), demandAt, c.Status.Phase, len(c.Status.History))
	}

	// The second installment is missed: the plan breaks and the claim goes
	// back to the payment demand, later by the days it was held.
	c = advance(t, ns, "pp", 22*24*time.Hour, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhaseCollection || c.Status.NextStep != "payment-demand" || c.Status.NextStepAt == nil {
			return fmt.Errorf("phase %s next %q at %v, want Collection with payment-demand next", c.Status.Phase, c.Status.NextStep, c.Status.NextStepAt)
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionPaymentPlan, metav1.ConditionFalse, "InstallmentMissed")
	})
	if !strings.Contains(c.Status.PaymentPlan.Message, "installment 2 of 2") || c.Status.PausedDays < 40 {
		t.Errorf("plan message %q, paused %d days: want installment 2 missed after about 42 days held", c.Status.PaymentPlan.Message, c.Status.PausedDays)
	}
	if got := c.Status.NextStepAt.Sub(demandAt); got < 40*24*time.Hour {
		t.Errorf("payment demand moved by %v, want by the days held", got)
	}
	c = driveToStep(t, ns, "pp", "payment-demand")
	if c.Status.Balance.Paid != "1000.00" {
		t.Errorf("paid %s, want 1000.00", c.Status.Balance.Paid)
	}
}

// TestSwedishPlanFee: a policy charging the statutory plan fee charges 170 SEK once.
func TestSwedishPlanFee(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicyFile(t, ns, "sweden")
	p.Spec.PaymentPlans = &inkassov1.PaymentPlans{Fee: "Statutory", GraceDays: 3}
	d := debtor(ns, "sven", inkassov1.DebtorConsumer)
	d.Spec.Country, d.Spec.Language = "SE", "sv"
	cl := claimDue(ns, "se", "sven", "1500.00", -1)
	cl.Spec.Currency = "SEK"
	cl.Spec.PaymentPlan = &inkassov1.PaymentPlan{Installments: []inkassov1.Installment{{DueDate: inkassov1.Date(today(30)), Amount: "1500.00"}}}
	create(t, p, d, cl)
	for _, ch := range p.Spec.Steps {
		for _, name := range ch.Channels {
			_ = k8s.Create(context.Background(), logChannel(ns, name))
		}
	}
	// Agreed the day after the due date, before the claim is in collection:
	// the plan is the creditor's own arrangement and costs the debtor
	// nothing (the 170 SEK plan fee is a collection cost; a plan agreed in
	// collection pays it: TestPaymentPlanFeeOnlyInCollection).
	c := advance(t, ns, "se", 0, func(c *inkassov1.Claim) error {
		if c.Status.PaymentPlan == nil || c.Status.Balance == nil || c.Status.Phase != inkassov1.PhasePaymentPlan {
			return fmt.Errorf("plan %+v balance %+v phase %s: want the claim held by its plan", c.Status.PaymentPlan, c.Status.Balance, c.Status.Phase)
		}
		return nil
	})
	if c.Status.PaymentPlan.Fee != "0.00" || c.Status.Balance.Fees != "0.00" {
		t.Errorf("plan %+v balance %+v: want no plan fee before the claim is in collection", c.Status.PaymentPlan, c.Status.Balance)
	}
}

// TestCreditorNoticesOfSeed004: under the FakturaNett/Collectors-style
// policy the creditor is warned the day after the due date, the transfer
// waits five days after that warning, the creditor is told of the transfer
// and its free-cancellation window, and of the result when the claim is paid.
func TestCreditorNoticesOfSeed004(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicyFile(t, ns, "collectors")
	create(t, p, logChannel(ns, "letter"), debtor(ns, "kari", inkassov1.DebtorConsumer))
	cl := claimDue(ns, "fn", "kari", "800.00", 0)
	cl.Spec.InvoiceDate = inkassov1.Date(today(-20))
	create(t, cl)

	// Due today: at 09:00 tomorrow the creditor is warned.
	c := advance(t, ns, "fn", 0, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhasePending || c.Status.NextStepAt == nil {
			return fmt.Errorf("phase %s", c.Status.Phase)
		}
		return nil
	})
	tomorrow9 := time.Date(fclock.Now().In(oslo).Year(), fclock.Now().In(oslo).Month(), fclock.Now().In(oslo).Day()+1, 9, 0, 0, 0, oslo)
	fclock.SetTime(tomorrow9)
	c = advance(t, ns, "fn", 0, func(c *inkassov1.Claim) error {
		if len(c.Status.CreditorNotices) != 1 || c.Status.CreditorNotices[0].Event != inkassov1.CreditorOverdueWarning {
			return fmt.Errorf("creditor notices %+v, want the overdue warning", c.Status.CreditorNotices)
		}
		return nil
	})
	warning := getNotice(t, ns, c.Status.CreditorNotices[0].Notices[0])
	transferDay := tomorrow9.AddDate(0, 0, 5).Format(time.DateOnly)
	if warning.Spec.DebtorRef != nil || !strings.Contains(warning.Spec.Subject, transferDay) || warning.Spec.Language != "nb" {
		t.Errorf("warning notice: debtorRef %v, subject %q, language %s: want a Norwegian notice to the creditor naming %s",
			warning.Spec.DebtorRef, warning.Spec.Subject, warning.Spec.Language, transferDay)
	}
	// The first collection step waits for the warning period and its own offset (due + 11).
	if c.Status.NextStep != "reminder" || c.Status.NextStepAt.Time.Before(tomorrow9.AddDate(0, 0, 5)) {
		t.Errorf("next %s at %v: want reminder no earlier than %s", c.Status.NextStep, c.Status.NextStepAt, transferDay)
	}

	c = driveToStep(t, ns, "fn", "reminder")
	c = advance(t, ns, "fn", 0, func(c *inkassov1.Claim) error {
		if len(c.Status.CreditorNotices) != 2 || c.Status.CreditorNotices[1].Event != inkassov1.CreditorTransferred {
			return fmt.Errorf("creditor notices %+v, want the transfer notice", c.Status.CreditorNotices)
		}
		return nil
	})
	transfer := getNotice(t, ns, c.Status.CreditorNotices[1].Notices[0])
	if !strings.Contains(transfer.Spec.Body, "kostnadsfritt") {
		t.Errorf("transfer notice does not name the free-cancellation window:\n%s", transfer.Spec.Body)
	}

	mustPatchClaim(t, ns, "fn", fmt.Sprintf(`{"spec":{"payments":[{"id":"all","amount":"2000.00","date":%q}]}}`, today(0)))
	c = advance(t, ns, "fn", 0, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhasePaid || len(c.Status.CreditorNotices) != 3 {
			return fmt.Errorf("phase %s, creditor notices %d: want Paid and the result notice", c.Status.Phase, len(c.Status.CreditorNotices))
		}
		return nil
	})
	result := getNotice(t, ns, c.Status.CreditorNotices[2].Notices[0])
	if !strings.Contains(result.Spec.Subject, "Paid") || result.Spec.Amounts.Paid == "0.00" {
		t.Errorf("result notice %q paid %s", result.Spec.Subject, result.Spec.Amounts.Paid)
	}
}

func getNotice(t *testing.T, ns, name string) *inkassov1.Notice {
	t.Helper()
	var n inkassov1.Notice
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &n); err != nil {
		t.Fatalf("notice %s: %v", name, err)
	}
	return &n
}

// TestCreditNoteNeedsCollectionStopped: seed 004 — a credit note is only
// registered after collection is stopped; the apiserver refuses it before,
// naming the field and what to do.
func TestCreditNoteNeedsCollectionStopped(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "cn", inkassov1.DebtorConsumer), claimDue(ns, "cn", "cn", "1000.00", -1))
	driveToStep(t, ns, "cn", "collection-notice")

	credit := fmt.Sprintf(`{"spec":{"credits":[{"id":"kn-1","amount":"200.00","date":%q}]}}`, today(0))
	err := patchClaim(t, ns, "cn", credit)
	if err == nil || !strings.Contains(err.Error(), "spec.credits") || !strings.Contains(err.Error(), "spec.suspend") {
		t.Fatalf("credit note during collection: %v; want a refusal naming spec.credits and spec.suspend", err)
	}
	mustPatchClaim(t, ns, "cn", `{"spec":{"suspend":true}}`)
	mustPatchClaim(t, ns, "cn", credit)
	mustPatchClaim(t, ns, "cn", `{"spec":{"suspend":false}}`)
	c := advance(t, ns, "cn", 0, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhaseCollection || c.Status.Balance.Principal != "800.00" {
			return fmt.Errorf("phase %s principal %s: want Collection on 800.00", c.Status.Phase, c.Status.Balance.Principal)
		}
		return nil
	})
	// Re-applying the same credit note (an ERP sync) is not a change.
	if err := patchClaim(t, ns, "cn", credit); err != nil {
		t.Errorf("re-applying an unchanged credit note: %v", err)
	}
	_ = c
}

// TestSurveillanceRechecksAndBoundedHistory: an insolvent debtor's claim is
// re-checked every recheckDays in Surveillance; old re-checks fold into
// status.historySummary so history stays within historyLimit; a re-check that
// finds the debtor solvent hands the claim to Legal.
func TestSurveillanceRechecksAndBoundedHistory(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicy(t, ns)
	p.Spec.CreditAssessment = &inkassov1.CreditAssessment{DefaultDecision: inkassov1.CreditInsolvent, RecheckDays: 1}
	p.Spec.HistoryLimit = 20
	create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "poor", inkassov1.DebtorConsumer), claimDue(ns, "sv", "poor", "500.00", -1))
	c := driveToEnd(t, ns, "sv")
	if c.Status.Phase != inkassov1.PhaseSurveillance {
		t.Fatalf("phase %s, want Surveillance", c.Status.Phase)
	}
	steps := len(c.Status.History)
	for i := 0; i < 16; i++ {
		before := getClaim(t, ns, "sv")
		if before.Status.NextStep != "credit-recheck" || before.Status.NextStepAt == nil {
			t.Fatalf("in Surveillance next %q at %v, want a credit re-check", before.Status.NextStep, before.Status.NextStepAt)
		}
		fclock.SetTime(before.Status.NextStepAt.Time)
		last := before.Status.History[len(before.Status.History)-1].Time
		advance(t, ns, "sv", 0, func(c *inkassov1.Claim) error {
			if h := c.Status.History[len(c.Status.History)-1]; h.Step != "credit-recheck" || !h.Time.After(last.Time) {
				return fmt.Errorf("no new re-check after %v", last)
			}
			return nil
		})
	}
	c = getClaim(t, ns, "sv")
	if len(c.Status.History) > 20 || c.Status.HistorySummary == nil || int(c.Status.HistorySummary.Folded)+len(c.Status.History) != steps+16 {
		t.Fatalf("history %d entries, summary %+v: want at most 20 with the rest (%d) folded", len(c.Status.History), c.Status.HistorySummary, steps+16-20)
	}
	for _, s := range p.Spec.Steps {
		if !hasStep(c, s.Name) {
			t.Errorf("policy step %s was folded away; only re-checks may be", s.Name)
		}
	}

	mustPatchClaim(t, ns, "sv", `{"spec":{"creditDecision":"Solvent"}}`)
	fclock.SetTime(getClaim(t, ns, "sv").Status.NextStepAt.Time)
	c = advance(t, ns, "sv", 0, func(c *inkassov1.Claim) error {
		if c.Status.Phase != inkassov1.PhaseLegal {
			return fmt.Errorf("phase %s, want Legal after a solvent re-check", c.Status.Phase)
		}
		return nil
	})
	if h := c.Status.History[len(c.Status.History)-1]; !strings.Contains(h.Message, "Solvent (spec.creditDecision)") {
		t.Errorf("last entry %q", h.Message)
	}
}

// TestEscalationWaitsForTheCreditDecision: with decisionTimeoutDays the
// handover waits for spec.creditDecision; setting it lets the handover go at
// its own time.
func TestEscalationWaitsForTheCreditDecision(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicy(t, ns)
	p.Spec.CreditAssessment = &inkassov1.CreditAssessment{DefaultDecision: inkassov1.CreditInsolvent, RecheckDays: 180, DecisionTimeoutDays: 20}
	create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "wait", inkassov1.DebtorConsumer), claimDue(ns, "cd", "wait", "500.00", -1))
	c := driveToStep(t, ns, "cd", "credit-assessment")
	assessed := c.Status.History[len(c.Status.History)-1].Time.Time
	c = settledClaim(t, ns, "cd")
	if c.Status.NextStep != "handover" || c.Status.NextStepAt.Sub(assessed) < 19*24*time.Hour {
		t.Fatalf("handover at %v after an assessment at %v: want it to wait 20 days for a decision", c.Status.NextStepAt, assessed)
	}
	mustPatchClaim(t, ns, "cd", `{"spec":{"creditDecision":"Solvent"}}`)
	c = advance(t, ns, "cd", 0, func(c *inkassov1.Claim) error {
		if c.Status.NextStepAt == nil || c.Status.NextStepAt.Sub(assessed) > 4*24*time.Hour {
			return fmt.Errorf("handover at %v: want it at its own time once decided", c.Status.NextStepAt)
		}
		return nil
	})
	c = driveToEnd(t, ns, "cd")
	if c.Status.Phase != inkassov1.PhaseLegal {
		t.Errorf("phase %s, want Legal for a solvent debtor", c.Status.Phase)
	}
}

// TestContactWindowInTheDebtorsTimeZone: an SMS step that fires at 09:00 in
// Oslo reaches a debtor in New York no earlier than 08:00 New York time.
func TestContactWindowInTheDebtorsTimeZone(t *testing.T) {
	ns := newNamespace(t)
	d := debtor(ns, "nyc", inkassov1.DebtorConsumer)
	d.Spec.TimeZone = "America/New_York"
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		d, claimDue(ns, "ny", "nyc", "700.00", -1))
	c := driveToStep(t, ns, "ny", "sms-reminder")
	var sms *inkassov1.Notice
	for _, h := range c.Status.History {
		if h.Step == "sms-reminder" {
			sms = getNotice(t, ns, h.Notices[0])
		}
	}
	ny, _ := time.LoadLocation("America/New_York")
	if sms == nil || sms.Spec.NotBefore == nil {
		t.Fatalf("the SMS at 09:00 Oslo (03:00 in New York) has no notBefore: %+v", sms)
	}
	local := sms.Spec.NotBefore.In(ny)
	if local.Hour() < 8 || local.Hour() >= 21 || local.Weekday() == time.Sunday {
		t.Errorf("notBefore %v is outside the debtor's contact hours", local)
	}
}
