package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type claimPayments struct {
	Items []struct {
		Metadata struct {
			Name          string `json:"name"`
			ManagedFields []struct {
				Manager string `json:"manager"`
			} `json:"managedFields"`
		} `json:"metadata"`
		Spec struct {
			Payments []struct {
				ID     string `json:"id"`
				Amount string `json:"amount"`
				Date   string `json:"date"`
			} `json:"payments"`
		} `json:"spec"`
		Status struct {
			PaymentReference string `json:"paymentReference"`
			Balance          *struct {
				Outstanding string `json:"outstanding"`
			} `json:"balance"`
		} `json:"status"`
	} `json:"items"`
}

// payments reads every claim's spec.payments as id -> amount, and fails on
// an id seen twice on one claim (the apiserver's list-map key forbids it,
// and a duplicate would be a payment counted twice).
func (c cluster) payments(t *testing.T, ns string) (map[string]map[string]string, claimPayments) {
	t.Helper()
	var list claimPayments
	if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "claims", "-n", ns, "-o", "json", "--show-managed-fields")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, it := range list.Items {
		m := map[string]string{}
		for _, p := range it.Spec.Payments {
			if _, dup := m[p.ID]; dup {
				t.Errorf("claim %s has payment %s twice", it.Metadata.Name, p.ID)
			}
			m[p.ID] = p.Amount + "@" + p.Date
		}
		out[it.Metadata.Name] = m
	}
	return out, list
}

