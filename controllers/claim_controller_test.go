package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/contact"
)

func TestClaimWalksEveryStepOfTheNorwegianPolicy(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	policy := samplePolicy(t, ns)
	create(t, policy, logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "ola", inkassov1.DebtorConsumer), debtor(ns, "fjordbygg", inkassov1.DebtorBusiness))
	consumer := claimDue(ns, "inv-1", "ola", "1250.00", 3)
	business := claimDue(ns, "inv-2", "fjordbygg", "18500.00", 3)
	business.Spec.CreditDecision = inkassov1.CreditSolvent
	create(t, consumer, business)

	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "inv-1")
		if c.Status.Phase != inkassov1.PhasePending {
			return fmt.Errorf("phase %q, want Pending before the due date", c.Status.Phase)
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "Pending")
	})

	driveAllToEnd(t, ns, "inv-1", "inv-2")
	final := map[string]inkassov1.ClaimPhase{"inv-1": inkassov1.PhaseSurveillance, "inv-2": inkassov1.PhaseLegal}
	for name, wantPhase := range final {
		c := driveToEnd(t, ns, name)
		if c.Status.Phase != wantPhase {
			t.Errorf("%s ended in %s, want %s", name, c.Status.Phase, wantPhase)
		}
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, string(wantPhase)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if condition(c.Status.Conditions, inkassov1.ConditionStalled) != nil || condition(c.Status.Conditions, inkassov1.ConditionReconciling) != nil {
			t.Errorf("%s: Stalled or Reconciling present on a finished claim: %v", name, c.Status.Conditions)
		}
		if len(c.Status.History) != len(policy.Spec.Steps) {
			t.Fatalf("%s: %d history entries, want one per step (%d)", name, len(c.Status.History), len(policy.Spec.Steps))
		}
		for i, h := range c.Status.History {
			step := policy.Spec.Steps[i]
			if h.Step != step.Name {
				t.Errorf("%s: history[%d] is %s, want %s", name, i, h.Step, step.Name)
			}
			if h.DueAt == nil || h.Time.Time.Before(h.DueAt.Time) {
				t.Errorf("%s: step %s fired at %v, before it was due (%v)", name, h.Step, h.Time, h.DueAt)
			}
			if len(h.Notices) != len(step.Channels) {
				t.Errorf("%s: step %s has notices %v, want one per channel %v", name, h.Step, h.Notices, step.Channels)
			}
			if i > 0 && h.Time.Time.Sub(c.Status.History[i-1].Time.Time) < time.Duration(step.MinGapDays)*24*time.Hour-time.Hour {
				t.Errorf("%s: step %s came %v after the previous one, gap is %d days", name, h.Step, h.Time.Sub(c.Status.History[i-1].Time.Time), step.MinGapDays)
			}
		}
		if c.Status.CollectionStartedAt == nil || c.Status.Step != "handover" {
			t.Errorf("%s: collectionStartedAt %v, step %q", name, c.Status.CollectionStartedAt, c.Status.Step)
		}
	}

	// Fees at the 2026 inkassosats (750): notice fee 1/20, light salær by
	// band; inv-1's debtor is assessed insolvent, so the handover sends it
	// to Surveillance, and the heavy salær of the Legal branch is not charged.
	c := getClaim(t, ns, "inv-1")
	fees := map[string]string{}
	for _, h := range c.Status.History {
		fees[h.Step] = h.Fee
	}
	for step, want := range map[string]string{"reminder": "0.00", "collection-notice": "37.50", "payment-demand": "300.00", "handover": "0.00"} {
		if fees[step] != want {
			t.Errorf("inv-1 fee at %s = %s, want %s", step, fees[step], want)
		}
	}
	// Late interest at 12.00 % (1H2026), actual/365, for the 74 days from the
	// day after due to the handover: 1250 x 12 x 74 / 36500 = 30.41.
	if b := c.Status.Balance; b == nil || b.Principal != "1250.00" || b.Fees != "337.50" || b.Interest != "30.41" || b.Outstanding != "1617.91" {
		t.Errorf("inv-1 balance %+v, want principal 1250.00 fees 337.50 interest 30.41 outstanding 1617.91", c.Status.Balance)
	}
	if c.Status.PaymentReference == "" || len(c.Status.PaymentReference) != 11 {
		t.Errorf("inv-1 payment reference %q, want an 11-digit KID", c.Status.PaymentReference)
	}
	// Business debtor, 18,500 NOK: light 1.60 x 750 x 1.5 = 1800.
	b := getClaim(t, ns, "inv-2")
	if got := b.Status.History[2].Fee; got != "1800.00" {
		t.Errorf("inv-2 light salær = %s, want 1800.00", got)
	}

	// Every notice of every step exists, is Sent by the log channel, and is
	// on disk. Those made on a Sunday waited for Monday's contact window.
	var notices inkassov1.NoticeList
	eventually(t, 10*time.Second, func() error {
		pokeChannels(t, ns, "letter", "sms", "phone")
		if err := k8s.List(ctx, &notices, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(notices.Items) != 16 {
			return fmt.Errorf("%d notices, want 8 per claim", len(notices.Items))
		}
		for _, n := range notices.Items {
			if err := expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, inkassov1.NoticeReasonSent); err != nil {
				return fmt.Errorf("notice %s: %w", n.Name, err)
			}
		}
		return nil
	})
	cal, _ := calendar.New("NO")
	stepTimes := map[string]time.Time{} // notice name -> when its step fired
	for _, name := range []string{"inv-1", "inv-2"} {
		for _, h := range getClaim(t, ns, name).Status.History {
			for _, nn := range h.Notices {
				stepTimes[nn] = h.Time.Time
			}
		}
	}
	for _, n := range notices.Items {
		if n.Spec.PayBy != "" {
			if d, err := civil.Parse(string(n.Spec.PayBy)); err != nil || !cal.IsBankDay(d) {
				t.Errorf("notice %s: pay-by %s is not a bank day", n.Name, n.Spec.PayBy)
			}
		}
		// A notice made outside the contact hours waits for the next window.
		made, ok := stepTimes[n.Name]
		if !ok {
			t.Errorf("notice %s is not in any claim's history", n.Name)
			continue
		}
		// notBefore is when it may first go out: at once inside the hours.
		want := contact.NextAllowed(made, oslo, contact.Default(), cal)
		if n.Spec.NotBefore == nil || !n.Spec.NotBefore.Equal(&metav1.Time{Time: want}) {
			t.Errorf("notice %s made at %v: notBefore %v, want %v", n.Name, made.In(oslo), n.Spec.NotBefore, want.In(oslo))
		}
		if nb := n.Spec.NotBefore; nb != nil && (n.Status.SentAt == nil || n.Status.SentAt.Before(nb)) {
			t.Errorf("notice %s sent at %v, before its notBefore %v", n.Name, n.Status.SentAt, nb)
		}
		if n.Status.ControllerName != inkassov1.ControllerLog || n.Status.Attempts != 1 || n.Status.SentAt == nil {
			t.Errorf("notice %s status %+v: want one attempt by %s", n.Name, n.Status, inkassov1.ControllerLog)
		}
		// Reminders belong to their claim; case steps' notices to the debtor, which runs the case.
		if owner := n.OwnerReferences; len(owner) != 1 || (owner[0].Name != n.Spec.ClaimRefs[0].Name && owner[0].Name != n.Spec.DebtorRef.Name) {
			t.Errorf("notice %s is owned by %v", n.Name, n.OwnerReferences)
		}
		body, err := os.ReadFile(filepath.Join(outbox, ns, n.Name+".txt"))
		if err != nil || !strings.Contains(string(body), "Idempotency-Key: "+n.Status.IdempotencyKey) {
			t.Errorf("outbox file of %s: %v %q", n.Name, err, body)
		}
	}

	// The debtors aggregate their claims.
	eventually(t, 10*time.Second, func() error {
		var d inkassov1.Debtor
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ola"}, &d); err != nil {
			return err
		}
		if d.Status.OpenClaims != 1 || d.Status.Phase != inkassov1.PhaseSurveillance ||
			len(d.Status.Outstanding) != 1 || d.Status.Outstanding[0].Amount != "1617.91" {
			return fmt.Errorf("debtor status %+v", d.Status)
		}
		return expectCondition(d.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "")
	})

	// Every transition is an event.
	eventually(t, 10*time.Second, func() error {
		var evs corev1.EventList // events.k8s.io events are readable through core/v1 too
		if err := k8s.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		steps := 0
		for _, e := range evs.Items {
			if e.InvolvedObject.Name == "inv-1" && e.Reason == "StepCompleted" {
				steps++
			}
		}
		if steps != len(policy.Spec.Steps) {
			return fmt.Errorf("%d StepCompleted events for inv-1, want %d", steps, len(policy.Spec.Steps))
		}
		return nil
	})
}

