// Package reliability runs the built manager against a real local control
// plane and breaks things while claims move: the manager is killed with
// SIGKILL, a leader dies under leader election, the apiserver restarts, the
// channel provider fails, hangs and goes away. After each run every claim
// must reach its final phase, every step of every case must have exactly one
// Notice per channel, and the provider must have delivered each notice once.
//
// `go test ./test/reliability` (part of `make test`) runs a short version;
// INKASSO_RELIABILITY=long (`make test-reliability`) runs hundreds of claims
// and more faults.
package reliability

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func init() {
	ctrllog.SetLogger(logr.Discard()) // envtest's chatter is not what these tests check
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(inkassov1.AddToScheme(s))
	return s
}()

// long reports whether the long version was asked for (make test-reliability).
func long() bool { return os.Getenv("INKASSO_RELIABILITY") == "long" }

// size picks the short or the long figure.
func size(short, longer int) int {
	if long() {
		return longer
	}
	return short
}

// cluster is a local control plane, its admin kubeconfig and a client.
type cluster struct {
	root, kubeconfig string
	k8s              client.Client
	env              *envtest.Environment
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets, ErrorIfCRDPathMissing: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}}
	if _, err := env.Start(); err != nil {
		t.Fatalf("starting the control plane (run `make control-plane-tools` first): %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "reliability-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	k8s, err := client.New(rest.CopyConfig(cfg), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{root: root, kubeconfig: path, k8s: k8s, env: env}
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "inkasso-reliability-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "manager")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/manager")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the manager: %v\n%s", err, out)
	}
	return bin, nil
})

// manager is one manager process, restarted by start after a kill as a
// kubelet would restart a crashed pod.
type manager struct {
	t    *testing.T
	name string
	args []string
	bin  string

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	logs  bytes.Buffer // all runs, each headed by its start
	runs  int
	exits []string
}

// timeline is the accelerated clock every manager of a test shares: the same
// start and anchor, so a restarted or standby replica never turns time back.
type timeline struct {
	start  string
	anchor time.Time
	scale  int
}

func newManager(t *testing.T, c *cluster, name string, tl timeline, extra ...string) *manager {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--kubeconfig", c.kubeconfig, "--clock-start", tl.start,
		"--clock-anchor", tl.anchor.Format(time.RFC3339Nano), "--time-scale", fmt.Sprint(tl.scale),
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--sent-notice-ttl", "0",
		"--max-concurrent-reconciles", "4", "--zap-log-level", "info",
		// Backoff runs on the wall clock: the default 5 min cap is about a
		// year of the accelerated clock, so an outage would fail notices by
		// their 30-day deadline. 2 s is the cap scaled to the test.
		"--max-retry-delay", "2s", "--webhook-allow-networks", "127.0.0.0/8,::1"}
	m := &manager{t: t, name: name, bin: bin, args: append(args, extra...)}
	t.Cleanup(func() {
		m.stop(syscall.SIGTERM)
		// A panic in a reconcile is a bug even when the test's checks
		// passed; the metrics endpoint is off here, the log says it
		// ("reconcile panicked", or controller-runtime's "panic").
		if line := panicLine(m.log()); line != "" {
			t.Errorf("%s logged a panic: %s", m.name, line)
		}
		if t.Failed() {
			m.mu.Lock()
			t.Logf("%s log (last 8 KiB of %d runs):\n%s", m.name, m.runs, tail(m.logs.String(), 8<<10))
			if dir := os.Getenv("INKASSO_RELIABILITY_LOGS"); dir != "" {
				f := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+m.name+".log")
				if err := os.WriteFile(f, m.logs.Bytes(), 0o644); err != nil {
					t.Log(err)
				} else {
					t.Logf("%s log in full: %s", m.name, f)
				}
			}
			m.mu.Unlock()
		}
	})
	return m
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// start runs the process (again).
func (m *manager) start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs++
	fmt.Fprintf(&m.logs, "===== %s run %d at %s\n", m.name, m.runs, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(m.bin, m.args...)
	w := lockedWriter{mu: &m.mu, b: &m.logs}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		m.mu.Lock()
		m.exits = append(m.exits, fmt.Sprint(err))
		m.mu.Unlock()
		close(done)
	}()
	m.cmd, m.done = cmd, done
}

