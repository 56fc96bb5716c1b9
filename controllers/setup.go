package controllers

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/eventrecorder"
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
	// StepEvents records a StepCompleted event on a claim for each step.
	// Off by default: the step is in the claim's status.history (and
	// `kubectl inkasso status`), and an event per step was as many
	// apiserver writes as the claims' own status writes.
	StepEvents bool
	// AttemptTimeout is how long a delivery attempt recorded by another
	// process may still be under way (default
	// channelkit.DefaultAttemptTimeout).
	AttemptTimeout time.Duration
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
	// OutboxShared says every replica mounts the same OutboxDir
	// (--outbox-shared): only then may a replica take a letter missing
	// from it as never written by another replica's attempt.
	OutboxShared bool
	// WebhookAllowNetworks are loopback, private or link-local networks the
	// webhook channel may dial (--webhook-allow-networks).
	WebhookAllowNetworks []netip.Prefix
	// MaxConcurrentSends bounds the parallel deliveries of each channel
	// controller (default 4).
	MaxConcurrentSends int
	// Fence, when set, is asked by every channel controller right before
	// it sends: with leader election, whether this replica renewed its
	// lease recently enough (pkg/leasefence). Nil sends always.
	Fence func() (open bool, why string)
	// FenceDeadline, with Fence, is when another replica may take this
	// one's lease over: a send still under way then is cancelled
	// (channelkit.Controller.FenceDeadline).
	FenceDeadline func() time.Time
	// Channels are further channel controllers to start, such as a test's
	// scripted provider. Their Clock, MaxRetryDelay, MaxConcurrentSends and Fence,
	// when left zero, take the values above.
	Channels []*channelkit.Controller
	// ClockSkewAllowance is how far a replica's clock may be off real time
	// (--clock-skew-allowance): steps fire that much after their time and
	// payment deadlines count from that much later (schedule.Policy).
	ClockSkewAllowance time.Duration
	// Shard, when enabled, runs one debtor shard of a namespace (shard.go):
	// the cache must be narrowed with ShardCacheOptions to match.
	Shard shard.Shard
	// Namespaces are the namespaces the manager watches (a namespace
	// shard; empty: all), for the shard labeller's own cache.
	Namespaces []string
	// Archive, when its Store is set (the manager has an archive DSN),
	// moves finished claims into the claim archive and restores archived
	// claims applied again (archive_controller.go, restore.go).
	Archive ArchiveOptions
}

// ArchiveOptions configure the claim archive.
type ArchiveOptions struct {
	// Store is the archive; nil runs without one.
	Store archive.Store
	// Policy: the grace before a finished claim leaves the cluster, and how
	// long before its re-check a dormant claim comes back.
	Policy archive.Policy
	// WakeInterval is how often the archive is polled for dormant claims
	// due back (default one minute).
	WakeInterval time.Duration
	// Wake re-queues the claims sent on it in the archive controller (tests).
	Wake <-chan event.GenericEvent
	// AfterWrite runs between the archive commit and the finalizer's
	// removal (tests simulate a crash there).
	AfterWrite func(context.Context, *inkassov1.Claim) error
}

// Setup registers everything the operator runs with mgr: the field indexes,
// the metrics, the Claim, Debtor, Settlement and NoticeGC controllers, the
// archive controller when o.Archive has a store, and the channel controllers
// o asks for. Each controller treats a panic in its reconcile
// as a bug, not a retry (panics.go).
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	skewAllowance.Store(int64(max(o.ClockSkewAllowance, 0)))
	if err := SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if err := SetupMetrics(mgr); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	cs, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return fmt.Errorf("creating the events client: %w", err)
	}
	// One bounded event recorder for every controller (pkg/eventrecorder):
	// client-go's broadcaster holds every event for minutes without a bound.
	events := eventrecorder.New(cs.EventsV1(), mgr.GetScheme(), eventrecorder.Options{})
	if err := mgr.Add(events); err != nil {
		return fmt.Errorf("adding the event recorder: %w", err)
	}
	claims := &ClaimReconciler{Clock: o.Clock, Wake: o.ClaimWake, MaxConcurrentReconciles: o.MaxConcurrentClaims, MaxRetryDelay: o.MaxRetryDelay,
		Recorder: events.For("inkasso-claim"), StepEvents: o.StepEvents, Archive: o.Archive.Store, Shard: o.Shard}
	if err := claims.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the claim controller: %w", err)
	}
	if err := (&ClosingReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the closing controller: %w", err)
	}
	if a := o.Archive; a.Store != nil {
		ar := &ArchiveReconciler{Clock: o.Clock, Store: a.Store, Policy: a.Policy, WakeInterval: a.WakeInterval, Wake: a.Wake,
			AfterWrite: a.AfterWrite, MaxRetryDelay: o.MaxRetryDelay, Recorder: events.For("inkasso-archive"), Shard: o.Shard}
		if err := ar.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the archive controller: %w", err)
		}
	}
	debtors := &DebtorReconciler{Clock: o.Clock, Wake: o.DebtorWake, MaxConcurrentReconciles: o.MaxConcurrentDebtors, MaxRetryDelay: o.MaxRetryDelay,
		Recorder: events.For("inkasso-debtor"), Shard: o.Shard}
	if err := debtors.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the debtor controller: %w", err)
	}
	if o.Shard.Enabled() {
		l := &ShardLabeller{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Shard: o.Shard, Namespaces: o.Namespaces}
		if err := l.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the shard labeller: %w", err)
		}
	}
	// Settlements span every debtor of a namespace: with debtor shards,
	// shard 0 makes them, reading the claims from the API.
	if !o.Shard.Enabled() || o.Shard.Index == 0 {
		if err := (&SettlementReconciler{Clock: o.Clock, MaxRetryDelay: o.MaxRetryDelay, AllClaims: o.Shard.Enabled()}).SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the settlement controller: %w", err)
		}
	}
	if err := (&PolicyReconciler{Clock: o.Clock}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the policy controller: %w", err)
	}
	if err := (&NoticeGC{Clock: o.Clock, TTL: o.NoticeTTL}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the notice collector: %w", err)
	}
	kit := channelkit.Controller{Clock: o.Clock, MaxRetryDelay: o.MaxRetryDelay, MaxConcurrentSends: o.MaxConcurrentSends, RecorderFor: events.For, AttemptTimeout: o.AttemptTimeout, Fence: o.Fence, FenceDeadline: o.FenceDeadline}
	if o.InTreeChannels {
		if err := channels.Setup(mgr, kit, channels.Options{OutboxDir: o.OutboxDir, OutboxShared: o.OutboxShared, WebhookAllowNetworks: o.WebhookAllowNetworks}); err != nil {
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
		if c.RecorderFor == nil {
			c.RecorderFor = kit.RecorderFor
		}
		if c.AttemptTimeout == 0 {
			c.AttemptTimeout = kit.AttemptTimeout
		}
		if c.Fence == nil {
			c.Fence, c.FenceDeadline = kit.Fence, kit.FenceDeadline
		}
		if err := c.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up channel controller %s: %w", c.ControllerName, err)
		}
	}
	return nil
}
