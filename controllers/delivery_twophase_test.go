package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	letterchannel "github.com/inkasso-operator/inkasso-operator/controllers/channels/letter"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/webhook"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

func readyReasonIs(reason string) func(*inkassov1.Notice) error {
	return func(n *inkassov1.Notice) error {
		c := condition(n.Status.Conditions, inkassov1.ConditionReady)
		if c == nil || c.Reason != reason {
			return fmt.Errorf("Ready %+v, want reason %s", c, reason)
		}
		return nil
	}
}

// TestAmbiguousAttemptAtMostOnceWaitsForAPerson: a provider that takes the
// notice but answers after the client's timeout. An at-most-once channel
// never sends it again: the notice says its outcome is unknown, and only a
// person's answer (the resolve-delivery annotation) settles it. A second
// request to the provider fails the test.
func TestAmbiguousAttemptAtMostOnceWaitsForAPerson(t *testing.T) {
	ns := newNamespace(t)
	provider := &hook{hang: 1}
	srv := httptest.NewServer(provider)
	t.Cleanup(srv.Close)
	ch := webhookChannel(ns, "sms", srv.URL)
	ch.Spec.Redelivery = inkassov1.AtMostOnce
	create(t, ch, webhookNotice(ns, "n-1", "sms"))

	n := waitNotice(t, ns, "n-1", readyReasonIs(inkassov1.NoticeReasonDeliveryUnknown))
	if n.Status.Attempt == nil || n.Status.Attempt.Number != 1 || n.Status.Attempts != 1 {
		t.Errorf("status %+v: want attempt 1 on record", n.Status)
	}
	if want := channelkit.IdempotencyKey(n); n.Status.IdempotencyKey != want {
		t.Errorf("idempotency key %q, want %q (from the notice's identity)", n.Status.IdempotencyKey, want)
	}
	time.Sleep(2 * time.Second) // time for a wrong resend
	if got := provider.count(); got != 1 {
		t.Fatalf("the provider got %d requests, want 1: an at-most-once notice was sent again", got)
	}

	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"Sent"}}}`, inkassov1.ResolveDeliveryAnnotation)
	if err := k8s.Patch(context.Background(), n, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
	n = waitNotice(t, ns, "n-1", readyReasonIs(inkassov1.NoticeReasonSent))
	if n.Status.Attempt != nil || n.Status.SentAt == nil {
		t.Errorf("status %+v: want the attempt closed and sentAt set", n.Status)
	}
	if got := provider.count(); got != 1 {
		t.Errorf("the provider got %d requests after a person said Sent, want 1", got)
	}
}

// TestAmbiguousAttemptAtLeastOnceResendsUnderTheSameKey: the same provider
// behind a channel that delivers at least once (a webhook's default): the
// notice is sent again with the same idempotency key, so a provider that
// de-duplicates keeps one.
func TestAmbiguousAttemptAtLeastOnceResendsUnderTheSameKey(t *testing.T) {
	ns := newNamespace(t)
	provider := &hook{hang: 1}
	srv := httptest.NewServer(provider)
	t.Cleanup(srv.Close)
	create(t, webhookChannel(ns, "sms", srv.URL), webhookNotice(ns, "n-1", "sms"))

	n := waitNotice(t, ns, "n-1", readyReasonIs(inkassov1.NoticeReasonSent))
	provider.mu.Lock()
	defer provider.mu.Unlock()
	if len(provider.requests) != 2 {
		t.Fatalf("the provider got %d requests, want 2 (the timed-out one and its resend)", len(provider.requests))
	}
	for i, r := range provider.requests {
		if got := r.Header.Get(webhook.HeaderIdempotencyKey); got != n.Status.IdempotencyKey || got == "" {
			t.Errorf("request %d carried key %q, want the notice's %q", i+1, got, n.Status.IdempotencyKey)
		}
	}
	if n.Status.Attempt != nil || n.Status.Attempts != 2 {
		t.Errorf("status %+v: want 2 attempts and none open", n.Status)
	}
}

// TestAttemptLeftBehindIsSettledByTheOutbox: an attempt recorded by a
// replica that died before the answer (status.attempt, no outcome). The
// suite's outbox is not declared shared (--outbox-shared), so it may be this
// pod's own emptyDir while the dead replica wrote to its own: a letter
// missing here says nothing. The letter channel (at most once) therefore
// does not write the letter again but leaves the notice DeliveryUnknown for
// a person; the log channel (at least once) writes its file again, as its
// policy allows.
func TestAttemptLeftBehindIsSettledByTheOutbox(t *testing.T) {
	ns := newNamespace(t)
	letter := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "letter", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLetter, Letter: &inkassov1.LetterChannel{}}}
	create(t, letter, logChannel(ns, "log"))
	for _, name := range []string{"by-letter", "by-log"} {
		leaveAttempt(t, testNotice(ns, name, map[string]string{"by-letter": "letter", "by-log": "log"}[name]))
	}

	n := waitNotice(t, ns, "by-letter", readyReasonIs(inkassov1.NoticeReasonDeliveryUnknown))
	if n.Status.Attempts != 1 || n.Status.Attempt == nil {
		t.Errorf("status %+v: want the dead replica's attempt 1 left for a person", n.Status)
	}
	time.Sleep(time.Second) // time for a wrong write
	if got := outboxFiles(t, ns, "*.pdf"); len(got) != 0 {
		t.Errorf("outbox %v: the letter was written again although another replica may have written it", got)
	}

	n = waitNotice(t, ns, "by-log", readyReasonIs(inkassov1.NoticeReasonSent))
	if n.Status.Attempts != 2 || n.Status.Attempt != nil {
		t.Errorf("status %+v: want the second attempt sent", n.Status)
	}
	if _, err := os.Stat(filepath.Join(outbox, ns, "by-log.txt")); err != nil {
		t.Errorf("the log channel did not write its file: %v", err)
	}
}

// TestLetterWrittenBeforeACrashIsNotWrittenAgain (issue 21): a replica
// wrote the letter and died before it recorded the outcome; the notice
// keeps its attempt. The letter channel finds the letter by the notice's
// idempotency key (its marker, or its name when the crash came before the
// marker) and records the notice Sent: exactly one letter, untouched. A
// second write fails the test.
func TestLetterWrittenBeforeACrashIsNotWrittenAgain(t *testing.T) {
	ns := newNamespace(t)
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "letter", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLetter, Letter: &inkassov1.LetterChannel{}}}
	create(t, ch)
	written := map[string]time.Time{}
	for _, name := range []string{"with-marker", "before-marker"} {
		n := testNotice(ns, name, "letter")
		n.Spec.CaseID = name // two cases: two idempotency keys
		n.Spec.NotBefore = &metav1.Time{Time: fclock.Now().Add(24 * time.Hour)}
		create(t, n)
		// The dead replica's send, through the channel's own code.
		id, err := letterchannel.Channel{Outbox: channelkit.Outbox{Root: outbox}}.Send(context.Background(),
			channelkit.Request{Notice: n, Channel: ch, IdempotencyKey: channelkit.IdempotencyKey(n), Attempt: 1})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(strings.TrimPrefix(id, "file://"))
		if err != nil {
			t.Fatal(err)
		}
		written[name] = fi.ModTime()
		if name == "before-marker" {
			if err := os.Remove(filepath.Join(outbox, ns, ".delivered", channelkit.IdempotencyKey(n))); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond) // a rewrite would show in the modification time
		recordDeadAttempt(t, n)
	}
	for name, mtime := range written {
		n := waitNotice(t, ns, name, readyReasonIs(inkassov1.NoticeReasonSent))
		want := "file://" + filepath.Join(outbox, ns, name+".pdf")
		if n.Status.Attempts != 1 || n.Status.Attempt != nil || n.Status.DeliveryID != want {
			t.Errorf("%s: status %+v: want attempt 1 settled as sent, delivery %s", name, n.Status, want)
		}
		if fi, err := os.Stat(filepath.Join(outbox, ns, name+".pdf")); err != nil || !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: the letter was written again (%v)", name, err)
		}
	}
	if got := outboxFiles(t, ns, "*"); len(got) != 2 {
		t.Errorf("outbox %v, want the two letters and nothing else", got)
	}
}

// leaveAttempt creates n (not yet due) with an attempt recorded an hour ago
// by a replica that is gone.
func leaveAttempt(t *testing.T, n *inkassov1.Notice) {
	t.Helper()
	// Not yet due: nothing is sent before the test records the attempt.
	n.Spec.NotBefore = &metav1.Time{Time: fclock.Now().Add(24 * time.Hour)}
	create(t, n)
	recordDeadAttempt(t, n)
}

// recordDeadAttempt records on n an attempt begun an hour ago by a replica
// that is gone, over the channel's own status writes (Pending).
func recordDeadAttempt(t *testing.T, n *inkassov1.Notice) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(n), n); err != nil {
			return err
		}
		n.Status.Attempts = 1
		n.Status.Attempt = &inkassov1.DeliveryAttempt{Number: 1, StartedAt: metav1.Time{Time: time.Now().Add(-time.Hour).Truncate(time.Second)}, Holder: "replica-gone"}
		return k8s.Status().Update(context.Background(), n)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// outboxFiles lists the files of the namespace's outbox matching pattern.
func outboxFiles(t *testing.T, ns, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(outbox, ns, pattern))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			names = append(names, filepath.Base(p))
		}
	}
	return names
}

// keyedProvider takes notices by POST, each key once or more (it does not
// de-duplicate: every POST is a delivery), answering the first hang of
// them after the client's timeout, and tells by GET /check whether it has
// a key.
type keyedProvider struct {
	mu         sync.Mutex
	hang       int
	deliveries map[string]int
	checks     int
}

func (p *keyedProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(webhook.HeaderIdempotencyKey)
	p.mu.Lock()
	if r.Method == http.MethodGet {
		p.checks++
		n := p.deliveries[key]
		p.mu.Unlock()
		if n == 0 {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"id":"got-%s"}`, key[:8])
		return
	}
	p.deliveries[key]++
	hang := p.hang > 0
	if hang {
		p.hang--
	}
	p.mu.Unlock()
	if hang {
		time.Sleep(1500 * time.Millisecond) // past the channel's 1 s timeout
		return
	}
	fmt.Fprintf(w, `{"id":"got-%s"}`, key[:8])
}

