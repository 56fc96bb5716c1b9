package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// ClosingReconciler holds the deletion of an ended claim until the creditor
// has its final record: the claim's Closed creditor notices were sent (or
// failed, which a person sees on the notice). It is the only writer of the
// closing finalizer; the archive finalizer is the archive controller's, and
// the two are independent (each removes only its own, with an optimistic
// lock). The finalizer is set only while such a notice is out: ended claims
// whose notice went, and claims of policies without creditor notices, carry
// none.
type ClosingReconciler struct {
	Client client.Client
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch

// Reconcile sets or removes the closing finalizer of one claim.
func (r *ClosingReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var c inkassov1.Claim
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	pending, err := r.closingPending(ctx, &c)
	if err != nil {
		return reconcile.Result{}, err
	}
	has := controllerutil.ContainsFinalizer(&c, inkassov1.ClosingFinalizer)
	switch {
	case pending && !has && c.DeletionTimestamp.IsZero():
		return reconcile.Result{}, r.setFinalizer(ctx, &c, true)
	case !pending && has:
		return reconcile.Result{}, r.setFinalizer(ctx, &c, false)
	}
	return reconcile.Result{}, nil // pending and deleting: the notice's update brings it back
}

// closingPending reports whether a Closed creditor notice of the claim is
// still on its way (neither sent nor failed). A claim that has not ended,
// or whose notice is gone, holds nothing.
func (r *ClosingReconciler) closingPending(ctx context.Context, c *inkassov1.Claim) (bool, error) {
	if !c.Status.Phase.Terminal() {
		return false, nil
	}
	for _, rec := range c.Status.CreditorNotices {
		if rec.Event != inkassov1.CreditorClosed {
			continue
		}
		for _, name := range rec.Notices {
			var n inkassov1.Notice
			err := r.Client.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, &n)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("reading closing notice %s of claim %s: %w", name, c.Name, err)
			}
			if _, failed := noticeFailed(&n); n.Status.SentAt == nil && !failed {
				return true, nil
			}
		}
	}
	return false, nil
}

func (r *ClosingReconciler) setFinalizer(ctx context.Context, c *inkassov1.Claim, on bool) error {
	orig := c.DeepCopy()
	if on {
		controllerutil.AddFinalizer(c, inkassov1.ClosingFinalizer)
	} else {
		controllerutil.RemoveFinalizer(c, inkassov1.ClosingFinalizer)
	}
	err := r.Client.Patch(ctx, c, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	if err = client.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("setting the closing finalizer of claim %s to %v: %w", c.Name, on, err)
	}
	return nil
}

// SetupWithManager watches claims that ended or carry the finalizer, and
// the creditor notices that close them.
func (r *ClosingReconciler) SetupWithManager(mgr ctrl.Manager) error {
	relevant := predicate.NewPredicateFuncs(func(o client.Object) bool {
		c, ok := o.(*inkassov1.Claim)
		return ok && (c.Status.Phase.Terminal() || controllerutil.ContainsFinalizer(c, inkassov1.ClosingFinalizer))
	})
	closing := func(_ context.Context, o client.Object) []reconcile.Request {
		n, ok := o.(*inkassov1.Notice)
		if !ok || n.Labels[stepLabel] != creditorSteps[inkassov1.CreditorClosed] || len(n.Spec.ClaimRefs) == 0 {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: n.Namespace, Name: n.Spec.ClaimRefs[0].Name}}}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("closing").
		For(&inkassov1.Claim{}, builder.WithPredicates(relevant)).
		Watches(&inkassov1.Notice{}, handler.EnqueueRequestsFromMapFunc(closing)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		Complete(r)
}
