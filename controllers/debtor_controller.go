package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
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
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
	"github.com/inkasso-operator/inkasso-operator/pkg/statuspatch"
)

// DebtorReconciler keeps a Debtor's status aggregates over its claims.
type DebtorReconciler struct {
	Client client.Client
	// Shard, when enabled, is the debtor shard this manager runs: a debtor
	// labelled for it that hashes elsewhere is moved with its notices.
	Shard    shard.Shard
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	// Wake, when set, re-queues the debtors sent on it (tests on a fake clock).
	Wake <-chan event.GenericEvent
	// MaxConcurrentReconciles is how many debtors (and their cases) are
	// reconciled in parallel (default 1).
	MaxConcurrentReconciles int
	// MaxRetryDelay caps the backoff after a failed reconcile, such as a
	// write refused while the apiserver is down (default
	// channelkit.DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration

	// created remembers the case steps whose notices this process created
	// (key: createdKey, value: wall time), so a reconcile that still sees a
	// member without the step (its write not in the cache yet) does not
	// create them again only to be told they exist. A restart forgets it:
	// the creates are idempotent.
	created recentWrites[createdKey]
	// finalized remembers the debtors this process added its finalizer to
	// (the cache lags its own patch: at 100,000 claims 44 % of debtors met a
	// conflict when a second reconcile patched the finalizer again from a
	// read without it).
	// Keyed by UID: a debtor deleted and created again under its name is
	// another object, without the finalizer.
	finalized recentWrites[types.UID]
	// totalsWritten is when each debtor's status was last written (wall
	// time): a change of its totals alone (open claims, outstanding, phase)
	// waits until totalsDelay has passed, so a burst of claim steps costs
	// one debtor write, not one each.
	totalsWritten sync.Map
}

// totalsDelay is how long a debtor's totals may lag its claims. The case
// record, conditions and deletion are never delayed.
const totalsDelay = 2 * time.Second

// createdFresh is how long a remembered creation spares a second create.
const createdFresh = time.Minute

// finalizerFresh is how long a finalizer this process added is taken as
// there though the cache does not show it yet. Longer than any cache lag
// measured; short, because someone may remove it on purpose and the
// debtor looks again when it runs out.
const finalizerFresh = 30 * time.Second

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=debtors,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=debtors/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=debtors/finalizers,verbs=update
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch;create

// debtorFinalizer keeps a Debtor with open claims from being deleted, so no
// claim is orphaned silently.
const debtorFinalizer = "collection.inkasso.dev/open-claims"

// phaseRank orders the open phases by how far collection has gone.
var phaseRank = map[inkassov1.ClaimPhase]int{
	inkassov1.PhasePending: 1, inkassov1.PhaseOverdue: 2,
	inkassov1.PhaseSuspended: 3, inkassov1.PhaseDisputed: 3, inkassov1.PhasePaymentPlan: 3,
	inkassov1.PhaseReminder: 4, inkassov1.PhaseCollection: 5, inkassov1.PhaseLegal: 6, inkassov1.PhaseSurveillance: 7,
}

