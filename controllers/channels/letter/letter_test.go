package letter

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// TestCheckTrustsAMissingLetterOnlyInTheAttemptsOutbox: a letter missing
// from the outbox means "not delivered" only when the outbox is the one the
// attempt wrote to (shared by all replicas, or the attempt was this
// process's); another replica's attempt into a pod-local outbox cannot be
// checked (ErrCannotCheck: the policy decides). A letter found is a delivery
// in every case.
func TestCheckTrustsAMissingLetterOnlyInTheAttemptsOutbox(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outbox")
	n := &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: "n-1", Namespace: "ns"},
		Spec: inkassov1.NoticeSpec{Recipient: inkassov1.Recipient{Name: "Ola", Address: &inkassov1.Address{Lines: []string{"Gate 1"}, PostalCode: "0150", City: "Oslo", Country: "NO"}},
			Language: "nb", Subject: "Purring", Body: "Betal."}}
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "letter", Namespace: "ns"},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLetter, Letter: &inkassov1.LetterChannel{}}}
	req := func(same bool) channelkit.Request {
		return channelkit.Request{Notice: n, Channel: ch, IdempotencyKey: "k1", Attempt: 1, SameProcess: same}
	}
	for _, tc := range []struct {
		name         string
		shared, same bool
		want         error
	}{
		{"another replica, pod-local outbox", false, false, channelkit.ErrCannotCheck},
		{"this process's attempt", false, true, nil},
		{"shared outbox", true, false, nil},
	} {
		c := Channel{Outbox: channelkit.Outbox{Root: root, Shared: tc.shared}}
		r, err := c.Check(context.Background(), req(tc.same))
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) || r.Delivered {
			t.Errorf("%s, no letter: %+v, %v; want not delivered, error %v", tc.name, r, err, tc.want)
		}
	}
	if _, err := (Channel{Outbox: channelkit.Outbox{Root: root}}).Send(context.Background(), req(true)); err != nil {
		t.Fatal(err)
	}
	for _, shared := range []bool{false, true} {
		r, err := Channel{Outbox: channelkit.Outbox{Root: root, Shared: shared}}.Check(context.Background(), req(false))
		if err != nil || !r.Delivered {
			t.Errorf("shared %v, letter there: %+v, %v; want delivered", shared, r, err)
		}
	}
}
