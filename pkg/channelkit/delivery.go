package channelkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// DefaultAttemptTimeout is how long an attempt recorded by another replica
// (or an earlier run of this one) may still be under way: until then its
// notice is left alone, after that its outcome is unknown.
const DefaultAttemptTimeout = 2 * time.Minute

type ambiguousError struct{ err error }

func (a ambiguousError) Error() string { return a.err.Error() }
func (a ambiguousError) Unwrap() error { return a.err }

// Ambiguous marks err as one after which the provider may or may not have
// the notice: a timeout or a broken connection after the request was sent.
// Plain errors mean it certainly does not (refused, 5xx before accepting);
// Permanent ones that it never will.
func Ambiguous(err error) error { return ambiguousError{err} }

// IsAmbiguous reports whether err was marked with Ambiguous.
func IsAmbiguous(err error) bool { return errors.As(err, new(ambiguousError)) }

// CheckResult is what a provider knows of an idempotency key.
type CheckResult struct {
	// Delivered: the provider has the notice; DeliveryID is its id.
	Delivered  bool
	DeliveryID string
}

// CheckFunc asks the provider whether it has the notice with the request's
// idempotency key (as cert-manager's issuer-lib asks a CA with Check). An
// error means the provider could not say; the question is asked again.
type CheckFunc func(ctx context.Context, req Request) (CheckResult, error)

// ErrCannotCheck is what a CheckFunc returns for a notice its provider
// cannot be asked about (say, a webhook channel without a checkURL): the
// channel's redelivery policy decides instead.
var ErrCannotCheck = errors.New("the provider cannot be asked")

// IdempotencyKey identifies a notice's delivery across retries, restarts and
// restores: a hash of its namespace, case, step, channel and claims. A
// notice re-created after an etcd or Velero restore (with a new UID) has
// the same key, so a provider that de-duplicates recognises it.
func IdempotencyKey(n *inkassov1.Notice) string {
	claims := make([]string, 0, len(n.Spec.ClaimRefs))
	for _, r := range n.Spec.ClaimRefs {
		claims = append(claims, r.Name)
	}
	slices.Sort(claims)
	debtor := ""
	if n.Spec.DebtorRef != nil {
		debtor = n.Spec.DebtorRef.Name
	}
	h := sha256.Sum256([]byte(strings.Join([]string{"v1", n.Namespace, debtor, n.Spec.CaseID, n.Spec.Step,
		n.Spec.ChannelRef.Name, strings.Join(claims, ","), n.Annotations[fallbackForAnnotation]}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// fallbackForAnnotation names the failed notice a fallback copy stands in
// for (set by the operator): the copy is a delivery of its own.
const fallbackForAnnotation = "collection.inkasso.dev/fallback-for"

// redelivery is the channel's policy for attempts with an unknown outcome.
func redelivery(ch *inkassov1.NoticeChannel) inkassov1.Redelivery {
	if ch.Spec.Redelivery != "" {
		return ch.Spec.Redelivery
	}
	switch ch.Spec.ControllerName {
	case inkassov1.ControllerWebhook, inkassov1.ControllerLog:
		return inkassov1.AtLeastOnce
	}
	return inkassov1.AtMostOnce
}