// Reconcile recomputes the aggregates.
func (r *DebtorReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var d inkassov1.Debtor
	if err := r.Client.Get(ctx, req.NamespacedName, &d); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if r.Shard.Enabled() && !r.Shard.Owns(d.Namespace, d.Name) {
		if err := moveNotices(ctx, r.Client, r.Shard, d.Namespace, d.Name, true, nil); err != nil {
			return reconcile.Result{}, err
		}
		_, err := moveToShard(ctx, r.Client, r.Shard, &d, d.Name)
		return reconcile.Result{}, err
	}
	var claims inkassov1.ClaimList
	if err := r.Client.List(ctx, &claims, client.InNamespace(d.Namespace), client.MatchingFields{claimDebtorIndex: d.Name}); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing claims of debtor %s: %w", d.Name, err)
	}

	orig := d.DeepCopy()
	st := &d.Status
	aggregate(st, claims.Items)
	st.ObservedGeneration = d.Generation
	conditionSetter{conds: &st.Conditions, gen: d.Generation, now: metav1.Time{Time: r.Clock.Now().Truncate(time.Second)}}.
		ready("Aggregated", fmt.Sprintf("%d open claim(s)", st.OpenClaims))

	conds := conditionSetter{conds: &st.Conditions, gen: d.Generation, now: metav1.Time{Time: r.Clock.Now().Truncate(time.Second)}}
	deleting := !d.DeletionTimestamp.IsZero()
	now := r.Clock.Now()
	var wake time.Time
	caseErr := debtorGuard(&d)
	if caseErr == nil {
		wake, caseErr = r.reconcileCases(ctx, &d, orig, claims.Items, now)
	}
	var stalled *stallError
	switch {
	case errors.As(caseErr, &stalled):
		conds.stalled(stalled.reason, stalled.msg)
		caseErr = nil
	case caseErr != nil:
		// The case must not advance past claims that did not record the
		// step: keep its old state; the retry redoes the step, idempotently.
		st.Cases = slices.Clone(orig.Status.Cases)
		if apierrors.IsConflict(caseErr) {
			return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
		}
		conds.reconciling(reasonRetrying, caseErr.Error())
	}
	if deleting && st.OpenClaims > 0 {
		var open []string
		for _, c := range claims.Items {
			if !c.Status.Phase.Terminal() {
				open = append(open, c.Name)
			}
		}
		msg := fmt.Sprintf("deletion waits for %d open claim(s): %s; withdraw, settle or delete them first", len(open), strings.Join(open, ", "))
		conds.set(inkassov1.ConditionReady, metav1.ConditionFalse, reasonDeletionBlocked, msg)
		if c := meta.FindStatusCondition(orig.Status.Conditions, inkassov1.ConditionReady); c == nil || c.Reason != reasonDeletionBlocked {
			r.Recorder.Eventf(&d, nil, corev1.EventTypeWarning, reasonDeletionBlocked, "Delete", msg)
		}
	}

	var later time.Duration
	if !deleting && caseErr == nil && totalsOnly(&orig.Status, &d.Status) {
		if at, ok := r.totalsWritten.Load(req.NamespacedName); ok {
			if wait := totalsDelay - time.Since(at.(time.Time)); wait > 0 {
				d.Status, later = *orig.Status.DeepCopy(), wait
			}
		}
	}
	if !apiequality.Semantic.DeepEqual(orig.Status, d.Status) {
		// Optimistic lock: the case history must never be written from a stale read.
		if err := statuspatch.Patch(ctx, r.Client, &d, orig, statuspatch.Optimistic); err != nil {
			if apierrors.IsConflict(err) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, errors.Join(caseErr, fmt.Errorf("writing debtor status: %w", err))
		}
		r.totalsWritten.Store(req.NamespacedName, time.Now())
	}
	if caseErr != nil {
		return reconcile.Result{}, caseErr
	}
	var finErr error
	var finWait time.Duration
	switch {
	case !deleting && !controllerutil.ContainsFinalizer(&d, debtorFinalizer):
		if left, ok := r.finalized.left(d.UID, time.Now()); ok {
			finWait = left // added moments ago; the cache has not caught up
			break
		}
		if finErr = r.patchFinalizer(ctx, &d, true); finErr == nil {
			r.finalized.remember(d.UID, time.Now(), finalizerFresh)
		}
	case !deleting:
		r.finalized.forget(d.UID)
	case deleting && st.OpenClaims == 0 && controllerutil.ContainsFinalizer(&d, debtorFinalizer):
		finErr = r.patchFinalizer(ctx, &d, false)
	}
	if apierrors.IsConflict(finErr) {
		// A stale cached read, not a failure: read again shortly.
		return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
	}
	if finErr != nil {
		return reconcile.Result{}, finErr
	}
	res := reconcile.Result{}
	if !wake.IsZero() {
		res.RequeueAfter = max(simclock.RealDuration(r.Clock, wake.Sub(now)), time.Millisecond)
	}
	res = requeueWithin(res, later)   // the totals held back above
	res = requeueWithin(res, finWait) // the finalizer, should the cache still lack it then
	if stalled != nil {
		res = recheckStalled(res, orig.Status.Conditions, now)
	}
	return res, nil
}

