package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// caseID names the case a claim opens: stable, so a retry opens the same one.
func caseID(debtor, opener string) string {
	sum := sha256.Sum256([]byte(debtor + "\x00" + opener))
	prefix := debtor
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-.")
	}
	return prefix + "-" + hex.EncodeToString(sum[:])[:8]
}

// held reports a claim that takes no part in case steps now.
func held(c *inkassov1.Claim) bool {
	return c.Status.Phase.Terminal() || c.Spec.Withdraw || c.Spec.Suspend ||
		(c.Spec.Dispute != nil && c.Spec.Dispute.Resolution != inkassov1.DisputeCreditor) ||
		c.Status.Phase == inkassov1.PhaseSuspended || c.Status.Phase == inkassov1.PhaseDisputed ||
		c.Status.Phase == inkassov1.PhasePaymentPlan ||
		(c.Spec.PaymentPlan != nil && (c.Status.PaymentPlan == nil || c.Status.PaymentPlan.State == "OnTrack"))
}

// reconcileCase runs the debtor's collection case: it takes in claims whose
// transfer is due, lets go of claims that are settled, withdrawn, suspended
// or disputed, carries out a due case step for every claim in it at once,
// and returns when the next case step is due (zero: none).
func (r *DebtorReconciler) reconcileCase(ctx context.Context, d, orig *inkassov1.Debtor, claims []inkassov1.Claim, now time.Time) (time.Time, error) {
	c := d.Status.Case
	var active []*inkassov1.Claim
	for i := range claims {
		if !held(&claims[i]) {
			active = append(active, &claims[i])
		}
	}
	if len(active) == 0 {
		d.Status.Case = nil // every claim left: the case is closed
		return time.Time{}, nil
	}
	// A case follows one policy: the open case's, or else the policy of the
	// claim that opens it. Claims under another policy are collected alone.
	var policy *inkassov1.CollectionPolicy
	if c != nil {
		policy = &inkassov1.CollectionPolicy{}
		if err := r.Client.Get(ctx, types.NamespacedName{Namespace: d.Namespace, Name: c.Policy}, policy); err != nil {
			return time.Time{}, fmt.Errorf("policy %s of case %s: %w", c.Policy, c.ID, err)
		}
	} else {
		sort.Slice(active, func(i, j int) bool {
			if active[i].Spec.DueDate != active[j].Spec.DueDate {
				return active[i].Spec.DueDate < active[j].Spec.DueDate
			}
			return active[i].Name < active[j].Name
		})
		p, err := resolvePolicy(ctx, r.Client, active[0])
		if err != nil {
			return time.Time{}, err
		}
		policy = p
	}
	if !consolidates(policy) {
		return time.Time{}, nil
	}
	tp, err := timing(policy)
	if err != nil {
		return time.Time{}, err
	}
	// Members stay; a claim joins when its own transfer is due. The debtor
	// keeps the timer for that (joinAt), so a claim writes nothing to ask
	// and claims due together are taken in together.
	var members, awaiting []*inkassov1.Claim
	var joinAt time.Time
	same := samePolicyCache{policy: policy.Name, byRef: map[string]bool{}}
	for _, cl := range active {
		switch {
		case c != nil && slices.Contains(c.Claims, cl.Name):
			members = append(members, cl)
		case !same.of(ctx, r.Client, cl):
		case cl.Status.AwaitingCase:
			awaiting = append(awaiting, cl)
		default:
			at, ok := transferAt(cl, d, policy, tp, now)
			switch {
			case !ok:
			case !now.Before(at):
				awaiting = append(awaiting, cl)
			default:
				joinAt = earliest(joinAt, at)
			}
		}
	}
	if c == nil && len(awaiting) == 0 {
		return joinAt, nil
	}
	if len(members)+len(awaiting) == 0 {
		d.Status.Case = nil
		return joinAt, nil
	}

	if c == nil {
		opener := awaiting[0] // active, and so awaiting, is sorted by due date when no case is open
		c = &inkassov1.CollectionCase{ID: caseID(d.Name, opener.Name), Policy: policy.Name, DueDate: string(opener.Spec.DueDate),
			OpenedAt: &metav1.Time{Time: now.Truncate(time.Second)}}
		// The case goes on from where its opener is: steps it already had count as done.
		for _, h := range opener.Status.History {
			if isCaseStep(policy, h.Step) {
				c.History = append(c.History, inkassov1.CaseStep{Step: h.Step, Time: h.Time, Claims: []string{opener.Name}, Fee: h.Fee})
				c.Step = h.Step
			}
		}
		d.Status.Case = c
		r.Recorder.Eventf(d, nil, "Normal", "CaseOpened", "OpenCase", "collection case %s opened with claim %s", c.ID, opener.Name)
	}
	members = append(members, awaiting...)
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	c.Claims = nil
	for _, m := range members {
		c.Claims = append(c.Claims, m.Name)
	}

	ctp := caseTiming(tp, policy)
	due, err := schedule.ParseDate(c.DueDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("case %s due date: %w", c.ID, err)
	}
	// The case waits for a manual credit decision only while some member has none.
	facts := schedule.Claim{InvoiceDate: due, DueDate: due, Decided: !slices.ContainsFunc(members, func(m *inkassov1.Claim) bool { return m.Spec.CreditDecision == "" })}
	for _, h := range c.History {
		facts.Done = append(facts.Done, schedule.Done{Step: h.Step, At: h.Time.Time})
	}
	// Finish the last recorded step first: its notices and claim entries
	// may be missing after a crash or a failed write.
	if err := r.materialize(ctx, d, c, policy, tp, members, now, false); err != nil {
		return time.Time{}, err
	}
	plan := schedule.Compute(ctp, facts, now)
	if plan.Due {
		// A member's failed notice holds the case's next step; the notice
		// watch brings the debtor back when it is retried or deleted.
		for _, m := range members {
			held, err := undelivered(ctx, r.Client, m, policy)
			if err != nil {
				return time.Time{}, err
			}
			if held {
				// The member's own reconcile reports it (Stalled/NoticeFailed).
				return joinAt, nil
			}
		}
	}
	if plan.Due {
		step := stepNamed(policy, ctp.Steps[plan.Next].Name)
		rec, err := r.planCaseStep(ctx, d, c, policy, step, members, plan, now)
		if err != nil {
			return time.Time{}, err
		}
		// Intent first: the step is recorded on the debtor (optimistic lock)
		// before any notice or claim entry exists, so a retry finishes this
		// very step and never starts another version of it.
		c.History = append(c.History, rec)
		c.Step = step.Name
		facts.Done = append(facts.Done, schedule.Done{Step: step.Name, At: rec.Time.Time})
		plan = schedule.Compute(ctp, facts, now)
		setCaseNext(c, ctp, plan) // what is persisted is what claims may mirror
		// The debtor's totals after the step go out with its record, so the
		// members' new balances cost no second debtor write.
		aggregate(&d.Status, afterStep(claims, rec, policy, step, d, now))
		if err := r.persist(ctx, d, orig); err != nil {
			return time.Time{}, err
		}
		observeStep(policy.Name, rec.Step, rec.DueAt.Time, now)
		// No event on the debtor: each member claim gets its StepCompleted
		// (naming the case) and status.case.history keeps the record.
	}
	setCaseNext(c, ctp, plan)
	if err := r.materialize(ctx, d, c, policy, tp, members, now, true); err != nil {
		return time.Time{}, err
	}
	if plan.Next < 0 {
		// Every step is done: the case is complete. Claims arriving later open a new one.
		r.Recorder.Eventf(d, nil, "Normal", "CaseCompleted", "CloseCase", "collection case %s completed every step of policy %s", c.ID, policy.Name)
		d.Status.Case = nil
		return joinAt, nil
	}
	return earliest(plan.NextAt, joinAt), nil
}