func TestLateClaimStartsAtTheFirstStepWithoutBurst(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "late", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "old", "late", "900.00", -60)) // due 60 days ago

	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "old")
		if len(c.Status.History) != 1 || c.Status.History[0].Step != "reminder" {
			return fmt.Errorf("history %v, want just the reminder", c.Status.History)
		}
		if c.Status.NextStep != "collection-notice" || c.Status.NextStepAt == nil ||
			c.Status.NextStepAt.Sub(c.Status.History[0].Time.Time) < 6*24*time.Hour {
			return fmt.Errorf("next %s at %v: want the notice a week after the reminder", c.Status.NextStep, c.Status.NextStepAt)
		}
		return nil
	})
}

func TestMissingDebtorStallsAndRecovers(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"))
	create(t, claimDue(ns, "orphan", "nobody", "100.00", 5))
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "orphan")
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "DebtorNotFound"); err != nil {
			return err
		}
		if msg := condition(c.Status.Conditions, inkassov1.ConditionReady).Message; !strings.Contains(msg, `"nobody"`) {
			return fmt.Errorf("message %q does not name the debtor", msg)
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, "DebtorNotFound")
	})
	create(t, debtor(ns, "nobody", inkassov1.DebtorConsumer))
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "orphan")
		if condition(c.Status.Conditions, inkassov1.ConditionStalled) != nil {
			return fmt.Errorf("still stalled: %v", c.Status.Conditions)
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "Pending")
	})
}

