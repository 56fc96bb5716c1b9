package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// TestOutboxDirCannotLeaveTheNamespace (issue 20): a letter or log channel
// whose outboxDir is absolute, climbs out with "..", or names another
// creditor's folder fails its notices; no file appears outside the
// channel's own <outbox>/<namespace>/; a relative folder works.
func TestOutboxDirCannotLeaveTheNamespace(t *testing.T) {
	attacker, victim := newNamespace(t), newNamespace(t)
	outside := t.TempDir()
	channels := map[string]*inkassov1.NoticeChannel{}
	for name, dir := range map[string]string{
		"absolute":   outside,
		"climb":      "../../" + filepath.Base(outside),
		"neighbour":  "../" + victim,
		"deep-climb": "a/b/../../../" + victim,
		"own":        "print/a4",
	} {
		ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: attacker, Name: name},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLetter, Letter: &inkassov1.LetterChannel{OutboxDir: dir}}}
		if name == "climb" || name == "neighbour" {
			ch.Spec.ControllerName, ch.Spec.Letter = inkassov1.ControllerLog, nil
			ch.Spec.Log = &inkassov1.LogChannel{OutboxDir: dir}
		}
		channels[name] = ch
		create(t, ch)
	}
	for name := range channels {
		n := mailNotice(attacker, "n-"+name, name, "ola@example.org")
		create(t, n)
	}
	for name := range channels {
		want := inkassov1.NoticeReasonFailed
		if name == "own" {
			want = inkassov1.NoticeReasonSent
		}
		n := waitNotice(t, attacker, "n-"+name, func(n *inkassov1.Notice) error { return readyReason(n, want) })
		if want == inkassov1.NoticeReasonFailed && !strings.Contains(readyMessage(n), "outboxDir") {
			t.Errorf("%s: %q does not name the field", name, readyMessage(n))
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("%d files written outside the outbox", len(entries))
	}
	if entries, _ := os.ReadDir(filepath.Join(outbox, victim)); len(entries) > 0 {
		t.Errorf("%d files written into another creditor's outbox", len(entries))
	}
	if _, err := os.Stat(filepath.Join(outbox, attacker, "print", "a4", "n-own.pdf")); err != nil {
		t.Errorf("the relative outboxDir: %v", err)
	}
}

// TestChannelSecretMustNameTheChannel (issue 20): a NoticeChannel cannot
// use a Secret its owner did not hand to it: the notice is not sent (no
// credentials leave), the channel shows Ready False SecretNotAllowed naming
// the annotation; once the Secret's owner adds the channel, it is sent.
func TestChannelSecretMustNameTheChannel(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ms := startMailServer(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payroll-smtp"},
		Data: map[string][]byte{"username": []byte("inkasso"), "password": []byte("s3cret"), "ca.crt": ms.caPEM}},
		smtpChannel(ns, "thief", ms.addr, "payroll-smtp"), mailNotice(ns, "n-1", "thief", "ola@example.org"))
	eventually(t, 15e9, func() error {
		var ch inkassov1.NoticeChannel
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "thief"}, &ch); err != nil {
			return err
		}
		if err := expectCondition(ch.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, channelkit.ReasonSecretNotAllowed); err != nil {
			return err
		}
		if msg := condition(ch.Status.Conditions, inkassov1.ConditionReady).Message; !strings.Contains(msg, channelkit.SecretChannelsAnnotation) {
			return fmt.Errorf("condition %q does not say how to allow it", msg)
		}
		return nil
	})
	if msgs, _, _ := ms.received(); len(msgs) != 0 {
		t.Fatalf("%d messages sent with a Secret that does not name the channel", len(msgs))
	}
	var s corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "payroll-smtp"}, &s); err != nil {
		t.Fatal(err)
	}
	s.Annotations = map[string]string{channelkit.SecretChannelsAnnotation: "thief"}
	if err := k8s.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	waitNotice(t, ns, "n-1", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	eventually(t, 15e9, func() error {
		var ch inkassov1.NoticeChannel
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "thief"}, &ch); err != nil {
			return err
		}
		return expectCondition(ch.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "Accepted")
	})
}
