package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// TestDialerAgainstTheControlPlane runs the example channel on a real
// kube-apiserver (the operator's CRDs, envtest with $KUBEBUILDER_ASSETS):
// a phone notice becomes one call task, retried through a 503 with the same
// reference; a notice without a phone number fails.
func TestDialerAgainstTheControlPlane(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run through `make test`")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(inkassov1.AddToScheme(scheme))
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var tasks []Task
	fails := 1
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var task Task
		_ = json.NewDecoder(r.Body).Decode(&task)
		mu.Lock()
		defer mu.Unlock()
		tasks = append(tasks, task)
		if fails > 0 {
			fails--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"id":"call-1"}`))
	}))
	t.Cleanup(api.Close)

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Setup(mgr, Dialer{URL: api.URL}, channelkit.Controller{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = mgr.Start(ctx) }()

	ns := "dialer-test"
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "calls", Namespace: ns},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: ControllerName}},
		notice(ns, "call-ola", "+4791234567"), notice(ns, "no-phone", ""),
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	ready := func(name string) *metav1.Condition {
		var n inkassov1.Notice
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &n); err != nil {
			t.Fatal(err)
		}
		return meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, bad := ready("call-ola"), ready("no-phone")
		if ok != nil && ok.Reason == inkassov1.NoticeReasonSent && bad != nil && bad.Reason == inkassov1.NoticeReasonFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call-ola %+v, no-phone %+v: want Sent and Failed", ok, bad)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var n inkassov1.Notice
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "call-ola"}, &n); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tasks) != 2 || tasks[0].Reference != n.Status.IdempotencyKey || n.Status.IdempotencyKey == "" || tasks[1].Reference != tasks[0].Reference || tasks[1].Phone != "+4791234567" {
		t.Errorf("tasks %+v: want the same call twice (503, then accepted) under the notice's idempotency key %q", tasks, n.Status.IdempotencyKey)
	}
	if n.Status.DeliveryID != "call-1" || n.Status.Attempts != 2 {
		t.Errorf("status %+v", n.Status)
	}
}

func notice(ns, name, phone string) *inkassov1.Notice {
	return &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.NoticeSpec{ChannelRef: inkassov1.LocalObjectReference{Name: "calls"}, Step: "phone-call",
			ClaimRefs: []inkassov1.LocalObjectReference{{Name: "inv-1"}}, Language: "nb",
			Recipient: inkassov1.Recipient{Name: "Ola Nordmann", Phone: phone}, Subject: "Telefonoppfølging", Body: "Ring Ola om 1 803,12 NOK."}}
}