// stop signals the running process and waits for it to exit.
func (m *manager) stop(sig syscall.Signal) {
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// running reports whether the process is alive.
func (m *manager) running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// log is everything the process wrote in all its runs.
func (m *manager) log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.logs.String()
}

// workload is the objects of one test: a namespace with the Norwegian policy,
// its three channels pointed at the provider, and claims over debtors — half
// the debtors owe one claim, the others several, collected as cases.
type workload struct {
	ns              string
	claims, debtors int
}

func (c *cluster) populate(t *testing.T, w workload, providerURL string, clockStart time.Time) {
	t.Helper()
	ctx := context.Background()
	create := func(o client.Object) {
		t.Helper()
		if err := c.k8s.Create(ctx, o); err != nil {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
	}
	create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}})
	b, err := os.ReadFile(filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p inkassov1.CollectionPolicy
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p.Namespace = w.ns
	// Contact windows would hold notices for hours of operator time; these
	// tests are about faults, not about when a debtor may be contacted.
	p.Spec.ContactWindows = &inkassov1.ContactWindows{Enabled: ptr(false)}
	// A fault of a few wall seconds is days of operator time at these
	// speeds: give deliveries the longest deadline the API allows.
	p.Spec.DeliveryDeadlineHours = 720
	create(&p)
	create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "provider",
		Annotations: map[string]string{"collection.inkasso.dev/notice-channels": "letter,sms,phone"}},
		StringData: map[string]string{"signingSecret": "whsec_cmVsaWFiaWxpdHktcmVsaWFiaWxpdHktcmVsaWFiaWxpdHk="}})
	for _, ch := range []string{"letter", "sms", "phone"} {
		create(&inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: ch},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: "inkasso.dev/webhook",
				SecretRef: &inkassov1.LocalObjectReference{Name: "provider"},
				Webhook:   &inkassov1.WebhookChannel{URL: providerURL + "/" + ch, TimeoutSeconds: 1}}})
	}
	for d := 0; d < w.debtors; d++ {
		create(&inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: fmt.Sprintf("d-%04d", d)},
			Spec: inkassov1.DebtorSpec{DisplayName: fmt.Sprintf("Debtor %d", d), Type: inkassov1.DebtorConsumer, Country: "NO", Language: "nb",
				Email: fmt.Sprintf("d%d@example.test", d), Phone: "+4791234567",
				Address: &inkassov1.Address{Lines: []string{"Storgata 1"}, PostalCode: "0155", City: "Oslo", Country: "NO"}}})
	}
	rng := rand.New(rand.NewPCG(7, 11))
	single := w.debtors / 2
	for i := 0; i < w.claims; i++ {
		d := i
		if i >= single {
			d = single + rng.IntN(max(w.debtors-single, 1))
		}
		due := clockStart.AddDate(0, 0, -(d % 3))
		create(&inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: fmt.Sprintf("c-%04d", i)},
			Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: fmt.Sprintf("d-%04d", d)},
				InvoiceNumber: fmt.Sprint(500000 + i), InvoiceDate: inkassov1.Date(due.AddDate(0, 0, -14).Format(time.DateOnly)),
				DueDate: inkassov1.Date(due.Format(time.DateOnly)), Amount: inkassov1.Amount(fmt.Sprintf("%d.00", 500+rng.IntN(20000))), Currency: "NOK"}})
	}
}

// progress is the count of claim steps taken and claims finished.
func (c *cluster) progress(t *testing.T, ns string) (steps, done, total int) {
	t.Helper()
	var list inkassov1.ClaimList
	if err := c.k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return -1, 0, 0 // the apiserver may be away on purpose
	}
	for i := range list.Items {
		steps += len(list.Items[i].Status.History)
		if list.Items[i].Status.PolicyDone() {
			done++
		}
	}
	return steps, done, len(list.Items)
}

// Waits are tied to progress, not to a wall-clock budget: a busy CI
// machine (other jobs on its cores) is slower, not broken. A wait goes on
// while claims take steps or notices go out, and fails only after quiet
// for its whole budget (or at four budgets in all, a bound on the run).
// A claim stuck after a kill shows as quiet: no step, no send.

