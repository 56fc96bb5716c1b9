package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/paymatch"
	"github.com/inkasso-operator/inkasso-operator/internal/payout"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
	"github.com/inkasso-operator/inkasso-operator/internal/settlement"
)

// loopClaims is the part of the claims the money loop reads through kubectl.
type loopClaims struct {
	Items []struct {
		Metadata struct {
			Name       string `json:"name"`
			Generation int64  `json:"generation"`
		} `json:"metadata"`
		Status struct {
			ObservedGeneration int64  `json:"observedGeneration"`
			Phase              string `json:"phase"`
			CaseID             string `json:"caseID"`
			PaymentReference   string `json:"paymentReference"`
			History            []struct {
				Step string `json:"step"`
				Fee  string `json:"fee"`
			} `json:"history"`
			Balance *struct {
				Principal, Fees, Interest, Paid, Outstanding string
			} `json:"balance"`
		} `json:"status"`
	} `json:"items"`
}

func (c cluster) loopClaims(t *testing.T, ns string) loopClaims {
	t.Helper()
	var l loopClaims
	if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "claims", "-n", ns, "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// balances renders each claim as "phase principal/fees/interest/paid/outstanding".
func (l loopClaims) balances() map[string]string {
	out := map[string]string{}
	for _, it := range l.Items {
		b := "no balance"
		if x := it.Status.Balance; x != nil {
			b = strings.Join([]string{x.Principal, x.Fees, x.Interest, x.Paid, x.Outstanding}, "/")
		}
		out[it.Metadata.Name] = it.Status.Phase + " " + b
	}
	return out
}

// waitProgress polls check until it reports done. The budget is tied to
// progress on a loaded machine: it starts again each time the state check
// reports changes, and the test fails only after budget without any change.
func waitProgress(t *testing.T, what string, budget time.Duration, check func() (state string, done bool)) {
	t.Helper()
	last, deadline := "", time.Now().Add(budget)
	for {
		state, done := check()
		if done {
			return
		}
		if state != last {
			last, deadline = state, time.Now().Add(budget)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no progress for %v; last state:\n%s", what, budget, state)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

type loopSettlement struct {
	Status struct {
		Lines []struct {
			Key, Amount, Principal, Interest, Fees, Commission, KeptInterest, VAT, Creditor, Agency, Overpaid string
		} `json:"lines"`
		Totals     *map[string]string                       `json:"totals"`
		Statement  *struct{ ConfigMap, Key, SHA256 string } `json:"statement"`
		Payout     *struct{ ConfigMap, Key, SHA256 string } `json:"payout"`
		Notices    []string                                 `json:"notices"`
		SettledAt  string                                   `json:"settledAt"`
		Conditions []struct{ Type, Status, Reason, Message string }
	} `json:"status"`
}

// TestMoneyLoop closes issue #22's loop in one run of the built manager and
// plugin: claims in collection, a bank file paying some of them imported
// twice, balances and phases as computed by hand, a Settlement of the
// period with its statement and pain.001, and a second Settlement of the
// period settling nothing again.
//
// The policy (testdata/moneyloop.yaml) has a collection notice 14 days
// after the due date with a fixed fee of 100.00 (and a step without a fee
// 90 days after it, which the test never reaches), and late interest
// overridden to 0 %: with interest at the statutory rate every balance
// would move with the accelerated clock between the import and the check,
// which makes the hand computation depend on timing, not on the rules
// (interest is proven to the øre on the fake clock in
// controllers/settlement_integration_test.go). The clock starts on Tuesday
// 2026-03-31 08:00 in Oslo; every claim is more than 14 days past due, so
// each takes its collection notice that morning, and every payment is
// booked that day.
//
// Fees (NOK): p-1 (10,000.00) and o-1 (2,000.00) are alone: 100.00 each.
// t-1, t-2, t-3 (1,000 / 1,500 / 2,500, due 6, 11 and 16 March) are one
// case of their debtor: its fee of 100.00 is split by principal,
// 100 x 1,000/5,000 = 20.00, 100 x 1,500/5,000 = 30.00, 100 x 2,500/5,000
// = 50.00. Open balances before the bank file: p-1 10,100.00, o-1 2,100.00,
// t-1 1,020.00, t-2 1,530.00, t-3 2,550.00.
//
// The bank file (camt.054, booked 2026-03-31):
//
//	NO260331A0000001  4,000.00 by p-1's reference: partial, outstanding
//	                  10,100.00 - 4,000.00 = 6,100.00, still Collection.
//	NO260331A0000002  2,500.00 by o-1's reference: 2,100.00 recorded
//	                  (its open balance), Paid; 400.00 over-paid, suspense.
//	NO260331A0000003  3,000.00 by the case reference: oldest due first,
//	                  t-1 1,020.00 (Paid), t-2 1,530.00 (Paid), t-3 the
//	                  rest 3,000.00 - 2,550.00 = 450.00, outstanding
//	                  2,550.00 - 450.00 = 2,100.00, still Collection.
//	NO260331A0000004    777.00 by a reference no claim has: unmatched.
//
// The Settlement of March 2026 (pricing: commission 10 % of collected
// principal, VAT 25 % on fees + commission; the agency would keep the
// interest, which is 0). Costs are paid first, so each line's fees are the
// claim's fee, its principal the rest:
//
//	line          amount  fees principal commission  VAT    agency  creditor
//	p-1          4000.00 100.00  3900.00    390.00  122.50  612.50   3387.50
//	o-1          2100.00 100.00  2000.00    200.00   75.00  375.00   1725.00
//	t-1          1020.00  20.00  1000.00    100.00   30.00  150.00    870.00
//	t-2          1530.00  30.00  1500.00    150.00   45.00  225.00   1305.00
//	t-3           450.00  50.00   400.00     40.00   22.50  112.50    337.50
//	total        9100.00 300.00  8800.00    880.00  295.00 1475.00   7625.00
//
// (VAT = 25 % x (fees + commission), agency = fees + commission + VAT,
// creditor = principal - commission - VAT.) Every payment went to the
// agency, so the payout is the creditor's share, 7,625.00.
func TestMoneyLoop(t *testing.T) {
	c := start(t)
	plugin := buildBinary(t, c.root, "kubectl-inkasso")
	manager := buildManager(t, c.root)
	const ns = "moneyloop"
	c.kubectlOut(t, "create", "namespace", ns)
	c.kubectlOut(t, "apply", "--server-side", "-n", ns, "-f", filepath.Join(c.root, "test", "e2e", "testdata", "moneyloop.yaml"))
	// 1200x: an hour of the clock in three seconds; the period ends
	// (midnight) after 48 seconds.
	runManager(t, c, manager, "2026-03-31T08:00:00+02:00", 1200)

	// 1. Claims in collection, each with its collection notice's fee.
	var claims loopClaims
	waitProgress(t, "claims in collection", 2*time.Minute, func() (string, bool) {
		claims = c.loopClaims(t, ns)
		done := len(claims.Items) == 5
		for _, it := range claims.Items {
			stepped := false
			for _, h := range it.Status.History {
				stepped = stepped || h.Step == "collection-notice"
			}
			done = done && stepped && it.Status.Balance != nil && it.Status.Balance.Fees != "0.00" && it.Status.PaymentReference != ""
		}
		return fmt.Sprint(claims.balances()), done
	})
	wantOpen := map[string]string{
		"p-1": "Collection 10000.00/100.00/0.00/0.00/10100.00",
		"o-1": "Collection 2000.00/100.00/0.00/0.00/2100.00",
		"t-1": "Collection 1000.00/20.00/0.00/0.00/1020.00",
		"t-2": "Collection 1500.00/30.00/0.00/0.00/1530.00",
		"t-3": "Collection 2500.00/50.00/0.00/0.00/2550.00",
	}
	if got := claims.balances(); !reflect.DeepEqual(got, wantOpen) {
		t.Fatalf("balances in collection:\n%v\nwant\n%v", got, wantOpen)
	}

	// The references the debtors were given, read back from the cluster.
	refs, caseOf := map[string]string{}, map[string]string{}
	for _, it := range claims.Items {
		refs[it.Metadata.Name], caseOf[it.Metadata.Name] = it.Status.PaymentReference, it.Status.CaseID
	}
	if caseOf["t-1"] == "" || caseOf["t-1"] != caseOf["t-2"] || caseOf["t-1"] != caseOf["t-3"] {
		t.Fatalf("t-1, t-2, t-3 are not one case: %v", caseOf)
	}
	var debtor struct {
		Status struct {
			Cases []struct {
				ID     string   `json:"id"`
				Claims []string `json:"claims"`
			} `json:"cases"`
		} `json:"status"`
	}
	// The debtor controller writes the case; its status may trail the claims'.
	waitProgress(t, "debtor three's case", time.Minute, func() (string, bool) {
		out := c.kubectlOut(t, "get", "debtor", "three", "-n", ns, "-o", "json")
		if err := json.Unmarshal([]byte(out), &debtor); err != nil {
			t.Fatal(err)
		}
		return out, len(debtor.Status.Cases) > 0
	})
	if len(debtor.Status.Cases) != 1 || debtor.Status.Cases[0].ID != caseOf["t-1"] || strings.Join(debtor.Status.Cases[0].Claims, ",") != "t-1,t-2,t-3" {
		t.Fatalf("debtor three's cases %+v, want one case %s of t-1, t-2, t-3", debtor.Status.Cases, caseOf["t-1"])
	}
	caseRef, err := collection.CaseReference(&collection.Policy{Jurisdiction: "NO"}, ns, caseOf["t-1"])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"t-1", "t-2", "t-3"} {
		if refs[n] != caseRef {
			t.Errorf("claim %s's payment reference %s, want its case's %s", n, refs[n], caseRef)
		}
	}
	unknownRef, err := reference.Generate(reference.ForJurisdiction("NO"), "no claim has this")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if r == unknownRef {
			t.Fatalf("the unknown reference %s is a claim's", unknownRef)
		}
	}

	// 2. The bank file, booked 2026-03-31.
	dir := t.TempDir()
	entry := func(id, amount, ref string) string {
		return `<Ntry><Amt Ccy="NOK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-31</Dt></BookgDt><AcctSvcrRef>` + id + `</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>` + ref + `</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
`
	}
	camt := filepath.Join(dir, "camt054-2026-03-31.xml")
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn>
` + entry("NO260331A0000001", "4000.00", refs["p-1"]) +
		entry("NO260331A0000002", "2500.00", refs["o-1"]) +
		entry("NO260331A0000003", "3000.00", caseRef) +
		entry("NO260331A0000004", "777.00", unknownRef) +
		`</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`
	if err := os.WriteFile(camt, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	imp := func(suspense, summary string) (string, [][]string) {
		t.Helper()
		_, stderr, err := c.plugin(t, plugin, "payments", "import", "-n", ns, "--suspense", suspense, camt)
		if err == nil || !strings.Contains(stderr, "2 payment(s) or part(s) in suspense") || !strings.Contains(stderr, summary) {
			t.Errorf("import: want a failure naming 2 suspense lines and %q, got %v\n%s", summary, err, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(mustRead(t, suspense))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return stderr, rows
	}
	first, sus1 := imp(filepath.Join(dir, "suspense-1.csv"), "4 payment(s) read: 5 part(s) recorded on 5 claim(s), 0 already recorded, 2 in suspense")
	after, _ := c.payments(t, ns) // fails the test on an id seen twice on a claim
	wantPayments := map[string]map[string]string{
		"p-1": {"NO260331A0000001": "4000.00@2026-03-31"},
		"o-1": {"NO260331A0000002": "2100.00@2026-03-31"},
		"t-1": {paymatch.SplitID("NO260331A0000003", "t-1"): "1020.00@2026-03-31"},
		"t-2": {paymatch.SplitID("NO260331A0000003", "t-2"): "1530.00@2026-03-31"},
		"t-3": {paymatch.SplitID("NO260331A0000003", "t-3"): "450.00@2026-03-31"},
	}
	if !reflect.DeepEqual(after, wantPayments) {
		t.Fatalf("spec.payments after the import:\n%v\nwant\n%v\n%s", after, wantPayments, first)
	}
	// The suspense report: the over-paid rest of o-1's payment and the
	// unmatched payment, nothing else.
	var gotSus []string
	for _, r := range sus1[1:] {
		gotSus = append(gotSus, strings.Join([]string{r[1], r[2], r[3], r[4], r[5], r[6]}, ","))
	}
	sort.Strings(gotSus)
	wantSus := []string{
		"NO260331A0000002,2026-03-31,400.00,NOK," + refs["o-1"] + ",overpaid",
		"NO260331A0000004,2026-03-31,777.00,NOK," + unknownRef + ",unmatched",
	}
	if strings.Join(sus1[0], ",") != "source,bank_id,booking_date,amount,currency,reference,reason,detail,claims" || !reflect.DeepEqual(gotSus, wantSus) {
		t.Errorf("suspense report:\n%v\nwant the rows\n%v", sus1, wantSus)
	}

	// The same file again: every payment already recorded, nothing written.
	second, sus2 := imp(filepath.Join(dir, "suspense-2.csv"), "4 payment(s) read: 0 part(s) recorded on 0 claim(s), 3 already recorded, 2 in suspense")
	if again, _ := c.payments(t, ns); !reflect.DeepEqual(again, after) {
		t.Errorf("importing the file again changed spec.payments:\n%v\nwas\n%v\n%s", again, after, second)
	}
	if !reflect.DeepEqual(sus2, sus1) {
		t.Errorf("the second suspense report differs:\n%v\nfirst:\n%v", sus2, sus1)
	}

	// 3. The operator recomputes the balances: as computed by hand above.
	wantPaid := map[string]string{
		"p-1": "Collection 10000.00/100.00/0.00/4000.00/6100.00",
		"o-1": "Paid 2000.00/100.00/0.00/2100.00/0.00",
		"t-1": "Paid 1000.00/20.00/0.00/1020.00/0.00",
		"t-2": "Paid 1500.00/30.00/0.00/1530.00/0.00",
		"t-3": "Collection 2500.00/50.00/0.00/450.00/2100.00",
	}
	waitProgress(t, "balances after the import", 2*time.Minute, func() (string, bool) {
		claims = c.loopClaims(t, ns)
		done := true
		for _, it := range claims.Items {
			done = done && it.Status.ObservedGeneration == it.Metadata.Generation
		}
		return fmt.Sprint(claims.balances()), done
	})
	if got := claims.balances(); !reflect.DeepEqual(got, wantPaid) {
		t.Fatalf("balances after the import:\n%v\nwant\n%v", got, wantPaid)
	}

	// 4. The Settlement of March.
	settle := func(name string) loopSettlement {
		t.Helper()
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(`apiVersion: collection.inkasso.dev/v1alpha1
kind: Settlement
metadata:
  name: `+name+`
spec:
  period: {from: "2026-03-01", to: "2026-03-31"}
  currency: NOK
  policyRef: {name: loop}
  payout: {iban: NO9386011117947, bic: DNBANOKK}
  channels: [log]
`), 0o644); err != nil {
			t.Fatal(err)
		}
		c.kubectlOut(t, "apply", "--server-side", "-n", ns, "-f", path)
		var s loopSettlement
		waitProgress(t, "settlement "+name, 2*time.Minute, func() (string, bool) {
			s = loopSettlement{}
			if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "stl", name, "-n", ns, "-o", "json")), &s); err != nil {
				t.Fatal(err)
			}
			for _, cond := range s.Status.Conditions {
				if cond.Type == "Settled" {
					return cond.Status + " " + cond.Reason + ": " + cond.Message, cond.Status == "True" && s.Status.SettledAt != ""
				}
			}
			return "no Settled condition", false
		})
		return s
	}
	s1 := settle("loop-2026-03")
	wantTotals := map[string]string{
		"collected": "9100.00", "collectedByCreditor": "0.00", "principal": "8800.00", "interest": "0.00", "fees": "300.00",
		"advancedFees": "0.00", "advancedFeesCharged": "0.00", "overpaid": "0.00", "creditor": "7625.00", "agency": "1475.00",
		"commission": "880.00", "keptInterest": "0.00", "vat": "295.00", "payout": "7625.00",
	}
	if s1.Status.Totals == nil || !reflect.DeepEqual(*s1.Status.Totals, wantTotals) {
		t.Errorf("settlement totals:\n%v\nwant\n%v", s1.Status.Totals, wantTotals)
	}
	// amount principal fees commission vat agency creditor, per line.
	wantLines := map[string]string{
		"p-1/Payment/NO260331A0000001":                               "4000.00 3900.00 100.00 390.00 122.50 612.50 3387.50",
		"o-1/Payment/NO260331A0000002":                               "2100.00 2000.00 100.00 200.00 75.00 375.00 1725.00",
		"t-1/Payment/" + paymatch.SplitID("NO260331A0000003", "t-1"): "1020.00 1000.00 20.00 100.00 30.00 150.00 870.00",
		"t-2/Payment/" + paymatch.SplitID("NO260331A0000003", "t-2"): "1530.00 1500.00 30.00 150.00 45.00 225.00 1305.00",
		"t-3/Payment/" + paymatch.SplitID("NO260331A0000003", "t-3"): "450.00 400.00 50.00 40.00 22.50 112.50 337.50",
	}
	gotLines := map[string]string{}
	for _, l := range s1.Status.Lines {
		if _, dup := gotLines[l.Key]; dup {
			t.Errorf("settlement line %s twice", l.Key)
		}
		gotLines[l.Key] = strings.Join([]string{l.Amount, l.Principal, l.Fees, l.Commission, l.VAT, l.Agency, l.Creditor}, " ")
	}
	if !reflect.DeepEqual(gotLines, wantLines) {
		t.Errorf("settlement lines:\n%v\nwant\n%v", gotLines, wantLines)
	}
	if len(s1.Status.Notices) != 1 {
		t.Errorf("statement notices %v, want one on the log channel", s1.Status.Notices)
	}

	// The files: the recorded digests, the statement's rows summing to its
	// TOTAL, and the pain.001 parsed back.
	if s1.Status.Statement == nil || s1.Status.Payout == nil {
		t.Fatalf("settlement files: statement %v payout %v", s1.Status.Statement, s1.Status.Payout)
	}
	if s1.Status.Statement.ConfigMap != "loop-2026-03-settlement" {
		t.Errorf("statement in ConfigMap %s, want loop-2026-03-settlement", s1.Status.Statement.ConfigMap)
	}
	var cm struct {
		Data      map[string]string `json:"data"`
		Immutable bool              `json:"immutable"`
	}
	if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "cm", s1.Status.Statement.ConfigMap, "-n", ns, "-o", "json")), &cm); err != nil {
		t.Fatal(err)
	}
	if !cm.Immutable {
		t.Error("the settlement's ConfigMap is not immutable")
	}
	for _, ref := range []*struct{ ConfigMap, Key, SHA256 string }{s1.Status.Statement, s1.Status.Payout} {
		sum := sha256.Sum256([]byte(cm.Data[ref.Key]))
		if hex.EncodeToString(sum[:]) != ref.SHA256 {
			t.Errorf("%s: its bytes do not match the digest in status", ref.Key)
		}
	}
	checkStatement(t, cm.Data["statement.csv"], wantTotals)

	pain, err := payout.Parse([]byte(cm.Data["pain.001.xml"]))
	if err != nil {
		t.Fatalf("pain.001 does not parse: %v\n%s", err, cm.Data["pain.001.xml"])
	}
	if len(pain.Init.PmtInf) != 1 || len(pain.Init.PmtInf[0].CdtTrfTxInf) != 1 {
		t.Fatalf("pain.001: %+v, want one payment with one transaction", pain.Init)
	}
	pmt := pain.Init.PmtInf[0]
	tx := pmt.CdtTrfTxInf[0]
	if pain.Init.GrpHdr.NbOfTxs != 1 || pain.Init.GrpHdr.CtrlSum != wantTotals["payout"] || pmt.CtrlSum != wantTotals["payout"] ||
		tx.Amt.InstdAmt.Value != wantTotals["payout"] || tx.Amt.InstdAmt.Ccy != "NOK" ||
		tx.CdtrAcct.ID.IBAN != "NO9386011117947" || tx.Cdtr.Nm != "Acme AS" ||
		pmt.DbtrAcct.ID.Othr == nil || pmt.DbtrAcct.ID.Othr.ID != "86011117947" {
		t.Errorf("pain.001: header %+v, payment %+v, transaction %+v; want 7625.00 NOK from 86011117947 to Acme AS's NO9386011117947",
			pain.Init.GrpHdr, pmt, tx)
	}

	// The bookkeeping views: the plugin's ledger names the Settlement of
	// every payment, and its report counts all the money as settled; the
	// aging report holds what p-1 and t-3 still owe, 6,100.00 + 2,100.00.
	stdout, stderr, err := c.plugin(t, plugin, "ledger", "-n", ns)
	if err != nil {
		t.Fatalf("kubectl inkasso ledger: %v\n%s", err, stderr)
	}
	ledger, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("kubectl inkasso ledger: %v\n%s", err, stdout)
	}
	settledBy := map[string]string{}
	for _, r := range ledger[1:] {
		if r[5] == "Payment" {
			settledBy[r[1]+"/Payment/"+r[6]] = r[14]
		}
	}
	for key := range wantLines {
		if settledBy[key] != "loop-2026-03" {
			t.Errorf("kubectl inkasso ledger: payment %s settled by %q, want loop-2026-03", key, settledBy[key])
		}
	}
	if len(settledBy) != len(wantLines) {
		t.Errorf("kubectl inkasso ledger: payments %v, want the %d settled", settledBy, len(wantLines))
	}
	stdout, stderr, err = c.plugin(t, plugin, "report", "-n", ns, "-o", "json", "--as-of", "2026-04-01")
	if err != nil {
		t.Fatalf("kubectl inkasso report: %v\n%s", err, stderr)
	}
	var rep struct {
		Aging []struct {
			Currency, Total string
		} `json:"aging"`
		Collected []struct {
			Currency, Settled, Unsettled string
			Payments                     struct{ Settled, Unsettled int }
		} `json:"collected"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("kubectl inkasso report -o json: %v\n%s", err, stdout)
	}
	if len(rep.Collected) != 1 || rep.Collected[0].Currency != "NOK" || rep.Collected[0].Settled != "9100.00" || rep.Collected[0].Unsettled != "0.00" ||
		rep.Collected[0].Payments.Settled != 5 || rep.Collected[0].Payments.Unsettled != 0 ||
		len(rep.Aging) != 1 || rep.Aging[0].Total != "8200.00" {
		t.Errorf("kubectl inkasso report: %s\nwant NOK 9100.00 settled in 5 payments, none unsettled, 8200.00 outstanding", stdout)
	}

	// 5. A second Settlement of the same period settles nothing twice.
	s2 := settle("loop-2026-03-again")
	if len(s2.Status.Lines) != 0 || s2.Status.Totals == nil || (*s2.Status.Totals)["collected"] != "0.00" || (*s2.Status.Totals)["payout"] != "0.00" ||
		s2.Status.Payout != nil || len(s2.Status.Notices) != 0 {
		t.Errorf("second Settlement of March: lines %v totals %v payout file %v notices %v: want nothing settled",
			s2.Status.Lines, s2.Status.Totals, s2.Status.Payout, s2.Status.Notices)
	}
	if s2.Status.Statement != nil {
		var cm2 struct {
			Data map[string]string `json:"data"`
		}
		if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "cm", s2.Status.Statement.ConfigMap, "-n", ns, "-o", "json")), &cm2); err != nil {
			t.Fatal(err)
		}
		if rows, err := csv.NewReader(strings.NewReader(cm2.Data["statement.csv"])).ReadAll(); err != nil || len(rows) != 3 {
			t.Errorf("second statement: %v\n%s\nwant the header, TOTAL and PAYOUT only", err, cm2.Data["statement.csv"])
		}
	}
	// The bank file a third time, after settling: still nothing new, and
	// nothing for a Settlement to pick up.
	imp(filepath.Join(dir, "suspense-3.csv"), "4 payment(s) read: 0 part(s) recorded on 0 claim(s), 3 already recorded, 2 in suspense")
	if again, _ := c.payments(t, ns); !reflect.DeepEqual(again, after) {
		t.Errorf("importing the file after settling changed spec.payments:\n%v\nwas\n%v", again, after)
	}
}

