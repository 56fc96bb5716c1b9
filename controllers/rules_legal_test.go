// Issue 19: the rules of shared/domain.md on every path, each on the fake
// clock against a real apiserver. The expected figures come from domain.md
// and the law's wording. (The file sorts after money_integration_test.go,
// which needs the shared clock before a fixed date.)
package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func historyEntry(c *inkassov1.Claim, step string) *inkassov1.HistoryEntry {
	for i := range c.Status.History {
		if c.Status.History[i].Step == step {
			return &c.Status.History[i]
		}
	}
	return nil
}

func readyOf(c *inkassov1.Claim) metav1.Condition {
	if r := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionReady); r != nil {
		return *r
	}
	return metav1.Condition{}
}

// 1. A claim that joins its debtor's case after the case sent its
// collection notice gets its own collection notice (inkassoloven § 9) with
// 14 days to pay before any payment demand or salær (§ 10).
func TestLateJoinerGetsItsOwnCollectionNotice(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "late", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "first", "late", "1000.00", -2), claimDue(ns, "joiner", "late", "3000.00", 20))
	driveAllToEnd(t, ns, "first", "joiner")
	j := getClaim(t, ns, "joiner")
	notice, demand := historyEntry(j, "collection-notice"), historyEntry(j, "payment-demand")
	if notice == nil || demand == nil {
		t.Fatalf("joiner history %s: want its own collection notice and then a payment demand", feesOf(j))
	}
	if demand.Time.Before(&metav1.Time{Time: notice.Time.AddDate(0, 0, 14)}) {
		t.Errorf("payment demand on %v, less than 14 days after the joiner's collection notice on %v", demand.Time, notice.Time)
	}
	for _, h := range j.Status.History {
		if h.FeeKind == "LightSalary" || h.FeeKind == "HeavySalary" {
			if h.Time.Before(&demand.Time) || (h.FeeKind == "LightSalary" && h.Step != "payment-demand") {
				t.Errorf("salær on step %s at %v before the joiner's own payment demand", h.Step, h.Time)
			}
		}
	}
}

// 2. Norway: a reminder-type fee only on a reminder sent at least 14 days
// after the due date (inkassoforskriften § 1-2). Sweden: the reminder fee
// only when agreed when the debt arose (claim or debtor says so).
func TestReminderFeeOnlyWhenTheLawAllowsIt(t *testing.T) {
	ns := newNamespace(t)
	no := smallPolicy(ns, "no-reminders", "NO",
		inkassov1.PolicyStep{Name: "early", Phase: "Reminder", AfterDueDays: 1, Channels: []string{"letter"}, Fee: "Reminder", PaymentDeadlineDays: 14},
		inkassov1.PolicyStep{Name: "on-time", Phase: "Reminder", AfterDueDays: 14, MinGapDays: 13, Channels: []string{"letter"}, Fee: "Reminder", PaymentDeadlineDays: 14})
	se := smallPolicy(ns, "se-reminder", "SE", step("paminnelse", "Reminder", 8, "Reminder"))
	agreed := debtor(ns, "agreed", inkassov1.DebtorConsumer)
	agreed.Spec.Country, agreed.Spec.ReminderFeeAgreed = "SE", ptr.To(true)
	plain := debtor(ns, "plain", inkassov1.DebtorConsumer)
	plain.Spec.Country = "SE"
	create(t, no, se, logChannel(ns, "letter"), debtor(ns, "nora", inkassov1.DebtorConsumer), agreed, plain)
	byClaim := claimIn(ns, "se-claim-agreed", "plain", "1000.00", "SEK", "se-reminder", -1)
	byClaim.Spec.ReminderFeeAgreed = ptr.To(true)
	create(t, claimIn(ns, "no-1", "nora", "1000.00", "NOK", "no-reminders", -1),
		claimIn(ns, "se-none", "plain", "1000.00", "SEK", "se-reminder", -1),
		claimIn(ns, "se-debtor-agreed", "agreed", "1000.00", "SEK", "se-reminder", -1), byClaim)
	driveAllToEnd(t, ns, "no-1", "se-none", "se-debtor-agreed", "se-claim-agreed")
	for name, want := range map[string]string{
		"no-1":             "early=0.00 on-time=37.50", // 1/20 of the 2026 sats (750)
		"se-none":          "paminnelse=0.00",
		"se-debtor-agreed": "paminnelse=60.00",
		"se-claim-agreed":  "paminnelse=60.00",
	} {
		if got := feesOf(getClaim(t, ns, name)); got != want {
			t.Errorf("claim %s: %s, want %s", name, got, want)
		}
	}
}

