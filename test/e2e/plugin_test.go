package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plugin runs the built kubectl-inkasso against the cluster.
func (c cluster) plugin(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestPluginImportsERPExportsForGitOps: the sample CSV and UBL files become
// manifests the apiserver accepts; a newer export changes exactly the two
// claims that changed; bad records are reported by file, line and field;
// then the operator runs and the plugin reads and acts on the claims.
func TestPluginImportsERPExportsForGitOps(t *testing.T) {
	c := start(t)
	bin := buildBinary(t, c.root, "kubectl-inkasso")
	erp := filepath.Join(c.root, "examples", "erp")
	c.kubectlOut(t, "create", "namespace", "acme")
	c.kubectlOut(t, "apply", "--server-side", "-n", "acme", "-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_noticechannel.yaml"),
		"-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"),
		"-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_sweden.yaml"))

	repo := t.TempDir()
	imp := func(export string) string {
		_, stderr, err := c.plugin(t, bin, "import", "-n", "acme", "--policy", "kravia-11", "-o", repo,
			filepath.Join(erp, export), filepath.Join(erp, "invoice-2026-2002.xml"), filepath.Join(erp, "creditnote-KN-2002-1.xml"))
		if err != nil {
			t.Fatalf("import %s: %v\n%s", export, err, stderr)
		}
		return stderr
	}
	if msg := imp("export-2026-03-01.csv"); !strings.Contains(msg, "3 debtor(s), 5 claim(s)") || !strings.Contains(msg, "8 file(s) written") {
		t.Errorf("first import said %q", msg)
	}
	before := readDir(t, repo)
	out := c.kubectlOut(t, "apply", "--server-side", "-f", repo)
	if strings.Count(out, "serverside-applied") != 8 {
		t.Errorf("apply:\n%s", out)
	}

	if msg := imp("export-2026-03-15.csv"); !strings.Contains(msg, "2 file(s) written, 6 unchanged") {
		t.Errorf("re-import said %q: want 2 files written", msg)
	}
	after := readDir(t, repo)
	var changed []string
	for name, b := range after {
		if before[name] != b {
			changed = append(changed, name)
		}
	}
	if len(changed) != 2 || len(after) != len(before) {
		t.Errorf("re-import changed %v: want the claims of invoice 2026-1002 (a payment) and SE-7001 (a credit note)", changed)
	}
	c.kubectlOut(t, "apply", "--server-side", "-f", repo)
	if got := c.kubectlOut(t, "get", "claim", "-n", "acme", "inv-2026-1002", "-o", "jsonpath={.spec.payments[*].id}"); got != "bank-88577" {
		t.Errorf("payments after the re-import: %q", got)
	}

	// A bad record fails the run with its place and field and writes nothing; skip writes the rest.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	head, _, _ := strings.Cut(mustRead(t, filepath.Join(erp, "export-2026-03-01.csv")), "\n")
	if err := os.WriteFile(bad, []byte(head+"\ninvoice,9,Kari,,,,,,,,NO,nb,B-1,2026-01-01,2026-01-15,12x,NOK,,,\ninvoice,9,Kari,,,,,,,,NO,nb,B-2,2026-01-01,2026-01-15,12,NOK,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badOut := t.TempDir()
	if _, stderr, err := c.plugin(t, bin, "import", "-o", badOut, bad); err == nil || !strings.Contains(stderr, "bad.csv:2: amount:") {
		t.Errorf("bad record: err %v, stderr %q: want a failure naming bad.csv:2 and amount", err, stderr)
	}
	if files, _ := os.ReadDir(badOut); len(files) != 0 {
		t.Errorf("a failed import wrote %d files", len(files))
	}
	if _, stderr, err := c.plugin(t, bin, "import", "--on-error", "skip", "-o", badOut, bad); err != nil || !strings.Contains(stderr, "1 record(s) skipped") {
		t.Errorf("--on-error skip: %v %q", err, stderr)
	}

	// The operator runs; the plugin reads what finance needs and acts on a claim.
	runManager(t, c, buildManager(t, c.root), "2026-03-16T08:00:00+01:00", 1)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(c.kubectlOut(t, "get", "claims", "-n", "acme", "-o", "jsonpath={.items[*].status.balance.outstanding}"), ".") ||
		strings.Count(c.kubectlOut(t, "get", "claims", "-n", "acme", "-o", "jsonpath={range .items[*]}{.status.phase}{\"\\n\"}{end}"), "\n") < 5 {
		if time.Now().After(deadline) {
			t.Fatal("claims were not reconciled")
		}
		time.Sleep(300 * time.Millisecond)
	}
	status, _, err := c.plugin(t, bin, "status", "-n", "acme")
	if err != nil || !strings.Contains(status, "PHASE") || !strings.Contains(status, "NOK") || !strings.Contains(status, "SEK") {
		t.Errorf("status: %v\n%s", err, status)
	}
	rep, _, err := c.plugin(t, bin, "report", "-n", "acme", "--as-of", "2026-03-16")
	if err != nil || !strings.Contains(rep, "31-60") || !strings.Contains(rep, "NOK") || !strings.Contains(rep, "resolved") ||
		!strings.Contains(rep, "UNSETTLED") {
		t.Errorf("report: %v\n%s", err, rep)
	}
	ledger, _, err := c.plugin(t, bin, "ledger", "-n", "acme", "inv-2026-1001")
	if err != nil || !strings.HasPrefix(ledger, "namespace,claim,invoice") || !strings.Contains(ledger, "bank-88121") ||
		!strings.Contains(strings.SplitN(ledger, "\n", 2)[0], ",agency,settlement") {
		t.Errorf("ledger: %v\n%s", err, ledger)
	}
	if out, _, err := c.plugin(t, bin, "pay", "-n", "acme", "inv-2026-2001", "--amount", "1000.00", "--id", "bank-9", "--date", "2026-03-16"); err != nil || !strings.Contains(out, "payment bank-9") {
		t.Errorf("pay: %v %s", err, out)
	}
	if _, stderr, err := c.plugin(t, bin, "pay", "-n", "acme", "inv-2026-2001", "--amount", "1000.00", "--id", "bank-9"); err == nil || !strings.Contains(stderr, "already has payment bank-9") {
		t.Errorf("paying twice under one id: %v %s", err, stderr)
	}
	if _, stderr, err := c.plugin(t, bin, "pay", "-n", "acme", "inv-2026-2001", "--amount", "ten", "--id", "bank-10"); err == nil || !strings.Contains(stderr, "amount") {
		t.Errorf("a bad amount was not refused by the apiserver: %v %s", err, stderr)
	}
	for _, args := range [][]string{{"suspend", "inv-2026-1001"}, {"resume", "inv-2026-1001"}, {"dispute", "inv-2026-2001", "--reason", "work not done"}, {"withdraw", "inv-2026-1002", "--dry-run"}} {
		if out, stderr, err := c.plugin(t, bin, append(args, "-n", "acme")...); err != nil || !strings.Contains(out, "claim acme/") {
			t.Errorf("%v: %v %s %s", args, err, out, stderr)
		}
	}
	if _, stderr, err := c.plugin(t, bin, "withdraw", "-n", "acme", "inv-2026-1002"); err == nil || !strings.Contains(stderr, "--yes") {
		t.Errorf("withdraw without --yes: %v %s", err, stderr)
	}
	spec := c.kubectlOut(t, "get", "claim", "-n", "acme", "-o", "jsonpath={range .items[*]}{.metadata.name}:{.spec.suspend}:{.spec.withdraw}:{.spec.dispute.reason}{\"\\n\"}{end}")
	for _, want := range []string{"inv-2026-1001:::", "inv-2026-1002:::", "inv-2026-2001:::work not done"} {
		if !strings.Contains(spec, want) {
			t.Errorf("claims after the actions:\n%s\nwant a line %q", spec, want)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