// earliest is the sooner of two moments, a zero one meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func setCaseNext(c *inkassov1.CollectionCase, ctp schedule.Policy, plan schedule.Plan) {
	c.NextStep, c.NextStepAt = "", nil
	if plan.Next >= 0 {
		c.NextStep = ctp.Steps[plan.Next].Name
		c.NextStepAt = &metav1.Time{Time: plan.NextAt.UTC()}
	}
}

// afterStep previews the claims as materialize will write them for the
// recorded step: each member's phase and outstanding with its fee share.
// Shallow copies: only what aggregate reads is replaced.
func afterStep(claims []inkassov1.Claim, rec inkassov1.CaseStep, policy *inkassov1.CollectionPolicy, step inkassov1.PolicyStep,
	d *inkassov1.Debtor, now time.Time) []inkassov1.Claim {
	out := slices.Clone(claims)
	for i := range out {
		m := &out[i]
		idx := slices.Index(rec.Claims, m.Name)
		if idx < 0 || hasStep(m, rec.Step) {
			continue
		}
		share, err := money.Parse(rec.Shares[idx], string(m.Spec.Currency))
		if err != nil {
			continue
		}
		b, err := claimLedger(m, policy, d, now, &stepFee{rec.Step, share})
		if err != nil {
			continue
		}
		m.Status.Phase, _ = stepPhase(m, policy, step)
		m.Status.Balance = toStatusBalance(b)
	}
	return out
}

