package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// TestTransferOnDebtorTimer: a claim whose transfer to collection comes due
// writes nothing to ask for it; its debtor, whose reconcile returned a timer
// for that very moment, takes it in. Only a claim its debtor has left
// waiting for ten minutes flags status.awaitingCase.
func TestTransferOnDebtorTimer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "prompt", inkassov1.DebtorConsumer), debtor(ns, "slow", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "x", "prompt", "1000.00", -2), claimDue(ns, "y", "slow", "1000.00", -2))
	// Each claim's own reminder steps first, up to the transfer.
	var transferAt time.Time
	for _, n := range []string{"x", "y"} {
		c := driveToStep(t, ns, n, "reminder")
		if c.Status.NextStep != "collection-notice" || c.Status.NextStepAt == nil {
			t.Fatalf("claim %s after its reminder: next step %q at %v, want collection-notice", n, c.Status.NextStep, c.Status.NextStepAt)
		}
		transferAt = c.Status.NextStepAt.Time
	}
	// The debtors hold a change of their totals back for two seconds and
	// write it on a timer (totalsDelay); a timer that fires after the clock
	// moves to the transfer below would take the claim in. Wait until both
	// show their claim's totals.
	for d, n := range map[string]string{"prompt": "x", "slow": "y"} {
		eventually(t, 10*time.Second, func() error {
			c := getClaim(t, ns, n)
			var got inkassov1.Debtor
			if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: d}, &got); err != nil {
				return err
			}
			st := got.Status
			if c.Status.Balance == nil || st.Phase != c.Status.Phase || st.OpenClaims != 1 || len(st.Outstanding) != 1 || st.Outstanding[0].Amount != c.Status.Balance.Outstanding {
				return fmt.Errorf("debtor %s: phase %s, %d open, outstanding %v; claim %s: phase %s, balance %+v", d, st.Phase, st.OpenClaims, st.Outstanding, n, c.Status.Phase, c.Status.Balance)
			}
			return nil
		})
	}
	// Nothing left in flight: a reminder's delivery reconciles the debtor
	// (the Notice watch), which would take in a claim due by then.
	quiesce(t, ns)
	if !fclock.Now().Before(transferAt) {
		t.Fatalf("the reminders' delivery moved the clock to %v, past the transfer at %v", fclock.Now(), transferAt)
	}
	rec := events.NewFakeRecorder(100)
	claims := &controllers.ClaimReconciler{Client: cached, Clock: fclock, Recorder: rec}
	debtors := &controllers.DebtorReconciler{Client: cached, Clock: fclock, Recorder: rec}
	inCache := func(c *inkassov1.Claim) {
		t.Helper()
		eventually(t, 10*time.Second, func() error {
			var got inkassov1.Claim
			if err := cached.Get(ctx, client.ObjectKeyFromObject(c), &got); err != nil || got.ResourceVersion != c.ResourceVersion {
				return fmt.Errorf("claim %s not in the cache at %s yet (%v)", c.Name, c.ResourceVersion, err)
			}
			return nil
		})
	}
	reconcileDebtor := func(name string) reconcile.Result {
		t.Helper()
		var res reconcile.Result
		eventually(t, 10*time.Second, func() error {
			var err error
			res, err = debtors.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
			if err == nil && res.RequeueAfter == 50*time.Millisecond {
				err = fmt.Errorf("write conflict")
			}
			return err
		})
		return res
	}

	// Before the transfer the debtor's timer points at it (the fake clock
	// is not scaled: operator time and wall time are the same).
	if got, want := reconcileDebtor("prompt").RequeueAfter, transferAt.Sub(fclock.Now()); got != want {
		t.Errorf("debtor requeues after %v, want %v: the time until its claim's transfer", got, want)
	}

	fclock.SetTime(transferAt)
	for _, n := range []string{"x", "y"} {
		before := settledClaim(t, ns, n)
		inCache(before)
		res, err := claims.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: n}})
		if err != nil {
			t.Fatal(err)
		}
		after := getClaim(t, ns, n)
		if after.ResourceVersion != before.ResourceVersion || after.Status.AwaitingCase {
			t.Errorf("claim %s wrote its status when its transfer came due (awaitingCase %v): the debtor's timer takes it in",
				n, after.Status.AwaitingCase)
		}
		if res.RequeueAfter <= 0 || res.RequeueAfter > 10*time.Minute {
			t.Errorf("claim %s requeues after %v, want within the ten-minute grace", n, res.RequeueAfter)
		}
	}
	reconcileDebtor("prompt")
	eventually(t, 10*time.Second, func() error {
		x := getClaim(t, ns, "x")
		if x.Status.CaseID == "" || !hasStep(x, "collection-notice") || x.Status.AwaitingCase {
			return fmt.Errorf("claim x: case %q history %v awaitingCase %v; %s", x.Status.CaseID, x.Status.History, x.Status.AwaitingCase, debtorsState(ns))
		}
		return nil
	})

	// Debtor "slow" was not reconciled: after ten minutes y says it waits.
	quiesce(t, ns)
	fclock.SetTime(transferAt.Add(10*time.Minute + time.Second))
	inCache(getClaim(t, ns, "y"))
	res, err := claims.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter != 2*time.Second {
		y := getClaim(t, ns, "y")
		t.Errorf("claim y requeues after %v, want 2s: it flags awaitingCase and looks again (case %q, awaitingCase %v, history %d, ready %+v; %s)",
			res.RequeueAfter, y.Status.CaseID, y.Status.AwaitingCase, len(y.Status.History), condition(y.Status.Conditions, inkassov1.ConditionReady), debtorsState(ns))
	}
	// The flag's write wakes the debtor (the claim watch), which takes y in.
	eventually(t, 10*time.Second, func() error {
		y := getClaim(t, ns, "y")
		if y.Status.CaseID == "" || !hasStep(y, "collection-notice") || y.Status.AwaitingCase {
			return fmt.Errorf("claim y: case %q awaitingCase %v; %s", y.Status.CaseID, y.Status.AwaitingCase, debtorsState(ns))
		}
		return nil
	})
}

