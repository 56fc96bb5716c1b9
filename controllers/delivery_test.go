package controllers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func webhookChannel(ns, name, url string) *inkassov1.NoticeChannel {
	return &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerWebhook,
			Webhook: &inkassov1.WebhookChannel{URL: strings.Replace(url, "127.0.0.1", "localhost", 1), TimeoutSeconds: 1}}}
}

func poke(t *testing.T, obj client.Object) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"test.inkasso.dev/poke":%q}}}`, time.Now().Format(time.RFC3339Nano))
	if err := k8s.Patch(context.Background(), obj, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// release moves the clock to the notice's notBefore (the debtor's contact
// window) and brings it to its channel controller.
func release(t *testing.T, ns, name string, ch client.Object) {
	t.Helper()
	n := getNotice(t, ns, name)
	if nb := n.Spec.NotBefore; nb != nil && nb.After(fclock.Now()) {
		fclock.SetTime(nb.Time)
	}
	poke(t, ch)
}

func getChannel(t *testing.T, ns, name string) *inkassov1.NoticeChannel {
	t.Helper()
	var ch inkassov1.NoticeChannel
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ch); err != nil {
		t.Fatal(err)
	}
	return &ch
}

// TestFailingChannelStallsTheClaimUntilResolved: a print service that
// answers 503 is retried until the notice's delivery deadline, then the
// notice fails; the claim turns Stalled (NoticeFailed) and its next step
// waits; deleting the failed notice lets collection go on.
func TestFailingChannelStallsTheClaimUntilResolved(t *testing.T) {
	ns := newNamespace(t)
	down := &hook{answers: slices.Repeat([]int{503}, 1000)}
	srv := httptest.NewServer(down)
	t.Cleanup(srv.Close)
	letter := webhookChannel(ns, "letter", srv.URL)
	create(t, samplePolicy(t, ns), letter, logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "dd", inkassov1.DebtorConsumer), claimDue(ns, "dl", "dd", "900.00", -1))
	c := driveToStep(t, ns, "dl", "reminder")
	name := c.Status.History[len(c.Status.History)-1].Notices[0]
	release(t, ns, name, letter)
	n := waitNotice(t, ns, name, func(n *inkassov1.Notice) error {
		if n.Status.Attempts < 2 || n.Spec.Deadline == nil {
			return fmt.Errorf("attempts %d, deadline %v: want retries and a deadline", n.Status.Attempts, n.Spec.Deadline)
		}
		return readyReason(n, inkassov1.NoticeReasonPending)
	})
	from := c.Status.History[len(c.Status.History)-1].Time.Time
	if n.Spec.NotBefore != nil {
		from = n.Spec.NotBefore.Time
	}
	if got := n.Spec.Deadline.Sub(from); got != 72*time.Hour {
		t.Errorf("delivery deadline %v after the notice may first go out, want the default 72 h", got)
	}
	if s := meta.FindStatusCondition(getClaim(t, ns, "dl").Status.Conditions, inkassov1.ConditionStalled); s != nil && s.Status == metav1.ConditionTrue {
		t.Fatalf("claim stalled while its notice is still retried: %+v", s)
	}

	fclock.SetTime(n.Spec.Deadline.Add(time.Minute))
	poke(t, letter) // brings the notice back now rather than at its backoff
	waitNotice(t, ns, name, func(n *inkassov1.Notice) error {
		if err := readyReason(n, inkassov1.NoticeReasonFailed); err != nil {
			return err
		}
		if !strings.Contains(readyMessage(n), "deadline") {
			return fmt.Errorf("message %q does not say the deadline passed", readyMessage(n))
		}
		return nil
	})
	c = advance(t, ns, "dl", 0, func(c *inkassov1.Claim) error {
		s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled)
		if s == nil || s.Status != metav1.ConditionTrue || s.Reason != "NoticeFailed" || !strings.Contains(s.Message, name) {
			return fmt.Errorf("claim Stalled %+v: want NoticeFailed naming %s", s, name)
		}
		return nil
	})
	steps := len(c.Status.History)
	if c.Status.NextStepAt != nil {
		fclock.SetTime(c.Status.NextStepAt.Add(time.Hour))
	}
	wakeClaim(ns, "dl")
	time.Sleep(500 * time.Millisecond)
	if c = getClaim(t, ns, "dl"); len(c.Status.History) != steps {
		t.Fatalf("the next step ran while the claim was stalled: %v", c.Status.History[steps:])
	}

	if err := k8s.Delete(context.Background(), getNotice(t, ns, name)); err != nil {
		t.Fatal(err)
	}
	advance(t, ns, "dl", 0, func(c *inkassov1.Claim) error {
		if s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled); s != nil && s.Status == metav1.ConditionTrue {
			return fmt.Errorf("still stalled: %s", s.Message)
		}
		if len(c.Status.History) <= steps {
			return fmt.Errorf("the next step has not run after the failed notice was deleted")
		}
		return nil
	})
}

// TestFallbackChannelTakesOverAFailedNotice: with spec.fallbackChannel, a
// notice refused by its channel (422) is sent again through the fallback;
// the step's history lists both and the claim never stalls.
func TestFallbackChannelTakesOverAFailedNotice(t *testing.T) {
	ns := newNamespace(t)
	refusing := &hook{answers: []int{422}}
	srv := httptest.NewServer(refusing)
	t.Cleanup(srv.Close)
	p := samplePolicy(t, ns)
	p.Spec.FallbackChannel = "post"
	create(t, p, webhookChannel(ns, "letter", srv.URL), logChannel(ns, "post"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "fb", inkassov1.DebtorConsumer), claimDue(ns, "fbc", "fb", "900.00", -1))
	c := driveToStep(t, ns, "fbc", "reminder")
	failed := c.Status.History[len(c.Status.History)-1].Notices[0]
	release(t, ns, failed, getChannel(t, ns, "letter"))
	c = advance(t, ns, "fbc", 0, func(c *inkassov1.Claim) error {
		for _, h := range c.Status.History {
			if h.Step == "reminder" && len(h.Notices) == 2 {
				return nil
			}
		}
		return fmt.Errorf("reminder notices %v: want the failed one and its fallback", c.Status.History[len(c.Status.History)-1].Notices)
	})
	var copyName string
	for _, h := range c.Status.History {
		if h.Step == "reminder" {
			copyName = h.Notices[1]
		}
	}
	cp := waitNotice(t, ns, copyName, func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	orig := getNotice(t, ns, failed)
	if cp.Spec.ChannelRef.Name != "post" || cp.Annotations["collection.inkasso.dev/fallback-for"] != failed || cp.Spec.Step != orig.Spec.Step ||
		cp.Spec.PaymentReference != orig.Spec.PaymentReference || len(cp.Spec.ClaimRefs) != len(orig.Spec.ClaimRefs) {
		t.Errorf("fallback notice %s: channel %s, annotations %v: want %s sent again on channel post", cp.Name, cp.Spec.ChannelRef.Name, cp.Annotations, failed)
	}
	// Rendered anew when released: its deadline counts from its own
	// release, never from the failed original's (the reminder gives 10 days).
	released := fclock.Now()
	if cp.Spec.NotBefore != nil {
		released = cp.Spec.NotBefore.Time
	}
	if min := released.In(oslo).AddDate(0, 0, 10).Format(time.DateOnly); string(cp.Spec.PayBy) < min {
		t.Errorf("fallback pays by %s, less than 10 days after its release (%s)", cp.Spec.PayBy, min)
	}
	if s := meta.FindStatusCondition(getClaim(t, ns, "fbc").Status.Conditions, inkassov1.ConditionStalled); s != nil && s.Status == metav1.ConditionTrue {
		t.Errorf("claim stalled although the fallback delivered: %s", s.Message)
	}
}

// TestWeeklyContactCapHoldsANoticeUntilItsWindow: with maxPerWeek 1 the
// phone call three days after the SMS waits until a week after the SMS,
// in a contact window; the channel does not deliver it before then, and
// does once the clock gets there.
func TestWeeklyContactCapHoldsANoticeUntilItsWindow(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicy(t, ns)
	p.Spec.ContactWindows = &inkassov1.ContactWindows{MaxPerWeek: 1}
	phone := logChannel(ns, "phone")
	create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), phone,
		debtor(ns, "cap", inkassov1.DebtorConsumer), claimDue(ns, "cp", "cap", "900.00", -1))
	sms := getNotice(t, ns, lastNotice(t, driveToStep(t, ns, "cp", "sms-reminder")))
	c := driveToStep(t, ns, "cp", "phone-call")
	call := getNotice(t, ns, lastNotice(t, c))
	week := sms.Spec.NotBefore.Add(7 * 24 * time.Hour)
	if call.Spec.NotBefore == nil || call.Spec.NotBefore.Time.Before(week) {
		t.Fatalf("phone call may go out at %v, SMS at %v: want at least a week apart", call.Spec.NotBefore, sms.Spec.NotBefore)
	}
	local := call.Spec.NotBefore.In(oslo)
	if h := local.Hour(); h < 8 || h >= 21 || local.Weekday() == time.Sunday {
		t.Errorf("held until %v, outside the contact hours", local)
	}
	poke(t, phone)
	time.Sleep(500 * time.Millisecond)
	if n := getNotice(t, ns, call.Name); n.Status.SentAt != nil || n.Status.Attempts != 0 {
		t.Fatalf("sent at %v (clock %v), before its notBefore %v", n.Status.SentAt, fclock.Now(), call.Spec.NotBefore)
	}
	fclock.SetTime(call.Spec.NotBefore.Time)
	poke(t, phone)
	waitNotice(t, ns, call.Name, func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
}

func lastNotice(t *testing.T, c *inkassov1.Claim) string {
	t.Helper()
	h := c.Status.History[len(c.Status.History)-1]
	if len(h.Notices) == 0 {
		t.Fatalf("step %s made no notice", h.Step)
	}
	return h.Notices[0]
}

// TestSentNoticesAreCollectedAfterTheirTTL: a Sent notice is deleted TTL
// after sentAt, the claim's history keeps its record and the claim goes on;
// a Failed notice is kept.
func TestSentNoticesAreCollectedAfterTheirTTL(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "gc", inkassov1.DebtorConsumer), claimDue(ns, "gcc", "gc", "900.00", -1))
	c := driveToStep(t, ns, "gcc", "reminder")
	name := lastNotice(t, c)
	release(t, ns, name, getChannel(t, ns, "letter"))
	n := waitNotice(t, ns, name, func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	scripted.mu.Lock()
	scripted.permanent["kept"] = true
	scripted.mu.Unlock()
	create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "scripted", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: scriptedController}}, testNotice(ns, "kept", "scripted"))
	waitNotice(t, ns, "kept", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonFailed) })

	fclock.SetTime(n.Status.SentAt.Add(noticeTTL - time.Hour))
	poke(t, n)
	time.Sleep(300 * time.Millisecond)
	getNotice(t, ns, name) // fails the test if it is gone before its TTL

	fclock.SetTime(n.Status.SentAt.Add(noticeTTL + time.Minute))
	poke(t, getNotice(t, ns, name))
	poke(t, getNotice(t, ns, "kept"))
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Notice
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &got); err == nil {
			return fmt.Errorf("sent notice %s still there %v after it was sent", name, fclock.Now().Sub(got.Status.SentAt.Time))
		}
		return nil
	})
	getNotice(t, ns, "kept")
	c = getClaim(t, ns, "gcc")
	if !slices.ContainsFunc(c.Status.History, func(h inkassov1.HistoryEntry) bool { return slices.Contains(h.Notices, name) }) {
		t.Errorf("the claim's history lost the collected notice %s", name)
	}
	if s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled); s != nil && s.Status == metav1.ConditionTrue {
		t.Errorf("claim stalled after its sent notice was collected: %s", s.Message)
	}
}