// TestAmbiguousAttemptIsSettledByAskingTheProvider: an at-most-once webhook
// channel with a checkURL. The provider got the notice but its answer came
// too late; the channel asks instead of guessing, and records the notice
// Sent with the provider's id. A second delivery fails the test.
func TestAmbiguousAttemptIsSettledByAskingTheProvider(t *testing.T) {
	ns := newNamespace(t)
	p := &keyedProvider{hang: 1, deliveries: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	ch := webhookChannel(ns, "sms", srv.URL)
	ch.Spec.Redelivery = inkassov1.AtMostOnce
	ch.Spec.Webhook.CheckURL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/check"
	create(t, ch, webhookNotice(ns, "n-1", "sms"))

	n := waitNotice(t, ns, "n-1", readyReasonIs(inkassov1.NoticeReasonSent))
	p.mu.Lock()
	defer p.mu.Unlock()
	if got := p.deliveries[n.Status.IdempotencyKey]; got != 1 || len(p.deliveries) != 1 {
		t.Errorf("the provider has %v deliveries, want the notice's key once", p.deliveries)
	}
	if p.checks == 0 || n.Status.DeliveryID != "got-"+n.Status.IdempotencyKey[:8] || n.Status.Attempt != nil {
		t.Errorf("%d checks, status %+v: want the provider asked and its id recorded", p.checks, n.Status)
	}
}
