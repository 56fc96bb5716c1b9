package controllers

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/inkasso-operator/inkasso-operator/controllers/channels"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Options are what differ between the callers of Setup: the manager binary
// (cmd/manager), the integration tests (suite_test.go) and the benchmark
// (bench/). Zero values are the defaults.
type Options struct {
	// Clock of every controller (default the wall clock): the tests pass a
	// fake clock, demos and the benchmark an accelerated one.
	Clock clock.PassiveClock
	// MaxConcurrentClaims and MaxConcurrentDebtors bound the claims, and
	// the debtors with their cases, reconciled in parallel (default 1).
	MaxConcurrentClaims, MaxConcurrentDebtors int
	// MaxRetryDelay caps the backoff of failed reconciles and deliveries
	// (default channelkit.DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration
	// ClaimWake and DebtorWake, when set, re-queue the claims and debtors
	// sent on them: tests wake them after stepping a fake clock.
	ClaimWake, DebtorWake <-chan event.GenericEvent
	// NoticeTTL is how long Sent notices are kept; zero keeps them (no
	// NoticeGC).
	NoticeTTL time.Duration
	// InTreeChannels starts the log, webhook, letter and smtp channel
	// controllers.
	InTreeChannels bool
	// OutboxDir is the default outbox of log and letter channels that set none.
	OutboxDir string
	// WebhookAllowNetworks are loopback, private or link-local networks the
	// webhook channel may dial (--webhook-allow-networks).
	WebhookAllowNetworks []netip.Prefix
	// MaxConcurrentSends bounds the parallel deliveries of each channel
	// controller (default 4).
	MaxConcurrentSends int
	// Channels are further channel controllers to start, such as a test's
	// scripted provider. Their Clock, MaxRetryDelay and MaxConcurrentSends,
	// when left zero, take the values above.
	Channels []*channelkit.Controller
}

// Setup registers everything the operator runs with mgr: the field indexes,
// the metrics, the Claim, Debtor and NoticeGC controllers, and the channel
// controllers o asks for. Each controller treats a panic in its reconcile
// as a bug, not a retry (panics.go).
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if err := SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := SetupMetrics(mgr); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	claims := &ClaimReconciler{Clock: o.Clock, Wake: o.ClaimWake, MaxConcurrentReconciles: o.MaxConcurrentClaims, MaxRetryDelay: o.MaxRetryDelay}
	if err := claims.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the claim controller: %w", err)
	}
	debtors := &DebtorReconciler{Clock: o.Clock, Wake: o.DebtorWake, MaxConcurrentReconciles: o.MaxConcurrentDebtors, MaxRetryDelay: o.MaxRetryDelay}
	if err := debtors.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the debtor controller: %w", err)
	}
	if err := (&PolicyReconciler{Clock: o.Clock}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the policy controller: %w", err)
	}
	if err := (&NoticeGC{Clock: o.Clock, TTL: o.NoticeTTL}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the notice collector: %w", err)
	}
	kit := channelkit.Controller{Clock: o.Clock, MaxRetryDelay: o.MaxRetryDelay, MaxConcurrentSends: o.MaxConcurrentSends}
	if o.InTreeChannels {
		if err := channels.Setup(mgr, kit, channels.Options{OutboxDir: o.OutboxDir, WebhookAllowNetworks: o.WebhookAllowNetworks}); err != nil {
			return err
		}
	}
	for _, c := range o.Channels {
		if c.Clock == nil {
			c.Clock = kit.Clock
		}
		if c.MaxRetryDelay == 0 {
			c.MaxRetryDelay = kit.MaxRetryDelay
		}
		if c.MaxConcurrentSends == 0 {
			c.MaxConcurrentSends = kit.MaxConcurrentSends
		}
		if err := c.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up channel controller %s: %w", c.ControllerName, err)
		}
	}
	return nil
}
