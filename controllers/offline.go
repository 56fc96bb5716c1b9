package controllers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
)

// DecideOffline is the claim controller's fetch → convert → decide → apply
// on objects held in memory, without an API server: the national-scale
// simulation (hack/simulate) drives the real decider and status shaping
// with it. The decision is applied to claim's status in place (state,
// balance, conditions); its notices are named in the history but not
// created, and every notice counts as delivered (the lookup finds none, as
// after the sent-notice TTL). A claim collected as part of its debtor's
// case needs the debtor controller, which this does not run: the simulation
// uses a policy without consolidation.
func DecideOffline(claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy, now time.Time) (collection.Decision, error) {
	c, err := claimFacts(claim)
	if err != nil {
		return collection.Decision{}, fmt.Errorf("claim %s: %w", claim.Name, err)
	}
	f := collection.ClaimFacts{Claim: c, Now: now, TransferGrace: awaitingCaseGrace}
	if debtor != nil {
		f.Debtor = debtorFacts(debtor)
		f.Case = claimCase(debtor, claim)
	}
	p, err := policyFacts(policy, now)
	if err != nil {
		return collection.Decision{}, fmt.Errorf("policy %s: %w", policy.Name, err)
	}
	f.Policy = p
	dec := collection.DecideClaim(f)
	applyState(claim, dec.State, dec.HistoryLimit)
	if dec.Balance != nil {
		setBalance(&claim.Status, *dec.Balance)
	}
	conds := conditionSetter{conds: &claim.Status.Conditions, gen: claim.Generation, now: metav1.Time{Time: now.Truncate(time.Second)}}
	for _, fl := range dec.Flags {
		conds.flag(string(fl.Type), fl.On, fl.Reason, fl.Msg)
	}
	claim.Status.ObservedGeneration = claim.Generation
	return dec, nil
}
