package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
	"github.com/inkasso-operator/inkasso-operator/pkg/statuspatch"
)

// ClaimReconciler moves claims through the phases of their policy.
type ClaimReconciler struct {
	Client client.Client
	// Shard, when enabled, is the debtor shard this manager runs: a claim
	// labelled for it whose debtor hashes elsewhere is moved (shard.go).
	Shard    shard.Shard
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	// Wake, when set, re-queues the claims sent on it; tests use it after
	// stepping a fake clock.
	Wake <-chan event.GenericEvent
	// StepEvents records a StepCompleted event for every step; without it
	// a step that changes the claim's phase is announced by the phase's
	// event, and the others only in status.history.
	StepEvents bool
	// MaxConcurrentReconciles bounds parallel claim reconciles.
	MaxConcurrentReconciles int
	// MaxRetryDelay caps the backoff after a failed reconcile, such as a
	// write refused while the apiserver is down (default
	// channelkit.DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration
	// Archive, when set, is asked before a new claim's first step whether
	// it was archived (restore.go).
	Archive archive.Store
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=debtors;collectionpolicies;noticechannels,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile is fetch → convert → decide → apply: it gathers the claim's
// facts, lets internal/collection decide, and carries the decision out
// (notices first, then one status write).
func (r *ClaimReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var claim inkassov1.Claim
	if err := r.Client.Get(ctx, req.NamespacedName, &claim); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !claim.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, nil
	}
	if moved, err := r.moveClaim(ctx, &claim); moved || err != nil {
		return reconcile.Result{}, err
	}
	orig := claim.DeepCopy()
	now := r.Clock.Now()
	conds := conditionSetter{conds: &claim.Status.Conditions, gen: claim.Generation, now: metav1.Time{Time: now.Truncate(time.Second)}}
	buf := &eventBuffer{to: r.Recorder}

	var res reconcile.Result
	restored, err := r.restore(ctx, &claim, now, buf)
	switch {
	case restored:
		res = reconcile.Result{RequeueAfter: 10 * time.Millisecond} // decide on the restored state
	case err == nil:
		res, err = r.decideAndApply(ctx, &claim, now, conds, buf)
	}
	var st *stallError
	switch {
	case errors.As(err, &st):
		conds.stalled(st.reason, st.msg)
		if !isStalled(orig, st.reason) {
			buf.Eventf(&claim, nil, corev1.EventTypeWarning, st.reason, "Stall", "%s", st.msg)
		}
		err = nil
		res = recheckStalled(res, orig.Status.Conditions, now)
	case err != nil:
		conds.reconciling(reasonRetrying, err.Error())
	}
	if err == nil {
		claim.Status.ObservedGeneration = claim.Generation
	}
	if accrualOnly(&orig.Status, &claim.Status) {
		// Interest grows every day; writing it on every reconcile would cost
		// a status write per notice delivery and debtor change. It is written
		// with the claim's next real change (status.balance.asOf says when).
		claim.Status = orig.Status
	}
	if !apiequality.Semantic.DeepEqual(orig.Status, claim.Status) {
		// Optimistic lock: a reconcile that read a stale claim from the cache
		// must not record a step twice; it fails here and runs again.
		if perr := statuspatch.Patch(ctx, r.Client, &claim, orig, statuspatch.Optimistic); perr != nil {
			if apierrors.IsConflict(perr) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, errors.Join(err, fmt.Errorf("writing claim status: %w", perr))
		}
	}
	step := buf.find("StepCompleted")
	if step != nil && !r.StepEvents {
		// The step is in status.history; only a phase change is announced.
		step = buf.take("StepCompleted")
	}
	if orig.Status.Phase != claim.Status.Phase && claim.Status.Phase != "" {
		change := fmt.Sprintf("phase %s → %s", phaseOrNone(orig.Status.Phase), claim.Status.Phase)
		switch {
		case step != nil && r.StepEvents:
			// One event per step: the phase it moved the claim to goes with it.
			step.note += "; " + change
		case step != nil:
			buf.Eventf(&claim, nil, corev1.EventTypeNormal, "Phase"+string(claim.Status.Phase), "PhaseChange", "%s (%s)", change, step.note)
		default:
			buf.Eventf(&claim, nil, corev1.EventTypeNormal, "Phase"+string(claim.Status.Phase), "PhaseChange", "%s", change)
		}
	}
	buf.flush()
	return res, err
}

