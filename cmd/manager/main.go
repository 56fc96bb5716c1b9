// Command manager runs the inkasso-operator controllers: claims, debtors and
// the in-tree channels.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // policies name IANA zones; distroless images have no zoneinfo

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/leaderelection"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/webhook"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/contact"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/leasefence"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// config is the manager's command line.
type config struct {
	metricsAddr, probeAddr, outbox, clockStart string
	clockAnchor, namespaces, leaderElectionID  string
	shard, shards                              string
	leaderElectionNamespace                    string
	leaderElect, outboxShared                  bool
	timeScale                                  float64
	concurrency                                int
	noticeTTL                                  time.Duration
	sends                                      int
	maxRetryDelay, clockSkew                   time.Duration
	stepEvents                                 bool
	attemptTimeout                             time.Duration
	qps                                        float64
	burst                                      int
	lease, renew, retry                        time.Duration
	archiveDSNFile                             string
	archiveGrace, archiveWakeLead              time.Duration
	archiveWakeInterval                        time.Duration
	webhookAllow                               string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint; 0 disables it")
	flag.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	flag.BoolVar(&cfg.leaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles")
	flag.StringVar(&cfg.leaderElectionID, "leader-election-id", "", "name of the leader election Lease (default: one per shard, derived from --namespaces)")
	flag.StringVar(&cfg.leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the pod's own namespace; required outside a cluster)")
	flag.DurationVar(&cfg.lease, "leader-elect-lease-duration", 15*time.Second, "how long a stopped leader blocks the others: the failover time after a crash")
	flag.DurationVar(&cfg.renew, "leader-elect-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it gives up leading")
	flag.DurationVar(&cfg.retry, "leader-elect-retry-period", 2*time.Second, "how often candidates try to acquire or renew the lease")
	flag.StringVar(&cfg.namespaces, "namespaces", "", "comma-separated namespaces this replica watches (a shard); empty watches all")
	flag.StringVar(&cfg.shard, "shard", "", "i/N: reconcile only the debtors whose hash(namespace/debtor) mod N is i, with their claims and notices (labelled collection.inkasso.dev/shard=i), under a Lease of this shard; empty reconciles every debtor")
	flag.StringVar(&cfg.shards, "shards", "", "N: split the debtors into N shards as --shard does, and share them with the other replicas started with the same N: each replica holds any number of the shards (one Lease each), a stopped replica's shards are taken over by the others within about a lease duration, and a replica that comes back gets its share again (docs/performance.md, \"Rebalancing shards\"); implies leader election per shard")
	flag.Float64Var(&cfg.qps, "kube-api-qps", 50, "sustained requests per second to the apiserver")
	flag.IntVar(&cfg.burst, "kube-api-burst", 100, "request burst to the apiserver")
	flag.BoolVar(&cfg.outboxShared, "outbox-shared", false, "every replica mounts the same --outbox-dir (a ReadWriteMany volume): a letter missing from it was not written by any replica. Without it an attempt another replica made has an unknown outcome (its outbox may be that pod's own)")
	flag.StringVar(&cfg.outbox, "outbox-dir", "", "outbox folder of the log and letter channels; each namespace writes only below <outbox-dir>/<namespace>/")
	flag.StringVar(&cfg.webhookAllow, "webhook-allow-networks", "", "comma-separated CIDRs the webhook channel may dial although they are loopback, private or link-local (default: public addresses only)")
	flag.StringVar(&cfg.clockStart, "clock-start", "", "demo only: start the operator's clock at this RFC 3339 time or date (default now)")
	flag.StringVar(&cfg.clockAnchor, "clock-anchor", "", "demo only: the wall time (RFC 3339) at which the accelerated clock read --clock-start, so that restarted and standby replicas share one timeline (default: when this process starts)")
	flag.Float64Var(&cfg.timeScale, "time-scale", 1, "demo only: run the operator's clock this many times faster than real time")
	flag.IntVar(&cfg.concurrency, "max-concurrent-reconciles", 4, "claims, and debtors with their cases, reconciled in parallel")
	flag.IntVar(&cfg.sends, "max-concurrent-sends", 4, "notices each channel controller delivers in parallel; a provider that answers slowly needs more")
	flag.DurationVar(&cfg.maxRetryDelay, "max-retry-delay", channelkit.DefaultMaxRetryDelay, "longest backoff between retries of a failed reconcile or delivery (an apiserver or provider outage)")
	flag.DurationVar(&cfg.attemptTimeout, "delivery-attempt-timeout", channelkit.DefaultAttemptTimeout, "how long a delivery attempt recorded by another process (or before a restart) may still be waiting for its answer; after that its outcome is unknown and the channel settles it (docs/channel-contract.md); keep it above the channels' request timeouts")
	flag.DurationVar(&cfg.clockSkew, "clock-skew-allowance", 2*time.Minute, "how far a replica's clock may be off real time (NTP keeps it to milliseconds; this is the margin for a broken sync): steps fire this much after their time and payment deadlines count from this much later, so a fast clock never acts early and a slow one never shortens the debtor's time")
	flag.BoolVar(&cfg.stepEvents, "step-events", false, "record a StepCompleted event on a claim for every step (each step is in status.history either way; a step that changes the phase is announced by the phase's event)")
	flag.DurationVar(&cfg.noticeTTL, "sent-notice-ttl", contact.Week, "delete Sent notices this long after they were sent (claims keep the record in status.history); at least 168h, the week the contact cap counts; 0 keeps them")
	flag.StringVar(&cfg.archiveDSNFile, "archive-dsn-file", "", "file holding the PostgreSQL DSN of the claim archive (a mounted Secret); $"+archiveDSNEnv+" is read when unset; neither: no archive")
	flag.DurationVar(&cfg.archiveGrace, "archive-grace", archive.DefaultGrace, "how long a finished claim stays in the cluster before it is archived")
	flag.DurationVar(&cfg.archiveWakeLead, "archive-wake-lead", archive.DefaultWakeLead, "how long before its credit re-check a dormant Surveillance claim comes back from the archive")
	flag.DurationVar(&cfg.archiveWakeInterval, "archive-wake-interval", time.Minute, "how often the archive is asked for dormant claims due back")
	opts := zap.Options{Development: false}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	setupLog := ctrl.Log.WithName("setup")

	if err := run(cfg); err != nil {
		setupLog.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(cfg config) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(inkassov1.AddToScheme(scheme))

	if cfg.noticeTTL > 0 && cfg.noticeTTL < contact.Week {
		return fmt.Errorf("--sent-notice-ttl %v: at least %v (the contact cap counts the debtor's notices of the last week), or 0 to keep them", cfg.noticeTTL, contact.Week)
	}
	if soft := setMemoryLimit(); soft > 0 {
		ctrl.Log.WithName("setup").Info("Go memory limit set from the container's", "bytes", soft, "share", memLimitShare)
	}
	allow, err := webhook.ParseNetworks(cfg.webhookAllow)
	if err != nil {
		return fmt.Errorf("--webhook-allow-networks: %w", err)
	}
	clk, err := operatorClock(cfg.clockStart, cfg.clockAnchor, cfg.timeScale)
	if err != nil {
		return err
	}
	if _, ok := clk.(simclock.Scaler); ok {
		ctrl.Log.WithName("setup").Info("accelerated clock: for demos and benchmarks only", "start", clk.Now().Format(time.RFC3339), "scale", cfg.timeScale)
	}

	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	restCfg.QPS, restCfg.Burst = float32(cfg.qps), cfg.burst
	namespaces, err := namespaceShard(cfg.namespaces)
	if err != nil {
		return err
	}
	debtorShard, err := shard.Parse(cfg.shard)
	if err != nil {
		return err
	}
	shardCount, err := shard.ParseCount(cfg.shards)
	if err != nil {
		return err
	}
	if shardCount > 0 && debtorShard.Enabled() {
		return fmt.Errorf("--shard %s and --shards %d: give one (--shard runs one fixed shard, --shards shares N shards between the replicas)", cfg.shard, shardCount)
	}
	ctx := ctrl.SetupSignalHandler()
	dsn, err := archiveDSN(cfg.archiveDSNFile, os.Getenv(archiveDSNEnv))
	if err != nil {
		return err
	}
	archiveOpts := controllers.ArchiveOptions{Policy: archive.Policy{Grace: cfg.archiveGrace, WakeLead: cfg.archiveWakeLead}, WakeInterval: cfg.archiveWakeInterval}
	if dsn != "" {
		store, err := postgres.Open(ctx, dsn) // the DSN is never logged
		if err != nil {
			return fmt.Errorf("opening the claim archive: %w", err)
		}
		defer store.Close()
		archiveOpts.Store = store
		ctrl.Log.WithName("setup").Info("claim archive enabled", "grace", cfg.archiveGrace.String(), "wakeLead", cfg.archiveWakeLead.String(), "schemaVersion", postgres.SchemaVersion())
	}
	setupOpts := controllers.Options{
		Archive:              archiveOpts,
		Shard:                debtorShard,
		Namespaces:           namespaces,
		Clock:                clk,
		MaxConcurrentClaims:  cfg.concurrency,
		MaxConcurrentDebtors: cfg.concurrency,
		MaxRetryDelay:        cfg.maxRetryDelay,
		ClockSkewAllowance:   cfg.clockSkew,
		NoticeTTL:            cfg.noticeTTL,
		StepEvents:           cfg.stepEvents,
		AttemptTimeout:       cfg.attemptTimeout,
		InTreeChannels:       true,
		OutboxDir:            cfg.outbox,
		OutboxShared:         cfg.outboxShared,
		WebhookAllowNetworks: allow,
		MaxConcurrentSends:   max(cfg.sends, 1),
	}
	// The channels send only for lease duration less renew deadline after
	// each renewal (pkg/leasefence), so that must outlast a retry period.
	if (cfg.leaderElect || shardCount > 0) && cfg.lease-cfg.renew <= cfg.retry {
		return fmt.Errorf("--leader-elect-lease-duration %v less --leader-elect-renew-deadline %v must exceed --leader-elect-retry-period %v: the channels send only that long after each renewal", cfg.lease, cfg.renew, cfg.retry)
	}
	if shardCount > 0 {
		return runShared(ctx, cfg, restCfg, scheme, namespaces, shardCount, setupOpts)
	}
	electionID := cfg.leaderElectionID
	if electionID == "" {
		electionID = leaderElectionID(namespaces, debtorShard)
	}
	cacheOpts := controllers.ShardCacheOptions(controllers.CacheOptions(namespaces), debtorShard)
	if len(namespaces) > 0 {
		ctrl.Log.WithName("setup").Info("sharded: watching only these namespaces", "namespaces", namespaces, "leaderElectionID", electionID)
	}
	if debtorShard.Enabled() {
		ctrl.Log.WithName("setup").Info("debtor shard: reconciling only the debtors of this shard", "shard", debtorShard.String(), "label", shard.Label+"="+debtorShard.Value(), "leaderElectionID", electionID)
	}
	// The channels send only while this replica's lease is fresh: the
	// manager itself stops only after the renew deadline, and a paused
	// replica wakes up inside its sends (pkg/leasefence).
	var lock *leasefence.Lock
	var fence func() (bool, string)
	if cfg.leaderElect {
		lock, err = leasefence.NewResourceLock(restCfg, leaderelection.Options{
			LeaderElectionID: electionID, LeaderElectionNamespace: cfg.leaderElectionNamespace, RenewDeadline: cfg.renew,
		}, cfg.lease)
		if err != nil {
			return err
		}
		fence = lock.Open
		setupOpts.FenceDeadline = lock.Deadline
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: cfg.metricsAddr},
		HealthProbeBindAddress:        cfg.probeAddr,
		LeaderElection:                cfg.leaderElect,
		LeaderElectionID:              electionID,
		LeaderElectionNamespace:       cfg.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &cfg.lease,
		RenewDeadline:                 &cfg.renew,
		RetryPeriod:                   &cfg.retry,
		// Only used with LeaderElection; then it is the lock the manager
		// would have built, wrapped.
		LeaderElectionResourceLockInterface: lockInterface(lock),
		Cache:                               cacheOpts,
		Client:                              controllers.ClientOptions(),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	setupOpts.Fence = fence
	if err := controllers.Setup(ctx, mgr, setupOpts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding ready check: %w", err)
	}
	return mgr.Start(ctx)
}

// lockInterface keeps a nil *Lock a nil interface.
func lockInterface(l *leasefence.Lock) resourcelock.Interface {
	if l == nil {
		return nil
	}
	return l
}

// archiveDSNEnv names the environment variable with the archive's DSN.
const archiveDSNEnv = "INKASSO_ARCHIVE_DSN"

// archiveDSN is the archive's DSN: the file's content (trimmed) when a file
// is named, else the environment's; empty runs without an archive.
func archiveDSN(file, env string) (string, error) {
	if file == "" {
		return strings.TrimSpace(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--archive-dsn-file: %w", err)
	}
	dsn := strings.TrimSpace(string(b))
	if dsn == "" {
		return "", fmt.Errorf("--archive-dsn-file %s is empty", file)
	}
	return dsn, nil
}

// namespaceShard splits --namespaces into a sorted list without blanks or repeats and
// refuses names that cannot be namespaces, rather than watching nothing.
func namespaceShard(flagValue string) ([]string, error) {
	var out []string
	for _, ns := range strings.Split(flagValue, ",") {
		ns = strings.TrimSpace(ns)
		if ns == "" || slices.Contains(out, ns) {
			continue
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("--namespaces: %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		}
		out = append(out, ns)
	}
	slices.Sort(out)
	return out, nil
}

// leaderElectionID is one Lease per shard: replicas of the same shard elect
// one leader, while the leaders of different shards run side by side. A
// debtor shard i/N is named in front ("shard-1-of-4."), within a namespace
// shard if both are given.
func leaderElectionID(namespaces []string, s shard.Shard) string {
	id := "inkasso-operator.collection.inkasso.dev"
	if len(namespaces) > 0 {
		sum := sha256.Sum256([]byte(strings.Join(namespaces, ",")))
		id = fmt.Sprintf("%x.%s", sum[:5], id)
	}
	if s.Enabled() {
		id = fmt.Sprintf("shard-%d-of-%d.%s", s.Index, s.Count, id)
	}
	return id
}

// operatorClock is the wall clock, or an accelerated one for demos.
func operatorClock(start, anchor string, scale float64) (clock.PassiveClock, error) {
	if start == "" && scale == 1 {
		return clock.RealClock{}, nil
	}
	if scale < 1 {
		return nil, fmt.Errorf("--time-scale must be at least 1, got %v", scale)
	}
	t := time.Now()
	if start != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, start); err != nil {
			if t, err = time.Parse(time.DateOnly, start); err != nil {
				return nil, fmt.Errorf("--clock-start %q is neither RFC 3339 nor YYYY-MM-DD", start)
			}
		}
	}
	if anchor == "" {
		return simclock.New(t, scale, clock.RealClock{}), nil
	}
	wall, err := time.Parse(time.RFC3339Nano, anchor)
	if err != nil {
		return nil, fmt.Errorf("--clock-anchor %q is not an RFC 3339 time", anchor)
	}
	return simclock.NewAnchored(t, wall, scale, clock.RealClock{}), nil
}
