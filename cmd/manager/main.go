// Command manager runs the inkasso-operator controllers: claims, debtors and
// the in-tree channels.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // policies name IANA zones; distroless images have no zoneinfo

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// config is the manager's command line.
type config struct {
	metricsAddr, probeAddr, outbox, clockStart string
	leaderElect                                bool
	timeScale                                  float64
	concurrency                                int
	noticeTTL                                  time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint; 0 disables it")
	flag.StringVar(&cfg.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	flag.BoolVar(&cfg.leaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles")
	flag.StringVar(&cfg.outbox, "outbox-dir", "", "default outbox folder of log and letter channels that set none")
	flag.StringVar(&cfg.clockStart, "clock-start", "", "demo only: start the operator's clock at this RFC 3339 time or date (default now)")
	flag.Float64Var(&cfg.timeScale, "time-scale", 1, "demo only: run the operator's clock this many times faster than real time")
	flag.IntVar(&cfg.concurrency, "max-concurrent-reconciles", 4, "claims reconciled in parallel")
	flag.DurationVar(&cfg.noticeTTL, "sent-notice-ttl", 90*24*time.Hour, "delete Sent notices this long after they were sent (claims keep the record in status.history); 0 keeps them")
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

	clk, err := operatorClock(cfg.clockStart, cfg.timeScale)
	if err != nil {
		return err
	}
	if _, ok := clk.(simclock.Scaler); ok {
		ctrl.Log.WithName("setup").Info("accelerated clock: for demos and benchmarks only", "start", clk.Now().Format(time.RFC3339), "scale", cfg.timeScale)
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: cfg.metricsAddr},
		HealthProbeBindAddress:        cfg.probeAddr,
		LeaderElection:                cfg.leaderElect,
		LeaderElectionID:              "inkasso-operator.collection.inkasso.dev",
		LeaderElectionReleaseOnCancel: true,
		// managedFields are never read by the controllers: drop them from the
		// cache, which holds every claim.
		Cache:  cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		Client: controllers.ClientOptions(),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	ctx := ctrl.SetupSignalHandler()
	if err := controllers.SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := (&controllers.ClaimReconciler{Clock: clk, MaxConcurrentReconciles: cfg.concurrency}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up claim controller: %w", err)
	}
	if err := (&controllers.DebtorReconciler{Clock: clk}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up debtor controller: %w", err)
	}
	if err := controllers.SetupMetrics(mgr); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	if err := (&controllers.NoticeGC{Clock: clk, TTL: cfg.noticeTTL}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the notice collector: %w", err)
	}
	if err := channels.Setup(mgr, channelkit.Controller{Clock: clk}, channels.Options{OutboxDir: cfg.outbox}); err != nil {
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

// operatorClock is the wall clock, or an accelerated one for demos.
func operatorClock(start string, scale float64) (clock.PassiveClock, error) {
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
	return simclock.New(t, scale, clock.RealClock{}), nil
}