// 3. The free-cancellation window (seed 004: 10 days) runs from the
// transfer, and the creditor's Transferred notice names its last day: a
// withdrawal that day costs the creditor nothing, the day after it pays
// the fees left unpaid.
func TestFreeCancellationRunsFromTheTransfer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicyFile(t, ns, "collectors"), logChannel(ns, "letter"), debtor(ns, "fc", inkassov1.DebtorConsumer))
	// Due 20 days ago: the first step after the transfer may charge its
	// reminder fee (sent at least 14 days after the due date).
	create(t, claimIn(ns, "free", "fc", "1000.00", "NOK", "collectors", -20), claimIn(ns, "costly", "fc", "1000.00", "NOK", "collectors", -20))
	// Both warn their creditor before the clock moves, so both are
	// transferred, and take the case's reminder, together (its fee split 1:1).
	waitWarned(t, ns, "free", "costly")
	for _, n := range []string{"free", "costly"} {
		driveToStep(t, ns, n, "reminder") // the first step past the reminders: the transfer
	}
	if a, b := getClaim(t, ns, "free").Status.CaseID, getClaim(t, ns, "costly").Status.CaseID; a == "" || a != b {
		t.Fatalf("free in case %q, costly in case %q: want both in one case", a, b)
	}
	transfer := historyEntry(getClaim(t, ns, "free"), "reminder").Time.Time.In(oslo)
	lastFree := transfer.AddDate(0, 0, 9).Format(time.DateOnly)
	// The claim tells the creditor in the write that takes its case's
	// transfer step; wait for that write to be visible.
	eventually(t, 10*time.Second, func() error {
		var notices inkassov1.NoticeList
		if err := k8s.List(ctx, &notices, client.InNamespace(ns)); err != nil {
			return err
		}
		var bodies []string
		for _, n := range notices.Items {
			if n.Spec.Step != "creditor-transferred" {
				continue
			}
			if strings.Contains(n.Spec.Body, lastFree) {
				return nil
			}
			bodies = append(bodies, n.Name+": "+n.Spec.Body)
		}
		return fmt.Errorf("no Transferred notice to the creditor names %s (transfer %s + 10 days, that day included); creditor-transferred notices: %q",
			lastFree, transfer.Format(time.DateOnly), bodies)
	})
	last, _ := time.ParseInLocation(time.DateOnly, lastFree, oslo)
	fclock.SetTime(last.Add(22 * time.Hour))
	mustPatchClaim(t, ns, "free", `{"spec":{"withdraw":true}}`)
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "free")
		if c.Status.Phase != inkassov1.PhaseWithdrawn || c.Status.Balance.CreditorCharge != "0.00" {
			return fmt.Errorf("withdrawn on the last free day: phase %s, creditor charge %q, want Withdrawn and 0.00", c.Status.Phase, c.Status.Balance.CreditorCharge)
		}
		return nil
	})
	fclock.SetTime(last.Add(24*time.Hour + time.Hour))
	mustPatchClaim(t, ns, "costly", `{"spec":{"withdraw":true}}`)
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "costly")
		// Its share of the case's reminder fee: 37.50 (1/20 of 750) split 1:1.
		if c.Status.Phase != inkassov1.PhaseWithdrawn || c.Status.Balance.CreditorCharge != "18.75" {
			return fmt.Errorf("withdrawn the day after: phase %s, creditor charge %q, want its unpaid fee share 18.75", c.Status.Phase, c.Status.Balance.CreditorCharge)
		}
		return nil
	})
}

// 4. A claim whose principal after credit notes is zero ends (Credited),
// leaves its case and is charged nothing more; the debtor owes nothing, and
// the fees already incurred go to the creditor outside the free window
// (seed 004: crediting after transfer stops collection, "restbeløpet og
// eventuelle gebyrer vil bli belastet deg").
func TestFullyCreditedClaimEnds(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "cr", inkassov1.DebtorConsumer), claimDue(ns, "credited", "cr", "1000.00", -1))
	c := driveToStep(t, ns, "credited", "collection-notice")
	steps := len(c.Status.History)
	fclock.SetTime(historyEntry(c, "collection-notice").Time.Time.AddDate(0, 0, 11)) // past the free window
	mustPatchClaim(t, ns, "credited", `{"spec":{"suspend":true}}`)
	eventually(t, 10*time.Second, func() error {
		if p := getClaim(t, ns, "credited").Status.Phase; p != inkassov1.PhaseSuspended {
			return fmt.Errorf("phase %s", p)
		}
		return nil
	})
	today := fclock.Now().In(oslo).Format(time.DateOnly)
	mustPatchClaim(t, ns, "credited", `{"spec":{"credits":[{"id":"cn-1","amount":"1000.00","date":"`+today+`"}]}}`)
	mustPatchClaim(t, ns, "credited", `{"spec":{"suspend":false}}`)
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "credited")
		if c.Status.Phase != inkassov1.PhaseCredited {
			return fmt.Errorf("phase %s (%s), want Credited", c.Status.Phase, readyOf(c).Message)
		}
		return nil
	})
	c = getClaim(t, ns, "credited")
	if len(c.Status.History) != steps || c.Status.NextStep != "" {
		t.Errorf("history %s, next %q: want nothing after the credit note", feesOf(c), c.Status.NextStep)
	}
	if b := c.Status.Balance; b.Outstanding != "0.00" || b.CreditorCharge != "37.50" {
		t.Errorf("balance %+v: want nothing owed by the debtor and the notice fee 37.50 charged to the creditor", b)
	}
}