// totalsOnly reports whether the debtor's status differs from the stored
// one only in its totals: open claims, outstanding amounts, phase (and the
// Ready message that counts the open claims).
func totalsOnly(stored, computed *inkassov1.DebtorStatus) bool {
	if apiequality.Semantic.DeepEqual(stored, computed) {
		return false
	}
	a, b := stored.DeepCopy(), computed.DeepCopy()
	for _, st := range []*inkassov1.DebtorStatus{a, b} {
		st.OpenClaims, st.Outstanding, st.Phase = 0, nil, ""
		if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); c != nil && c.Reason == "Aggregated" {
			c.Message = ""
		}
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

func (r *DebtorReconciler) patchFinalizer(ctx context.Context, d *inkassov1.Debtor, add bool) error {
	orig := d.DeepCopy()
	if add {
		controllerutil.AddFinalizer(d, debtorFinalizer)
	} else {
		controllerutil.RemoveFinalizer(d, debtorFinalizer)
	}
	if err := r.Client.Patch(ctx, d, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating finalizer of debtor %s: %w", d.Name, err)
	}
	return nil
}

// aggregate sums the debtor's open claims: how many, the most advanced
// phase and the outstanding amount per currency; and remembers the invoices
// whose collection ended (rememberClosed).
func aggregate(st *inkassov1.DebtorStatus, claims []inkassov1.Claim) {
	st.OpenClaims, st.Phase, st.Outstanding = 0, "", nil
	totals := map[string]money.Money{}
	for i := range claims {
		c := &claims[i]
		if c.Status.Phase.Terminal() {
			rememberClosed(st, c)
			continue
		}
		st.OpenClaims++
		if phaseRank[c.Status.Phase] > phaseRank[st.Phase] {
			st.Phase = c.Status.Phase
		}
		if c.Status.Balance == nil {
			continue
		}
		cur := string(c.Spec.Currency)
		out, err := money.Parse(c.Status.Balance.Outstanding, cur)
		if err != nil {
			continue // written by the claim controller; a bad value is its to report
		}
		if _, ok := totals[cur]; !ok {
			totals[cur] = money.Zero(cur)
		}
		totals[cur] = totals[cur].Add(out)
	}
	for cur, m := range totals {
		st.Outstanding = append(st.Outstanding, inkassov1.CurrencyAmount{Currency: cur, Amount: m.String()})
	}
	sort.Slice(st.Outstanding, func(i, j int) bool { return st.Outstanding[i].Currency < st.Outstanding[j].Currency })
}

// SetupWithManager registers the controller; any change of a claim updates its debtor.
func (r *DebtorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("inkasso-debtor")
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("debtor").
		For(&inkassov1.Debtor{}).
		Watches(&inkassov1.Claim{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			c := o.(*inkassov1.Claim)
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.DebtorRef.Name}}}
		})).
		// A case stalled on a missing channel or policy resumes when it appears.
		Watches(&inkassov1.Notice{}, handler.EnqueueRequestsFromMapFunc(debtorOfNotice), builder.WithPredicates(deliveryOutcome())).
		Watches(&inkassov1.NoticeChannel{}, handler.EnqueueRequestsFromMapFunc(r.stalledDebtors),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.CollectionPolicy{}, handler.EnqueueRequestsFromMapFunc(r.stalledDebtors),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1), RateLimiter: channelkit.NewRetryLimiter(r.MaxRetryDelay)})
	if r.Wake != nil {
		b = b.WatchesRawSource(source.Channel(r.Wake, &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r.recoverPanics()) // panics.go: a panic is a bug, not a retry
}

func (r *DebtorReconciler) stalledDebtors(ctx context.Context, o client.Object) []reconcile.Request {
	var list inkassov1.DebtorList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{stalledIndex: "true"}, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "listing stalled debtors")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// rememberClosed adds an ended claim that had started collection to the
// debtor's closed invoices, keeping the newest ClosedInvoiceLimit. A claim
// that ended before any step (paid before it was due) is not remembered:
// nothing was collected, so nothing could be repeated.
func rememberClosed(st *inkassov1.DebtorStatus, c *inkassov1.Claim) {
	if len(c.Status.History) == 0 || c.Spec.InvoiceNumber == "" {
		return
	}
	for _, ci := range st.ClosedInvoices {
		if ci.InvoiceNumber == c.Spec.InvoiceNumber {
			return
		}
	}
	at := c.Status.History[len(c.Status.History)-1].Time
	st.ClosedInvoices = append(st.ClosedInvoices, inkassov1.ClosedInvoice{InvoiceNumber: c.Spec.InvoiceNumber, Phase: c.Status.Phase, ClosedAt: at})
	if n := len(st.ClosedInvoices); n > inkassov1.ClosedInvoiceLimit {
		sort.SliceStable(st.ClosedInvoices, func(i, j int) bool {
			return st.ClosedInvoices[i].ClosedAt.After(st.ClosedInvoices[j].ClosedAt.Time)
		})
		st.ClosedInvoices = st.ClosedInvoices[:inkassov1.ClosedInvoiceLimit]
	}
}