// checkStatement parses the statement CSV: the header, one row per line,
// each row's amount the sum of its parts and its shares, the TOTAL row the
// sum of the rows and equal to the hand-computed totals, the PAYOUT row.
func checkStatement(t *testing.T, statement string, want map[string]string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(statement)).ReadAll()
	if err != nil {
		t.Fatalf("statement.csv: %v\n%s", err, statement)
	}
	if len(rows) != 1+5+2 || !reflect.DeepEqual(rows[0], settlement.StatementHeader) {
		t.Fatalf("statement.csv: want the header, 5 lines, TOTAL and PAYOUT:\n%s", statement)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	amounts := []string{"amount", "principal", "interest", "fees", "advancedFees", "overpaid", "commission", "keptInterest", "vat", "creditor", "agency"}
	sums := map[string]decimal.Decimal{}
	d := func(s string) decimal.Decimal {
		v, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("statement.csv: %q is not an amount:\n%s", s, statement)
		}
		return v
	}
	for _, r := range rows[1:6] {
		for _, a := range amounts {
			sums[a] = sums[a].Add(d(r[col[a]]))
		}
		amount := d(r[col["amount"]])
		if parts := d(r[col["principal"]]).Add(d(r[col["interest"]])).Add(d(r[col["fees"]])).Add(d(r[col["overpaid"]])); !parts.Equal(amount) {
			t.Errorf("statement row %s: principal + interest + fees + overpaid = %s, amount %s", r[0], parts, amount)
		}
		if shares := d(r[col["creditor"]]).Add(d(r[col["agency"]])).Add(d(r[col["overpaid"]])); !shares.Equal(amount) {
			t.Errorf("statement row %s: creditor + agency + overpaid = %s, amount %s", r[0], shares, amount)
		}
	}
	total, payoutRow := rows[6], rows[7]
	if total[0] != "TOTAL" || payoutRow[0] != "PAYOUT" {
		t.Fatalf("statement.csv ends with %v, %v: want TOTAL and PAYOUT", total, payoutRow)
	}
	byTotal := map[string]string{"amount": "collected"}
	var bad bytes.Buffer
	for _, a := range amounts {
		key := a
		if k, ok := byTotal[a]; ok {
			key = k
		}
		if !d(total[col[a]]).Equal(sums[a]) || total[col[a]] != want[key] {
			fmt.Fprintf(&bad, "%s: TOTAL %s, rows sum to %s, by hand %s\n", a, total[col[a]], sums[a].StringFixed(2), want[key])
		}
	}
	if bad.Len() > 0 {
		t.Errorf("statement.csv totals:\n%s%s", bad.String(), statement)
	}
	if payoutRow[col["amount"]] != want["payout"] {
		t.Errorf("statement PAYOUT %s, want %s", payoutRow[col["amount"]], want["payout"])
	}
}
