// Package e2e runs the built binaries — the manager and the source-built
// kubectl — against a real local control plane, the way `make run` and a
// user do: samples applied with kubectl, claims followed with kubectl.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/shopspring/decimal"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

type cluster struct {
	root, kubeconfig, kubectl string
}

func init() {
	ctrllog.SetLogger(logr.Discard()) // envtest's own chatter is not what these tests check
}

func (c cluster) kubectlOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c cluster) run(args ...string) (string, error) {
	cmd := exec.Command(c.kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func start(t *testing.T) cluster {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		t.Fatalf("starting the control plane (run `make control-plane-tools` first): %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return cluster{root: root, kubeconfig: path, kubectl: filepath.Join(assets, "kubectl")}
}

func buildManager(t *testing.T, root string) string {
	t.Helper()
	return buildBinary(t, root, "manager")
}

// buildBinary builds ./cmd/NAME of the repository.
func buildBinary(t *testing.T, root, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	return bin
}

// runManager runs the built manager on an accelerated clock until the test
// ends, and shows its log when the test failed.
func runManager(t *testing.T, c cluster, manager, clockStart string, scale int, extraArgs ...string) (outbox string, logs *bytes.Buffer) {
	outbox, logs, _ = startManager(t, c, manager, clockStart, scale, extraArgs...)
	return outbox, logs
}

// startManager is runManager that also returns the process (to measure it).
func startManager(t *testing.T, c cluster, manager, clockStart string, scale int, extraArgs ...string) (outbox string, logs *bytes.Buffer, cmd *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outbox, logs = filepath.Join(t.TempDir(), "outbox"), &bytes.Buffer{}
	if err := os.Mkdir(outbox, 0o750); err != nil {
		t.Fatal(err)
	}
	cmd = exec.CommandContext(ctx, manager, append([]string{"--kubeconfig", c.kubeconfig, "--clock-start", clockStart,
		"--time-scale", fmt.Sprint(scale), "--outbox-dir", outbox, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		// The tests read the notices after a run of months in minutes.
		"--sent-notice-ttl", "2160h"}, extraArgs...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		// A panic in a reconcile is a bug even when the test's checks
		// passed; the metrics endpoint is off here, the log says it
		// ("reconcile panicked", or controller-runtime's "panic").
		if line := panicLine(logs.String()); line != "" {
			t.Errorf("the manager logged a panic: %s", line)
		}
		if t.Failed() {
			t.Logf("manager log:\n%s", logs.String())
		}
	})
	return outbox, logs, cmd
}

// applySamples applies config/samples and gives their policies a 30-day
// delivery deadline: the default 72 hours are 0.65 s of wall time at
// 400,000x, less than a letter's render and send may take on a loaded CI
// machine, and the kravia sample has no fallback channel, so a late letter
// would stall its claim (as it should at a real speed).
func (c cluster) applySamples(t *testing.T) {
	t.Helper()
	c.kubectlOut(t, "apply", "-k", filepath.Join(c.root, "config", "samples"))
	out := c.kubectlOut(t, "get", "cpol", "-A", "-o", `jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}`)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		ns, name, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		c.kubectlOut(t, "patch", "cpol", name, "-n", ns, "--type", "merge", "-p", `{"spec":{"deliveryDeadlineHours":720}}`)
		n++
	}
	if n == 0 {
		t.Fatalf("no sample CollectionPolicy found after applying the samples: %q", out)
	}
}

// samplesLastPhases is where acme's sample claims end.
var samplesLastPhases = map[string]string{"inv-1001": "Surveillance", "inv-1002": "Surveillance", "inv-2001": "Legal", "inv-2002": "Surveillance"}

// samplesAtLastPhase reads acme's claims as phase/nextStep and reports
// whether each is in its last phase with nothing left to do but the
// surveillance's credit re-check.
func (c cluster) samplesAtLastPhase(t *testing.T) (got map[string]string, done bool) {
	out := c.kubectlOut(t, "get", "claims", "-n", "acme", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.phase}/{.status.nextStep}{"\n"}{end}`)
	got = map[string]string{}
	for _, line := range strings.Fields(out) {
		name, phase, _ := strings.Cut(line, "=")
		got[name] = phase
	}
	done = true
	for name, phase := range samplesLastPhases {
		if got[name] != phase+"/" && got[name] != phase+"/credit-recheck" {
			done = false
		}
	}
	return got, done
}

// TestSamplesReachTheirLastPhase is `make run` in fast motion: the samples,
// the manager binary on an accelerated clock, and kubectl to watch.
func TestSamplesReachTheirLastPhase(t *testing.T) {
	c := start(t)
	manager := buildManager(t, c.root)
	c.applySamples(t)

	// 400000x: the samples' 95 days of collection take about 20 seconds.
	outbox, logs := runManager(t, c, manager, "2026-01-01T00:00:00+01:00", 400000)

	want := samplesLastPhases
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got, done := c.samplesAtLastPhase(t)
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("claims did not reach their last phase: %v, want %v", got, want)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// The sample Settlement of January settled the payment made then.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(300 * time.Millisecond) {
		out := c.kubectlOut(t, "get", "stl", "acme-2026-01", "-n", "acme", "-o",
			`jsonpath={.status.conditions[?(@.type=="Settled")].status} {.status.lines[*].key} {.status.totals.collected}`)
		if out == "True inv-1002/Payment/bank-7731 100.00" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sample Settlement: %q, want it Settled with inv-1002's payment bank-7731 of 100.00", out)
		}
	}
	if table := c.kubectlOut(t, "get", "stl", "-n", "acme"); !strings.Contains(table, "COLLECTED") || !strings.Contains(table, "PAYOUT") {
		t.Errorf("kubectl get stl:\n%s", table)
	}

	// Finance people read claims with kubectl: the printer columns.
	table := c.kubectlOut(t, "get", "claims", "-n", "acme")
	header := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	if strings.Join(header, " ") != "NAME DEBTOR AMOUNT OUTSTANDING PHASE STEP NEXT AGE" {
		t.Errorf("kubectl get claims header: %v", header)
	}
	if !strings.Contains(table, "18500.00") || !strings.Contains(table, "Legal") {
		t.Errorf("kubectl get claims:\n%s", table)
	}
	wide := c.kubectlOut(t, "get", "claims", "-n", "acme", "-o", "wide")
	if !strings.Contains(wide, "REASON") || !strings.Contains(wide, "every step of policy kravia-11 is done") || !strings.Contains(wide, "collected in case") {
		t.Errorf("kubectl get claims -o wide:\n%s", wide)
	}
	if out := c.kubectlOut(t, "get", "inkasso", "-n", "acme"); !strings.Contains(out, "debtor.collection.inkasso.dev/ola-nordmann") {
		t.Errorf("the inkasso category does not list debtors:\n%s", out)
	}
	// Exact amounts are asserted on a fake clock in the integration tests;
	// here each debtor owes more than its principals (fees and interest added).
	debtors := c.kubectlOut(t, "get", "dbt", "-n", "acme", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.openClaims}/{.status.outstanding[0].amount}{"\n"}{end}`)
	for name, principal := range map[string]string{"ola-nordmann": "1730.00", "fjordbygg-as": "21700.00"} {
		i := strings.Index(debtors, name+"=")
		if i < 0 {
			t.Fatalf("debtor %s missing from %q", name, debtors)
		}
		open, owed, _ := strings.Cut(strings.TrimPrefix(strings.SplitN(debtors[i:], "\n", 2)[0], name+"="), "/")
		amount, err := decimal.NewFromString(owed)
		if open != "2" || err != nil || !amount.GreaterThan(decimal.RequireFromString(principal)) {
			t.Errorf("debtor %s: %s open, owes %q: want 2 open claims owing more than %s", name, open, owed, principal)
		}
	}
	notices := c.kubectlOut(t, "get", "ntc", "-n", "acme", "--no-headers")
	if n := strings.Count(notices, "\n"); n == 0 || strings.Count(notices, " Sent ") != n {
		t.Errorf("%d notices, want all Sent:\n%s", n, notices)
	}
	// Every claim had a reminder, a collection notice and a payment demand,
	// alone or in its debtor's case, the demand at least 14 days after the
	// notice: a claim due later than its case's collection notice gets its
	// own before it joins (inkassoloven §§ 9-10). Read from the claims'
	// histories: sent notices are garbage-collected after their TTL.
	var claimList struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				History []struct {
					Step    string
					Time    time.Time
					Notices []string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "claims", "-n", "acme", "-o", "json")), &claimList); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, cl := range claimList.Items {
		at := map[string]time.Time{}
		for _, h := range cl.Status.History {
			if len(h.Notices) > 0 {
				at[h.Step] = h.Time
			}
			for _, n := range h.Notices {
				names[n] = true
			}
		}
		for _, step := range []string{"reminder", "collection-notice", "payment-demand"} {
			if at[step].IsZero() {
				t.Errorf("claim %s has no %s notice in its history", cl.Metadata.Name, step)
			}
		}
		if d, n := at["payment-demand"], at["collection-notice"]; d.Before(n.AddDate(0, 0, 14)) {
			t.Errorf("claim %s: payment demand %v less than 14 days after its collection notice %v", cl.Metadata.Name, d, n)
		}
	}
	letters, logged := 0, 0
	for n := range names {
		if strings.Contains(n, "-letter-") {
			letters++
		} else {
			logged++
		}
	}
	// Letters are PDFs; SMS and calls go to the log.
	pdfs, _ := filepath.Glob(filepath.Join(outbox, "acme", "*.pdf"))
	texts, _ := filepath.Glob(filepath.Join(outbox, "acme", "*.txt"))
	if len(pdfs) != letters || len(texts) != logged {
		t.Errorf("%d PDF letters and %d logged notices in the outbox, want %d and %d (the letters and the other notices in the claims' histories)", len(pdfs), len(texts), letters, logged)
	}
	for _, f := range pdfs {
		if b, err := os.ReadFile(f); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF (%v)", f, err)
		}
	}
	noDebtorData(t, c, logs.String())
}

