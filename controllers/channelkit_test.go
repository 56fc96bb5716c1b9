package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

const scriptedController = "test.inkasso.dev/scripted"

// scriptedSender fails each notice as its script says, and records calls.
type scriptedSender struct {
	mu        sync.Mutex
	failFirst map[string]int      // notice name -> transient failures before success
	permanent map[string]bool     // notice name -> fail permanently
	calls     map[string][]string // notice name -> idempotency keys seen
}

var scripted = &scriptedSender{failFirst: map[string]int{}, permanent: map[string]bool{}, calls: map[string][]string{}}

func (s *scriptedSender) send(_ context.Context, req channelkit.Request) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := req.Notice.Name
	s.calls[name] = append(s.calls[name], req.IdempotencyKey)
	if s.permanent[name] {
		return "", channelkit.Permanent(errors.New("recipient rejected by provider"))
	}
	if s.failFirst[name] > 0 {
		s.failFirst[name]--
		return "", errors.New("provider timed out")
	}
	return "scripted-" + name, nil
}

func (s *scriptedSender) callsOf(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls[name]...)
}

func testNotice(ns, name, channel string) *inkassov1.Notice {
	return &inkassov1.Notice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.NoticeSpec{
			ChannelRef: inkassov1.LocalObjectReference{Name: channel},
			ClaimRefs:  []inkassov1.LocalObjectReference{{Name: "c"}},
			Step:       "reminder", Recipient: inkassov1.Recipient{Name: "Ola"}, Language: "nb",
			Subject: "Reminder", Body: "Please pay.",
		},
	}
}

func waitNotice(t *testing.T, ns, name string, check func(*inkassov1.Notice) error) *inkassov1.Notice {
	t.Helper()
	var n inkassov1.Notice
	eventually(t, 15*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &n); err != nil {
			return err
		}
		return check(&n)
	})
	return &n
}