// 5. The Escalate step's fee only on the branch taken: Kronofogden's fee
// (300 SEK, the Swedish sample's payment order) for a claim handed to
// Legal, none for one sent to Surveillance.
func TestEscalationFeeOnlyOnTheBranchTaken(t *testing.T) {
	ns := newNamespace(t)
	a, b := debtor(ns, "solvent", inkassov1.DebtorConsumer), debtor(ns, "insolvent", inkassov1.DebtorConsumer)
	a.Spec.Country, b.Spec.Country = "SE", "SE"
	create(t, samplePolicyFile(t, ns, "sweden"), logChannel(ns, "letter"), logChannel(ns, "sms"), a, b)
	legal := claimIn(ns, "to-legal", "solvent", "5000.00", "SEK", "sweden", -1)
	legal.Spec.CreditDecision = inkassov1.CreditSolvent
	surv := claimIn(ns, "to-surveillance", "insolvent", "5000.00", "SEK", "sweden", -1)
	surv.Spec.CreditDecision = inkassov1.CreditInsolvent
	create(t, legal, surv)
	driveAllToEnd(t, ns, "to-legal", "to-surveillance")
	if h := historyEntry(getClaim(t, ns, "to-legal"), "payment-order"); h == nil || h.Fee != "300.00" || h.Phase != inkassov1.PhaseLegal {
		t.Errorf("solvent claim's payment order %+v: want Legal with Kronofogden's 300.00", h)
	}
	if h := historyEntry(getClaim(t, ns, "to-surveillance"), "payment-order"); h == nil || h.Fee != "0.00" || h.Phase != inkassov1.PhaseSurveillance {
		t.Errorf("insolvent claim's payment order %+v: want Surveillance and no fee", h)
	}
}

// 6. A notice's deadline counts from when it is released to its channel
// (held by the weekly contact cap here), never shorter than the step's 14
// days, and moves to the next bank day.
func TestPayByCountsFromTheRelease(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "capped", "NO",
		inkassov1.PolicyStep{Name: "sms", Phase: "Reminder", AfterDueDays: 13, Channels: []string{"letter"}, Fee: "None"},
		inkassov1.PolicyStep{Name: "collection-notice", Phase: "Collection", AfterDueDays: 14, MinGapDays: 1, Channels: []string{"letter"}, Fee: "Reminder", PaymentDeadlineDays: 14})
	p.Spec.ContactWindows = &inkassov1.ContactWindows{MaxPerWeek: 1}
	create(t, p, logChannel(ns, "letter"), debtor(ns, "held", inkassov1.DebtorConsumer), claimIn(ns, "h", "held", "1000.00", "NOK", "capped", -1))
	c := driveToStep(t, ns, "h", "collection-notice")
	n := getNotice(t, ns, historyEntry(c, "collection-notice").Notices[0])
	if n.Spec.NotBefore == nil || n.Spec.PayBy == "" {
		t.Fatalf("notice %s: notBefore %v payBy %q", n.Name, n.Spec.NotBefore, n.Spec.PayBy)
	}
	released := n.Spec.NotBefore.Time.In(oslo)
	if !released.After(historyEntry(c, "collection-notice").Time.Time.Add(24 * time.Hour)) {
		t.Fatalf("the weekly cap did not hold the notice: released %v", released)
	}
	min := released.AddDate(0, 0, 14).Format(time.DateOnly)
	if string(n.Spec.PayBy) < min {
		t.Errorf("pay by %s, less than 14 days after the notice's release on %s", n.Spec.PayBy, released.Format(time.DateOnly))
	}
	if d, _ := time.Parse(time.DateOnly, string(n.Spec.PayBy)); d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		t.Errorf("pay by %s falls on a %s", n.Spec.PayBy, d.Weekday())
	}
}

