package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestClaimAdoptsStepsAfterAVeleroRestore: Velero restores a Claim without
// its status while its Notices come back. The claim must take the record of
// each step from the step's notice (time and fee, annotations the operator
// wrote) instead of taking the step again: same time, same fee, no new
// notice, and a StepAdopted event. (This file sorts after money_*: it moves
// the shared fake clock an hour.)
func TestClaimAdoptsStepsAfterAVeleroRestore(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	create(t, samplePolicy(t, ns), debtor(ns, "ola", inkassov1.DebtorConsumer), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		claimDue(ns, "inv", "ola", "1000.00", -3))
	var first inkassov1.HistoryEntry
	eventually(t, 30*time.Second, func() error {
		c := getClaim(t, ns, "inv")
		if len(c.Status.History) == 0 || len(c.Status.History[0].Notices) == 0 {
			return fmt.Errorf("no step with notices yet (phase %s)", c.Status.Phase)
		}
		first = c.Status.History[0]
		return nil
	})
	countNotices := func() int {
		var l inkassov1.NoticeList
		if err := k8s.List(ctx, &l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	notices := countNotices()
	// Later, the restore: the status is gone, the notices are there.
	fclock.SetTime(fclock.Now().Add(time.Hour))
	adopted := func() bool {
		var list eventsv1.EventList
		if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Regarding.Name == "inv" && e.Reason == "StepAdopted" && strings.Contains(e.Note, first.Step) {
				return true
			}
		}
		return false
	}
	// Velero creates the claim anew, without status (its default); the
	// notices it restored are there (envtest runs no garbage collector, so
	// the old claim's notices stay, as restored ones would).
	old := getClaim(t, ns, "inv")
	if err := k8s.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		var c inkassov1.Claim
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "inv"}, &c); err == nil {
			return fmt.Errorf("the claim is still there")
		}
		return nil
	})
	restored := &inkassov1.Claim{}
	restored.Namespace, restored.Name, restored.Spec = ns, "inv", old.Spec
	create(t, restored)
	eventually(t, 20*time.Second, func() error {
		if !adopted() {
			return fmt.Errorf("no StepAdopted event yet")
		}
		return nil
	})
	if !adopted() {
		t.Fatalf("no StepAdopted event for step %s", first.Step)
	}
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "inv")
		if len(c.Status.History) == 0 {
			return fmt.Errorf("no history yet")
		}
		h := c.Status.History[0]
		if h.Step != first.Step || !h.Time.Equal(&first.Time) || h.Fee != first.Fee || strings.Join(h.Notices, ",") != strings.Join(first.Notices, ",") {
			return fmt.Errorf("first record %+v after the restore, want %+v", h, first)
		}
		return nil
	})
	if n := countNotices(); n != notices {
		t.Errorf("%d notices after the restore, %d before: a step's notice was made again", n, notices)
	}
}