func TestChannelkitDeliveryContract(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "scripted", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: scriptedController}}
	other := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: "example.com/someone-else"}}
	create(t, ch, other)

	scripted.mu.Lock()
	scripted.failFirst["flaky"] = 2
	scripted.permanent["rejected"] = true
	scripted.mu.Unlock()

	later := testNotice(ns, "later", "scripted")
	later.Spec.NotBefore = &metav1.Time{Time: fclock.Now().Add(2 * time.Hour)}
	expired := testNotice(ns, "expired", "scripted")
	expired.Spec.Deadline = &metav1.Time{Time: fclock.Now().Add(-time.Minute)}
	create(t, testNotice(ns, "flaky", "scripted"), testNotice(ns, "rejected", "scripted"), later, expired,
		testNotice(ns, "foreign", "other"))

	t.Run("transient errors are retried until sent", func(t *testing.T) {
		n := waitNotice(t, ns, "flaky", func(n *inkassov1.Notice) error {
			return expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, inkassov1.NoticeReasonSent)
		})
		if n.Status.Attempts != 3 || n.Status.DeliveryID != "scripted-flaky" || n.Status.ControllerName != scriptedController {
			t.Errorf("status %+v: want 3 attempts and the delivery id", n.Status)
		}
		keys := scripted.callsOf("flaky")
		if len(keys) != 3 || keys[0] != n.Status.IdempotencyKey || keys[0] != channelkit.IdempotencyKey(n) || keys[1] != keys[0] || keys[2] != keys[0] {
			t.Errorf("idempotency keys %v: want the notice's key %q on every attempt", keys, n.Status.IdempotencyKey)
		}
	})
	t.Run("permanent errors fail the notice once", func(t *testing.T) {
		n := waitNotice(t, ns, "rejected", func(n *inkassov1.Notice) error {
			return expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, inkassov1.NoticeReasonFailed)
		})
		if !strings.Contains(condition(n.Status.Conditions, inkassov1.ConditionReady).Message, "recipient rejected") {
			t.Errorf("message %q", condition(n.Status.Conditions, inkassov1.ConditionReady).Message)
		}
		time.Sleep(300 * time.Millisecond)
		if c := scripted.callsOf("rejected"); len(c) != 1 {
			t.Errorf("a permanently failed notice was sent %d times", len(c))
		}
	})
	t.Run("deadline passed fails without sending", func(t *testing.T) {
		waitNotice(t, ns, "expired", func(n *inkassov1.Notice) error {
			return expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, inkassov1.NoticeReasonFailed)
		})
		if c := scripted.callsOf("expired"); len(c) != 0 {
			t.Errorf("sent after its deadline: %v", c)
		}
	})
	t.Run("never before notBefore", func(t *testing.T) {
		waitNotice(t, ns, "later", func(n *inkassov1.Notice) error {
			return expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, inkassov1.NoticeReasonPending)
		})
		if c := scripted.callsOf("later"); len(c) != 0 {
			t.Fatalf("sent before notBefore: %v", c)
		}
		fclock.SetTime(later.Spec.NotBefore.Add(time.Second))
		// Any change of the channel brings its open notices back.
		if err := k8s.Patch(ctx, ch, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"annotations":{"poke":"1"}}}`))); err != nil {
			t.Fatal(err)
		}
		waitNotice(t, ns, "later", func(n *inkassov1.Notice) error {
			return expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, inkassov1.NoticeReasonSent)
		})
	})
	t.Run("notices of other controllers are not touched", func(t *testing.T) {
		time.Sleep(300 * time.Millisecond)
		n := waitNotice(t, ns, "foreign", func(*inkassov1.Notice) error { return nil })
		if len(n.Status.Conditions) != 0 || n.Status.ControllerName != "" || len(scripted.callsOf("foreign")) != 0 {
			t.Errorf("foreign notice handled: %+v", n.Status)
		}
	})
	t.Run("events and metrics record every outcome", func(t *testing.T) {
		seen := map[string]bool{}
		eventually(t, 10*time.Second, func() error {
			var list eventsv1.EventList
			if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
				return err
			}
			clear(seen)
			for _, e := range list.Items {
				seen[e.Regarding.Name+"/"+e.Reason] = true
			}
			for _, want := range []string{"flaky/Retrying", "flaky/Sent", "rejected/Failed", "expired/Failed"} {
				if !seen[want] {
					return fmt.Errorf("no event %s; have %v", want, seen)
				}
			}
			return nil
		})
		// A delivery on the first attempt is recorded in status only
		// ("later" went out on its first attempt, over 300 ms ago).
		if seen["later/Sent"] {
			t.Errorf("a Sent event for a first-attempt delivery: %v", seen)
		}
		for result, least := range map[string]float64{"sent": 2, "retry": 2, "failed": 1, "expired": 1} {
			if got := counter(t, "inkasso_channel_deliveries_total", map[string]string{"controller": scriptedController, "result": result}); got < least {
				t.Errorf("inkasso_channel_deliveries_total{result=%q} = %v, want at least %v", result, got, least)
			}
		}
	})
	t.Run("the channel's rate limit spaces deliveries", func(t *testing.T) {
		throttled := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "throttled", Namespace: ns},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: scriptedController, RateLimit: &inkassov1.RateLimit{PerMinute: 6, Burst: 2}}}
		create(t, throttled)
		var names []string
		for i := range 4 {
			n := testNotice(ns, fmt.Sprintf("bulk-%d", i), "throttled")
			names = append(names, n.Name)
			create(t, n)
		}
		sent := func() int {
			k := 0
			for _, name := range names {
				k += min(len(scripted.callsOf(name)), 1)
			}
			return k
		}
		eventually(t, 5*time.Second, func() error {
			if k := sent(); k != 2 {
				return fmt.Errorf("%d sent, want the burst of 2", k)
			}
			return nil
		})
		time.Sleep(1500 * time.Millisecond) // real time passes; the controller's clock does not
		if k := sent(); k != 2 {
			t.Fatalf("%d sent without the clock moving: the bucket refilled on real time", k)
		}
		fclock.Step(20 * time.Second) // 6 a minute: two more tokens
		// The throttled notices wait 10 s of real time for their token; a
		// change of the channel brings them back at once.
		if err := k8s.Patch(ctx, throttled, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"annotations":{"poke":"1"}}}`))); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, func() error {
			if k := sent(); k != 4 {
				return fmt.Errorf("%d sent after 20 s, want 4", k)
			}
			return nil
		})
	})
	t.Run("the channel is marked accepted", func(t *testing.T) {
		eventually(t, 5*time.Second, func() error {
			var got inkassov1.NoticeChannel
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(ch), &got); err != nil {
				return err
			}
			if err := expectCondition(got.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "Accepted"); err != nil {
				return fmt.Errorf("channel: %w", err)
			}
			return nil
		})
	})
}

// counter reads a counter of the manager's metrics registry.
func counter(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