// 7. A payment plan's fee (Sweden: 170 SEK) only on a debt in collection,
// and in the balance with the plan's first write.
func TestPaymentPlanFeeOnlyInCollection(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicyFile(t, ns, "sweden")
	p.Spec.PaymentPlans = &inkassov1.PaymentPlans{Fee: "Statutory"}
	d := debtor(ns, "pp", inkassov1.DebtorConsumer)
	d.Spec.Country = "SE"
	create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), d)
	create(t, claimIn(ns, "early", "pp", "5000.00", "SEK", "sweden", 5), claimIn(ns, "collecting", "pp", "5000.00", "SEK", "sweden", -1))
	driveToStep(t, ns, "collecting", "collection-demand")
	plan := func(first string) string {
		return `{"spec":{"paymentPlan":{"installments":[{"dueDate":"` + first + `","amount":"2600.00"},{"dueDate":"` +
			fclock.Now().AddDate(0, 2, 0).Format(time.DateOnly) + `","amount":"2600.00"}]}}}`
	}
	next := fclock.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	mustPatchClaim(t, ns, "early", plan(next))
	mustPatchClaim(t, ns, "collecting", plan(next))
	eventually(t, 10*time.Second, func() error {
		e, c := getClaim(t, ns, "early"), getClaim(t, ns, "collecting")
		if e.Status.PaymentPlan == nil || c.Status.PaymentPlan == nil {
			return fmt.Errorf("plans not agreed yet")
		}
		if e.Status.PaymentPlan.Fee != "0.00" {
			return fmt.Errorf("a plan before the claim is in collection charged %s", e.Status.PaymentPlan.Fee)
		}
		if c.Status.PaymentPlan.Fee != "170.00" {
			return fmt.Errorf("plan fee in collection %s, want 170.00", c.Status.PaymentPlan.Fee)
		}
		if !slices.ContainsFunc(c.Status.Ledger, func(l inkassov1.LedgerEntry) bool { return l.Ref == "payment-plan" && l.Amount == "170.00" }) {
			return fmt.Errorf("the plan fee is not in the balance written with the plan: %+v", c.Status.Ledger)
		}
		return nil
	})
}

// 8. Late interest is simple interest on the principal only: 1,007 NOK at
// 12 % for 45 days is 1007 × 0.12 × 45/365 = 14.898 → 14.90, whether or not
// fees were booked in between.
func TestInterestIndependentOfFeeBookings(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "rate12", "NO",
		step("notice", "Collection", 14, "Reminder"),
		inkassov1.PolicyStep{Name: "demand", Phase: "Collection", AfterDueDays: 28, MinGapDays: 14, Channels: []string{"letter"}, Fee: "LightSalary", PaymentDeadlineDays: 14})
	p.Spec.Overrides = &inkassov1.Overrides{LateInterestRate: "12.00"}
	quiet := smallPolicy(ns, "rate12-nofees", "NO", step("notice", "Collection", 14, "None"))
	quiet.Spec.Overrides = &inkassov1.Overrides{LateInterestRate: "12.00"}
	create(t, p, quiet, logChannel(ns, "letter"), debtor(ns, "rate", inkassov1.DebtorConsumer))
	create(t, claimIn(ns, "with-fees", "rate", "1007.00", "NOK", "rate12", -1), claimIn(ns, "no-fees", "rate", "1007.00", "NOK", "rate12-nofees", -1))
	driveToStep(t, ns, "with-fees", "demand")
	due, _ := time.ParseInLocation(time.DateOnly, string(getClaim(t, ns, "with-fees").Spec.DueDate), oslo)
	fclock.SetTime(due.AddDate(0, 0, 45).Add(12 * time.Hour))
	for _, n := range []string{"with-fees", "no-fees"} {
		mustPatchClaim(t, ns, n, `{"metadata":{"annotations":{"poke":"1"}},"spec":{"payments":[{"id":"p0","amount":"1.00","date":"`+due.AddDate(0, 0, 45).Format(time.DateOnly)+`"}]}}`)
	}
	eventually(t, 10*time.Second, func() error {
		for _, n := range []string{"with-fees", "no-fees"} {
			c := getClaim(t, ns, n)
			var accrued string
			for _, l := range c.Status.Ledger {
				if l.Kind == "Payment" {
					accrued = l.ToInterest
				}
			}
			if c.Status.Balance == nil || c.Status.Balance.AsOf != due.AddDate(0, 0, 45).Format(time.DateOnly) {
				return fmt.Errorf("claim %s balance %+v not yet at day 45", n, c.Status.Balance)
			}
			if c.Status.Balance.Interest != "14.90" {
				return fmt.Errorf("claim %s interest %s after 45 days (payment took %s to interest), want 14.90", n, c.Status.Balance.Interest, accrued)
			}
		}
		return nil
	})
}

