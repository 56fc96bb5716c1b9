package main

import (
	"bytes"
	"encoding/csv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestLedgerCSVShowsFormulasAsText: an invoice number or payment id that
// starts with = reached the finance team's spreadsheet as a formula.
func TestLedgerCSVShowsFormulasAsText(t *testing.T) {
	cl := inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "inv-1"},
		Spec: inkassov1.ClaimSpec{InvoiceNumber: `=HYPERLINK("http://evil.example","1001")`, Currency: "NOK"},
		Status: inkassov1.ClaimStatus{Ledger: []inkassov1.LedgerEntry{
			{Date: "2026-02-01", Kind: "Payment", Ref: "@SUM(A1)", Amount: "-100.00", Creditor: "-100.00", Agency: "0.00"}}}}
	var buf bytes.Buffer
	if _, err := writeLedger(&buf, []inkassov1.Claim{cl}, nil, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%q, %v", recs, err)
	}
	row := recs[1]
	if row[2] != `'=HYPERLINK("http://evil.example","1001")` || row[6] != "'@SUM(A1)" || row[7] != "-100.00" {
		t.Errorf("row %q: want the invoice number and ref as text, the amount as a number", row)
	}
}

// TestLedgerCountsNamesNotMatches: with -A a claim name may match in two
// namespaces; a second name that matches nowhere must still be reported
// missing, not hidden by the double match.
func TestLedgerCountsNamesNotMatches(t *testing.T) {
	claims := []inkassov1.Claim{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "inv-1"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "globex", Name: "inv-1"}},
	}
	var buf bytes.Buffer
	found, err := writeLedger(&buf, claims, map[string]bool{"inv-1": true, "inv-404": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if found != 1 {
		t.Errorf("found %d of the 2 names, want 1 (inv-1, in two namespaces; inv-404 nowhere)", found)
	}
}