// noDebtorData (issue 20) fails when the personal data of the sample
// debtors (config/samples) — names, e-mails, phones, organisation numbers,
// street lines, postal code with city — appears in the manager's log, in
// any event, or in a condition message of any object of the run.
func noDebtorData(t *testing.T, c cluster, managerLog string) {
	t.Helper()
	var values []string
	docs := strings.Split(mustRead(t, filepath.Join(c.root, "config", "samples", "collection_v1alpha1_debtor.yaml")), "\n---")
	for _, doc := range docs {
		var d inkassov1.Debtor
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatalf("sample debtor: %v", err)
		}
		s := d.Spec
		values = append(values, s.DisplayName, s.Email, s.Phone, strings.TrimPrefix(s.Phone, "+"), s.OrganizationNumber)
		if a := s.Address; a != nil {
			values = append(values, a.Lines...)
			values = append(values, a.PostalCode+" "+a.City)
		}
	}
	values = slices.DeleteFunc(values, func(v string) bool { return len(strings.TrimSpace(v)) < 3 })
	if len(values) < 8 {
		t.Fatalf("only %d values of personal data in the samples: %q", len(values), values)
	}
	sources := map[string]string{"the manager log": managerLog}
	sources["events"] = c.kubectlOut(t, "get", "events.events.k8s.io", "-A", "-o", "jsonpath={range .items[*]}{.reason}: {.note}{\"\\n\"}{end}")
	if !strings.Contains(sources["events"], ":") {
		t.Errorf("no events recorded: the scan would pass on nothing")
	}
	for _, kind := range []string{"claims", "debtors", "notices", "noticechannels", "collectionpolicies"} {
		sources[kind+" conditions"] = c.kubectlOut(t, "get", kind, "-A", "-o", "jsonpath={range .items[*].status.conditions[*]}{.reason}: {.message}{\"\\n\"}{end}")
	}
	for where, text := range sources {
		for _, v := range values {
			if i := strings.Index(text, v); i >= 0 {
				line := text[strings.LastIndex(text[:i], "\n")+1:]
				line, _, _ = strings.Cut(line, "\n")
				t.Errorf("a sample debtor's %q is in %s: %s", v, where, line)
			}
		}
	}
}

