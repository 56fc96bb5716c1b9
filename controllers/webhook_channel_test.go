package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/webhook"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/standardwebhooks"
)

// hook is a real HTTP server on loopback that answers by script.
type hook struct {
	mu       sync.Mutex
	answers  []int // status codes in order; then 200
	hang     int   // requests to leave unanswered past the client's timeout
	requests []*http.Request
	bodies   [][]byte
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.requests, h.bodies = append(h.requests, r), append(h.bodies, body)
	hang := h.hang > 0
	if hang {
		h.hang--
	}
	code := http.StatusOK
	if !hang && len(h.answers) > 0 {
		code, h.answers = h.answers[0], h.answers[1:]
	}
	h.mu.Unlock()
	if hang {
		time.Sleep(1500 * time.Millisecond) // longer than the channel's 1 s timeout
		return
	}
	w.WriteHeader(code)
	if code == http.StatusOK {
		fmt.Fprint(w, `{"id":"sms-4711"}`)
	} else {
		fmt.Fprint(w, `{"error":"scripted"}`)
	}
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.requests)
}

func webhookNotice(ns, name, channel string) *inkassov1.Notice {
	return &inkassov1.Notice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.NoticeSpec{ChannelRef: inkassov1.LocalObjectReference{Name: channel}, Step: "sms-reminder",
			ClaimRefs: []inkassov1.LocalObjectReference{{Name: "inv-1"}}, Language: "nb",
			Recipient: inkassov1.Recipient{Name: "Ola Nordmann", Phone: "+4791234567"}, Subject: "Betalingspåminnelse", Body: "Betal 100 NOK"},
	}
}

func noticeReady(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	return meta.FindStatusCondition(getNotice(t, ns, name).Status.Conditions, inkassov1.ConditionReady)
}

// TestWebhookChannel: a real local HTTP server fails, hangs and recovers; the
// notice is delivered once it recovers, every attempt carries the same
// idempotency key and a valid HMAC signature; a 4xx fails the notice for good.
func TestWebhookChannel(t *testing.T) {
	ns := newNamespace(t)
	// A rotation under way: requests carry signatures by both secrets, and
	// a receiver holding either accepts them.
	current, previous := standardwebhooks.NewSecret(), standardwebhooks.NewSecret()
	h := &hook{answers: []int{503, 500}, hang: 1}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	refusing := &hook{answers: []int{422}}
	srv2 := httptest.NewServer(refusing)
	t.Cleanup(srv2.Close)

	ch := func(name, url string) *inkassov1.NoticeChannel {
		return &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerWebhook, SecretRef: &inkassov1.LocalObjectReference{Name: "hook-key"},
				Webhook: &inkassov1.WebhookChannel{URL: strings.Replace(url, "127.0.0.1", "localhost", 1), TimeoutSeconds: 1}}}
	}
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-key", Namespace: ns,
		Annotations: map[string]string{channelkit.SecretChannelsAnnotation: "sms-gateway,refusing"}},
		Data: map[string][]byte{webhook.SecretKey: []byte(current.String()), webhook.PreviousSecretKey: []byte(previous.String())}},
		ch("sms-gateway", srv.URL), ch("refusing", srv2.URL))
	create(t, webhookNotice(ns, "n-ok", "sms-gateway"), webhookNotice(ns, "n-bad", "refusing"))

	eventually(t, 30*time.Second, func() error {
		if c := noticeReady(t, ns, "n-ok"); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("n-ok Ready %+v after %d requests", c, h.count())
		}
		return nil
	})
	n := getNotice(t, ns, "n-ok")
	if n.Status.DeliveryID != "sms-4711" || n.Status.Attempts != 4 || h.count() != 4 {
		t.Errorf("delivery id %q after %d attempts, %d requests: want sms-4711 on the 4th (503, 500, timeout, 200)", n.Status.DeliveryID, n.Status.Attempts, h.count())
	}
	h.mu.Lock()
	for i, r := range h.requests {
		if r.Header.Get(webhook.HeaderIdempotencyKey) != n.Status.IdempotencyKey {
			t.Errorf("request %d idempotency key %q, want the notice's %q", i, r.Header.Get(webhook.HeaderIdempotencyKey), n.Status.IdempotencyKey)
		}
		for _, key := range []standardwebhooks.Secret{current, previous} {
			v := &standardwebhooks.Verifier{Secrets: []standardwebhooks.Secret{key}}
			if err := v.Verify(r.Header, h.bodies[i]); err != nil {
				t.Errorf("request %d: signature %q: %v", i, r.Header.Get(standardwebhooks.HeaderSignature), err)
			}
		}
		if id := r.Header.Get(standardwebhooks.HeaderID); id != n.Status.IdempotencyKey {
			t.Errorf("request %d webhook-id %q, want the notice's idempotency key (the same on every retry)", i, id)
		}
	}
	var p webhook.Payload
	if err := json.Unmarshal(h.bodies[len(h.bodies)-1], &p); err != nil || p.Version != webhook.PayloadVersion || p.Recipient.Phone != "+4791234567" ||
		p.Attempt != 4 || len(p.Claims) != 1 || p.Step != "sms-reminder" {
		t.Errorf("payload %+v (%v)", p, err)
	}
	h.mu.Unlock()

	eventually(t, 10*time.Second, func() error {
		c := noticeReady(t, ns, "n-bad")
		if c == nil || c.Reason != inkassov1.NoticeReasonFailed || !strings.Contains(c.Message, "422") {
			return fmt.Errorf("n-bad Ready %+v: want Failed naming the 422", c)
		}
		if strings.Contains(c.Message, "scripted") {
			return fmt.Errorf("n-bad Ready %q: the provider's answer was copied into status", c.Message)
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond)
	if refusing.count() != 1 {
		t.Errorf("a refused notice was sent %d times, want once", refusing.count())
	}
	// Nothing is sent again once delivered.
	if err := k8s.Get(context.Background(), clientKey(ns, "n-ok"), n); err != nil || h.count() != 4 {
		t.Errorf("requests after delivery: %d", h.count())
	}
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