// persist writes the debtor's status now, with a resourceVersion precondition.
func (r *DebtorReconciler) persist(ctx context.Context, d, orig *inkassov1.Debtor) error {
	if err := r.Client.Status().Patch(ctx, d, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("recording the case step on debtor %s: %w", d.Name, err)
	}
	*orig = *d.DeepCopy()
	return nil
}

// samePolicyCache tells whether claims are collected under one policy,
// resolving each distinct policyRef once per reconcile rather than per claim.
type samePolicyCache struct {
	policy string
	byRef  map[string]bool // policyRef name ("" for the namespace default) -> same
}

func (s samePolicyCache) of(ctx context.Context, c client.Reader, cl *inkassov1.Claim) bool {
	ref := ""
	if cl.Spec.PolicyRef != nil {
		ref = cl.Spec.PolicyRef.Name
	}
	same, ok := s.byRef[ref]
	if !ok {
		p, err := resolvePolicy(ctx, c, cl)
		same = err == nil && p.Name == s.policy
		s.byRef[ref] = same
	}
	return same
}

// transferAt reports when a claim, not in a case, transfers to collection:
// when its next own step, a case step, is due. ok is false when no time
// alone brings the transfer (reminders first, automatic collection off, a
// debtor abroad forwarded by the claim itself).
func transferAt(cl *inkassov1.Claim, d *inkassov1.Debtor, policy *inkassov1.CollectionPolicy, tp schedule.Policy, now time.Time) (at time.Time, ok bool) {
	if !(cl.AutoCollectionEnabled() && d.AutoCollectionEnabled()) && len(cl.Status.History) == 0 {
		return time.Time{}, false
	}
	if !transferred(cl, policy) && string(d.Spec.Country) != string(policy.Spec.Jurisdiction) {
		return time.Time{}, false
	}
	facts, err := scheduleFacts(cl)
	if err != nil {
		return time.Time{}, false
	}
	plan := schedule.Compute(tp, facts, now)
	if plan.Next < 0 || !isCaseStep(policy, policy.Spec.Steps[plan.Next].Name) {
		return time.Time{}, false
	}
	return plan.NextAt, true
}

// caseTiming is the policy's timing for case steps: those after the reminder
// phase, anchored on the case's due date. Eligibility was checked per claim
// before it asked to join.
func caseTiming(tp schedule.Policy, policy *inkassov1.CollectionPolicy) schedule.Policy {
	out := tp
	out.Steps = nil
	out.MinDaysAfterDue, out.MinDaysAfterInvoice = 0, 0
	for _, s := range tp.Steps {
		if isCaseStep(policy, s.Name) {
			out.Steps = append(out.Steps, s)
		}
	}
	return out
}

func isCaseStep(policy *inkassov1.CollectionPolicy, name string) bool {
	s := stepNamed(policy, name)
	return s.Name != "" && s.Phase != "Reminder"
}

func stepNamed(policy *inkassov1.CollectionPolicy, name string) inkassov1.PolicyStep {
	for _, s := range policy.Spec.Steps {
		if s.Name == name {
			return s
		}
	}
	return inkassov1.PolicyStep{}
}

