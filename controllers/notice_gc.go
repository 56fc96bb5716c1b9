package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// NoticeGC deletes Sent notices TTL after they were sent. The claim's
// status.history keeps their names, steps, times and fees; the channel's
// own records (outbox files, mail logs, the provider's delivery id) keep
// the rest. Failed and pending notices are never collected.
type NoticeGC struct {
	Client client.Client
	Clock  clock.PassiveClock
	// TTL after sentAt; zero or less disables the collector.
	TTL time.Duration
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch;delete

// Reconcile deletes one notice once it is old enough.
func (g *NoticeGC) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var n inkassov1.Notice
	if err := g.Client.Get(ctx, req.NamespacedName, &n); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !sent(&n) || n.Status.SentAt == nil {
		return reconcile.Result{}, nil
	}
	if wait := n.Status.SentAt.Add(g.TTL).Sub(g.Clock.Now()); wait > 0 {
		return reconcile.Result{RequeueAfter: simclock.RealDuration(g.Clock, wait)}, nil
	}
	if claim := g.unrecorded(ctx, &n); claim != "" {
		// A claim takes a case step only once it sees the step's notices:
		// deleting them first would leave it waiting for ever (seen on an
		// accelerated clock, where the TTL is seconds).
		log.FromContext(ctx).V(1).Info("sent notice kept until its claim records it", "notice", n.Name, "claim", claim)
		return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
	}
	// Precondition on the resourceVersion: never delete a notice someone
	// changed since it was read.
	if err := g.Client.Delete(ctx, &n, client.Preconditions{ResourceVersion: &n.ResourceVersion}); client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, fmt.Errorf("deleting sent notice %s: %w", n.Name, err)
	}
	log.FromContext(ctx).V(1).Info("sent notice garbage-collected", "notice", n.Name, "sentAt", n.Status.SentAt.Time, "ttl", g.TTL)
	return reconcile.Result{}, nil
}

// unrecorded names a claim of the notice that is still to record its step:
// one that exists, is open, is still in the notice's case, and has no
// history entry for the step.
func (g *NoticeGC) unrecorded(ctx context.Context, n *inkassov1.Notice) string {
	for _, ref := range n.Spec.ClaimRefs {
		var c inkassov1.Claim
		if err := g.Client.Get(ctx, client.ObjectKey{Namespace: n.Namespace, Name: ref.Name}, &c); err != nil {
			continue // gone (or unreadable: the next sweep looks again)
		}
		if c.Status.Phase.Terminal() || (n.Spec.CaseID != "" && c.Status.CaseID != n.Spec.CaseID) {
			continue
		}
		if !slices.ContainsFunc(c.Status.History, func(h inkassov1.HistoryEntry) bool { return h.Step == n.Spec.Step }) {
			return c.Name
		}
	}
	return ""
}

func sent(n *inkassov1.Notice) bool {
	c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == inkassov1.NoticeReasonSent
}

// SetupWithManager registers the collector; with TTL zero it does nothing.
func (g *NoticeGC) SetupWithManager(mgr ctrl.Manager) error {
	if g.TTL <= 0 {
		return nil
	}
	if g.Client == nil {
		g.Client = mgr.GetClient()
	}
	if g.Clock == nil {
		g.Clock = clock.RealClock{}
	}
	onlySent := predicate.NewPredicateFuncs(func(o client.Object) bool {
		n, ok := o.(*inkassov1.Notice)
		return ok && sent(n)
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("notice-gc").
		For(&inkassov1.Notice{}, builder.WithPredicates(onlySent, predicate.Funcs{DeleteFunc: func(event.DeleteEvent) bool { return false }})).
		// A panic is logged and counted, not retried (panics.go); the
		// notice's status is its channel controller's, so nothing is marked.
		Complete(channelkit.RecoverPanics("notice-gc", g, nil))
}