func TestMissingPolicyAndChannelStallAndRecover(t *testing.T) {
	ns := newNamespace(t)
	create(t, debtor(ns, "d", inkassov1.DebtorConsumer), claimDue(ns, "c", "d", "100.00", -2))
	eventually(t, 10*time.Second, func() error {
		return expectCondition(getClaim(t, ns, "c").Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "PolicyNotFound")
	})
	create(t, samplePolicy(t, ns)) // its steps use channels that do not exist yet
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "c")
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "ChannelNotFound"); err != nil {
			return err
		}
		if len(c.Status.History) != 0 {
			return fmt.Errorf("a step was recorded without its channel: %v", c.Status.History)
		}
		return nil
	})
	create(t, logChannel(ns, "letter"))
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "c")
		if len(c.Status.History) != 1 || condition(c.Status.Conditions, inkassov1.ConditionStalled) != nil {
			return fmt.Errorf("history %d, conditions %v", len(c.Status.History), c.Status.Conditions)
		}
		return nil
	})
}

func TestCreditorActions(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer))
	optedOut := debtor(ns, "optout", inkassov1.DebtorConsumer)
	optedOut.Spec.AutoCollection = new(bool)
	create(t, optedOut)
	create(t, claimDue(ns, "susp", "d", "100.00", -2), claimDue(ns, "paid", "d", "200.00", -2),
		claimDue(ns, "wd", "d", "300.00", -2), claimDue(ns, "manual", "optout", "400.00", -2))

	waitPhase := func(name string, phase inkassov1.ClaimPhase, cond, reason string) {
		t.Helper()
		eventually(t, 10*time.Second, func() error {
			c := getClaim(t, ns, name)
			if c.Status.Phase != phase {
				return fmt.Errorf("%s phase %s, want %s", name, c.Status.Phase, phase)
			}
			return expectCondition(c.Status.Conditions, cond, metav1.ConditionTrue, reason)
		})
	}
	patch := func(name, p string) {
		t.Helper()
		c := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err := k8s.Patch(ctx, c, client.RawPatch("application/merge-patch+json", []byte(p))); err != nil {
			t.Fatalf("patching %s: %v", name, err)
		}
	}
	waitPhase("susp", inkassov1.PhaseReminder, inkassov1.ConditionReady, "Waiting")

	patch("susp", `{"spec":{"suspend":true}}`)
	waitPhase("susp", inkassov1.PhaseSuspended, inkassov1.ConditionSuspended, "Suspended")
	if c := getClaim(t, ns, "susp"); c.Status.NextStepAt != nil {
		t.Errorf("a suspended claim has a timer: %v", c.Status.NextStepAt)
	}
	patch("susp", `{"spec":{"suspend":false}}`)
	waitPhase("susp", inkassov1.PhaseReminder, inkassov1.ConditionReady, "Waiting")

	patch("paid", `{"spec":{"payments":[{"id":"p1","amount":"150.00","date":"2026-01-01"},{"id":"p2","amount":"50","date":"2026-01-02"}]}}`)
	waitPhase("paid", inkassov1.PhasePaid, inkassov1.ConditionSettled, "Paid")

	patch("wd", `{"spec":{"withdraw":true}}`)
	waitPhase("wd", inkassov1.PhaseWithdrawn, inkassov1.ConditionReady, "Withdrawn")
	// Terminal: undoing is refused by the API and nothing moves.
	if err := k8s.Patch(ctx, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wd"}},
		client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"withdraw":false}}`))); err == nil || !strings.Contains(err.Error(), "spec.withdraw") {
		t.Errorf("undoing withdraw: %v", err)
	}

	waitPhase("manual", inkassov1.PhaseOverdue, inkassov1.ConditionReady, "AutoCollectionDisabled")
	if c := getClaim(t, ns, "manual"); len(c.Status.History) != 0 {
		t.Errorf("opted-out claim was collected: %v", c.Status.History)
	}
	if err := k8s.Patch(ctx, &inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "optout"}},
		client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"autoCollection":true}}`))); err != nil {
		t.Fatal(err)
	}
	waitPhase("manual", inkassov1.PhaseReminder, inkassov1.ConditionReady, "Waiting")

	patch("susp", `{"spec":{"dispute":{"raisedOn":"2026-01-05","reason":"never ordered"}}}`)
	waitPhase("susp", inkassov1.PhaseDisputed, inkassov1.ConditionDisputed, "Objection")
	patch("susp", `{"spec":{"dispute":{"resolution":"Debtor"}}}`)
	waitPhase("susp", inkassov1.PhaseWrittenOff, inkassov1.ConditionReady, "ResolvedForDebtor")
}

