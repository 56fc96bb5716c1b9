package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

const (
	stoppingController = "test.inkasso.dev/stopping"
	takenController    = "test.inkasso.dev/taken"
)

// TestStoppingManagerRecordsTheOutcome: a manager that stops (a shutdown,
// or a shard's manager on a rebalance) while a notice is being sent cancels
// the reconcile context; the send and the recording of its outcome still
// finish, so the notice is Sent with no attempt left for the next holder to
// settle as unknown. Without that, the outcome write fails ("context
// canceled") and the outcome dies with the manager.
func TestStoppingManagerRecordsTheOutcome(t *testing.T) {
	ns := newNamespace(t)
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Cache: controllers.CacheOptions(nil), Client: controllers.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	inSend, release := make(chan struct{}), make(chan struct{})
	var sends atomic.Int32
	kit := &channelkit.Controller{ControllerName: stoppingController, Send: func(ctx context.Context, req channelkit.Request) (string, error) {
		if sends.Add(1) == 1 {
			close(inSend)
		}
		<-release
		if err := ctx.Err(); err != nil { // a provider client gives up on a cancelled context
			return "", channelkit.Ambiguous(fmt.Errorf("sending: %w", err))
		}
		return "stopping-" + req.Notice.Name, nil
	}}
	if err := kit.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(context.Background())
	defer stop()
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(mctx) }()

	create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "stopping", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: stoppingController}}, // at most once: the default
		testNotice(ns, "n-1", "stopping"))
	select {
	case <-inSend:
	case <-time.After(20 * time.Second):
		t.Fatal("the notice was never sent")
	}
	stop()                             // the manager stops while the provider is being called
	time.Sleep(200 * time.Millisecond) // the cancellation reaches the reconcile
	close(release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("manager: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the manager did not stop")
	}
	var n inkassov1.Notice
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "n-1"}, &n); err != nil {
		t.Fatal(err)
	}
	if err := readyReasonIs(inkassov1.NoticeReasonSent)(&n); err != nil || n.Status.Attempt != nil || n.Status.Attempts != 1 || n.Status.DeliveryID != "stopping-n-1" {
		t.Fatalf("status %+v (%v): want Sent on attempt 1, no attempt left without an outcome", n.Status, err)
	}
	if s := sends.Load(); s != 1 {
		t.Errorf("%d sends, want 1", s)
	}
}

// takeover is the provider of TestRememberedOutcomeDoesNotOverwriteANewerAttempt:
// while it sends, the notice changes in the apiserver, so the outcome
// write conflicts and the outcome is remembered.
type takeover struct {
	mu    sync.Mutex
	sends map[string]int
}

var taken = &takeover{sends: map[string]int{}}

func (s *takeover) send(ctx context.Context, req channelkit.Request) (string, error) {
	s.mu.Lock()
	s.sends[req.Notice.Name]++
	s.mu.Unlock()
	var n inkassov1.Notice
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(req.Notice), &n); err != nil {
		return "", err
	}
	switch n.Name {
	case "n-taken":
		// Another replica took the notice over and made attempt 2.
		n.Status.Attempts = req.Attempt + 1
		n.Status.Attempt = &inkassov1.DeliveryAttempt{Number: req.Attempt + 1, StartedAt: metav1.Now(), Holder: "other-replica"}
		if err := k8s.Status().Update(ctx, &n); err != nil {
			return "", errors.Join(errors.New("test: taking the notice over"), err)
		}
	case "n-own":
		// Only its labels changed: the attempt on record is still this one's.
		n.Labels = map[string]string{"touched": "yes"}
		if err := k8s.Update(ctx, &n); err != nil {
			return "", errors.Join(errors.New("test: touching the notice"), err)
		}
	}
	return "taken-" + n.Name, nil
}

func (s *takeover) sendsOf(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends[name]
}

// TestRememberedOutcomeDoesNotOverwriteANewerAttempt: an outcome this
// process could not record is written later only while the notice still
// carries the attempt it made; over another replica's newer attempt it is
// dropped, not written.
func TestRememberedOutcomeDoesNotOverwriteANewerAttempt(t *testing.T) {
	ns := newNamespace(t)
	create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: takenController}}, // at most once
		testNotice(ns, "n-own", "taken"), testNotice(ns, "n-taken", "taken"))

	n := waitNotice(t, ns, "n-own", readyReasonIs(inkassov1.NoticeReasonSent))
	if n.Status.Attempts != 1 || n.Status.Attempt != nil || taken.sendsOf("n-own") != 1 {
		t.Errorf("n-own: status %+v, %d sends: want the remembered outcome recorded, one send", n.Status, taken.sendsOf("n-own"))
	}
	eventually(t, 15*time.Second, func() error {
		if s := taken.sendsOf("n-taken"); s != 1 {
			return fmt.Errorf("n-taken: %d sends, want 1", s)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // time for a wrong write of the remembered outcome
	var got inkassov1.Notice
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "n-taken"}, &got); err != nil {
		t.Fatal(err)
	}
	if a := got.Status.Attempt; a == nil || a.Holder != "other-replica" || a.Number != 2 || got.Status.Attempts != 2 || readyReasonIs(inkassov1.NoticeReasonSent)(&got) == nil {
		t.Fatalf("n-taken: status %+v: want the other replica's attempt 2 left as it is", got.Status)
	}
	if s := taken.sendsOf("n-taken"); s != 1 {
		t.Errorf("n-taken: %d sends, want 1 (the other replica's attempt is under way)", s)
	}
}