// 9. Every payment reference printed for a claim stays valid: after it
// joins its debtor's case, status.paymentReferences still lists the one
// its own reminder printed.
func TestPaymentReferencesStayValid(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "refs", inkassov1.DebtorConsumer), claimDue(ns, "r1", "refs", "1000.00", -2), claimDue(ns, "r2", "refs", "2000.00", -2))
	c := driveToStep(t, ns, "r1", "reminder")
	own := getNotice(t, ns, historyEntry(c, "reminder").Notices[0]).Spec.PaymentReference
	c = driveToStep(t, ns, "r1", "collection-notice")
	if c.Status.PaymentReference == own {
		t.Fatalf("the case's reference is the claim's own (%s): nothing to check", own)
	}
	if !slices.Contains(c.Status.PaymentReferences, own) || !slices.Contains(c.Status.PaymentReferences, c.Status.PaymentReference) {
		t.Errorf("status.paymentReferences %v: want the reminder's %s and the case's %s", c.Status.PaymentReferences, own, c.Status.PaymentReference)
	}
}

// 10. A policy that breaks a statutory gap no single step shows (here the
// payment demand 13 days after a notice giving 14) stalls its claims with
// reason InvalidPolicy naming the step; nothing is sent.
func TestPolicyBreakingAStatutoryGapStalls(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "too-fast", "NO", step("notice", "Collection", 14, "Reminder"),
		inkassov1.PolicyStep{Name: "demand", Phase: "Collection", AfterDueDays: 27, MinGapDays: 13, Channels: []string{"letter"}, Fee: "LightSalary", PaymentDeadlineDays: 14})
	create(t, p, logChannel(ns, "letter"), debtor(ns, "gap", inkassov1.DebtorConsumer), claimIn(ns, "g", "gap", "1000.00", "NOK", "too-fast", -20))
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "g")
		s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled)
		if s == nil || s.Reason != "InvalidPolicy" || !strings.Contains(s.Message, `step "demand"`) || !strings.Contains(s.Message, "inkassoloven § 10") {
			return fmt.Errorf("conditions %v: want Stalled/InvalidPolicy naming step demand", c.Status.Conditions)
		}
		if len(c.Status.History) != 0 {
			return fmt.Errorf("steps taken under an invalid policy: %s", feesOf(c))
		}
		return nil
	})
}

// 11. Limitation (foreldelsesloven): 3 years from the due date, restarted
// by a written acknowledgement (§ 14), and 10 years after a judgment (§ 21).
func TestJudgmentAndAcknowledgementRestartLimitation(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"), debtor(ns, "old", inkassov1.DebtorConsumer))
	now := fclock.Now().In(oslo)
	old := func(name string) *inkassov1.Claim {
		c := claimDue(ns, name, "old", "1000.00", 0)
		c.Spec.DueDate = inkassov1.Date(now.AddDate(-4, 0, 0).Format(time.DateOnly))
		c.Spec.InvoiceDate = inkassov1.Date(now.AddDate(-4, 0, -14).Format(time.DateOnly))
		return c
	}
	barred := old("barred")
	judged := old("judged")
	judged.Spec.Dispute = &inkassov1.Dispute{RaisedOn: inkassov1.Date(now.AddDate(-3, -6, 0).Format(time.DateOnly)), Resolution: inkassov1.DisputeCreditor,
		JudgmentDate: ptr.To(inkassov1.Date(now.AddDate(-2, 0, 0).Format(time.DateOnly)))}
	acked := old("acknowledged")
	acked.Spec.Acknowledgements = []inkassov1.Acknowledgement{{Date: inkassov1.Date(now.AddDate(-1, 0, 0).Format(time.DateOnly)), Note: "signed letter"}}
	create(t, barred, judged, acked)
	eventually(t, 10*time.Second, func() error {
		if p := getClaim(t, ns, "barred").Status.Phase; p != inkassov1.PhaseTimeBarred {
			return fmt.Errorf("claim due 4 years ago without acknowledgement: phase %s, want TimeBarred", p)
		}
		for _, n := range []string{"judged", "acknowledged"} {
			c := getClaim(t, ns, n)
			if c.Status.Phase == "" || c.Status.Phase == inkassov1.PhaseTimeBarred {
				return fmt.Errorf("claim %s: phase %q (%s), want it collected", n, c.Status.Phase, readyOf(c).Message)
			}
		}
		return nil
	})
}