// TestExplainDocumentsEveryField checks that `kubectl explain` documents the API.
func TestExplainDocumentsEveryField(t *testing.T) {
	c := start(t)
	for res, fields := range map[string][]string{
		"claim.spec": {"debtorRef", "invoiceNumber", "invoiceDate", "dueDate", "amount", "currency", "policyRef",
			"autoCollection", "suspend", "withdraw", "payments", "credits", "dispute", "paymentPlan", "creditDecision", "externalRef"},
		"claim.status":                  {"phase", "step", "nextStep", "nextStepAt", "history", "balance", "caseID", "paymentReference", "conditions", "observedGeneration"},
		"debtor.spec":                   {"displayName", "type", "organizationNumber", "country", "language", "email", "phone", "address", "autoCollection"},
		"collectionpolicy.spec":         {"jurisdiction", "timeZone", "stepTime", "overrides", "contactWindows", "consolidation", "eligibility", "creditorNotices", "steps"},
		"notice.spec":                   {"channelRef", "claimRefs", "debtorRef", "step", "recipient", "language", "subject", "body", "amounts", "paymentReference", "payBy", "notBefore", "deadline"},
		"noticechannel.spec":            {"controllerName", "log", "smtp", "webhook", "letter", "parametersRef", "secretRef", "rateLimit"},
		"settlement.spec":               {"period", "policyRef", "currency", "payout", "channels"},
		"settlement.status":             {"lines", "totals", "statement", "payout", "notices", "conditions", "remaining"},
		"collectionpolicy.spec.pricing": {"lateInterest", "commission", "vat", "advancedFees"},
		"collectionpolicy.spec.steps":   {"name", "phase", "afterDueDays", "minGapDays", "action", "channels", "template", "fee", "paymentDeadlineDays"},
	} {
		// A new CRD's schema reaches the OpenAPI document a few seconds
		// after it is established.
		var out string
		var err error
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
			if out, err = c.run("explain", res); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			i := strings.Index(out, "  "+f+"\t")
			if i < 0 {
				t.Errorf("kubectl explain %s does not list %s", res, f)
				continue
			}
			// The line after the field's name holds its description.
			rest := strings.SplitN(out[i:], "\n", 3)
			if len(rest) < 2 || strings.TrimSpace(rest[1]) == "" || strings.Contains(rest[1], "<no description>") {
				t.Errorf("kubectl explain %s: %s has no description", res, f)
			}
		}
	}
}

