package controllers

import (
	"context"
	"fmt"
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
	// Precondition on the resourceVersion: never delete a notice someone
	// changed since it was read.
	if err := g.Client.Delete(ctx, &n, client.Preconditions{ResourceVersion: &n.ResourceVersion}); client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, fmt.Errorf("deleting sent notice %s: %w", n.Name, err)
	}
	log.FromContext(ctx).V(1).Info("sent notice garbage-collected", "notice", n.Name, "sentAt", n.Status.SentAt.Time, "ttl", g.TTL)
	return reconcile.Result{}, nil
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
