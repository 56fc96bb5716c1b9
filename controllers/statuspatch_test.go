package controllers_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/statuspatch"
)

// TestStatusPatchAgainstTheAPIServer: the manager's status writes
// (pkg/statuspatch) change the status and nothing else, carry the new
// resourceVersion back from the metadata-only answer, and fail with a
// conflict from a stale read.
func TestStatusPatchAgainstTheAPIServer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, debtor(ns, "d", inkassov1.DebtorConsumer))
	key := client.ObjectKey{Namespace: ns, Name: "d"}

	var written *inkassov1.Debtor
	eventually(t, 10*time.Second, func() error {
		var orig inkassov1.Debtor
		if err := k8s.Get(ctx, key, &orig); err != nil {
			return err
		}
		d := orig.DeepCopy()
		d.Spec.DisplayName = "changed in memory only"
		meta.SetStatusCondition(&d.Status.Conditions, metav1.Condition{Type: "PatchTest", Status: metav1.ConditionTrue, Reason: "Written", LastTransitionTime: metav1.Time{Time: time.Unix(1_800_000_000, 0)}})
		if err := statuspatch.Patch(ctx, k8s, d, &orig, statuspatch.Optimistic); err != nil {
			return err // the debtor controller wrote in between: read again
		}
		a, _ := strconv.ParseUint(orig.ResourceVersion, 10, 64)
		b, err := strconv.ParseUint(d.ResourceVersion, 10, 64)
		if err != nil || b <= a {
			t.Fatalf("resourceVersion after the write %q, before %q: the answer's version was not carried back", d.ResourceVersion, orig.ResourceVersion)
		}
		written = d
		return nil
	})

	var got inkassov1.Debtor
	if err := k8s.Get(ctx, key, &got); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, "PatchTest"); c == nil || c.Reason != "Written" {
		t.Fatalf("the written condition is not stored: %+v", got.Status.Conditions)
	}
	if got.Spec.DisplayName == "changed in memory only" {
		t.Fatal("a status write changed the spec")
	}

	// A write from a read older than the stored object is refused.
	stale := written.DeepCopy()
	stale.ResourceVersion = "1"
	next := stale.DeepCopy()
	meta.RemoveStatusCondition(&next.Status.Conditions, "PatchTest")
	err := statuspatch.Patch(ctx, k8s, next, stale, statuspatch.Optimistic)
	if !apierrors.IsConflict(err) {
		t.Fatalf("a write from a stale read: %v, want a conflict", err)
	}
	// Without the lock the same write goes through.
	if err := statuspatch.Patch(ctx, k8s, next, stale, statuspatch.LastWriteWins); err != nil {
		t.Fatalf("last-write-wins: %v", err)
	}
	if err := k8s.Get(ctx, key, &got); err != nil {
		t.Fatal(err)
	}
	if meta.FindStatusCondition(got.Status.Conditions, "PatchTest") != nil {
		t.Fatal("the last-write-wins patch did not remove the condition")
	}
	// An unchanged status is not sent: from a stale read it would conflict.
	same := next.DeepCopy()
	same.ResourceVersion = "1"
	if err := statuspatch.Patch(ctx, k8s, same, same.DeepCopy(), statuspatch.Optimistic); err != nil {
		t.Fatalf("an unchanged status was sent: %v", err)
	}
}