// planCaseStep decides one step for every claim of the case: the fee on the
// case's total principal and each claim's share of it.
func (r *DebtorReconciler) planCaseStep(ctx context.Context, d *inkassov1.Debtor, c *inkassov1.CollectionCase, policy *inkassov1.CollectionPolicy,
	step inkassov1.PolicyStep, members []*inkassov1.Claim, plan schedule.Plan, now time.Time) (inkassov1.CaseStep, error) {
	if err := requireChannels(ctx, r.Client, d.Namespace, policy, step); err != nil {
		return inkassov1.CaseStep{}, err
	}
	cur := string(members[0].Spec.Currency)
	principals := make([]money.Money, len(members))
	total := money.Zero(cur)
	for i, m := range members {
		b, err := claimLedger(m, policy, d, now, nil)
		if err != nil {
			return inkassov1.CaseStep{}, stall("InvalidAmount", "claim %s: %v", m.Name, err)
		}
		principals[i], total = b.Principal, total.Add(b.Principal)
	}
	fee, err := caseFee(d, c, policy, step, total, now)
	if err != nil {
		return inkassov1.CaseStep{}, stall("FeeUnavailable", "case %s step %q: %v", c.ID, step.Name, err)
	}
	shares, err := fees.Split(fee, principals)
	if err != nil {
		return inkassov1.CaseStep{}, stall("FeeUnavailable", "case %s: %v", c.ID, err)
	}
	rec := inkassov1.CaseStep{Step: step.Name, Time: metav1.Time{Time: now.Truncate(time.Second)}, Fee: fee.String(),
		DueAt: &metav1.Time{Time: plan.NextAt.UTC()}}
	for i, m := range members {
		rec.Claims = append(rec.Claims, m.Name)
		rec.Shares = append(rec.Shares, shares[i].String())
	}
	return rec, nil
}

