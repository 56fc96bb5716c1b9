package channelkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

type reconcileFunc func(context.Context, reconcile.Request) (reconcile.Result, error)

func (f reconcileFunc) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	return f(ctx, req)
}

// TestRecoverPanics: a panic ends the reconcile with no error and no
// requeue, is counted once under the controller's name, and reaches the
// handler with its value; a panicking handler is contained too; a reconcile
// that does not panic passes through unchanged.
func TestRecoverPanics(t *testing.T) {
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "boom"}}
	var got any
	r := RecoverPanics("unit-test", reconcileFunc(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		panic("index out of range")
	}), func(_ context.Context, r reconcile.Request, v any) {
		if r != req {
			t.Errorf("handler got %v, want %v", r, req)
		}
		got = v
	})
	counter := reconcilePanics.WithLabelValues("unit-test")
	if n := value(t, counter); n != 0 {
		t.Fatalf("counter starts at %v", n)
	}
	res, err := r.Reconcile(context.Background(), req)
	if err != nil || res != (reconcile.Result{}) {
		t.Errorf("after a panic: %+v, %v; want no requeue and no error", res, err)
	}
	if got != "index out of range" {
		t.Errorf("handler got %v", got)
	}
	if n := value(t, counter); n != 1 {
		t.Errorf("inkasso_reconcile_panics_total{controller=unit-test} = %v, want 1", n)
	}

	bad := RecoverPanics("unit-test-handler", reconcileFunc(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		panic(errors.New("first"))
	}), func(context.Context, reconcile.Request, any) { panic("second") })
	if res, err := bad.Reconcile(context.Background(), req); err != nil || res != (reconcile.Result{}) {
		t.Errorf("a panicking handler: %+v, %v", res, err)
	}

	want := reconcile.Result{RequeueAfter: time.Minute}
	fine := RecoverPanics("unit-test-fine", reconcileFunc(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		return want, errors.New("transient")
	}), nil)
	if res, err := fine.Reconcile(context.Background(), req); res != want || err == nil {
		t.Errorf("without a panic: %+v, %v; want the reconciler's own result and error", res, err)
	}
	if n := value(t, reconcilePanics.WithLabelValues("unit-test-fine")); n != 0 {
		t.Errorf("counted %v panics without one", n)
	}
}