// TestPluginImportsBankPayments: the sample bank files of examples/bank
// (camt.054, Nets OCR giro, BgMax) against the ERP sample's claims, with
// the operator running: matched payments land in spec.payments under the
// kubectl-inkasso-payments field manager next to the ERP's own, the rest
// is in the suspense report and the command fails; a dry run writes
// nothing, and importing the same files again changes nothing.
func TestPluginImportsBankPayments(t *testing.T) {
	c := start(t)
	bin := buildBinary(t, c.root, "kubectl-inkasso")
	erp, bank := filepath.Join(c.root, "examples", "erp"), filepath.Join(c.root, "examples", "bank")
	c.kubectlOut(t, "create", "namespace", "acme")
	c.kubectlOut(t, "apply", "--server-side", "-n", "acme", "-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_noticechannel.yaml"),
		"-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"),
		"-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_sweden.yaml"))
	repo := t.TempDir()
	if _, stderr, err := c.plugin(t, bin, "import", "-n", "acme", "--policy", "kravia-11", "-o", repo,
		filepath.Join(erp, "export-2026-03-15.csv"), filepath.Join(erp, "invoice-2026-2002.xml"), filepath.Join(erp, "creditnote-KN-2002-1.xml")); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	c.kubectlOut(t, "apply", "--server-side", "-f", repo)

	// The operator gives each claim its payment reference and balance.
	runManager(t, c, buildManager(t, c.root), "2026-03-16T08:00:00+01:00", 1)
	deadline := time.Now().Add(90 * time.Second)
	var before map[string]map[string]string
	var list claimPayments
	for {
		before, list = c.payments(t, "acme")
		ready := len(list.Items) == 5
		for _, it := range list.Items {
			ready = ready && it.Status.PaymentReference != "" && it.Status.Balance != nil
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("claims got no payment reference and balance: %+v", list.Items)
		}
		time.Sleep(300 * time.Millisecond)
	}
	open := map[string]string{}
	seName := ""
	for _, it := range list.Items {
		open[it.Metadata.Name] = it.Status.Balance.Outstanding
		if strings.HasPrefix(it.Metadata.Name, "inv-se-7001") {
			seName = it.Metadata.Name
		}
	}
	files := []string{filepath.Join(bank, "camt054-acme-2026-03-16.xml"), filepath.Join(bank, "ocr-acme-2026-03-16.txt"), filepath.Join(bank, "bgmax-acme-2026-03-16.txt")}

	// A dry run matches and validates on the server but stores nothing.
	stdout, stderr, err := c.plugin(t, bin, append([]string{"payments", "import", "-n", "acme", "--dry-run"}, files...)...)
	if err == nil || !strings.Contains(stderr, "would record 400.00 NOK on claim inv-2026-1001") || !strings.HasPrefix(stdout, "source,bank_id,") {
		t.Errorf("dry run: err %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if got, _ := c.payments(t, "acme"); !reflect.DeepEqual(got, before) {
		t.Errorf("the dry run changed spec.payments:\n%v\nwas\n%v", got, before)
	}

	imp := func(suspense string) string {
		t.Helper()
		_, stderr, err := c.plugin(t, bin, append([]string{"payments", "import", "-n", "acme", "--suspense", suspense}, files...)...)
		if err == nil || !strings.Contains(stderr, "4 payment(s) or part(s) in suspense") {
			t.Errorf("import: want a failure for the 4 suspense lines, got %v\n%s", err, stderr)
		}
		for _, secret := range []string{"Ola Nordmann", "Kalle Svensson", "12345678903", "Fjordbygg"} {
			if strings.Contains(stderr, secret) {
				t.Errorf("the import printed the payer's %q", secret)
			}
		}
		return stderr
	}
	dir := t.TempDir()
	first := imp(filepath.Join(dir, "suspense-1.csv"))
	after, list := c.payments(t, "acme")
	// What the ERP recorded stays; the bank's payments are added.
	added := map[string]map[string]string{
		"inv-2026-1001": {"NO260316A0000001": "400.00@2026-03-16", "NO260316A0000005-01": "250.00@2026-03-16",
			"nets-15030012345-20260316-260316002": "100.00@2026-03-16"},
		"inv-2026-2001": {"NO260316A0000005-02": "1000.00@2026-03-16", "nets-15030012345-20260316-260316001": "5000.00@2026-03-16"},
		"inv-2026-2002": {"NO260316A0000002": open["inv-2026-2002"] + "@2026-03-16"}, // up to its open balance
		seName:          {"bgmax-9912346-260316000017": "1000.00@2026-03-16"},
	}
	want := map[string]map[string]string{}
	for name, ps := range before {
		want[name] = map[string]string{}
		for id, p := range ps {
			want[name][id] = p
		}
		for id, p := range added[name] {
			want[name][id] = p
		}
	}
	if before["inv-2026-1001"]["bank-88121"] == "" {
		t.Errorf("the ERP's payment bank-88121 is missing before the import: %v", before)
	}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("spec.payments after the import:\n%v\nwant\n%v\nstderr:\n%s", after, want, first)
	}
	for _, it := range list.Items {
		managers := ""
		for _, m := range it.Metadata.ManagedFields {
			managers += m.Manager + " "
		}
		if it.Metadata.Name == "inv-2026-1001" && !strings.Contains(managers, "kubectl-inkasso-payments") {
			t.Errorf("claim %s managers %q: want kubectl-inkasso-payments", it.Metadata.Name, managers)
		}
	}
	sus := mustRead(t, filepath.Join(dir, "suspense-1.csv"))
	for _, line := range []string{",NO260316A0000002,2026-03-16,", ",overpaid,", ",NO260316A0000003,2026-03-16,150.00,NOK,13654101354,unmatched,",
		",NO260316A0000006,2026-03-16,50.00,EUR,17398734933,currency-mismatch,", ",bgmax-9912346-260316000018,2026-03-16,75.00,SEK,,unmatched,"} {
		if !strings.Contains(sus, line) {
			t.Errorf("suspense report lacks %q:\n%s", line, sus)
		}
	}
	if strings.Contains(sus, "Okand") || strings.Contains(sus, "5566778899") {
		t.Errorf("the suspense report holds the payer's name or number:\n%s", sus)
	}

	// The same files again: nothing changes, the same suspense report.
	second := imp(filepath.Join(dir, "suspense-2.csv"))
	if again, _ := c.payments(t, "acme"); !reflect.DeepEqual(again, after) {
		t.Errorf("importing the files again changed spec.payments:\n%v\nwas\n%v", again, after)
	}
	if n := strings.Count(second, "already recorded ("); n != 7 || strings.Contains(second, " recorded 400.00") {
		t.Errorf("second import: %d payments already recorded, want 7:\n%s", n, second)
	}
	if sus2 := mustRead(t, filepath.Join(dir, "suspense-2.csv")); sus2 != sus {
		t.Errorf("the second suspense report differs:\n%s\nfirst:\n%s", sus2, sus)
	}
	if _, err := os.Stat(filepath.Join(dir, "suspense-2.csv")); err != nil {
		t.Error(err)
	}
}