// stalledRecheck is how often (wall clock) a stalled claim or debtor looks
// again. A stall waits for an object to change (a NoticeChannel or policy
// created, a notice retried) and the watches bring it back then; but the
// event can come before the stall is in the cache (a GitOps apply creates
// the channel a moment after the claim that needs it), and then nothing
// would. Seen under load: a case stalled on a missing channel stayed
// stalled after the channel appeared.
// The first re-check comes after a second and the wait grows with how
// long the stall lasts (operator time since the Stalled condition turned
// True), to this at most.
const stalledRecheck = 30 * time.Second

// recheckStalled makes sure a stalled object is looked at again, sooner
// the newer the stall (conds: the object's conditions before this
// reconcile).
func recheckStalled(res reconcile.Result, conds []metav1.Condition, now time.Time) reconcile.Result {
	wait := time.Second
	if s := meta.FindStatusCondition(conds, inkassov1.ConditionStalled); s != nil && s.Status == metav1.ConditionTrue {
		wait = min(max(now.Sub(s.LastTransitionTime.Time), time.Second), stalledRecheck)
	}
	return requeueWithin(res, wait)
}

// requeueWithin makes res look again within d at the latest (d <= 0: no
// bound); an earlier requeue stays.
func requeueWithin(res reconcile.Result, d time.Duration) reconcile.Result {
	if d > 0 && (res.RequeueAfter == 0 || d < res.RequeueAfter) {
		res.RequeueAfter = d
	}
	return res
}

// moveClaim hands a claim whose debtor hashes to another shard to that
// shard, its notices first (the new shard must find them when it decides);
// it reports true for every claim that is not this shard's.
func (r *ClaimReconciler) moveClaim(ctx context.Context, claim *inkassov1.Claim) (bool, error) {
	if !r.Shard.Enabled() || r.Shard.Owns(claim.Namespace, claim.Spec.DebtorRef.Name) {
		return false, nil
	}
	if err := moveNotices(ctx, r.Client, r.Shard, claim.Namespace, claim.Spec.DebtorRef.Name, false, archive.NoticeNames(claim)); err != nil {
		return true, err
	}
	// Moved already (a stale cache still shows it here) or now: not ours.
	_, err := moveToShard(ctx, r.Client, r.Shard, claim, claim.Spec.DebtorRef.Name)
	return true, err
}

// decideAndApply gathers the facts, decides, and applies the decision to
// the claim in memory, creating its notices. On an error the claim's
// status is left as it was (the caller adds the condition).
func (r *ClaimReconciler) decideAndApply(ctx context.Context, claim *inkassov1.Claim, now time.Time, conds conditionSetter, buf *eventBuffer) (reconcile.Result, error) {
	stored := claim.Status.DeepCopy()
	facts, debtor, policy, err := r.facts(ctx, claim, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	dec := collection.DecideClaim(facts)
	if err := r.apply(ctx, claim, debtor, policy, dec, now, conds, buf); err != nil {
		// Nothing of a decision that could not be carried out is recorded.
		claim.Status = *stored
		return reconcile.Result{}, err
	}
	if dec.Stalled != nil {
		return reconcile.Result{}, &stallError{reason: dec.Stalled.Reason, msg: dec.Stalled.Message}
	}
	if dec.RecheckSoon {
		return reconcile.Result{RequeueAfter: 2 * time.Second}, nil
	}
	return r.requeue(now, dec.Wake), nil
}

// facts fetches what the claim's decision depends on and converts it.
// Only transient errors are returned; a missing debtor or policy is a fact.
func (r *ClaimReconciler) facts(ctx context.Context, claim *inkassov1.Claim, now time.Time) (collection.ClaimFacts, *inkassov1.Debtor, *inkassov1.CollectionPolicy, error) {
	f := collection.ClaimFacts{Now: now, TransferGrace: operatorDuration(r.Clock, awaitingCaseGrace)}
	c, err := claimFacts(claim)
	if err != nil {
		return f, nil, nil, err
	}
	f.Claim = c
	debtor, err := r.debtor(ctx, claim)
	if st := (*stallError)(nil); errors.As(err, &st) {
		f.DebtorProblem = problemOf(st)
	} else if err != nil {
		return f, nil, nil, err
	}
	if debtor != nil {
		f.Debtor = debtorFacts(debtor)
		f.Case = claimCase(debtor, claim)
	}
	policy, err := resolvePolicy(ctx, r.Client, claim)
	if st := (*stallError)(nil); errors.As(err, &st) {
		f.PolicyProblem = problemOf(st)
		policy = nil
	} else if err != nil {
		return f, nil, nil, err
	}
	if policy != nil {
		p, err := policyFacts(policy, now)
		if err != nil {
			f.PolicyProblem = problemOf(err)
		} else {
			f.Policy = p
		}
	}
	f.ChannelExists = channelLookup(ctx, r.Client, claim.Namespace)
	f.Notice = noticeLookup(ctx, r.Client, claim.Namespace)
	return f, debtor, policy, nil
}

// claimCase is the debtor's case that lists the claim, or else its open
// case in the claim's currency.
func claimCase(d *inkassov1.Debtor, claim *inkassov1.Claim) *collection.Case {
	cur := string(claim.Spec.Currency)
	currencyOf := func(string) string { return cur }
	var same *collection.Case
	for _, c := range d.Status.Cases {
		if slices.Contains(c.Claims, claim.Name) {
			cf := caseFacts(c, currencyOf)
			return &cf
		}
		if c.Currency == cur || c.Currency == "" {
			cf := caseFacts(c, currencyOf)
			same = &cf
		}
	}
	return same
}

// channelLookup tells whether a NoticeChannel exists, from the cache.
func channelLookup(ctx context.Context, c client.Reader, namespace string) func(string) bool {
	return func(name string) bool {
		var nch inkassov1.NoticeChannel
		err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &nch)
		return err == nil || !apierrors.IsNotFound(err)
	}
}

