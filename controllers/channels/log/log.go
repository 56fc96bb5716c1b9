// Package log is the in-tree log channel (controllerName inkasso.dev/log): it
// writes each notice to the operator's log with contact data redacted, and the
// full rendered notice to an outbox folder when one is configured.
package log

import (
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Channel sends notices to the log and the manager's outbox.
type Channel struct {
	// Outbox is the manager's outbox folder (--outbox-dir); empty means log
	// only. A channel's outboxDir is a folder inside its namespace's part.
	Outbox channelkit.Outbox
}

// Send writes the notice, once per idempotency key: a file already in the
// outbox for the key is reported as the delivery, never written twice.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n := req.Notice
	// Only what identifies the notice is logged: no names, addresses or amounts.
	log.FromContext(ctx).Info("notice", "namespace", n.Namespace, "notice", n.Name, "step", n.Spec.Step,
		"channel", n.Spec.ChannelRef.Name, "language", n.Spec.Language, "claims", len(n.Spec.ClaimRefs),
		"recipient", "[redacted]")

	var dir string
	if req.Channel.Spec.Log != nil {
		dir = req.Channel.Spec.Log.OutboxDir
	}
	if err := channelkit.CheckDir("spec.log.outboxDir", dir); err != nil {
		return "", channelkit.Permanent(err)
	}
	if c.Outbox.Root == "" {
		if dir != "" {
			return "", channelkit.Permanent(fmt.Errorf("channel %s sets spec.log.outboxDir: %w", req.Channel.Name, channelkit.ErrNoOutbox))
		}
		return "log/" + req.IdempotencyKey, nil
	}
	text := fmt.Sprintf("To: %s\nSubject: %s\nIdempotency-Key: %s\n\n%s", n.Spec.Recipient.Name, n.Spec.Subject, req.IdempotencyKey, n.Spec.Body)
	path, _, err := c.Outbox.WriteOnce(n.Namespace, "spec.log.outboxDir", dir, n.Name+".txt", req.IdempotencyKey, func() ([]byte, error) { return []byte(text), nil })
	if err != nil {
		return "", fmt.Errorf("log channel: %w", err)
	}
	return "file://" + path, nil
}

// Check settles an attempt whose outcome is unknown by looking for the
// notice's file in the outbox; a log channel without one cannot be asked
// (it is at-least-once: the notice is logged again), nor can an outbox
// another replica's attempt may have written to instead (see Outbox.Sees).
func (c Channel) Check(_ context.Context, req channelkit.Request) (channelkit.CheckResult, error) {
	var dir string
	if req.Channel.Spec.Log != nil {
		dir = req.Channel.Spec.Log.OutboxDir
	}
	r, err := c.Outbox.Check(req, "spec.log.outboxDir", dir, req.Notice.Name+".txt")
	if err != nil && !errors.Is(err, channelkit.ErrCannotCheck) {
		return r, fmt.Errorf("log channel: %w", err)
	}
	return r, err
}

// SetupWithManager registers the log channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	kit.ControllerName = inkassov1.ControllerLog
	kit.Send = c.Send
	kit.Check = c.Check
	return kit.SetupWithManager(mgr)
}