// work is the progress measure: claim steps taken plus notices sent.
func (c *cluster) work(t *testing.T, ns string) int {
	t.Helper()
	steps, _, _ := c.progress(t, ns)
	if steps < 0 {
		return -1
	}
	var list inkassov1.NoticeList
	if err := c.k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return -1
	}
	for i := range list.Items {
		if sent(&list.Items[i]) {
			steps++
		}
	}
	return steps
}

// clockSlowdown is how much newTimeline slowed the current test's clock
// (1: not at all). Tests run one at a time.
var clockSlowdown = 1.0

// stretch is d on the current test's clock: longer by clockSlowdown.
func stretch(d time.Duration) time.Duration {
	return time.Duration(float64(d) * clockSlowdown)
}

// waitProgress polls done until it holds; the wait fails when the work
// count stood still for quiet, or after 4 × quiet in all. quiet is given for
// the test's nominal clock and stretched as much as the clock was slowed:
// the same span of operator time (a policy's gap between two steps is
// quiet by design).
func (c *cluster) waitProgress(t *testing.T, ns string, quiet time.Duration, done func() bool) (ok bool, waited time.Duration) {
	t.Helper()
	quiet = stretch(quiet)
	start := time.Now()
	last, lastAt := -1, start
	for time.Since(start) < 4*quiet {
		if done() {
			return true, time.Since(start)
		}
		if w := c.work(t, ns); w > last {
			last, lastAt = w, time.Now()
		}
		if time.Since(lastAt) > quiet {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	return false, time.Since(start)
}

// waitSteps waits until the claims took at least n steps in all.
func (c *cluster) waitSteps(t *testing.T, ns string, n int, quiet time.Duration) {
	t.Helper()
	ok, waited := c.waitProgress(t, ns, quiet, func() bool {
		steps, _, _ := c.progress(t, ns)
		return steps >= n
	})
	if !ok {
		steps, _, _ := c.progress(t, ns)
		t.Fatalf("only %d claim steps after %s (nothing moved for %s × %.1f, or 4 × that in all), want %d", steps, waited.Round(time.Second), quiet, clockSlowdown, n)
	}
}

// waitFinished waits until every claim finished the policy and every notice
// reached a final state.
func (c *cluster) waitFinished(t *testing.T, ns string, quiet time.Duration) {
	t.Helper()
	var steps, done, total int
	ok, waited := c.waitProgress(t, ns, quiet, func() bool {
		steps, done, total = c.progress(t, ns)
		return total > 0 && done == total && c.openNotices(t, ns) == 0
	})
	if !ok {
		steps, done, total = c.progress(t, ns)
		open, expired := c.openNotices(t, ns), c.expiredNotices(t, ns)
		why := ""
		if expired > 0 {
			// The accelerated clock runs on the wall clock: a notice that
			// waits longer than its delivery window in wall seconds (13 s at
			// 200,000x) fails, and its claim stalls as it should.
			why = fmt.Sprintf(" (%d failed by their delivery deadline: the manager could not keep up with the accelerated clock on this machine, load %.1f on %d cores)", expired, loadAverage(), goruntime.NumCPU())
		}
		t.Fatalf("after %s: %d of %d claims finished (%d steps), %d notices not sent%s\n%s", waited.Round(time.Second), done, total, steps, open, why, c.unfinished(t, ns))
	}
}

// expiredNotices counts notices that failed because their deadline passed.
func (c *cluster) expiredNotices(t *testing.T, ns string) int {
	t.Helper()
	var list inkassov1.NoticeList
	if err := c.k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return -1
	}
	n := 0
	for i := range list.Items {
		for _, cond := range list.Items[i].Status.Conditions {
			if cond.Reason == inkassov1.NoticeReasonFailed && strings.Contains(cond.Message, "deadline") {
				n++
			}
		}
	}
	return n
}

// loadAverage is the machine's one-minute load average (0: unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return 0
	}
	return l
}

// slowdown is how much slower than an idle machine this one runs now: its
// load per core, between 1 and 8. The accelerated clock is divided by it, so
// that a notice's delivery window keeps as many seconds of the manager's
// work on a busy machine as on an idle one.
func slowdown() float64 {
	return min(max(loadAverage()/float64(goruntime.NumCPU()), 1), 8)
}

