package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// Field indexes on the manager's cache, so that looking up a debtor's claims
// or a policy's claims never lists a whole namespace.
const (
	claimDebtorIndex = "spec.debtorRef.name"
	claimPolicyIndex = "spec.policyRef.name" // "" for claims using the default policy
	// noticeDebtorIndex keys notices by their debtor label: a label selector
	// on the cache scans every notice of the namespace, and a busy namespace
	// holds tens of thousands.
	noticeDebtorIndex = "metadata.labels.debtor"
)

// SetupIndexes registers the field indexes the controllers use.
func SetupIndexes(ctx context.Context, mgr manager.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &inkassov1.Claim{}, claimDebtorIndex, func(o client.Object) []string {
		return []string{o.(*inkassov1.Claim).Spec.DebtorRef.Name}
	}); err != nil {
		return fmt.Errorf("indexing claims by debtor: %w", err)
	}
	if err := idx.IndexField(ctx, &inkassov1.Claim{}, claimPolicyIndex, func(o client.Object) []string {
		if ref := o.(*inkassov1.Claim).Spec.PolicyRef; ref != nil {
			return []string{ref.Name}
		}
		return []string{""}
	}); err != nil {
		return fmt.Errorf("indexing claims by policy: %w", err)
	}
	if err := idx.IndexField(ctx, &inkassov1.Notice{}, noticeDebtorIndex, func(o client.Object) []string {
		if d, ok := o.GetLabels()[debtorLabel]; ok {
			return []string{d}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("indexing notices by debtor: %w", err)
	}
	return nil
}