func TestInvoiceFieldsImmutableOnceCollectionStarted(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "future", "d", "100.00", 30), claimDue(ns, "started", "d", "100.00", -2))

	fix := func(name, p string) error {
		return k8s.Patch(ctx, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
			client.RawPatch("application/merge-patch+json", []byte(p)))
	}
	eventually(t, 10*time.Second, func() error {
		if getClaim(t, ns, "started").Status.CollectionStartedAt == nil {
			return fmt.Errorf("collection not started")
		}
		return nil
	})
	// Before collection, a typo in the amount can be fixed.
	if err := fix("future", `{"spec":{"amount":"110.00"}}`); err != nil {
		t.Errorf("changing the amount before collection: %v", err)
	}
	for field, p := range map[string]string{
		"spec.amount":        `{"spec":{"amount":"110.00"}}`,
		"spec.invoiceNumber": `{"spec":{"invoiceNumber":"OTHER"}}`,
		"spec.dueDate":       `{"spec":{"dueDate":"2030-01-01"}}`,
		"spec.currency":      `{"spec":{"currency":"SEK"}}`,
	} {
		err := fix("started", p)
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("changing %s after collection started: %v", field, err)
		}
	}
	// Payments may still be added.
	if err := fix("started", `{"spec":{"payments":[{"id":"p","amount":"1","date":"2026-01-01"}]}}`); err != nil {
		t.Errorf("adding a payment: %v", err)
	}
}

