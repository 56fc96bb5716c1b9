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
	t.Helper()
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	kit := &channelkit.Controller{ControllerName: "test.inkasso.dev/restart", Name: name, Send: send, Clock: fclock}
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
// notice to the provider and dies before it can record the result; the next
// manager sends it again under the same idempotency key, so the provider
// delivers it once, and the notice is Sent once.
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
		Spec: inkassov1.NoticeChannelSpec{ControllerName: "test.inkasso.dev/restart"}}, testNotice(ns, "once", "gateway"))
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
	if len(p.accepted) != 1 || len(p.requests) != 2 || p.requests[0] != string(n.UID) || p.requests[1] != string(n.UID) {
		t.Errorf("provider saw %v, delivered %d: want the notice UID twice (before and after the restart), one delivery", p.requests, len(p.accepted))
	}
	if n.Status.DeliveryID != "gw-"+string(n.UID)[:8] {
		t.Errorf("delivery id %q", n.Status.DeliveryID)
	}
}
