package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/pkg/statuspatch"
)

// reconcileCases runs the debtor's collection cases (one per currency):
// fetch and convert the facts, let internal/collection decide, then apply.
// The Debtor controller writes only the debtor: a case step is recorded on
// it first (intent, under a resourceVersion precondition), then its
// notices are created; each claim records its own entry from the record.
// It returns when the debtor must look again (zero: never by time alone).
func (r *DebtorReconciler) reconcileCases(ctx context.Context, d, orig *inkassov1.Debtor, claims []inkassov1.Claim, now time.Time) (time.Time, error) {
	facts, byName, err := r.caseFacts(ctx, d, claims, now)
	if err != nil {
		return time.Time{}, err
	}
	dec := collection.DecideCases(facts)
	was := d.Status.Cases
	d.Status.Cases = nil
	for _, c := range dec.Cases {
		d.Status.Cases = append(d.Status.Cases, caseToAPI(c, was))
	}
	// The debtor's totals after the recorded steps go out with the record,
	// so the claims' own writes that follow cost no second debtor write.
	aggregate(&d.Status, previewed(claims, dec))
	if dec.Recorded {
		// Intent first: no notice of a step exists before its record.
		if err := r.persist(ctx, d, orig); err != nil {
			return time.Time{}, err
		}
		for _, o := range dec.Observe {
			observeStep(d.Namespace, o.Policy, o.Step, o.Due, now)
		}
	}
	for _, w := range dec.Work {
		if err := r.createCaseNotices(ctx, d, w, byName); err != nil {
			return time.Time{}, err
		}
	}
	for _, e := range dec.Events {
		r.Recorder.Eventf(d, nil, corev1.EventTypeNormal, e.Reason, e.Action, "%s", e.Message)
	}
	if dec.Stalled != nil {
		// One case stalled (say, the EUR one) never holds another back: the
		// others' steps were recorded and their notices created above.
		return dec.Wake, &stallError{reason: dec.Stalled.Reason, msg: dec.Stalled.Message}
	}
	return dec.Wake, nil
}

// caseFacts gathers and converts what the debtor's cases depend on.
func (r *DebtorReconciler) caseFacts(ctx context.Context, d *inkassov1.Debtor, claims []inkassov1.Claim, now time.Time) (collection.CaseFacts, map[string]*inkassov1.Claim, error) {
	f := collection.CaseFacts{Debtor: debtorFacts(d), Namespace: d.Namespace, Now: now,
		ChannelExists: channelLookup(ctx, r.Client, d.Namespace)}
	byName := map[string]*inkassov1.Claim{}
	facts := map[string]*collection.Claim{}
	for i := range claims {
		cl := &claims[i]
		byName[cl.Name] = cl
		c, err := claimFacts(cl)
		if err != nil {
			continue // the claim's own reconcile stalls and says why
		}
		facts[cl.Name] = c
		f.Claims = append(f.Claims, c)
	}
	currencyOf := func(name string) string {
		if c, ok := byName[name]; ok {
			return string(c.Spec.Currency)
		}
		return ""
	}
	for _, c := range d.Status.Cases {
		f.Cases = append(f.Cases, caseFacts(c, currencyOf))
	}
	// Policies are resolved once per reconcile per policyRef, not per claim.
	type resolved struct {
		p    *collection.Policy
		prob *collection.Problem
	}
	byRef, byPolicyName := map[string]resolved{}, map[string]resolved{}
	var fetchErr error
	f.PolicyOf = func(c *collection.Claim) (*collection.Policy, *collection.Problem) {
		cl := byName[c.Name]
		ref := ""
		if cl.Spec.PolicyRef != nil {
			ref = cl.Spec.PolicyRef.Name
		}
		if v, ok := byRef[ref]; ok {
			return v.p, v.prob
		}
		var v resolved
		p, err := resolvePolicy(ctx, r.Client, cl)
		if err == nil {
			v.p, err = policyFacts(p, now)
		}
		if err != nil {
			if _, ok := err.(*stallError); !ok && fetchErr == nil {
				fetchErr = err
			}
			v.prob = problemOf(err)
		}
		byRef[ref] = v
		return v.p, v.prob
	}
	f.PolicyNamed = func(name string) (*collection.Policy, *collection.Problem) {
		if v, ok := byPolicyName[name]; ok {
			return v.p, v.prob
		}
		var v resolved
		var p inkassov1.CollectionPolicy
		err := r.Client.Get(ctx, types.NamespacedName{Namespace: d.Namespace, Name: name}, &p)
		if err == nil {
			v.p, err = policyFacts(&p, now)
		} else {
			err = stall(reasonPolicyNotFound, "%v", err)
		}
		if err != nil {
			v.prob = problemOf(err)
		}
		byPolicyName[name] = v
		return v.p, v.prob
	}
	lookup := noticeLookup(ctx, r.Client, d.Namespace)
	f.Undelivered = func(c *collection.Claim, p *collection.Policy) bool {
		return collection.Undelivered(c, p, lookup)
	}
	return f, byName, fetchErr
}

