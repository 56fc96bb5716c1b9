// Package archive tests the claim archive end to end: the operator's
// controllers (controllers.Setup, as cmd/manager wires them with an archive
// DSN) on a real kube-apiserver and etcd (envtest) and a real PostgreSQL 15
// (internal/pgtest), on a fake clock. It has its own control plane and clock
// because archiving deletes claims, which the controllers package's shared
// suite must not see happen to its claims.
package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

var (
	k8s     client.Client
	fclock  *clocktesting.FakeClock
	wake    chan event.GenericEvent // claim controller
	dwake   chan event.GenericEvent // debtor controller
	awake   chan event.GenericEvent // archive controller
	store   *postgres.Store
	dsn     string
	policy  = archive.Policy{Grace: 30 * 24 * time.Hour, WakeLead: 24 * time.Hour}
	scheme  = runtime.NewScheme()
	skipWhy string

	// crash, when set for a namespace, runs between the archive commit and
	// the finalizer's removal (controllers.ArchiveOptions.AfterWrite).
	crashMu sync.Mutex
	crash   = map[string]func(context.Context, *inkassov1.Claim) error{}
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	pg, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNotInstalled) {
		// Only missing binaries skip; .ci/run installs them.
		skipWhy = err.Error()
		fmt.Fprintln(os.Stderr, "archive integration tests skip:", err)
		return m.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		return 1
	}
	defer pg.Stop()
	dsn = pg.DSN
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if store, err = postgres.Open(ctx, dsn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()

	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		os.Setenv("KUBEBUILDER_ASSETS", filepath.Join(root, "bin", "k8s"))
	}
	level := 3
	if os.Getenv("TEST_VERBOSE") != "" {
		level = -2
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(level))))
	_ = clientgoscheme.AddToScheme(scheme)
	_ = inkassov1.AddToScheme(scheme)
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true, Scheme: scheme}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the control plane (run `make control-plane-tools` first): %v\n", err)
		return 1
	}
	defer env.Stop()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, Client: controllers.ClientOptions()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fclock = clocktesting.NewFakeClock(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
	wake, dwake, awake = make(chan event.GenericEvent, 64), make(chan event.GenericEvent, 64), make(chan event.GenericEvent, 64)
	outbox, _ := os.MkdirTemp("", "inkasso-archive-outbox-")
	defer os.RemoveAll(outbox)
	if err := controllers.Setup(ctx, mgr, controllers.Options{
		Clock: fclock, ClaimWake: wake, DebtorWake: dwake, MaxConcurrentClaims: 2, InTreeChannels: true, OutboxDir: outbox,
		Archive: controllers.ArchiveOptions{Store: store, Policy: policy, WakeInterval: 100 * time.Millisecond, Wake: awake,
			AfterWrite: func(ctx context.Context, c *inkassov1.Claim) error {
				crashMu.Lock()
				f := crash[c.Namespace]
				crashMu.Unlock()
				if f != nil {
					return f(ctx, c)
				}
				return nil
			}},
	}); err != nil {
		fmt.Fprintln(os.Stderr, "setting up the manager:", err)
		return 1
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return m.Run()
}

func needArchive(t *testing.T) {
	t.Helper()
	if skipWhy != "" {
		t.Skip("skipping: " + skipWhy)
	}
}

// namespaceWithPolicy creates a namespace with the Norwegian sample policy
// (steps replaced when steps is set) and log channels for its channels.
func namespaceWithPolicy(t *testing.T, mutate func(*inkassov1.CollectionPolicy)) string {
	t.Helper()
	ns := "t-" + rand.String(8)
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p inkassov1.CollectionPolicy
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatal(err)
	}
	p.Namespace = ns
	if mutate != nil {
		mutate(&p)
	}
	create(t, &p)
	for _, ch := range []string{"letter", "sms", "phone"} {
		create(t, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: ch, Namespace: ns},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLog, Log: &inkassov1.LogChannel{}}})
	}
	d := &inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Name: "ola", Namespace: ns},
		Spec: inkassov1.DebtorSpec{DisplayName: "Ola Nordmann", Type: inkassov1.DebtorConsumer, Country: "NO", Language: "nb", Email: "ola@example.no"}}
	create(t, d)
	return ns
}

// claimDue is a claim of debtor ola due dueInDays after the clock's date.
func claimDue(ns, name string, dueInDays int) *inkassov1.Claim {
	due := fclock.Now().AddDate(0, 0, dueInDays)
	return &inkassov1.Claim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: strings.ToUpper(name),
			InvoiceDate: inkassov1.Date(due.AddDate(0, 0, -14).Format(time.DateOnly)), DueDate: inkassov1.Date(due.Format(time.DateOnly)),
			Amount: "1250.00", Currency: "NOK"},
	}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := k8s.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
}

func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// claimIn waits until the claim exists and ok accepts it, waking its
// controllers meanwhile (a fake clock never fires their timers).
func claimIn(t *testing.T, ns, name string, ok func(*inkassov1.Claim) error) *inkassov1.Claim {
	t.Helper()
	var c inkassov1.Claim
	eventually(t, 15*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &c); err != nil {
			return err
		}
		if err := ok(&c); err != nil {
			poke(ns, name)
			return fmt.Errorf("claim %s: %w (phase %q, step %q, next %q at %v, conditions %v)", name, err, c.Status.Phase, c.Status.Step, c.Status.NextStep, c.Status.NextStepAt, c.Status.Conditions)
		}
		return nil
	})
	return &c
}

func poke(ns, name string) {
	obj := func() client.Object {
		return &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	for _, ch := range []chan event.GenericEvent{wake, awake} {
		select {
		case ch <- event.GenericEvent{Object: obj()}:
		default:
		}
	}
	select {
	case dwake <- event.GenericEvent{Object: &inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ola"}}}:
	default:
	}
}

// gone waits until the claim is no longer in the cluster.
func gone(t *testing.T, ns, name string) {
	t.Helper()
	eventually(t, 15*time.Second, func() error {
		var c inkassov1.Claim
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &c)
		if client.IgnoreNotFound(err) != nil {
			return err
		}
		if err == nil {
			poke(ns, name)
			return fmt.Errorf("claim %s still in the cluster (finalizers %v, deleting %v, phase %s)", name, c.Finalizers, c.DeletionTimestamp, c.Status.Phase)
		}
		return nil
	})
}

func phase(p inkassov1.ClaimPhase) func(*inkassov1.Claim) error {
	return func(c *inkassov1.Claim) error {
		if c.Status.Phase != p || c.Status.ObservedGeneration != c.Generation {
			return fmt.Errorf("not (yet) in phase %s", p)
		}
		return nil
	}
}

func hasFinalizer(c *inkassov1.Claim) error {
	for _, f := range c.Finalizers {
		if f == inkassov1.ArchiveFinalizer {
			return nil
		}
	}
	return fmt.Errorf("no archive finalizer: %v", c.Finalizers)
}

// advance moves the fake clock forward.
func advance(d time.Duration) { fclock.SetTime(fclock.Now().Add(d)) }
