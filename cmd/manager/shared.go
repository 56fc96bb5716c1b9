package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/controllers/rebalance"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
)

// inClusterNamespace is where a pod's service account names its namespace.
const inClusterNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// runShared is --shards N: a top manager serves metrics and probes and runs
// the rebalancer, which starts one manager per debtor shard this replica
// holds (its own label-filtered cache and controllers) and stops it when
// the shard moves to another replica.
func runShared(ctx context.Context, cfg config, restCfg *rest.Config, scheme *runtime.Scheme, namespaces []string, n int, o controllers.Options) error {
	log := ctrl.Log.WithName("shards")
	leaseNS := cfg.leaderElectionNamespace
	if leaseNS == "" {
		b, err := os.ReadFile(inClusterNamespace)
		if err != nil {
			return fmt.Errorf("--shards needs --leader-election-namespace outside a cluster (the namespace of the shard and member Leases)")
		}
		leaseNS = strings.TrimSpace(string(b))
	}
	base := cfg.leaderElectionID
	if base == "" {
		base = leaderElectionID(namespaces, shard.Shard{})
	}
	identity, err := memberIdentity()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: cfg.metricsAddr},
		HealthProbeBindAddress: cfg.probeAddr,
		Cache:                  controllers.CacheOptions(namespaces), // holds nothing: only the shards' managers read objects
		Client:                 controllers.ClientOptions(),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	// The claim and notice gauges read the caches of the shards held now.
	readers := &controllers.ShardReaders{}
	if err := controllers.RegisterStateMetrics(readers); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	// A slow apiserver must not hold a renewal past the renew deadline:
	// half of it per request, as controller-runtime's leader election.
	leaseCfg := rest.CopyConfig(restCfg)
	leaseCfg.Timeout = cfg.renew / 2
	cs, err := kubernetes.NewForConfig(rest.AddUserAgent(leaseCfg, "leader-election"))
	if err != nil {
		return fmt.Errorf("creating the Lease client: %w", err)
	}
	grace := cfg.lease // a shard that does not stop within a lease duration ends the process
	r := &rebalance.Rebalancer{
		Leases: cs.CoordinationV1(), Namespace: leaseNS, Identity: identity, Count: n,
		// The Leases of --shard i/N: a shard is one shard in either mode.
		LeaseName:     func(i int) string { return fmt.Sprintf("shard-%d-of-%d.%s", i, n, base) },
		MemberSuffix:  fmt.Sprintf("members-of-%d.%s", n, base),
		LeaseDuration: cfg.lease, RenewDeadline: cfg.renew, RetryPeriod: cfg.retry,
		Log: log,
		Lost: func(i int, err error) {
			// As controller-runtime does on a lost Lease: the shard may
			// still be running, so nothing of this process may go on.
			log.Error(err, "exiting: a shard may still run without its Lease", "shard", i)
			os.Exit(1)
		},
		Run: func(ctx context.Context, s shard.Shard, fence rebalance.Fence) error {
			so := o
			so.Fence, so.FenceDeadline = fence.Open, fence.Deadline
			return runShard(ctx, restCfg, scheme, namespaces, s, so, grace, readers)
		},
	}
	log.Info("debtor shards shared between replicas", "shards", n, "identity", identity, "leaseNamespace", leaseNS,
		"shardLease", r.LeaseName(0), "memberLease", identity+"."+r.MemberSuffix)
	if err := mgr.Add(r); err != nil {
		return fmt.Errorf("adding the rebalancer: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding ready check: %w", err)
	}
	return mgr.Start(ctx)
}

// runShard runs one debtor shard while this replica holds it: a manager
// of its own without leader election (the rebalancer holds the shard's
// Lease), metrics or probes (the top manager serves them), whose cache
// holds only the shard's Debtors, Claims and Notices.
func runShard(ctx context.Context, restCfg *rest.Config, scheme *runtime.Scheme, namespaces []string, s shard.Shard, o controllers.Options, grace time.Duration, readers *controllers.ShardReaders) error {
	skip := true
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                  scheme,
		Logger:                  ctrl.Log.WithValues("shard", s.String()),
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		GracefulShutdownTimeout: &grace,
		Cache:                   controllers.ShardCacheOptions(controllers.CacheOptions(namespaces), s),
		Client:                  controllers.ClientOptions(),
		// Each shard's manager registers the same controller names; a
		// shard started again after a move registers them again.
		Controller: ctrlconfig.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		return fmt.Errorf("creating the manager of shard %s: %w", s, err)
	}
	o.Shard = s
	if err := controllers.Setup(ctx, mgr, o); err != nil {
		return fmt.Errorf("setting up shard %s: %w", s, err)
	}
	defer readers.Add(mgr.GetCache())()
	if err := mgr.Start(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: shard %s: %w", rebalance.ErrNotStopped, s, err)
		}
		return fmt.Errorf("shard %s: %w", s, err)
	}
	return nil
}

// memberIdentity is this process among the replicas: the host (the pod's
// name) and a random suffix, since a restarted container is a new member
// whose old member Lease has yet to expire. A DNS label.
func memberIdentity() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("reading the host name: %w", err)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 50 {
		name = name[:50]
	}
	if name == "" {
		name = "manager"
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("making the member identity: %w", err)
	}
	return name + "-" + hex.EncodeToString(suffix), nil
}
