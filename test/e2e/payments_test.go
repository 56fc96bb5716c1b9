package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/paymatch"
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

// TestPaymentsImportSplitsACasePayment: a payment with the reference of a
// debtor's case is split over its claims, oldest due date first, under
// split ids; a later file paying one of those claims adds its entry and
// keeps the ones recorded before (the field manager applies them again);
// both files again change nothing. The claims' and debtor's status (a case,
// references, balances) is written as a fixture, as the operator would
// after a transfer, so the test needs no months of fake clock.
func TestPaymentsImportSplitsACasePayment(t *testing.T) {
	c := start(t)
	bin := buildBinary(t, c.root, "kubectl-inkasso")
	erp := filepath.Join(c.root, "examples", "erp")
	c.kubectlOut(t, "create", "namespace", "acme")
	c.kubectlOut(t, "apply", "--server-side", "-n", "acme", "-f", filepath.Join(c.root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"))
	repo := t.TempDir()
	if _, stderr, err := c.plugin(t, bin, "import", "-n", "acme", "--policy", "kravia-11", "-o", repo,
		filepath.Join(erp, "export-2026-03-15.csv"), filepath.Join(erp, "invoice-2026-2002.xml"), filepath.Join(erp, "creditnote-KN-2002-1.xml")); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	c.kubectlOut(t, "apply", "--server-side", "-f", repo)

	const caseID = "c-20042-1a2b3c4d"
	caseRef, err := collection.CaseReference(&collection.Policy{Jurisdiction: "NO"}, "acme", caseID)
	if err != nil {
		t.Fatal(err)
	}
	c.kubectlOut(t, "patch", "debtor", "c-20042", "-n", "acme", "--subresource=status", "--type=merge", "-p",
		`{"status":{"cases":[{"id":"`+caseID+`","policy":"kravia-11","currency":"NOK","claims":["inv-2026-2001","inv-2026-2002"]}]}}`)
	for name, st := range map[string]string{
		"inv-2026-2001": `{"status":{"phase":"Collection","caseID":"` + caseID + `","paymentReference":"` + caseRef + `","paymentReferences":["17398734933","` + caseRef + `"],"balance":{"principal":"18500.00","fees":"0.00","interest":"0.00","paid":"0.00","outstanding":"18500.00"}}}`,
		"inv-2026-2002": `{"status":{"phase":"Collection","caseID":"` + caseID + `","paymentReference":"12460024743","paymentReferences":["12460024743"],"balance":{"principal":"3000.00","fees":"0.00","interest":"0.00","paid":"1000.00","outstanding":"2000.00"}}}`,
	} {
		c.kubectlOut(t, "patch", "claim", name, "-n", "acme", "--subresource=status", "--type=merge", "-p", st)
	}
	dir := t.TempDir()
	file := func(name, id, amount, ref string) string {
		path := filepath.Join(dir, name)
		doc := `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry>
<Amt Ccy="NOK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-20</Dt></BookgDt><AcctSvcrRef>` + id + `</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>` + ref + `</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// 21,000 by the case reference: 18,500 to inv-2026-2001 (due 19 January),
	// 2,000 to inv-2026-2002 (due 15 February), 500 over-paid.
	caseFile := file("case.xml", "NO260320C1", "21000.00", caseRef)
	// Then 300 by inv-2026-2002's own reference, which the case payment
	// has settled in full: all over-paid, no new entry.
	ownFile := file("own.xml", "NO260321C2", "300.00", "12460024743")
	// And 150 to inv-2026-2001 by its own (older) reference: over-paid too.
	oldFile := file("old.xml", "NO260322C3", "150.00", "17398734933")

	before, _ := c.payments(t, "acme")
	if _, stderr, err := c.plugin(t, bin, "payments", "import", "-n", "acme", "--suspense", filepath.Join(dir, "s1.csv"), caseFile); err == nil ||
		!strings.Contains(stderr, "1 payment(s) or part(s) in suspense") {
		t.Fatalf("case import: want one suspense line (the 500 over-paid), got %v\n%s", err, stderr)
	}
	if sus := mustRead(t, filepath.Join(dir, "s1.csv")); !strings.Contains(sus, ",NO260320C1,2026-03-20,500.00,NOK,"+caseRef+",overpaid,") {
		t.Errorf("suspense:\n%s", sus)
	}
	// The operator would now recompute the balances; here the fixture does.
	c.kubectlOut(t, "patch", "claim", "inv-2026-2002", "-n", "acme", "--subresource=status", "--type=merge", "-p",
		`{"status":{"balance":{"principal":"3000.00","fees":"0.00","interest":"0.00","paid":"3000.00","outstanding":"0.00"}}}`)
	c.kubectlOut(t, "patch", "claim", "inv-2026-2001", "-n", "acme", "--subresource=status", "--type=merge", "-p",
		`{"status":{"balance":{"principal":"18500.00","fees":"0.00","interest":"0.00","paid":"18500.00","outstanding":"100.00"}}}`)
	if _, stderr, err := c.plugin(t, bin, "payments", "import", "-n", "acme", "--suspense", filepath.Join(dir, "s2.csv"), ownFile, oldFile); err == nil {
		t.Fatalf("want the 300 over-paid in suspense:\n%s", stderr)
	}
	after, _ := c.payments(t, "acme")
	want := map[string]map[string]string{}
	for name, ps := range before {
		want[name] = map[string]string{}
		for id, p := range ps {
			want[name][id] = p
		}
	}
	want["inv-2026-2001"][paymatch.SplitID("NO260320C1", "inv-2026-2001")] = "18500.00@2026-03-20"
	want["inv-2026-2002"][paymatch.SplitID("NO260320C1", "inv-2026-2002")] = "2000.00@2026-03-20"
	want["inv-2026-2001"]["NO260322C3"] = "100.00@2026-03-20"
	if !reflect.DeepEqual(after, want) {
		t.Errorf("spec.payments:\n%v\nwant\n%v", after, want)
	}
	for _, f := range [][]string{{caseFile}, {ownFile, oldFile}, {caseFile, ownFile, oldFile}} {
		_, stderr, _ := c.plugin(t, bin, append([]string{"payments", "import", "-n", "acme", "--suspense", filepath.Join(dir, "again.csv")}, f...)...)
		if again, _ := c.payments(t, "acme"); !reflect.DeepEqual(again, after) {
			t.Errorf("importing %v again changed spec.payments:\n%v\nwas\n%v\n%s", f, again, after, stderr)
		}
	}
}