// noticeLookup reads a notice's state from the cache.
func noticeLookup(ctx context.Context, c client.Reader, namespace string) func(string) (collection.NoticeState, bool) {
	return func(name string) (collection.NoticeState, bool) {
		var n inkassov1.Notice
		if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &n); err != nil {
			return collection.NoticeState{}, false
		}
		return noticeState(&n), true
	}
}

// operatorDuration is the operator-time length of a wall-clock duration
// (the same under a real or fake clock; longer under an accelerated one).
func operatorDuration(c clock.PassiveClock, wall time.Duration) time.Duration {
	real := simclock.RealDuration(c, wall)
	if real <= 0 || real == wall {
		return wall
	}
	return time.Duration(float64(wall) / float64(real) * float64(wall))
}

// apply carries a decision out on the claim: fallback copies, the step's
// notices and the creditor's (deterministic names: a retry finds them),
// then the state, balance, conditions and events, written by the caller.
func (r *ClaimReconciler) apply(ctx context.Context, claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy,
	dec collection.Decision, now time.Time, conds conditionSetter, buf *eventBuffer) error {
	// A decision that records nothing keeps the stored balance when only
	// interest accrued since: a claim's incidental write (joining its case,
	// a condition) would otherwise carry the accrual to its debtor's totals
	// and cost the debtor a write. status.balance.asOf says the day.
	writeBalance := dec.Balance != nil && (dec.Record != nil || !balanceAccrualOnly(&claim.Status, *dec.Balance))
	applyState(claim, dec.State, dec.HistoryLimit)
	if writeBalance {
		setBalance(&claim.Status, *dec.Balance) // before the creditor's notices, which state it
	}
	for _, fb := range dec.Fallbacks {
		if err := r.createFallback(ctx, claim, debtor, policy, fb, now); err != nil {
			return err
		}
	}
	for _, n := range dec.Notices {
		step, err := policyStep(policy, n.Step.Name)
		if err != nil {
			return stall(collection.ReasonInvalidPolicy, "%v", err)
		}
		tp, err := timing(policy)
		if err != nil {
			return err
		}
		if _, err := createNotices(ctx, r.Client, noticeInput{caseID: n.CaseID, debtor: debtor, policy: policy, tp: tp, step: step,
			claims: []*inkassov1.Claim{claim}, balances: []ledger.Result{*dec.Balance}, owner: claim, now: n.At, fee: n.Fee,
			reference: claim.Status.PaymentReference}); err != nil {
			return err
		}
	}
	for _, ci := range dec.Creditor {
		if err := notifyCreditor(ctx, r.Client, claim, debtor, policy, inkassov1.CreditorEvent(ci.Event), ci.Data, now); err != nil {
			return err
		}
	}
	for _, fl := range dec.Flags {
		conds.flag(string(fl.Type), fl.On, fl.Reason, fl.Msg)
	}
	switch {
	case writeBalance:
		setBalance(&claim.Status, *dec.Balance) // the Settled message follows the final balance
	case claim.Status.Balance != nil:
		syncSettledMessage(&claim.Status, string(claim.Spec.Currency))
	}
	if dec.Stalled == nil {
		conds.ready(dec.Ready.Reason, dec.Ready.Message)
	}
	for _, e := range dec.Events {
		kind := corev1.EventTypeNormal
		if e.Warning {
			kind = corev1.EventTypeWarning
		}
		buf.Eventf(claim, nil, kind, e.Reason, e.Action, "%s", e.Message)
	}
	if o := dec.Observe; o != nil {
		afterWrite(buf, func() { observeStep(claim.Namespace, o.Policy, o.Step, o.Due, now) })
		log.FromContext(ctx).V(1).Info("step done", "step", o.Step, "phase", claim.Status.Phase)
	}
	return nil
}

