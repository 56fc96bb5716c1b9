package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestNoticeCachedWithoutRenderedContent: the manager's cache holds a
// notice without its subject, body, recipient, amounts and parties (the
// memory diet), while the channel still sends the whole notice, read from
// the API.
func TestNoticeCachedWithoutRenderedContent(t *testing.T) {
	ns := newNamespace(t)
	provider := &hook{}
	srv := httptest.NewServer(provider)
	t.Cleanup(srv.Close)
	letter := webhookChannel(ns, "letter", srv.URL)
	create(t, samplePolicy(t, ns), letter, logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "dc", inkassov1.DebtorConsumer), claimDue(ns, "cc", "dc", "900.00", -1))
	c := driveToStep(t, ns, "cc", "reminder")
	name := c.Status.History[len(c.Status.History)-1].Notices[0]
	release(t, ns, name, letter)
	live := waitNotice(t, ns, name, func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	if live.Spec.Body == "" || live.Spec.Subject == "" || live.Spec.Recipient.Name == "" || live.Spec.Amounts == nil {
		t.Fatalf("the notice in the API lacks its rendered content: %+v", live.Spec)
	}

	var inCache inkassov1.Notice
	eventually(t, 15*time.Second, func() error {
		if err := cached.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &inCache); err != nil {
			return err
		}
		if inCache.Status.SentAt == nil {
			return fmt.Errorf("the cache has not seen the delivery yet")
		}
		return nil
	})
	s := inCache.Spec
	if s.Body != "" || s.Subject != "" || s.Recipient != (inkassov1.Recipient{}) || s.Amounts != nil || s.Creditor != nil || s.Sender != nil || len(inCache.ManagedFields) > 0 {
		t.Errorf("the cached notice carries rendered content or managed fields: subject %q, body %d bytes, recipient %+v, amounts %v, creditor %v, sender %v, %d managed fields",
			s.Subject, len(s.Body), s.Recipient, s.Amounts, s.Creditor, s.Sender, len(inCache.ManagedFields))
	}
	if s.Step != live.Spec.Step || s.ChannelRef != live.Spec.ChannelRef || len(s.ClaimRefs) != len(live.Spec.ClaimRefs) {
		t.Errorf("the cached notice lost what the controllers read: %+v", s)
	}

	provider.mu.Lock()
	defer provider.mu.Unlock()
	if len(provider.bodies) != 1 {
		t.Fatalf("the provider got %d requests, want 1", len(provider.bodies))
	}
	var sent struct{ Subject, Body string }
	if err := json.Unmarshal(provider.bodies[0], &sent); err != nil || sent.Body != live.Spec.Body || sent.Subject != live.Spec.Subject {
		t.Errorf("the provider got subject %q and %d bytes of body (%v); want the notice's %q and %d bytes", sent.Subject, len(sent.Body), err, live.Spec.Subject, len(live.Spec.Body))
	}
}
