package log

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// TestCheckTrustsAMissingFileOnlyInTheAttemptsOutbox: as for letters, a
// file missing from a pod-local outbox says nothing about another
// replica's attempt.
func TestCheckTrustsAMissingFileOnlyInTheAttemptsOutbox(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outbox")
	n := &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: "n-1", Namespace: "ns"}}
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "log", Namespace: "ns"},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLog}}
	req := func(same bool) channelkit.Request {
		return channelkit.Request{Notice: n, Channel: ch, IdempotencyKey: "k1", Attempt: 1, SameProcess: same}
	}
	if _, err := (Channel{Outbox: channelkit.Outbox{Root: root}}).Check(context.Background(), req(false)); !errors.Is(err, channelkit.ErrCannotCheck) {
		t.Errorf("another replica's attempt, pod-local outbox: %v, want ErrCannotCheck", err)
	}
	for _, c := range []struct{ shared, same bool }{{false, true}, {true, false}} {
		r, err := Channel{Outbox: channelkit.Outbox{Root: root, Shared: c.shared}}.Check(context.Background(), req(c.same))
		if err != nil || r.Delivered {
			t.Errorf("%+v: %+v, %v; want not delivered", c, r, err)
		}
	}
	if _, err := (Channel{Outbox: channelkit.Outbox{Root: root}}).Send(context.Background(), req(true)); err != nil {
		t.Fatal(err)
	}
	if r, err := (Channel{Outbox: channelkit.Outbox{Root: root}}).Check(context.Background(), req(false)); err != nil || !r.Delivered {
		t.Errorf("file there: %+v, %v; want delivered", r, err)
	}
}
