package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func TestDebtorWithOpenClaimsIsNotDeleted(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	d := debtor(ns, "leaving", inkassov1.DebtorConsumer)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), d, claimDue(ns, "open", "leaving", "100.00", 10))
	key := client.ObjectKeyFromObject(d)
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Debtor
		if err := k8s.Get(ctx, key, &got); err != nil {
			return err
		}
		if len(got.Finalizers) != 1 || got.Status.OpenClaims != 1 {
			return fmt.Errorf("finalizers %v, open claims %d", got.Finalizers, got.Status.OpenClaims)
		}
		return nil
	})

	if err := k8s.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Debtor
		if err := k8s.Get(ctx, key, &got); err != nil {
			return err
		}
		if err := expectCondition(got.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, "DeletionBlocked"); err != nil {
			return err
		}
		if msg := condition(got.Status.Conditions, inkassov1.ConditionReady).Message; !strings.Contains(msg, "open") {
			return fmt.Errorf("message %q does not name the open claim", msg)
		}
		return nil
	})
	// The claim is still collected meanwhile.
	if p := getClaim(t, ns, "open").Status.Phase; p != inkassov1.PhasePending {
		t.Errorf("claim of a debtor being deleted: phase %s", p)
	}

	if err := k8s.Patch(ctx, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "open"}},
		client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"withdraw":true}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Debtor
		if err := k8s.Get(ctx, key, &got); !apierrors.IsNotFound(err) {
			return fmt.Errorf("debtor still there (%v): %v", err, got.Status.Conditions)
		}
		return nil
	})
}