// TestDeployManifestsPassServerSideDryRun validates what `make deploy` applies
// against the real apiserver: schemas, RBAC, the Deployment's security context.
func TestDeployManifestsPassServerSideDryRun(t *testing.T) {
	c := start(t)
	rendered := c.kubectlOut(t, "kustomize", filepath.Join(c.root, "config", "default"))
	for _, want := range []string{"runAsNonRoot: true", "readOnlyRootFilesystem: true", "--leader-elect", "RuntimeDefault"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("config/default lacks %q", want)
		}
	}
	// The namespace must exist for a dry run of the objects inside it.
	c.kubectlOut(t, "create", "namespace", "inkasso-system")
	out := c.kubectlOut(t, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", filepath.Join(c.root, "config", "default"))
	for _, want := range []string{"deployment.apps/inkasso-operator-controller-manager serverside-applied (server dry run)",
		"clusterrole.rbac.authorization.k8s.io/inkasso-operator-manager-role serverside-applied (server dry run)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "networkpolicy.networking.k8s.io/inkasso-operator-controller-manager serverside-applied (server dry run)") {
		t.Errorf("config/default has no NetworkPolicy:\n%s", out)
	}
	c.kubectlOut(t, "create", "namespace", "acme")
	c.kubectlOut(t, "apply", "--server-side", "--dry-run=server", "-k", filepath.Join(c.root, "config", "samples"))
	if mon := c.kubectlOut(t, "kustomize", filepath.Join(c.root, "config", "prometheus")); !strings.Contains(mon, "kind: PrometheusRule") || !strings.Contains(mon, "grafana_dashboard") {
		t.Errorf("config/prometheus does not build:\n%s", mon)
	}
}

