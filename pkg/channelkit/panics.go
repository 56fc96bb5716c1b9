package channelkit

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// reconcilePanics counts the panics RecoverPanics caught. Every controller of
// the operator (claim, debtor, notice-gc and each channel controller) is
// wrapped, so the counter lives here, where both the operator and
// out-of-tree channel controllers reach it.
var reconcilePanics = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "inkasso_reconcile_panics_total",
	Help: "Panics recovered in a reconcile, by controller. Each one is a bug: the reconcile is not retried; a Claim or Debtor is marked Stalled with reason ReconcilePanic.",
}, []string{"controller"})

// PanicHandler records a recovered panic on the reconciled object, e.g. as a
// status condition. value is what was passed to panic.
type PanicHandler func(ctx context.Context, req reconcile.Request, value any)

// RecoverPanics wraps r so that a panic in its Reconcile is handled as the
// bug it is, never retried: it is logged with its stack, counted in
// inkasso_reconcile_panics_total{controller=name}, handed to onPanic (may be
// nil), and the reconcile ends with no error and no requeue. The next change
// of the object reconciles it again.
//
// controller-runtime's own recovery would instead return an error and retry
// the object with backoff forever, each retry panicking again. name should
// be the controller's name, as in controller-runtime's metrics.
func RecoverPanics(name string, r reconcile.Reconciler, onPanic PanicHandler) reconcile.Reconciler {
	registerMetrics()
	reconcilePanics.WithLabelValues(name) // the series exists at 0, for alerts on increase()
	return panicSafe{name: name, r: r, onPanic: onPanic}
}

type panicSafe struct {
	name    string
	r       reconcile.Reconciler
	onPanic PanicHandler
}

func (p panicSafe) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		reconcilePanics.WithLabelValues(p.name).Inc()
		// The context's logger names the controller and the object. The
		// panic value is the code's message; the stack holds function names
		// and addresses, no object data.
		log.FromContext(ctx).Error(fmt.Errorf("%v", v), "reconcile panicked: a bug in the operator, not retried", "stack", string(debug.Stack()))
		res, err = reconcile.Result{}, nil
		if p.onPanic != nil {
			p.handle(ctx, req, v)
		}
	}()
	return p.r.Reconcile(ctx, req)
}

// handle runs onPanic; a panic in it is logged, never let through.
func (p panicSafe) handle(ctx context.Context, req reconcile.Request, v any) {
	defer func() {
		if v2 := recover(); v2 != nil {
			log.FromContext(ctx).Error(fmt.Errorf("%v", v2), "recording a reconcile panic panicked", "stack", string(debug.Stack()))
		}
	}()
	p.onPanic(ctx, req, v)
}
