package controllers_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// The integration tests share one real control plane (etcd and kube-apiserver
// built from source by hack/tool.sh) and one manager whose clock is fake: a
// test moves time to a claim's next step and wakes the claim, so a 74-day
// process takes seconds.
var (
	k8s    client.Client
	fclock *clocktesting.FakeClock
	wake   chan event.GenericEvent
	dwake  chan event.GenericEvent
	outbox string
	// cached reads through the suite manager's cache (its field indexes),
	// for tests that call a reconciler directly.
	cached client.Client
	// restCfg reaches the test control plane (for tests that run their own manager).
	restCfg *rest.Config
	// noticeTTL is how long Sent notices are kept (NoticeGC).
	noticeTTL = 30 * 24 * time.Hour
	scheme    = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	root, _ := filepath.Abs("..")
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		os.Setenv("KUBEBUILDER_ASSETS", filepath.Join(root, "bin", "k8s"))
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	_ = clientgoscheme.AddToScheme(scheme)
	_ = inkassov1.AddToScheme(scheme)

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	var err error
	restCfg, err = env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the control plane (run `make control-plane-tools` first): %v\n", err)
		return 1
	}
	defer env.Stop()

	k8s, err = client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: controllers.CacheOptions(nil), Client: controllers.ClientOptions()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cached = mgr.GetClient()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fclock = clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	wake = make(chan event.GenericEvent, 256)
	dwake = make(chan event.GenericEvent, 256)
	outbox, _ = os.MkdirTemp("", "inkasso-outbox-")
	defer os.RemoveAll(outbox)

	must := func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "setting up the manager:", err)
			os.Exit(1)
		}
	}
	must(controllers.Setup(ctx, mgr, controllers.Options{
		Clock:               fclock,
		ClaimWake:           wake,
		DebtorWake:          dwake,
		MaxConcurrentClaims: 4,
		NoticeTTL:           noticeTTL,
		StepEvents:          true, // TestClaimMovesThroughTheSteps counts them
		InTreeChannels:      true,
		OutboxDir:           outbox,
		// The tests' providers listen on loopback.
		WebhookAllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Channels: []*channelkit.Controller{{ControllerName: scriptedController, Send: scripted.send},
			{ControllerName: fencedController, Send: fence.send, Fence: fence.open, FenceDeadline: fence.takeover},
			{ControllerName: takenController, Send: taken.send}},
	}))
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	code := m.Run()
	if err := checkNoPanics(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		code = 1
	}
	return code
}

func zapLevel() zapLevelT {
	if os.Getenv("TEST_VERBOSE") != "" {
		return -2
	}
	return 3 // quiet: the tests provoke errors (failing providers) on purpose
}