// unfinished describes the claims not at the end of the policy, with their
// debtor's case, for the failure message.
func (c *cluster) unfinished(t *testing.T, ns string) string {
	t.Helper()
	ctx := context.Background()
	var list inkassov1.ClaimList
	if err := c.k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return err.Error()
	}
	var b strings.Builder
	var notices inkassov1.NoticeList
	if err := c.k8s.List(ctx, &notices, client.InNamespace(ns)); err == nil {
		shown := 0
		for i := range notices.Items {
			n := &notices.Items[i]
			if sent(n) || shown == 10 {
				continue
			}
			shown++
			fmt.Fprintf(&b, "notice %s (channel %s, created %s, notBefore %v, deadline %v) not sent:", n.Name, n.Spec.ChannelRef.Name,
				n.CreationTimestamp.Format(time.RFC3339), n.Spec.NotBefore, n.Spec.Deadline)
			for _, cond := range n.Status.Conditions {
				fmt.Fprintf(&b, " %s=%s %s at %s: %s;", cond.Type, cond.Status, cond.Reason,
					cond.LastTransitionTime.UTC().Format(time.RFC3339), cond.Message)
			}
			b.WriteString("\n")
		}
	}
	for i, cl := range list.Items {
		if cl.Status.PolicyDone() || i > 200 {
			continue
		}
		st := cl.Status
		fmt.Fprintf(&b, "claim %s: phase %s step %q next %q at %v caseID %q awaitingCase %v history %d\n", cl.Name, st.Phase, st.Step, st.NextStep, st.NextStepAt, st.CaseID, st.AwaitingCase, len(st.History))
		for _, cond := range st.Conditions {
			fmt.Fprintf(&b, "  %s=%s %s: %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
		}
		var d inkassov1.Debtor
		if err := c.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: cl.Spec.DebtorRef.Name}, &d); err == nil {
			for _, cs := range d.Status.Cases {
				fmt.Fprintf(&b, "  debtor %s case %s (%s) step %q next %q at %v claims %v, %d steps recorded\n", d.Name, cs.ID, cs.Currency, cs.Step, cs.NextStep, cs.NextStepAt, cs.Claims, len(cs.History))
			}
			if len(d.Status.Cases) == 0 {
				fmt.Fprintf(&b, "  debtor %s: no open case; phase %s, %d open claims\n", d.Name, d.Status.Phase, d.Status.OpenClaims)
			}
			for _, cond := range d.Status.Conditions {
				fmt.Fprintf(&b, "  debtor %s=%s %s: %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
			}
		}
	}
	return b.String()
}

func (c *cluster) openNotices(t *testing.T, ns string) int {
	t.Helper()
	var list inkassov1.NoticeList
	if err := c.k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return -1
	}
	open := 0
	for i := range list.Items {
		if !sent(&list.Items[i]) {
			open++
		}
	}
	return open
}

func sent(n *inkassov1.Notice) bool { return n.Status.SentAt != nil }