func TestCreditorEndsCollection(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	closing := samplePolicy(t, ns)
	closing.Name, closing.Annotations = "closing", nil
	closing.Spec.CreditorPayments = "CloseCase"
	create(t, samplePolicy(t, ns), closing, logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer))
	free, late := claimDue(ns, "free", "d", "1000.00", -20), claimDue(ns, "late", "d", "1000.00", -20)
	direct := claimDue(ns, "direct", "d", "1000.00", -20)
	direct.Spec.PolicyRef = &inkassov1.LocalObjectReference{Name: "closing"}
	create(t, free, late, direct)
	patch := func(name, p string) {
		t.Helper()
		if err := k8s.Patch(ctx, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
			client.RawPatch("application/merge-patch+json", []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(name, reason string) *inkassov1.Claim {
		t.Helper()
		var c *inkassov1.Claim
		eventually(t, 10*time.Second, func() error {
			c = getClaim(t, ns, name)
			if c.Status.Phase != inkassov1.PhaseWithdrawn {
				return fmt.Errorf("%s phase %s", name, c.Status.Phase)
			}
			return expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, reason)
		})
		return c
	}

	// Withdrawn right after transfer: inside the free-cancellation window.
	eventually(t, 10*time.Second, func() error {
		if getClaim(t, ns, "free").Status.CollectionStartedAt == nil {
			return fmt.Errorf("not started")
		}
		return nil
	})
	patch("free", `{"spec":{"withdraw":true}}`)
	c := ended("free", "Withdrawn")
	if c.Status.Balance.CreditorCharge != "0.00" || !strings.Contains(condition(c.Status.Conditions, inkassov1.ConditionReady).Message, "no cost") {
		t.Errorf("free withdrawal: charge %q, message %q", c.Status.Balance.CreditorCharge, condition(c.Status.Conditions, inkassov1.ConditionReady).Message)
	}

	// Withdrawn after the collection notice's fee and past the 10-day window,
	// which runs from the transfer (the collection notice, seed 004): the
	// unpaid fee is charged to the creditor.
	for getClaim(t, ns, "late").Status.Step != "collection-notice" {
		c := getClaim(t, ns, "late")
		if c.Status.NextStepAt == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		before := len(c.Status.History)
		if c.Status.NextStepAt.After(fclock.Now()) {
			waitNoticesDelivered(t, ns, c.Status.NextStepAt.Time) // the reminders go out before the week passes
			fclock.SetTime(c.Status.NextStepAt.Time)
		}
		eventually(t, 10*time.Second, func() error {
			wakeClaim(ns, "late")
			if len(getClaim(t, ns, "late").Status.History) == before {
				return fmt.Errorf("step not recorded")
			}
			return nil
		})
	}
	var transfer time.Time
	for _, h := range getClaim(t, ns, "late").Status.History {
		if h.Step == "collection-notice" {
			transfer = h.Time.Time
		}
	}
	fclock.SetTime(transfer.AddDate(0, 0, 10))
	patch("late", `{"spec":{"withdraw":true}}`)
	c = ended("late", "Withdrawn")
	if c.Status.Balance.CreditorCharge != "37.50" {
		t.Errorf("late withdrawal charged %q to the creditor, want the unpaid notice fee 37.50", c.Status.Balance.CreditorCharge)
	}
	if last := c.Status.Ledger[len(c.Status.Ledger)-1]; last.Kind != "CreditorCharge" || last.Agency != "37.50" || last.Creditor != "-37.50" {
		t.Errorf("last ledger entry %+v", last)
	}

	// Paid to the creditor directly under a CloseCase policy: closed.
	today := fclock.Now().In(oslo).Format(time.DateOnly)
	patch("direct", `{"spec":{"payments":[{"id":"direct-1","amount":"1000.00","date":"`+today+`","receivedBy":"Creditor"}]}}`)
	c = ended("direct", "ClosedByCreditor")
	var payment *inkassov1.LedgerEntry
	for i := range c.Status.Ledger {
		if c.Status.Ledger[i].Ref == "direct-1" {
			payment = &c.Status.Ledger[i]
		}
	}
	if payment == nil || payment.ToPrincipal != "1000.00" || payment.Creditor != "1000.00" {
		t.Errorf("the direct payment must settle the principal first: %+v", payment)
	}
}

func TestPauseLimitationAndForwarding(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	abroad := debtor(ns, "abroad", inkassov1.DebtorConsumer)
	abroad.Spec.Country = "SE"
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer), abroad)
	old := claimDue(ns, "old", "d", "100.00", -4*365)
	acknowledged := claimDue(ns, "acknowledged", "d", "100.00", -4*365)
	acknowledged.Spec.Payments = []inkassov1.Payment{{ID: "p", Amount: "10.00",
		Date: inkassov1.Date(fclock.Now().In(oslo).AddDate(-1, 0, 0).Format(time.DateOnly))}}
	create(t, claimDue(ns, "paused", "d", "100.00", -2), old, acknowledged, claimDue(ns, "export", "abroad", "100.00", -20))

	// Limitation: three years after the due date, restarted by a payment.
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "old")
		if c.Status.Phase != inkassov1.PhaseTimeBarred {
			return fmt.Errorf("old claim phase %s", c.Status.Phase)
		}
		if msg := condition(c.Status.Conditions, inkassov1.ConditionReady).Message; !strings.Contains(msg, "3 years after the due date") {
			return fmt.Errorf("message %q", msg)
		}
		if p := getClaim(t, ns, "acknowledged").Status.Phase; p != inkassov1.PhaseReminder {
			return fmt.Errorf("acknowledged claim phase %s, want Reminder: a payment restarts limitation", p)
		}
		return nil
	})

	// A debtor abroad is forwarded at transfer, after the reminder.
	driveToEnd(t, ns, "export")
	c := getClaim(t, ns, "export")
	if c.Status.Phase != inkassov1.PhaseForwarded || len(c.Status.History) != 2 || !strings.Contains(c.Status.History[1].Message, "lives in SE") {
		t.Errorf("export: phase %s history %+v", c.Status.Phase, c.Status.History)
	}

	// Pausing for 20 days shifts the next step by 20 days.
	var before time.Time
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "paused")
		if c.Status.NextStepAt == nil || len(c.Status.History) != 1 {
			return fmt.Errorf("paused claim not waiting for its second step: %+v", c.Status)
		}
		before = c.Status.NextStepAt.Time
		return nil
	})
	patchSpec := func(p string) {
		t.Helper()
		if err := k8s.Patch(ctx, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "paused"}},
			client.RawPatch("application/merge-patch+json", []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	patchSpec(`{"spec":{"suspend":true}}`)
	eventually(t, 10*time.Second, func() error {
		if c := getClaim(t, ns, "paused"); c.Status.HeldSince == nil {
			return fmt.Errorf("not held: %+v", c.Status)
		}
		return nil
	})
	fclock.SetTime(getClaim(t, ns, "paused").Status.HeldSince.AddDate(0, 0, 20))
	patchSpec(`{"spec":{"suspend":false}}`)
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "paused")
		if c.Status.PausedDays != 20 || c.Status.HeldSince != nil || c.Status.NextStepAt == nil {
			return fmt.Errorf("after resume: pausedDays %d heldSince %v next %v", c.Status.PausedDays, c.Status.HeldSince, c.Status.NextStepAt)
		}
		if got := c.Status.NextStepAt.Sub(before); got != 20*24*time.Hour {
			return fmt.Errorf("next step moved by %v, want 20 days", got)
		}
		return nil
	})
}