// TestHelmChartRendersAndPassesServerSideDryRun renders the chart with the
// source-built helm and validates the output against the apiserver; its
// copies of the CRDs and RBAC match config/.
func TestHelmChartRendersAndPassesServerSideDryRun(t *testing.T) {
	c := start(t)
	helm := filepath.Join(filepath.Dir(c.kubectl), "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("helm is not built (make control-plane-tools): %v", err)
	}
	chart := filepath.Join(c.root, "charts", "inkasso-operator")
	for copy, orig := range map[string]string{
		"files/manager-role.yaml":   "config/rbac/role.yaml",
		"files/prometheusrule.yaml": "config/prometheus/prometheusrule.yaml",
	} {
		if mustRead(t, filepath.Join(chart, copy)) != mustRead(t, filepath.Join(c.root, orig)) {
			t.Errorf("charts/inkasso-operator/%s differs from %s: run make manifests", copy, orig)
		}
	}
	crds, _ := filepath.Glob(filepath.Join(c.root, "config", "crd", "bases", "*.yaml"))
	for _, crd := range crds {
		if mustRead(t, crd) != mustRead(t, filepath.Join(chart, "crds", filepath.Base(crd))) {
			t.Errorf("the chart's copy of %s differs: run make manifests", filepath.Base(crd))
		}
	}
	render := func(args ...string) string {
		cmd := exec.Command(helm, append([]string{"template", "inkasso", chart, "-n", "inkasso-system", "--kube-version", "1.37.1"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helm template %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	rendered := render()
	for _, want := range []string{"runAsNonRoot: true", "readOnlyRootFilesystem: true", "--leader-elect", "RuntimeDefault", "kind: NetworkPolicy", "--sent-notice-ttl=168h"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	path := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(path, []byte(rendered), 0o644); err != nil {
		t.Fatal(err)
	}
	c.kubectlOut(t, "create", "namespace", "inkasso-system")
	out := c.kubectlOut(t, "apply", "--server-side", "--dry-run=server", "-f", path)
	if n := strings.Count(out, "serverside-applied (server dry run)"); n != strings.Count(rendered, "\nkind: ") {
		t.Errorf("%d objects passed the dry run of %d rendered:\n%s", n, strings.Count(rendered, "\nkind: "), out)
	}
	// Optional parts render too (their CRDs belong to the Prometheus Operator).
	if mon := render("--set", "metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,networkPolicy.enabled=false,leaderElection=false"); !strings.Contains(mon, "kind: ServiceMonitor") ||
		!strings.Contains(mon, "InkassoClaimsStalled") || strings.Contains(mon, "kind: NetworkPolicy") || strings.Contains(mon, "--leader-elect") {
		t.Errorf("optional values are not honoured:\n%s", mon)
	}
	if !strings.Contains(rendered, "--kube-api-qps=50") || strings.Contains(rendered, "--namespaces") {
		t.Errorf("the default release must watch every namespace at 50 QPS")
	}
	if strings.Contains(rendered, "archive") {
		t.Errorf("the default release runs without an archive:\n%s", rendered)
	}
	if arch := render("--set", "archive.enabled=true,archive.dsnSecret.name=inkasso-archive,archive.grace=240h"); !strings.Contains(arch, "--archive-dsn-file=/etc/inkasso/archive/dsn") ||
		!strings.Contains(arch, "secretName: inkasso-archive") || !strings.Contains(arch, "--archive-grace=240h") {
		t.Errorf("archive values are not honoured:\n%s", arch)
	}
	if shard := render("--set", "shard.namespaces={acme,globex},kubeAPI.qps=200"); !strings.Contains(shard, "--namespaces=acme,globex") || !strings.Contains(shard, "--kube-api-qps=200") {
		t.Errorf("a shard release does not pass its namespaces and QPS:\n%s", shard)
	}
	// Namespaced RBAC (issue 20): the manager's rules in a Role per watched
	// namespace, no ClusterRole, so no Secret elsewhere is readable.
	ns := render("--set", "rbac.scope=Namespaced,shard.namespaces={acme,globex},webhook.allowNetworks={10.96.0.0/12}")
	if strings.Contains(ns, "kind: ClusterRole") || strings.Count(ns, "\nkind: Role\n") != 3 || strings.Count(ns, "\nkind: RoleBinding\n") != 3 ||
		!strings.Contains(ns, "namespace: acme") || !strings.Contains(ns, "namespace: globex") || !strings.Contains(ns, "--webhook-allow-networks=10.96.0.0/12") {
		t.Errorf("rbac.scope Namespaced does not render a Role per namespace (plus the leader election Role) without a ClusterRole:\n%s", ns)
	}
	if out, err := exec.Command(helm, "template", "inkasso", chart, "--kube-version", "1.37.1", "--set", "rbac.scope=Namespaced").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "needs shard.namespaces") {
		t.Errorf("rbac.scope Namespaced without namespaces rendered: %v\n%s", err, out)
	}
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
