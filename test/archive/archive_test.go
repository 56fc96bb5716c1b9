package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
)

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s differs:\n got %s\nwant %s", what, g, w)
	}
}

func find(t *testing.T, ns, invoice string) *archive.Record {
	t.Helper()
	r, err := store.Find(context.Background(), ns, invoice, "ola")
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		t.Fatalf("claim %s/%s is not in the archive", ns, invoice)
	}
	return r
}

func rows(t *testing.T, ns string) int {
	t.Helper()
	n, err := store.Count(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func notices(t *testing.T, ns string) int {
	t.Helper()
	var l inkassov1.NoticeList
	if err := k8s.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

// TestArchiveAndRestoreOnReapply: a claim that had a reminder and was
// withdrawn gets the finalizer, stays for the grace, then leaves the
// cluster with its whole record in PostgreSQL (spec, status, history,
// ledger, its notice's outcome). Applied again by a GitOps pipeline, the
// manifest comes back in its archived final state and is never collected:
// no notice, no step, and it is not archived a second time.
func TestArchiveAndRestoreOnReapply(t *testing.T) {
	needArchive(t)
	ns := namespaceWithPolicy(t, nil)
	orig := claimDue(ns, "inv-1", -2)
	manifest := orig.DeepCopy()
	create(t, orig)
	c := claimIn(t, ns, "inv-1", func(c *inkassov1.Claim) error {
		if len(c.Status.History) == 0 || c.Status.History[0].Step != "reminder" {
			return errors.New("no reminder yet")
		}
		return nil
	})
	noticeName := c.Status.History[0].Notices[0]
	eventually(t, 15*time.Second, func() error {
		var n inkassov1.Notice
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: noticeName}, &n); err != nil {
			return err
		}
		if r := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady); r == nil || r.Reason != inkassov1.NoticeReasonSent {
			return fmt.Errorf("reminder notice not sent: %v", n.Status.Conditions)
		}
		return nil
	})
	if err := k8s.Patch(context.Background(), c, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"withdraw":true}}`))); err != nil {
		t.Fatal(err)
	}
	c = claimIn(t, ns, "inv-1", func(c *inkassov1.Claim) error {
		if err := phase(inkassov1.PhaseWithdrawn)(c); err != nil {
			return err
		}
		return hasFinalizer(c)
	})
	// Within the grace it stays.
	advance(policy.Grace - time.Hour)
	poke(ns, "inv-1")
	time.Sleep(300 * time.Millisecond)
	before := claimIn(t, ns, "inv-1", phase(inkassov1.PhaseWithdrawn))
	if before.DeletionTimestamp != nil || rows(t, ns) != 0 {
		t.Fatalf("archived within the grace: deleting %v, rows %d", before.DeletionTimestamp, rows(t, ns))
	}
	advance(2 * time.Hour)
	gone(t, ns, "inv-1")

	r := find(t, ns, "INV-1")
	if r.Kind != archive.KindFinished || r.Phase != inkassov1.PhaseWithdrawn || r.Writes != 1 || r.UID != string(c.UID) || r.Name != "inv-1" {
		t.Errorf("record: kind %s phase %s writes %d uid %s name %s", r.Kind, r.Phase, r.Writes, r.UID, r.Name)
	}
	sameJSON(t, "archived spec", r.Spec, before.Spec)
	sameJSON(t, "archived status", r.Status, before.Status)
	if len(r.Status.Ledger) == 0 || r.Outstanding != before.Status.Balance.Outstanding {
		t.Errorf("ledger %v, outstanding %s", r.Status.Ledger, r.Outstanding)
	}
	if len(r.Notices) != 1 || r.Notices[0].Name != noticeName || r.Notices[0].State != inkassov1.NoticeReasonSent ||
		r.Notices[0].Step != "reminder" || r.Notices[0].Channel != "letter" || r.Notices[0].SentAt == nil {
		t.Errorf("archived notices %+v", r.Notices)
	}
	noticesBefore := notices(t, ns)

	// GitOps applies the manifest again (without withdraw: it would start over).
	create(t, manifest)
	again := claimIn(t, ns, "inv-1", func(c *inkassov1.Claim) error {
		if err := phase(inkassov1.PhaseWithdrawn)(c); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionRestored); cond == nil || cond.Reason != inkassov1.RestoredReapplied {
			return fmt.Errorf("no Restored condition: %v", c.Status.Conditions)
		}
		return nil
	})
	sameJSON(t, "restored history", again.Status.History, before.Status.History)
	sameJSON(t, "restored ledger", again.Status.Ledger, before.Status.Ledger)
	// Days pass, grace and all: nothing is collected, nothing archived again.
	for range 3 {
		advance(policy.Grace / 2)
		poke(ns, "inv-1")
		time.Sleep(200 * time.Millisecond)
	}
	after := claimIn(t, ns, "inv-1", phase(inkassov1.PhaseWithdrawn))
	if len(after.Status.History) != len(before.Status.History) || notices(t, ns) != noticesBefore {
		t.Errorf("a restored claim was collected: history %d -> %d, notices %d -> %d", len(before.Status.History), len(after.Status.History), noticesBefore, notices(t, ns))
	}
	if after.DeletionTimestamp != nil || hasFinalizer(after) == nil {
		t.Errorf("a restored claim is being archived again: finalizers %v", after.Finalizers)
	}
	if n := rows(t, ns); n != 1 {
		t.Errorf("%d archive rows, want 1", n)
	}
	r = find(t, ns, "INV-1")
	if r.Writes != 1 || r.RestoredUID != string(after.UID) || r.RestoredReason != inkassov1.RestoredReapplied {
		t.Errorf("record after the restore: writes %d restored %q (%s), claim uid %s", r.Writes, r.RestoredUID, r.RestoredReason, after.UID)
	}
}

// TestCrashBetweenArchiveWriteAndDelete: the archiver commits the record
// and dies before it removes the finalizer. The claim is still in the
// cluster (terminating); a fresh archiver writes the same row again and
// lets the claim go: nothing lost, one row.
func TestCrashBetweenArchiveWriteAndDelete(t *testing.T) {
	needArchive(t)
	ns := namespaceWithPolicy(t, nil)
	written, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	crashMu.Lock()
	crash[ns] = func(ctx context.Context, c *inkassov1.Claim) error {
		once.Do(func() { close(written) })
		select { // the process hangs, then dies: the finalizer is never removed
		case <-release:
		case <-ctx.Done():
		}
		return errors.New("archiver killed after the commit")
	}
	crashMu.Unlock()
	defer func() {
		crashMu.Lock()
		delete(crash, ns)
		crashMu.Unlock()
		close(release)
	}()

	cl := claimDue(ns, "inv-2", 10)
	cl.Spec.Withdraw = true
	create(t, cl)
	before := claimIn(t, ns, "inv-2", func(c *inkassov1.Claim) error {
		if err := phase(inkassov1.PhaseWithdrawn)(c); err != nil {
			return err
		}
		return hasFinalizer(c)
	})
	advance(policy.Grace + time.Hour)
	poke(ns, "inv-2")
	select {
	case <-written:
	case <-time.After(15 * time.Second):
		t.Fatal("the archiver never committed")
	}
	r := find(t, ns, "INV-2")
	if r.Writes != 1 {
		t.Fatalf("writes %d before the crash", r.Writes)
	}
	var c inkassov1.Claim
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(before), &c); err != nil {
		t.Fatalf("the claim left the cluster although its finalizer was never removed: %v", err)
	}
	if c.DeletionTimestamp == nil || hasFinalizer(&c) != nil {
		t.Fatalf("claim after the crash: deleting %v finalizers %v", c.DeletionTimestamp, c.Finalizers)
	}

	// A fresh archiver (a new leader) with its own connection.
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fresh := &controllers.ArchiveReconciler{Client: k8s, APIReader: k8s, Clock: fclock, Store: st, Policy: policy}
	if _, err := fresh.Reconcile(context.Background(), reconcile.Request{NamespacedName: client.ObjectKeyFromObject(before)}); err != nil {
		t.Fatal(err)
	}
	gone(t, ns, "inv-2")
	r = find(t, ns, "INV-2")
	if n := rows(t, ns); n != 1 || r.Writes != 2 {
		t.Fatalf("%d rows (want 1), writes %d (want 2: before and after the crash)", n, r.Writes)
	}
	sameJSON(t, "archived status", r.Status, before.Status)
	sameJSON(t, "archived spec", r.Spec, before.Spec)
	// The dead archiver's retry finds nothing to do.
	close(release)
	release = make(chan struct{})
	time.Sleep(500 * time.Millisecond)
	if n := rows(t, ns); n != 1 {
		t.Fatalf("%d rows after the old archiver's retry", n)
	}
}

// TestDormantSurveillanceWakesForRecheck: a claim in Surveillance waits 90
// days for its credit re-check. After the grace it leaves the cluster as a
// dormant record; a day before the re-check it comes back as an object with
// its archived state, takes the re-check, and goes back into the same
// archive row.
func TestDormantSurveillanceWakesForRecheck(t *testing.T) {
	needArchive(t)
	ns := namespaceWithPolicy(t, func(p *inkassov1.CollectionPolicy) {
		p.Spec.CreditAssessment = &inkassov1.CreditAssessment{DefaultDecision: inkassov1.CreditInsolvent, RecheckDays: 90}
		p.Spec.Steps = []inkassov1.PolicyStep{p.Spec.Steps[0],
			{Name: "surveil", Phase: inkassov1.StepPhaseSurveillance, AfterDueDays: 5, Action: inkassov1.ActionSurveil}}
	})
	create(t, claimDue(ns, "inv-3", -20))
	surveilled := func(c *inkassov1.Claim) error {
		if err := phase(inkassov1.PhaseSurveillance)(c); err != nil {
			return err
		}
		if c.Status.NextStep != inkassov1.RecheckStep || c.Status.NextStepAt == nil {
			return errors.New("no re-check scheduled")
		}
		return nil
	}
	c := claimIn(t, ns, "inv-3", func(c *inkassov1.Claim) error {
		if err := surveilled(c); err != nil {
			if c.Status.NextStep != inkassov1.RecheckStep && c.Status.NextStepAt != nil && c.Status.NextStepAt.After(fclock.Now()) {
				fclock.SetTime(c.Status.NextStepAt.Time) // the surveil step is due later today
			}
			return err
		}
		return hasFinalizer(c)
	})
	recheck := c.Status.NextStepAt.Time
	advance(policy.Grace + time.Hour)
	gone(t, ns, "inv-3")
	r := find(t, ns, "INV-3")
	if r.Kind != archive.KindDormant || r.WakeAt == nil || !r.WakeAt.Equal(recheck) || r.RestoredUID != "" {
		t.Fatalf("dormant record: kind %s wake %v (re-check %v) restored %q", r.Kind, r.WakeAt, recheck, r.RestoredUID)
	}
	sameJSON(t, "archived status", r.Status, c.Status)

	// Two days before the re-check it is still archived; a day before, back.
	fclock.SetTime(recheck.Add(-48 * time.Hour))
	time.Sleep(500 * time.Millisecond)
	var none inkassov1.Claim
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "inv-3"}, &none); err == nil {
		t.Fatal("woken two days before its re-check (lead is one day)")
	}
	fclock.SetTime(recheck.Add(-12 * time.Hour))
	back := claimIn(t, ns, "inv-3", func(c *inkassov1.Claim) error {
		if err := surveilled(c); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionRestored); cond == nil || cond.Reason != inkassov1.RestoredRecheck {
			return fmt.Errorf("no Restored condition: %v", c.Status.Conditions)
		}
		return nil
	})
	if back.Annotations[inkassov1.ArchivedUIDAnnotation] != r.UID {
		t.Errorf("woken claim's annotation %q, want the record's uid %s", back.Annotations[inkassov1.ArchivedUIDAnnotation], r.UID)
	}
	sameJSON(t, "woken history", back.Status.History, c.Status.History)
	if !back.Status.NextStepAt.Time.Equal(recheck) {
		t.Errorf("woken claim's re-check at %v, want %v", back.Status.NextStepAt, recheck)
	}
	if r = find(t, ns, "INV-3"); r.RestoredUID != string(back.UID) || r.RestoredReason != inkassov1.RestoredRecheck {
		t.Errorf("record not marked restored: %q %q", r.RestoredUID, r.RestoredReason)
	}

	// The re-check is taken, once.
	fclock.SetTime(recheck.Add(time.Hour))
	rechecked := claimIn(t, ns, "inv-3", func(c *inkassov1.Claim) error {
		if len(c.Status.History) != len(back.Status.History)+1 {
			return errors.New("re-check not recorded")
		}
		return surveilled(c)
	})
	if last := rechecked.Status.History[len(rechecked.Status.History)-1]; last.Step != inkassov1.RecheckStep {
		t.Errorf("last step %s, want %s", last.Step, inkassov1.RecheckStep)
	}
	// Dormant again: archived into the same row.
	claimIn(t, ns, "inv-3", hasFinalizer)
	advance(policy.Grace + time.Hour)
	gone(t, ns, "inv-3")
	r = find(t, ns, "INV-3")
	if n := rows(t, ns); n != 1 || r.Writes != 2 || r.RestoredUID != "" || len(r.Status.History) != len(rechecked.Status.History) {
		t.Errorf("after the second archiving: %d rows (want 1), writes %d (want 2), restored %q, history %d (want %d)",
			n, r.Writes, r.RestoredUID, len(r.Status.History), len(rechecked.Status.History))
	}
	if r.WakeAt == nil || !r.WakeAt.After(recheck) {
		t.Errorf("next wake %v, want after %v", r.WakeAt, recheck)
	}
}

// TestDeletingAFinishedClaimArchivesIt: a GitOps prune (or kubectl delete)
// of a finished claim within the grace does not lose its record: the
// finalizer holds the claim until it is archived.
func TestDeletingAFinishedClaimArchivesIt(t *testing.T) {
	needArchive(t)
	ns := namespaceWithPolicy(t, nil)
	cl := claimDue(ns, "inv-4", 10)
	cl.Spec.Withdraw = true
	create(t, cl)
	before := claimIn(t, ns, "inv-4", func(c *inkassov1.Claim) error {
		if err := phase(inkassov1.PhaseWithdrawn)(c); err != nil {
			return err
		}
		return hasFinalizer(c)
	})
	if err := k8s.Delete(context.Background(), before); err != nil {
		t.Fatal(err)
	}
	gone(t, ns, "inv-4")
	r := find(t, ns, "INV-4")
	if r.Kind != archive.KindFinished || r.Writes != 1 || rows(t, ns) != 1 {
		t.Errorf("record of a pruned claim: kind %s writes %d rows %d", r.Kind, r.Writes, rows(t, ns))
	}
	sameJSON(t, "archived status", r.Status, before.Status)
}

// TestRecheckClaimWithoutRecordStalls: a claim brought back for a re-check
// whose archive record is gone (its partition dropped) must not start over
// with a reminder: it stalls, naming the annotation.
func TestRecheckClaimWithoutRecordStalls(t *testing.T) {
	needArchive(t)
	ns := namespaceWithPolicy(t, nil)
	cl := claimDue(ns, "inv-5", -2)
	cl.Annotations = map[string]string{inkassov1.ArchivedUIDAnnotation: "no-such-record"}
	create(t, cl)
	stalled := func(c *inkassov1.Claim) error {
		if s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled); s == nil || s.Reason != "ArchiveRecordMissing" {
			return fmt.Errorf("not stalled on the missing record: %v", c.Status.Conditions)
		}
		return nil
	}
	claimIn(t, ns, "inv-5", stalled)
	poke(ns, "inv-5")
	time.Sleep(300 * time.Millisecond)
	c := claimIn(t, ns, "inv-5", stalled)
	if c.Status.Phase != "" || len(c.Status.History) != 0 || notices(t, ns) != 0 {
		t.Errorf("collected without its record: phase %q history %d notices %d", c.Status.Phase, len(c.Status.History), notices(t, ns))
	}
}