// waitNoticesOut waits until every notice that is open now has been sent:
// the channel controllers see notices again after a fault.
func (c *cluster) waitNoticesOut(t *testing.T, ns string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var open map[string]bool
	for time.Now().Before(deadline) {
		var list inkassov1.NoticeList
		if err := c.k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if open == nil {
			open = map[string]bool{}
			for i := range list.Items {
				if !sent(&list.Items[i]) {
					open[list.Items[i].Name] = true
				}
			}
		}
		left := 0
		for i := range list.Items {
			if open[list.Items[i].Name] && !sent(&list.Items[i]) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%d notices open at the start still not sent after %s", len(open), within)
}

// verify checks what must hold after any fault: every claim in its final
// phase; every step in every claim's history has, for each channel of the
// step, exactly one Notice, and that Notice was delivered exactly once by the
// provider (which, as the contract asks, de-duplicates by idempotency key).
func (c *cluster) verify(t *testing.T, ns string, p *provider) {
	t.Helper()
	ctx := context.Background()
	var claims inkassov1.ClaimList
	if err := c.k8s.List(ctx, &claims, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var notices inkassov1.NoticeList
	if err := c.k8s.List(ctx, &notices, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var policy inkassov1.CollectionPolicy
	if err := c.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "kravia-11"}, &policy); err != nil {
		t.Fatal(err)
	}
	channelsOf := map[string][]string{}
	for _, s := range policy.Spec.Steps {
		if s.Action == "" || s.Action == inkassov1.ActionNotify || s.Action == inkassov1.ActionNotifyCreditor {
			channelsOf[s.Name] = s.Channels
		}
	}
	byName := map[string]*inkassov1.Notice{}
	perStep := map[string][]string{} // case or claim / step / channel -> notices
	for i := range notices.Items {
		n := &notices.Items[i]
		byName[n.Name] = n
		owner := n.Spec.CaseID
		if owner == "" {
			owner = n.Spec.ClaimRefs[0].Name
		}
		key := owner + "/" + n.Spec.Step + "/" + n.Spec.ChannelRef.Name
		perStep[key] = append(perStep[key], n.Name)
		if !sent(n) {
			t.Errorf("notice %s (%s) was never sent: %+v", n.Name, key, n.Status.Conditions)
		}
	}
	for key, names := range perStep {
		if len(names) != 1 {
			t.Errorf("%s has %d notices, want exactly one: %v", key, len(names), names)
		}
	}
	phases := map[inkassov1.ClaimPhase]int{}
	for i := range claims.Items {
		cl := &claims.Items[i]
		phases[cl.Status.Phase]++
		if !cl.Status.PolicyDone() {
			t.Errorf("claim %s stopped in %s (next %q)", cl.Name, cl.Status.Phase, cl.Status.NextStep)
		}
		seen := map[string]bool{}
		for _, h := range cl.Status.History {
			if seen[h.Step] {
				t.Errorf("claim %s took step %s twice", cl.Name, h.Step)
			}
			seen[h.Step] = true
			chans := channelsOf[h.Step]
			if len(h.Notices) != len(chans) {
				t.Errorf("claim %s step %s records notices %v, want one per channel %v", cl.Name, h.Step, h.Notices, chans)
			}
			for _, name := range h.Notices {
				if byName[name] == nil {
					t.Errorf("claim %s step %s records notice %s, which does not exist", cl.Name, h.Step, name)
				}
			}
		}
	}
	deliveries, requests := p.counts()
	var attempts, retried, duplicates int
	for name, n := range byName {
		attempts += int(n.Status.Attempts)
		if n.Status.Attempts > 1 {
			retried++
		}
		if got := deliveries[n.Status.IdempotencyKey]; got != 1 {
			t.Errorf("notice %s delivered %d times by the provider, want 1", name, got)
			if got > 1 {
				duplicates++
			}
		}
	}
	if len(deliveries) != len(byName) {
		t.Errorf("the provider delivered %d notices; %d exist", len(deliveries), len(byName))
	}
	// The counts docs/performance.md reports for `make test-reliability`.
	t.Logf("%d claims %v, %d notices, %d delivery attempts recorded (%d notices tried more than once), %d provider requests for %d deliveries, %d repeated under the same key, %d duplicate deliveries",
		len(claims.Items), phases, len(byName), attempts, retried, requests, len(deliveries), p.repeats(), duplicates)
}

// killRandomly SIGKILLs the manager n times at random moments while claims
// move, restarting it after each kill.
func killRandomly(t *testing.T, m *manager, n int, rng *rand.Rand) {
	t.Helper()
	for i := 0; i < n; i++ {
		time.Sleep(time.Duration(500+rng.IntN(3500)) * time.Millisecond)
		m.stop(syscall.SIGKILL)
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		m.start()
	}
}

func ptr[T any](v T) *T { return &v }

// contains reports whether the log has a line with every one of words.
func contains(log string, words ...string) bool {
	for _, l := range strings.Split(log, "\n") {
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(l, w) }) {
			return true
		}
	}
	return false
}

// panicLine returns the first line of a manager log that reports a panic:
// the operator's recovery ("reconcile panicked"), controller-runtime's
// ("Observed a panic"), or a crash ("panic: " at the start of a line). A
// mere mention of the word (an apiserver error text, a stack frame) is not one.
func panicLine(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "reconcile panicked") || strings.Contains(line, "Observed a panic") || strings.HasPrefix(line, "panic: ") {
			return line
		}
	}
	return ""
}
