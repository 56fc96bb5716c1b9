package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"

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
	// stalledIndex is "true" on claims and debtors whose Stalled condition
	// is True: a channel or policy change wakes those without looking at
	// the rest of the namespace.
	stalledIndex = "status.stalled"
)

// stalledKey indexes an object by whether it is stalled.
func stalledKey(conds []metav1.Condition) []string {
	if meta.IsStatusConditionTrue(conds, inkassov1.ConditionStalled) {
		return []string{"true"}
	}
	return nil
}

// SetupIndexes registers the field indexes the controllers use on idx (the
// manager's field indexer, or a cache of the same configuration).
func SetupIndexes(ctx context.Context, idx client.FieldIndexer) error {
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
	if err := idx.IndexField(ctx, &inkassov1.Claim{}, stalledIndex, func(o client.Object) []string {
		return stalledKey(o.(*inkassov1.Claim).Status.Conditions)
	}); err != nil {
		return fmt.Errorf("indexing stalled claims: %w", err)
	}
	if err := idx.IndexField(ctx, &inkassov1.Debtor{}, stalledIndex, func(o client.Object) []string {
		return stalledKey(o.(*inkassov1.Debtor).Status.Conditions)
	}); err != nil {
		return fmt.Errorf("indexing stalled debtors: %w", err)
	}
	return nil
}
