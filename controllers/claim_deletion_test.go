package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestClaimInOpenCollectionIsNotDeleted: a GitOps prune (or anyone) deleting
// a Claim in open collection is refused by config/admission's
// claim-deletion policy, with a message saying what to do; a claim that
// never started, one that ended (withdrawn first) and one annotated
// collection.inkasso.dev/allow-delete=true may be deleted. The policy is
// bound to this test's namespace only.
func TestClaimInOpenCollectionIsNotDeleted(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	bindAdmissionPolicy(t, "claim_deletion.yaml", ns)

	cfg := rest.CopyConfig(restCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "argocd-application-controller", Groups: []string{"system:masters", "system:authenticated"}}
	gitops, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	create(t, samplePolicy(t, ns), debtor(ns, "ola", inkassov1.DebtorConsumer),
		logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"))
	// Three claims overdue, whose reminder goes out at once; one not due.
	for _, name := range []string{"open", "withdrawn", "annotated"} {
		create(t, claimDue(ns, name, "ola", "1000.00", -3))
	}
	create(t, claimDue(ns, "not-started", "ola", "1000.00", 20))
	for _, name := range []string{"open", "withdrawn", "annotated"} {
		eventually(t, 30*time.Second, func() error {
			if c := getClaim(t, ns, name); len(c.Status.History) == 0 {
				return fmt.Errorf("claim %s took no step yet (phase %s)", name, c.Status.Phase)
			}
			return nil
		})
	}
	claim := func(name string) *inkassov1.Claim {
		return &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}

	// The policy takes effect shortly after it is created: probe with
	// dry-run deletions (admission judges them; nothing is deleted).
	eventually(t, 20*time.Second, func() error {
		if err := gitops.Delete(ctx, claim("open"), client.DryRunAll); err == nil {
			return fmt.Errorf("not refused yet")
		}
		return nil
	})
	func() {
		err := gitops.Delete(ctx, claim("open"))
		switch {
		case err == nil:
			t.Fatal("a claim in open collection was deleted")
		case !strings.Contains(err.Error(), "is in open collection"):
			t.Fatalf("refused for another reason: %v", err)
		}
		for _, want := range []string{"spec.withdraw: true", "collection.inkasso.dev/allow-delete=true", "Prune=false", "kustomize.toolkit.fluxcd.io/prune: disabled"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal does not say %q: %v", want, err)
			}
		}
	}()
	if c := getClaim(t, ns, "open"); !c.DeletionTimestamp.IsZero() {
		t.Errorf("the refused claim is being deleted")
	}

	if err := gitops.Delete(ctx, claim("not-started")); err != nil {
		t.Errorf("a claim that never started collection: %v", err)
	}

	// Withdrawn first, then deleted.
	if err := k8s.Patch(ctx, claim("withdrawn"), client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"withdraw":true}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		if c := getClaim(t, ns, "withdrawn"); c.Status.Phase != inkassov1.PhaseWithdrawn {
			return fmt.Errorf("phase %s, want Withdrawn", c.Status.Phase)
		}
		return nil
	})
	if err := gitops.Delete(ctx, claim("withdrawn")); err != nil {
		t.Errorf("a withdrawn claim: %v", err)
	}

	// Deliberately: the annotation.
	if err := k8s.Patch(ctx, claim("annotated"), client.RawPatch("application/merge-patch+json",
		[]byte(`{"metadata":{"annotations":{"collection.inkasso.dev/allow-delete":"true"}}}`))); err != nil {
		t.Fatal(err)
	}
	if err := gitops.Delete(ctx, claim("annotated")); err != nil {
		t.Errorf("a claim annotated allow-delete: %v", err)
	}
}
