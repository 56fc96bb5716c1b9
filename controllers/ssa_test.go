package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestServerSideApplyFromTwoFieldManagers: an ERP sync re-applying the same
// Claim manifest never resets status nor loses a person's patch; payments
// added by two field managers both survive (payments is a list-map keyed by id).
func TestServerSideApplyFromTwoFieldManagers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer))
	due := fclock.Now().In(oslo).AddDate(0, 0, -2)
	erp := object("Claim", ns, "erp-1", specOf(t, "Claim", fmt.Sprintf(`{debtorRef: {name: d}, invoiceDate: "%s", dueDate: "%s",
payments: [{id: erp-77, amount: "100.00", date: "%s"}]}`, due.AddDate(0, 0, -14).Format(time.DateOnly), due.Format(time.DateOnly), due.Format(time.DateOnly))))
	apply := func(obj client.Object, manager string) {
		t.Helper()
		obj.SetManagedFields(nil)
		obj.SetResourceVersion("")
		if err := k8s.Patch(ctx, obj, client.Apply, client.FieldOwner(manager), client.ForceOwnership); err != nil {
			t.Fatalf("apply as %s: %v", manager, err)
		}
	}
	apply(erp.DeepCopy(), "erp-sync")

	var history int
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "erp-1")
		if len(c.Status.History) == 0 {
			return fmt.Errorf("no step yet")
		}
		history = len(c.Status.History)
		return nil
	})

	// A person registers a payment with their own field manager.
	person := object("Claim", ns, "erp-1", map[string]any{
		"payments": []any{map[string]any{"id": "cash-1", "amount": "50.00", "date": due.Format(time.DateOnly), "receivedBy": "Creditor"}},
	})
	apply(person, "finance-person")

	// The ERP sync applies its unchanged manifest again.
	apply(erp.DeepCopy(), "erp-sync")

	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "erp-1")
		ids := map[string]bool{}
		for _, p := range c.Spec.Payments {
			ids[p.ID] = true
		}
		if !ids["erp-77"] || !ids["cash-1"] || len(ids) != 2 {
			return fmt.Errorf("payments %v: want both managers' entries", c.Spec.Payments)
		}
		if len(c.Status.History) < history || c.Status.Phase == "" || c.Status.Balance == nil || c.Status.Balance.Paid != "150.00" {
			return fmt.Errorf("status lost or not updated: phase %q history %d balance %+v", c.Status.Phase, len(c.Status.History), c.Status.Balance)
		}
		return nil
	})
}