// quiesce waits until every notice in ns is delivered (moving the clock to
// contact windows that wait for it) and the suite
// manager's claim and debtor controllers have nothing queued or running.
func quiesce(t *testing.T, ns string) {
	t.Helper()
	idle := 0
	eventually(t, 10*time.Second, func() error {
		var notices inkassov1.NoticeList
		if err := k8s.List(context.Background(), &notices, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, n := range notices.Items {
			if n.Status.SentAt == nil {
				// Waiting for its contact window, which wall time never
				// brings on a fake clock: move the clock there, look again.
				if nb := n.Spec.NotBefore; nb != nil && nb.After(fclock.Now()) {
					fclock.SetTime(nb.Time)
				}
				pokeChannels(t, ns, n.Spec.ChannelRef.Name)
				idle = 0
				return fmt.Errorf("notice %s not delivered yet: %+v", n.Name, n.Status)
			}
		}
		families, err := ctrlmetrics.Registry.Gather()
		if err != nil {
			return err
		}
		for _, f := range families {
			if f.GetName() != "workqueue_depth" && f.GetName() != "controller_runtime_active_workers" {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if (l.GetName() == "name" || l.GetName() == "controller") && (l.GetValue() == "claim" || l.GetValue() == "debtor") &&
						m.GetGauge().GetValue() != 0 {
						idle = 0
						return fmt.Errorf("%s{%s} is %v", f.GetName(), l.GetValue(), m.GetGauge().GetValue())
					}
				}
			}
		}
		// Idle on three looks 50 ms apart: nothing between two watch events.
		if idle++; idle < 3 {
			return fmt.Errorf("idle %d times", idle)
		}
		return nil
	})
}