// materialize carries the case's last recorded step out, idempotently: the
// notices (deterministic names: creating one again finds it) and, in one
// status write per claim, the step entry with the claim's fee share, the
// case id, payment reference and next step, and the claim's Ready condition
// (the Claim controller does not run on status writes).
func (r *DebtorReconciler) materialize(ctx context.Context, d *inkassov1.Debtor, c *inkassov1.CollectionCase, policy *inkassov1.CollectionPolicy,
	tp schedule.Policy, members []*inkassov1.Claim, now time.Time, mirror bool) error {
	ref, err := reference.Generate(reference.ForJurisdiction(string(policy.Spec.Jurisdiction)), d.Namespace+"/"+c.ID)
	if err != nil {
		return fmt.Errorf("payment reference: %w", err)
	}
	var rec *inkassov1.CaseStep
	if n := len(c.History); n > 0 && len(c.History[n-1].Shares) > 0 {
		rec = &c.History[n-1] // seeded entries (no shares) were carried out by their claim
	}
	origs := make([]*inkassov1.Claim, len(members))
	shares := map[string]money.Money{}
	var listed []*inkassov1.Claim
	var balances []ledger.Result
	for i, m := range members {
		origs[i] = m.DeepCopy()
		if rec == nil {
			continue
		}
		idx := slices.Index(rec.Claims, m.Name)
		if idx < 0 {
			continue
		}
		share, err := money.Parse(rec.Shares[idx], string(m.Spec.Currency))
		if err != nil {
			return fmt.Errorf("case %s: share of %s: %w", c.ID, m.Name, err)
		}
		m.Status.PaymentReference, m.Status.CaseID = ref, c.ID
		done := hasStep(m, rec.Step)
		extra := &stepFee{rec.Step, share}
		if done {
			extra = nil // already in the claim's history
		}
		b, err := claimLedger(m, policy, d, now, extra)
		if err != nil {
			return stall("InvalidAmount", "claim %s: %v", m.Name, err)
		}
		shares[m.Name] = share
		listed, balances = append(listed, m), append(balances, b)
	}
	var names []string
	// Once every listed member has the step, its notices exist (they are
	// created before the entries): no need to ask the apiserver again on
	// each of the debtor's reconciles.
	pending := rec != nil && slices.ContainsFunc(listed, func(m *inkassov1.Claim) bool { return !hasStep(m, rec.Step) })
	if pending {
		step := stepNamed(policy, rec.Step)
		names, err = createNotices(ctx, r.Client, noticeInput{caseID: c.ID, debtor: d, policy: policy, tp: tp, step: step,
			claims: listed, balances: balances, owner: d, now: rec.Time.Time})
		if err != nil {
			return err
		}
		for i, m := range listed {
			if hasStep(m, rec.Step) {
				continue
			}
			phase, msg := stepPhase(m, policy, step)
			m.Status.History = append(m.Status.History, inkassov1.HistoryEntry{Step: rec.Step, Phase: phase, Time: rec.Time,
				DueAt: rec.DueAt.DeepCopy(), Notices: names, Fee: shares[m.Name].String(),
				Message: strings.TrimPrefix(msg+"; case "+c.ID, "; ")})
			m.Status.Step, m.Status.Phase = rec.Step, phase
			if m.Status.CollectionStartedAt == nil {
				m.Status.CollectionStartedAt = rec.Time.DeepCopy()
			}
			setBalance(&m.Status, balances[i])
		}
	}
	for i, m := range members {
		st := &m.Status
		if mirror {
			// The case's next step is known only after this reconcile's plan.
			st.CaseID, st.AwaitingCase, st.PaymentReference = c.ID, false, ref
			st.NextStep, st.NextStepAt = c.NextStep, c.NextStepAt.DeepCopy()
			conds := conditionSetter{conds: &st.Conditions, gen: m.Generation, now: metav1.Time{Time: now.Truncate(time.Second)}}
			if c.NextStep == "" && st.Phase == inkassov1.PhaseSurveillance {
				// Each claim of a finished case is re-checked on its own timer.
				at := nextRecheck(m, policy, tp, now)
				st.NextStep, st.NextStepAt = recheckStep, &metav1.Time{Time: at.UTC()}
				conds.ready("Surveillance", surveillanceMessage(m, policy, at))
			} else if c.NextStep == "" {
				conds.ready(string(st.Phase), "collected in case "+c.ID+"; every step of policy "+policy.Name+" is done; the claim is in "+string(st.Phase))
			} else {
				conds.ready("Waiting", "collected in case "+c.ID+" of debtor "+d.Name+"; next step "+c.NextStep+" at "+c.NextStepAt.UTC().Format(time.RFC3339))
			}
		}
		if err := notifyTransferred(ctx, r.Client, m, d, policy, tp, now); err != nil {
			return err
		}
		if apiequality.Semantic.DeepEqual(origs[i].Status, m.Status) {
			continue
		}
		if err := r.Client.Status().Patch(ctx, m, client.MergeFromWithOptions(origs[i], client.MergeFromWithOptimisticLock{})); err != nil {
			return fmt.Errorf("updating claim %s in case %s: %w", m.Name, c.ID, err)
		}
		// Events only for what was written, so a repaired step is announced once.
		for _, h := range m.Status.History[len(origs[i].Status.History):] {
			r.Recorder.Eventf(m, d, "Normal", "StepCompleted", "Step", "step %s done in case %s: %d notice(s), fee share %s %s",
				h.Step, c.ID, len(h.Notices), h.Fee, m.Spec.Currency)
		}
	}
	return nil
}

func hasStep(m *inkassov1.Claim, step string) bool {
	return slices.ContainsFunc(m.Status.History, func(h inkassov1.HistoryEntry) bool { return h.Step == step })
}

// caseFee is the step's fee on the case's total principal, counting what the
// case was charged before.
func caseFee(d *inkassov1.Debtor, c *inkassov1.CollectionCase, policy *inkassov1.CollectionPolicy, step inkassov1.PolicyStep, total money.Money, now time.Time) (money.Money, error) {
	cur := total.Currency
	in := fees.Input{Jurisdiction: string(policy.Spec.Jurisdiction), Currency: cur, Principal: total,
		Business: d.Spec.Type == inkassov1.DebtorBusiness, On: now}
	if err := applyFeeStep(&in, policy, step); err != nil {
		return money.Money{}, err
	}
	in.Charged = fees.Charged{Salary: money.Zero(cur), Total: money.Zero(cur)}
	for _, h := range c.History {
		charged, err := money.Parse(h.Fee, cur)
		if h.Fee == "" || err != nil || !charged.IsPositive() {
			continue
		}
		countCharge(&in.Charged, stepNamed(policy, h.Step).Fee, charged)
	}
	return fees.Compute(in)
}
