package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestEndedClaimWaitsForItsClosingNotice: a claim that ended may be deleted
// (a GitOps prune of a withdrawn invoice), but it stays until the
// creditor's closing notice went out: the closing finalizer holds it while
// the notice is pending and lets it go once the channel marked it Sent.
func TestEndedClaimWaitsForItsClosingNotice(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	p := samplePolicy(t, ns)
	p.Spec.CreditorNotices = &inkassov1.CreditorNotices{Channels: []string{"creditor"}, Events: []inkassov1.CreditorEvent{inkassov1.CreditorClosed}}
	// Nobody serves the creditor's channel: its notices stay pending until
	// the test plays the channel.
	creditor := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creditor"},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: "example.com/by-hand"}}
	create(t, p, creditor, debtor(ns, "ola", inkassov1.DebtorConsumer), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		claimDue(ns, "inv", "ola", "1000.00", -3))
	eventually(t, 30*time.Second, func() error {
		if c := getClaim(t, ns, "inv"); len(c.Status.History) == 0 {
			return fmt.Errorf("no step yet (phase %s)", c.Status.Phase)
		}
		return nil
	})
	claim := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inv"}}
	if err := k8s.Patch(ctx, claim, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"withdraw":true}}`))); err != nil {
		t.Fatal(err)
	}
	var closing string
	eventually(t, 30*time.Second, func() error {
		c := getClaim(t, ns, "inv")
		if c.Status.Phase != inkassov1.PhaseWithdrawn {
			return fmt.Errorf("phase %s, want Withdrawn", c.Status.Phase)
		}
		for _, r := range c.Status.CreditorNotices {
			if r.Event == inkassov1.CreditorClosed && len(r.Notices) == 1 {
				closing = r.Notices[0]
			}
		}
		if closing == "" {
			return fmt.Errorf("no Closed creditor notice recorded: %+v", c.Status.CreditorNotices)
		}
		if !controllerutil.ContainsFinalizer(c, inkassov1.ClosingFinalizer) {
			return fmt.Errorf("no closing finalizer while notice %s is pending: %v", closing, c.Finalizers)
		}
		return nil
	})
	if err := k8s.Delete(ctx, claim); err != nil {
		t.Fatalf("an ended claim may be deleted: %v", err)
	}
	time.Sleep(2 * time.Second)
	if c := getClaim(t, ns, "inv"); c.DeletionTimestamp.IsZero() {
		t.Fatal("the claim is not being deleted")
	}
	// The channel delivers the closing notice.
	var n inkassov1.Notice
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: closing}, &n); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	n.Status.SentAt = &now
	n.Status.Conditions = []metav1.Condition{{Type: inkassov1.ConditionReady, Status: metav1.ConditionTrue, Reason: inkassov1.NoticeReasonSent,
		Message: "delivered by hand", LastTransitionTime: now}}
	if err := k8s.Status().Update(ctx, &n); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		var c inkassov1.Claim
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "inv"}, &c)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the claim is still there (finalizers %v) after its closing notice was sent: %v", c.Finalizers, err)
	})
}

// TestReappliedClosedInvoiceIsNotCollectedAgain: without an archive, the
// Debtor remembers invoices whose collection ended (status.closedInvoices):
// a claim pruned after it ended and applied again stalls AlreadyClosed
// instead of starting collection from the first step.
func TestReappliedClosedInvoiceIsNotCollectedAgain(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	manifest := claimDue(ns, "inv", "ola", "1000.00", -3)
	create(t, samplePolicy(t, ns), debtor(ns, "ola", inkassov1.DebtorConsumer), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		manifest.DeepCopy())
	eventually(t, 30*time.Second, func() error {
		if c := getClaim(t, ns, "inv"); len(c.Status.History) == 0 {
			return fmt.Errorf("no step yet (phase %s)", c.Status.Phase)
		}
		return nil
	})
	claim := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inv"}}
	if err := k8s.Patch(ctx, claim, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"withdraw":true}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		var d inkassov1.Debtor
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ola"}, &d); err != nil {
			return err
		}
		for _, ci := range d.Status.ClosedInvoices {
			if ci.InvoiceNumber == manifest.Spec.InvoiceNumber && ci.Phase == inkassov1.PhaseWithdrawn {
				return nil
			}
		}
		return fmt.Errorf("debtor remembers %+v, want %s Withdrawn", d.Status.ClosedInvoices, manifest.Spec.InvoiceNumber)
	})
	var before inkassov1.NoticeList
	if err := k8s.List(ctx, &before, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		var c inkassov1.Claim
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "inv"}, &c); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the claim is still there: %v", err)
		}
		return nil
	})
	create(t, manifest.DeepCopy()) // the pipeline applies it again
	eventually(t, 30*time.Second, func() error {
		c := getClaim(t, ns, "inv")
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "AlreadyClosed"); err != nil {
			return err
		}
		if len(c.Status.History) != 0 {
			return fmt.Errorf("the re-applied claim took steps: %+v", c.Status.History)
		}
		return nil
	})
	var after inkassov1.NoticeList
	if err := k8s.List(ctx, &after, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("%d notices after the re-apply, %d before", len(after.Items), len(before.Items))
	}
}
