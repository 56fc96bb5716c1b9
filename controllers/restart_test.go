package controllers_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// provider stands for an SMS gateway or print service that de-duplicates by
// idempotency key, as the contract asks providers to.
type provider struct {
	mu       sync.Mutex
	requests []string            // idempotency keys in arrival order
	accepted map[string]struct{} // deliveries made
}

func (p *provider) receive(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, key)
	p.accepted[key] = struct{}{}
}

// startChannelManager runs a second manager on the test control plane with
// one channel controller, until the returned stop is called.
func startChannelManager(t *testing.T, name string, send channelkit.SendFunc) (stop func()) {
	return startChannelManagerWith(t, &channelkit.Controller{Name: name, Send: send})
}

// startChannelManagerWith runs kit (its controller name and clock set here).
func startChannelManagerWith(t *testing.T, kit *channelkit.Controller) (stop func()) {
	t.Helper()
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	kit.ControllerName, kit.Clock = "test.inkasso.dev/restart", fclock
	if err := kit.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// TestDeliveredOnceWhenTheManagerDiesMidSend: the first manager hands the
// notice to the provider and dies before it can record the result; on an
// at-least-once channel the next manager sends it again under the same
// idempotency key, so the provider delivers it once, and the notice is
// Sent once.
func TestDeliveredOnceWhenTheManagerDiesMidSend(t *testing.T) {
	ns := newNamespace(t)
	p := &provider{accepted: map[string]struct{}{}}
	inSend := make(chan struct{})
	var once sync.Once
	stopA := startChannelManager(t, "restart-a", func(ctx context.Context, req channelkit.Request) (string, error) {
		p.receive(req.IdempotencyKey)
		once.Do(func() { close(inSend) })
		<-ctx.Done() // the answer never comes back: the process is going down
		return "", errors.New("killed mid-send")
	})
	create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "gateway", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: "test.inkasso.dev/restart", Redelivery: inkassov1.AtLeastOnce}}, testNotice(ns, "once", "gateway"))
	select {
	case <-inSend:
	case <-time.After(budget(15 * time.Second)):
		t.Fatal("the first manager never sent")
	}
	stopA()
	if n := getNotice(t, ns, "once"); n.Status.SentAt != nil {
		t.Fatalf("recorded as sent by a manager that died mid-send: %+v", n.Status)
	}

	stopB := startChannelManager(t, "restart-b", func(_ context.Context, req channelkit.Request) (string, error) {
		p.receive(req.IdempotencyKey)
		return "gw-" + req.IdempotencyKey[:8], nil
	})
	defer stopB()
	n := waitNotice(t, ns, "once", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	time.Sleep(300 * time.Millisecond) // room for a wrong second send
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.accepted) != 1 || len(p.requests) != 2 || p.requests[0] != n.Status.IdempotencyKey || p.requests[1] != n.Status.IdempotencyKey {
		t.Errorf("provider saw %v, delivered %d: want the notice UID twice (before and after the restart), one delivery", p.requests, len(p.accepted))
	}
	if n.Status.DeliveryID != "gw-"+n.Status.IdempotencyKey[:8] {
		t.Errorf("delivery id %q", n.Status.DeliveryID)
	}
}

// TestAtMostOnceNeverResendsAfterTheManagerDiesMidSend: the same death on an
// at-most-once channel (the default of a channel controller that says
// nothing). The attempt was recorded before the call; the next manager
// waits out the attempt timeout, cannot ask the provider, and sends
// nothing: the notice's outcome is unknown until a person says. A second
// request to the provider fails the test.
func TestAtMostOnceNeverResendsAfterTheManagerDiesMidSend(t *testing.T) {
	ns := newNamespace(t)
	p := &provider{accepted: map[string]struct{}{}}
	inSend := make(chan struct{})
	var once sync.Once
	stopA := startChannelManager(t, "restart-c", func(ctx context.Context, req channelkit.Request) (string, error) {
		p.receive(req.IdempotencyKey)
		once.Do(func() { close(inSend) })
		<-ctx.Done()
		return "", errors.New("killed mid-send")
	})
	create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "gateway", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: "test.inkasso.dev/restart"}}, testNotice(ns, "once", "gateway"))
	select {
	case <-inSend:
	case <-time.After(15 * time.Second):
		t.Fatal("the first manager never sent")
	}
	stopA()
	if n := getNotice(t, ns, "once"); n.Status.Attempt == nil {
		t.Fatalf("no attempt on record before the call: %+v", n.Status)
	}

	stopB := startChannelManagerWith(t, &channelkit.Controller{Name: "restart-d", AttemptTimeout: time.Second,
		Send: func(_ context.Context, req channelkit.Request) (string, error) {
			p.receive(req.IdempotencyKey)
			return "gw-" + req.IdempotencyKey[:8], nil
		}})
	defer stopB()
	n := waitNotice(t, ns, "once", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonDeliveryUnknown) })
	time.Sleep(300 * time.Millisecond) // room for a wrong second send
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) != 1 {
		t.Errorf("provider saw %d requests, want 1: an at-most-once notice was sent again after a crash", len(p.requests))
	}
	if n.Status.Attempt == nil || n.Status.SentAt != nil {
		t.Errorf("status %+v: want the attempt kept and no sentAt", n.Status)
	}
}