// createFallback sends a failed debtor notice again through the policy's
// fallback channel. The copy is rendered anew, released now: its payment
// deadline counts from its own release (never shorter than the law's
// minimum), and it states the claims' balances of today.
func (r *ClaimReconciler) createFallback(ctx context.Context, claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy,
	fb collection.Fallback, now time.Time) error {
	var n inkassov1.Notice
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: fb.Of}, &n); err != nil {
		return fmt.Errorf("reading notice %s: %w", fb.Of, err)
	}
	step, err := policyStep(policy, n.Spec.Step)
	if err != nil {
		return stall(collection.ReasonInvalidPolicy, "fallback for notice %s: %v", n.Name, err)
	}
	tp, err := timing(policy)
	if err != nil {
		return err
	}
	pf, err := policyFacts(policy, now)
	if err != nil {
		return err
	}
	var claims []*inkassov1.Claim
	var balances []ledger.Result
	fee := money.Zero(string(claim.Spec.Currency))
	for _, ref := range n.Spec.ClaimRefs {
		cl := claim
		if ref.Name != claim.Name {
			cl = &inkassov1.Claim{}
			if err := r.Client.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: ref.Name}, cl); err != nil {
				return fmt.Errorf("reading claim %s of notice %s: %w", ref.Name, n.Name, err)
			}
		}
		cf, err := claimFacts(cl)
		if err != nil {
			return err
		}
		b, err := collection.Balance(cf, pf, debtorFacts(debtor), now)
		if err != nil {
			return stall(collection.ReasonInvalidAmount, "%v", err)
		}
		claims, balances = append(claims, cl), append(balances, b)
		for _, h := range cf.State.History {
			if h.Step == n.Spec.Step && h.HasFee && h.Fee.Currency == fee.Currency {
				fee = fee.Add(h.Fee)
			}
		}
	}
	var owner client.Object = claim
	if len(n.OwnerReferences) > 0 && n.OwnerReferences[0].Kind == "Debtor" {
		owner = debtor
	}
	step.Channels = []string{fb.Channel}
	_, err = createNotices(ctx, r.Client, noticeInput{caseID: n.Spec.CaseID, debtor: debtor, policy: policy, tp: tp, step: step,
		claims: claims, balances: balances, owner: owner, now: now, fee: fee, reference: n.Spec.PaymentReference,
		annotations: map[string]string{fallbackForAnnotation: n.Name}})
	return err
}

// balanceAccrualOnly reports whether b differs from the stored balance and
// ledger only by interest accrued since.
func balanceAccrualOnly(stored *inkassov1.ClaimStatus, b ledger.Result) bool {
	if stored.Balance == nil {
		return false
	}
	a := inkassov1.ClaimStatus{Balance: stored.Balance.DeepCopy(), Ledger: slices.Clone(stored.Ledger)}
	c := inkassov1.ClaimStatus{}
	setBalance(&c, b)
	return accrualOnly(&a, &c) || apiequality.Semantic.DeepEqual(a.Balance, c.Balance) && apiequality.Semantic.DeepEqual(a.Ledger, c.Ledger)
}

// accrualOnly reports whether the status differs from the stored one only
// by interest accrued since (balance, ledger, the Settled message).
func accrualOnly(stored, computed *inkassov1.ClaimStatus) bool {
	if stored.Balance == nil || computed.Balance == nil || apiequality.Semantic.DeepEqual(stored, computed) {
		return false
	}
	a, b := stored.DeepCopy(), computed.DeepCopy()
	for _, st := range []*inkassov1.ClaimStatus{a, b} {
		st.Balance.Interest, st.Balance.Outstanding, st.Balance.AsOf = "", "", ""
		st.Ledger = slices.DeleteFunc(st.Ledger, func(e inkassov1.LedgerEntry) bool { return e.Kind == string(ledger.KindInterest) })
		if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionSettled); c != nil && c.Status == metav1.ConditionFalse {
			c.Message = ""
		}
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

func phaseOrNone(p inkassov1.ClaimPhase) string {
	if p == "" {
		return "(new)"
	}
	return string(p)
}

func isStalled(c *inkassov1.Claim, reason string) bool {
	s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled)
	return s != nil && s.Status == metav1.ConditionTrue && s.Reason == reason
}

