package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestSameCaseIDsInTwoTenantsDoNotHoldEachOtherBack: a case's ID derives
// from its debtor's and opening claim's names, which each creditor chooses,
// so two tenants can hold cases of the same ID. One tenant's case step must
// not hold back the other's notices: the Debtor controller once remembered
// the case steps whose notices it had created by case and step alone, and
// skipped the second tenant's for a minute (found when a test ran twice).
func TestSameCaseIDsInTwoTenantsDoNotHoldEachOtherBack(t *testing.T) {
	ctx := context.Background()
	a, b := newNamespace(t), newNamespace(t)
	for _, ns := range []string{a, b} {
		create(t, samplePolicyFile(t, ns, "collectors"), logChannel(ns, "letter"), debtor(ns, "fc", inkassov1.DebtorConsumer))
		// One claim each: the case's ID names its opener, and with two claims
		// due together the opener is whichever has warned its creditor first
		// (the policy's creditorWarning), which made the IDs differ by chance.
		create(t, claimIn(ns, "first", "fc", "1000.00", "NOK", "collectors", -20))
	}
	// b's claim warns its creditor before the clock moves, so its transfer
	// falls due at the same moment as a's.
	waitWarned(t, b, "first")
	driveToStep(t, a, "first", "reminder") // tenant a's case takes the transfer step and sends its notice
	caseA := getClaim(t, a, "first").Status.CaseID

	// Tenant b's claims fell due at the same moment of the shared fake
	// clock: its case takes the same step now, and its notice must follow
	// within seconds, not after the minute a's creation is remembered.
	limit := min(budget(10*time.Second), 45*time.Second)
	deadline := time.Now().Add(limit)
	for {
		err := func() error {
			for _, n := range []string{"first"} {
				c := getClaim(t, b, n)
				if !hasStep(c, "reminder") {
					return fmt.Errorf("claim %s/%s has not taken its case's step reminder; %s", b, n, debtorsState(b))
				}
				if c.Status.CaseID != caseA {
					t.Fatalf("claim %s/%s: case %q, want %q as in tenant %s (the test needs the same case ID in both)", b, n, c.Status.CaseID, caseA, a)
				}
			}
			var notices inkassov1.NoticeList
			if err := k8s.List(ctx, &notices, client.InNamespace(b), client.MatchingLabels{"collection.inkasso.dev/step": "reminder"}); err != nil {
				return err
			}
			for _, n := range notices.Items {
				if n.Spec.CaseID == caseA {
					return nil
				}
			}
			return fmt.Errorf("no notice of case %s's step reminder in tenant %s", caseA, b)
		}()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", limit.Round(time.Second), err)
		}
		wakeClaim(b, "first")
		time.Sleep(50 * time.Millisecond)
	}
}
