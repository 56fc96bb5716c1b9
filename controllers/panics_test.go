package controllers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// panicTestController is the controller TestReconcilePanicStallsTheObject
// panics in on purpose; expectedPanics holds the panics a test caused on
// purpose, which the suite's guard (checkNoPanics) allows.
const panicTestController = "panic-test"

var expectedPanics = map[string]float64{}

// panicky panics on the object named boom and reconciles the others.
type panicky struct {
	mu    sync.Mutex
	calls map[string]int
}

func (p *panicky) Reconcile(_ context.Context, req reconcile.Request) (reconcile.Result, error) {
	p.mu.Lock()
	p.calls[req.Name]++
	p.mu.Unlock()
	if req.Name == "boom" {
		panic(errors.New("test: a bug in the reconciler"))
	}
	return reconcile.Result{}, nil
}

func (p *panicky) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[name]
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) write(prefix, args string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(&s.b, prefix, args)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func panicCount(t *testing.T, name string) float64 {
	t.Helper()
	return metric(t, "inkasso_reconcile_panics_total", map[string]string{"controller": name}).GetCounter().GetValue()
}

// TestReconcilePanicStallsTheObject: a reconcile that panics on one claim
// (the wrapper the claim and debtor controllers are completed with, around a
// reconciler that panics) leaves that claim Stalled and not Ready with reason
// ReconcilePanic, counts the panic once, logs it with its stack, is not
// retried, and the controller goes on reconciling other objects.
func TestReconcilePanicStallsTheObject(t *testing.T) {
	ns := newNamespace(t)
	// Their debtor does not exist: the claim controller stalls them
	// (DebtorNotFound) and then only looks again on its stall timer.
	create(t, claimDue(ns, "boom", "nobody", "100.00", 10), claimDue(ns, "fine", "nobody", "100.00", 10))
	for _, name := range []string{"boom", "fine"} {
		eventually(t, 10*time.Second, func() error {
			return expectCondition(getClaim(t, ns, name).Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "DebtorNotFound")
		})
	}
	// A stalled claim is looked at again after a second of a new stall, up
	// to 30 s for an older one (recheckStalled), and that look writes
	// DebtorNotFound over the test's mark. Age the stalls by a minute of
	// operator time and let the one-second looks already queued pass, so
	// the mark stays for 30 s.
	fclock.Step(time.Minute)
	time.Sleep(budget(1500 * time.Millisecond))

	logs := &syncBuffer{}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Logger: funcr.New(logs.write, funcr.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	p := &panicky{calls: map[string]int{}}
	wrapped := controllers.StallOnPanic(panicTestController, p, mgr.GetClient(), fclock, mgr.GetEventRecorder(panicTestController),
		func() client.Object { return &inkassov1.Claim{} })
	poke := make(chan event.GenericEvent, 4)
	err = ctrl.NewControllerManagedBy(mgr).Named(panicTestController).
		WatchesRawSource(source.Channel(poke, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true)}).
		Complete(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	before := panicCount(t, panicTestController)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("test manager: %v", err)
		}
	}()
	defer func() { cancel(); <-done }()
	claimEvent := func(name string) event.GenericEvent {
		return event.GenericEvent{Object: &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
	}

	poke <- claimEvent("boom")
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "boom")
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "ReconcilePanic"); err != nil {
			return err
		}
		if err := expectCondition(c.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, "ReconcilePanic"); err != nil {
			return err
		}
		if msg := condition(c.Status.Conditions, inkassov1.ConditionStalled).Message; !strings.Contains(msg, "test: a bug in the reconciler") {
			return fmt.Errorf("Stalled message %q does not name the panic", msg)
		}
		if c.Status.ObservedGeneration != c.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", c.Status.ObservedGeneration, c.Generation)
		}
		return nil
	})
	expectedPanics[panicTestController]++
	if got := panicCount(t, panicTestController); got != before+1 {
		t.Errorf("inkasso_reconcile_panics_total{controller=%q} = %v, want %v", panicTestController, got, before+1)
	}

	// The controller survived and goes on: another object is reconciled.
	poke <- claimEvent("fine")
	eventually(t, 10*time.Second, func() error {
		if n := p.count("fine"); n != 1 {
			return fmt.Errorf("claim fine reconciled %d times, want 1", n)
		}
		return nil
	})
	if err := expectCondition(getClaim(t, ns, "fine").Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "DebtorNotFound"); err != nil {
		t.Errorf("claim fine: %v", err)
	}
	// Not retried: controller-runtime's backoff (5 ms, doubling) would
	// have run it several times in a second.
	time.Sleep(time.Second)
	if n := p.count("boom"); n != 1 {
		t.Errorf("the panicking reconcile ran %d times, want once (no retry)", n)
	}
	if got := panicCount(t, panicTestController); got != before+1 {
		t.Errorf("inkasso_reconcile_panics_total{controller=%q} = %v after a second, want %v", panicTestController, got, before+1)
	}

	out := logs.String()
	if !strings.Contains(out, "reconcile panicked") || !strings.Contains(out, "test: a bug in the reconciler") || !strings.Contains(out, "(*panicky).Reconcile") {
		t.Errorf("the panic was not logged with its message and stack:\n%s", out)
	}
	eventually(t, 10*time.Second, func() error {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == "boom" && e.Reason == "ReconcilePanic" && e.Type == "Warning" {
				return nil
			}
		}
		return errors.New("no Warning event ReconcilePanic for claim boom")
	})
}

// checkNoPanics is the suite's guard: no controller panicked in any test,
// except the panics a test caused on purpose (expectedPanics). A panic in
// a reconcile is a bug even when every test passed.
func checkNoPanics() error {
	families, err := metrics.Registry.Gather()
	if err != nil {
		return err
	}
	var bad []string
	for _, f := range families {
		switch f.GetName() {
		case "inkasso_reconcile_panics_total", "controller_runtime_reconcile_panics_total":
		default:
			continue
		}
		for _, m := range f.GetMetric() {
			name := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" {
					name = l.GetValue()
				}
			}
			want := 0.0
			if f.GetName() == "inkasso_reconcile_panics_total" {
				want = expectedPanics[name]
			}
			if v := m.GetCounter().GetValue(); v != want {
				bad = append(bad, fmt.Sprintf("%s{controller=%q} = %v, want %v", f.GetName(), name, v, want))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("reconciles panicked (a bug; the manager log has the stacks): %s", strings.Join(bad, "; "))
	}
	return nil
}
