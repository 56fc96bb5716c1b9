// Package log is the in-tree log channel (controllerName inkasso.dev/log): it
// writes each notice to the operator's log with contact data redacted, and the
// full rendered notice to an outbox folder when one is configured.
package log

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Channel sends notices to the log and an outbox directory.
type Channel struct {
	// DefaultOutboxDir is used when the NoticeChannel sets no outboxDir; empty
	// means log only.
	DefaultOutboxDir string
}

// Send writes the notice. Writing the same notice again overwrites the same
// file, so a retry never produces a second copy.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n := req.Notice
	// Only what identifies the notice is logged: no names, addresses or amounts.
	log.FromContext(ctx).Info("notice", "namespace", n.Namespace, "notice", n.Name, "step", n.Spec.Step,
		"channel", n.Spec.ChannelRef.Name, "language", n.Spec.Language, "claims", len(n.Spec.ClaimRefs),
		"recipient", "[redacted]")

	dir := c.DefaultOutboxDir
	if req.Channel.Spec.Log != nil && req.Channel.Spec.Log.OutboxDir != "" {
		dir = req.Channel.Spec.Log.OutboxDir
	}
	if dir == "" {
		return "log/" + req.IdempotencyKey, nil
	}
	dir = filepath.Join(dir, n.Namespace)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("creating outbox %s: %w", dir, err)
	}
	path := filepath.Join(dir, n.Name+".txt")
	text := fmt.Sprintf("To: %s\nSubject: %s\nIdempotency-Key: %s\n\n%s", n.Spec.Recipient.Name, n.Spec.Subject, req.IdempotencyKey, n.Spec.Body)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o640); err != nil {
		return "", fmt.Errorf("writing outbox file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("writing outbox file: %w", err)
	}
	return "file://" + path, nil
}

// SetupWithManager registers the log channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	kit.ControllerName = inkassov1.ControllerLog
	kit.Send = c.Send
	return kit.SetupWithManager(mgr)
}
