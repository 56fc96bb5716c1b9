package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// Reasons of a policy's Ready condition.
const (
	reasonPolicyValid     = "Valid"
	reasonInvalidTemplate = "InvalidTemplate"
)

// policyRecheck is how often a policy's template ConfigMap is read again:
// ConfigMaps are not watched (ClientOptions), so an edit is seen within this.
const policyRecheck = 5 * time.Minute

// PolicyReconciler checks each CollectionPolicy's template overrides
// (spec.templates) when the policy is created or changed, and every
// policyRecheck: a text that does not parse or whose cost is not bounded
// (notice.Validate) makes the policy Ready False with reason
// InvalidTemplate, naming the key and line. It is the only writer of a
// policy's status. Claims check the texts again before rendering, so a bad
// text never runs even before this reconciler has seen it.
type PolicyReconciler struct {
	client.Client
	Clock clock.PassiveClock
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=collectionpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=collectionpolicies/status,verbs=get;update;patch

// Reconcile validates one policy.
func (r *PolicyReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var p inkassov1.CollectionPolicy
	if err := r.Get(ctx, req.NamespacedName, &p); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	status, reason, msg := metav1.ConditionTrue, reasonPolicyValid, "policy checked"
	if p.Spec.Templates != nil {
		msg = fmt.Sprintf("policy checked, template overrides of ConfigMap %q valid", p.Spec.Templates.ConfigMapName)
	}
	_, err := templateOverrides(ctx, r.Client, &p)
	if err == nil {
		_, err = timing(&p)
	}
	var se *stallError
	switch {
	case errors.As(err, &se):
		status, reason, msg = metav1.ConditionFalse, se.reason, se.msg
	case err != nil:
		return reconcile.Result{}, err
	}
	orig := p.DeepCopy()
	cond := metav1.Condition{Type: inkassov1.ConditionReady, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: p.Generation, LastTransitionTime: metav1.Time{Time: r.Clock.Now().Truncate(time.Second)}}
	if old := meta.FindStatusCondition(p.Status.Conditions, cond.Type); old == nil || old.Status != cond.Status ||
		old.Reason != cond.Reason || old.Message != cond.Message || p.Status.ObservedGeneration != p.Generation {
		meta.SetStatusCondition(&p.Status.Conditions, cond)
		p.Status.ObservedGeneration = p.Generation
		if err := r.Status().Patch(ctx, &p, client.MergeFrom(orig)); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
	}
	return reconcile.Result{RequeueAfter: policyRecheck}, nil
}

// SetupWithManager registers the policy controller.
func (r *PolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("policy").
		For(&inkassov1.CollectionPolicy{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}
