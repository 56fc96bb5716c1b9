package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// A panic in a reconcile is a bug, never a retry (docs/design-decisions.md):
// the claim and debtor controllers are completed with a wrapper that
// recovers it, logs it with its stack, counts it in
// inkasso_reconcile_panics_total{controller} and marks the object
// Stalled=True and Ready=False with reason ReconcilePanic. The reconcile
// ends with no error and no requeue; the object's next change reconciles it
// again (and clears the condition if the bug is not hit).

// reasonReconcilePanic is the Stalled and Ready reason of an object whose
// reconcile panicked.
const reasonReconcilePanic = "ReconcilePanic"

// recoverPanics is what the claim controller's SetupWithManager completes with.
func (r *ClaimReconciler) recoverPanics() reconcile.Reconciler {
	return stallOnPanic("claim", r, r.Client, r.Clock, r.Recorder, func() client.Object { return &inkassov1.Claim{} })
}

// recoverPanics is what the debtor controller's SetupWithManager completes with.
func (r *DebtorReconciler) recoverPanics() reconcile.Reconciler {
	return stallOnPanic("debtor", r, r.Client, r.Clock, r.Recorder, func() client.Object { return &inkassov1.Debtor{} })
}

// stallOnPanic wraps r, the reconciler of controller name for the kind
// newObj returns (a Claim or a Debtor), with channelkit.RecoverPanics and
// marks an object whose reconcile panicked Stalled. rec may be nil.
func stallOnPanic(name string, r reconcile.Reconciler, c client.Client, clk clock.PassiveClock, rec events.EventRecorder, newObj func() client.Object) reconcile.Reconciler {
	if clk == nil {
		clk = clock.RealClock{}
	}
	m := panicMarker{client: c, clock: clk, recorder: rec, newObj: newObj}
	return channelkit.RecoverPanics(name, r, m.mark)
}

type panicMarker struct {
	client   client.Client
	clock    clock.PassiveClock
	recorder events.EventRecorder
	newObj   func() client.Object
}

// mark writes Stalled=True and Ready=False, reason ReconcilePanic, on the
// object (a status patch with optimistic lock, re-read on conflict) and
// emits a Warning event when the object was not already so marked.
func (m panicMarker) mark(ctx context.Context, req reconcile.Request, v any) {
	// The reconcile's context may be what ended it; the mark still goes out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	msg := panicMessage(v)
	var obj client.Object
	var first bool
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj = m.newObj()
		if err := m.client.Get(ctx, req.NamespacedName, obj); err != nil {
			return err
		}
		orig := obj.DeepCopyObject().(client.Object)
		conds, observed := panicStatus(obj)
		if conds == nil {
			return fmt.Errorf("%T has no status conditions", obj)
		}
		first = !hasStalled(*conds, reasonReconcilePanic)
		now := metav1.Time{Time: m.clock.Now().Truncate(time.Second)}
		conditionSetter{conds: conds, gen: obj.GetGeneration(), now: now}.stalled(reasonReconcilePanic, msg)
		// This generation is handled as far as it can be: kstatus reads
		// Stalled only when observedGeneration is current.
		*observed = obj.GetGeneration()
		if apiequality.Semantic.DeepEqual(orig, obj) {
			return nil
		}
		return m.client.Status().Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		log.FromContext(ctx).Error(err, "could not mark the object Stalled after a reconcile panic")
	case first && m.recorder != nil:
		m.recorder.Eventf(obj, nil, corev1.EventTypeWarning, reasonReconcilePanic, "Stall", "%s", msg)
	}
}

// panicMessage is the condition message. A panic value is the code's own
// message (a runtime error, an invariant), never object data.
func panicMessage(v any) string {
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return "reconcile panicked: " + s + ". This is a bug in the operator; it is not retried: a change of the object reconciles it again, an operator upgrade fixes it (the manager log has the stack)"
}

func panicStatus(o client.Object) (*[]metav1.Condition, *int64) {
	switch o := o.(type) {
	case *inkassov1.Claim:
		return &o.Status.Conditions, &o.Status.ObservedGeneration
	case *inkassov1.Debtor:
		return &o.Status.Conditions, &o.Status.ObservedGeneration
	case *inkassov1.Settlement:
		return &o.Status.Conditions, &o.Status.ObservedGeneration
	}
	return nil, nil
}

func hasStalled(conds []metav1.Condition, reason string) bool {
	for _, c := range conds {
		if c.Type == inkassov1.ConditionStalled && c.Status == metav1.ConditionTrue && c.Reason == reason {
			return true
		}
	}
	return false
}