// requeue converts the operator-time wait until wake into a wall-clock delay.
func (r *ClaimReconciler) requeue(now, wake time.Time) reconcile.Result {
	if wake.IsZero() {
		return reconcile.Result{}
	}
	d := simclock.RealDuration(r.Clock, wake.Sub(now))
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return reconcile.Result{RequeueAfter: d}
}

func (r *ClaimReconciler) debtor(ctx context.Context, claim *inkassov1.Claim) (*inkassov1.Debtor, error) {
	var d inkassov1.Debtor
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: claim.Spec.DebtorRef.Name}, &d)
	if apierrors.IsNotFound(err) {
		return nil, stall("DebtorNotFound", "Debtor %q named by spec.debtorRef does not exist in namespace %q", claim.Spec.DebtorRef.Name, claim.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("getting debtor: %w", err)
	}
	if err := debtorGuard(&d); err != nil {
		return nil, err
	}
	return &d, nil
}

// awaitingCaseGrace is how long (wall clock) a claim whose transfer is due
// leaves its debtor to take it in before it flags status.awaitingCase. It is
// longer than a saturated manager's queue (docs/performance.md: step
// lateness reached 252 s), so a healthy run never flags.
const awaitingCaseGrace = 10 * time.Minute

// SetupWithManager registers the controller and its watches.
func (r *ClaimReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("inkasso-claim")
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("claim").
		For(&inkassov1.Claim{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, statusRewritten()))).
		Watches(&inkassov1.Debtor{}, handler.EnqueueRequestsFromMapFunc(r.claimsOfDebtor),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, caseChanged()))).
		Watches(&inkassov1.CollectionPolicy{}, handler.EnqueueRequestsFromMapFunc(r.claimsOfPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.NoticeChannel{}, handler.EnqueueRequestsFromMapFunc(r.stalledClaims),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.Notice{}, handler.EnqueueRequestsFromMapFunc(claimsOfNotice),
			builder.WithPredicates(predicate.Or[client.Object](deliveryOutcome(), caseNoticeCreated()))).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1), RateLimiter: channelkit.NewRetryLimiter(r.MaxRetryDelay)})
	if r.Wake != nil {
		b = b.WatchesRawSource(source.Channel(r.Wake, &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r.recoverPanics()) // panics.go: a panic is a bug, not a retry
}

// statusRewritten passes claim updates that end collection or drop the
// record (status.phase set to an ending or removed, the balance or
// history removed): status is writable by whoever may write
// claims/status, and the decider puts back what the record does not
// support (a user's "phase: Paid" otherwise stopped collection silently).
// The operator's own endings pass too and cost one reconcile that writes
// nothing.
func statusRewritten() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*inkassov1.Claim)
			n, ok2 := e.ObjectNew.(*inkassov1.Claim)
			if !ok1 || !ok2 {
				return false
			}
			return o.Status.Phase != n.Status.Phase && (n.Status.Phase.Terminal() || n.Status.Phase == "") ||
				o.Status.Balance != nil && n.Status.Balance == nil || len(n.Status.History) < len(o.Status.History)
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// caseChanged passes debtor updates that open, advance or close its
// collection case: the claims then take over what the case no longer does
// (a completed case leaves its claims to their own Surveillance timers).
func caseChanged() predicate.Predicate {
	key := func(o client.Object) string {
		d, ok := o.(*inkassov1.Debtor)
		if !ok {
			return ""
		}
		var key strings.Builder
		for _, c := range d.Status.Cases {
			fmt.Fprintf(&key, "%s/%s/%s/%d/%s;", c.ID, c.Step, c.NextStep, len(c.History), strings.Join(c.Claims, ","))
		}
		return key.String()
	}
	return predicate.Funcs{
		UpdateFunc:  func(e event.UpdateEvent) bool { return key(e.ObjectOld) != key(e.ObjectNew) },
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func (r *ClaimReconciler) claimsOfDebtor(ctx context.Context, o client.Object) []reconcile.Request {
	return r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimDebtorIndex: o.GetName()})
}

func (r *ClaimReconciler) claimsOfPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	named := r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimPolicyIndex: o.GetName()})
	// Any policy change may change which one is the namespace default.
	return append(named, r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimPolicyIndex: ""})...)
}

func (r *ClaimReconciler) stalledClaims(ctx context.Context, o client.Object) []reconcile.Request {
	return r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{stalledIndex: "true"})
}

// claimRequests lists claims only for their names: the cache's own objects,
// not copies (a policy change lists every claim that uses it).
func (r *ClaimReconciler) claimRequests(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list inkassov1.ClaimList
	if err := r.Client.List(ctx, &list, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		log.FromContext(ctx).Error(err, "listing claims")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}