// previewed is the debtor's claims as they will be once they took their
// recorded case steps: shallow copies, only what aggregate reads replaced.
func previewed(claims []inkassov1.Claim, dec collection.CasesDecision) []inkassov1.Claim {
	out := slices.Clone(claims)
	for i := range out {
		m := &out[i]
		pv, ok := dec.Previews[m.Name]
		if !ok || len(pv.State.History) == len(m.Status.History) {
			continue
		}
		m.Status.Phase = inkassov1.ClaimPhase(pv.State.Phase)
		m.Status.Balance = toStatusBalance(dec.Balances[m.Name])
	}
	return out
}

// persist writes the debtor's status now, with a resourceVersion precondition.
func (r *DebtorReconciler) persist(ctx context.Context, d, orig *inkassov1.Debtor) error {
	if err := statuspatch.Patch(ctx, r.Client, d, orig, statuspatch.Optimistic); err != nil {
		return fmt.Errorf("recording the case step on debtor %s: %w", d.Name, err)
	}
	*orig = *d.DeepCopy()
	return nil
}

// createdKey names a case step whose notices this process created.
type createdKey struct{ namespace, caseID, step string }

// createCaseNotices creates a recorded case step's notices (one per
// channel listing every claim it covers), idempotently: the names derive
// from case, step and channel, so creating one again finds it.
func (r *DebtorReconciler) createCaseNotices(ctx context.Context, d *inkassov1.Debtor, w collection.StepWork, byName map[string]*inkassov1.Claim) error {
	if !w.Step.Action.Sends() || len(w.Members) == 0 {
		return nil
	}
	// Case IDs repeat across namespaces (debtor and opening claim names
	// are the tenant's to choose): the key must name the namespace, or one
	// tenant's case step would hold back another's notices.
	key := createdKey{namespace: d.Namespace, caseID: w.Case.ID, step: w.Record.Step}
	if _, ok := r.created.left(key, time.Now()); ok {
		return nil
	}
	var policy inkassov1.CollectionPolicy
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: d.Namespace, Name: w.Policy.Name}, &policy); err != nil {
		return fmt.Errorf("policy %s of case %s: %w", w.Policy.Name, w.Case.ID, err)
	}
	step, err := policyStep(&policy, w.Step.Name)
	if err != nil {
		return stall(collection.ReasonInvalidPolicy, "%v", err)
	}
	ref, err := collection.CaseReference(w.Policy, d.Namespace, w.Case.ID)
	if err != nil {
		return fmt.Errorf("payment reference: %w", err)
	}
	var listed []*inkassov1.Claim
	var balances []ledger.Result
	for i, m := range w.Members {
		cl, ok := byName[m.Name]
		if !ok {
			continue
		}
		listed, balances = append(listed, cl), append(balances, w.Balances[i])
	}
	if _, err = createNotices(ctx, r.Client, noticeInput{caseID: w.Case.ID, debtor: d, policy: &policy, tp: w.Policy.Timing, step: step,
		claims: listed, balances: balances, owner: d, now: w.Record.Time, fee: w.Record.Fee, reference: ref}); err != nil {
		return err
	}
	r.created.remember(key, time.Now(), createdFresh)
	return nil
}
