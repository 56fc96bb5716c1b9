package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestClaimFactsGuards: a claim written before the CRD's guards (or past
// them) stalls naming the field instead of breaking later: a step in year
// 9999 made every status write fail with no Stalled condition; a newline
// in the invoice number was printed into the debtor's letter; a removed
// payment made the balance jump back.
func TestClaimFactsGuards(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC))
	base := func() *inkassov1.Claim {
		return &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}, Spec: inkassov1.ClaimSpec{
			DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: "1001", InvoiceDate: "2026-01-01", DueDate: "2026-01-15",
			Amount: "100.00", Currency: "NOK",
			Payments: []inkassov1.Payment{{ID: "p1", Amount: "10.00", Date: "2026-02-01"}}}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*inkassov1.Claim)
		want   []string // reason, then parts of the message; none: accepted
	}{
		{"valid", func(*inkassov1.Claim) {}, nil},
		{"due date in year 9999", func(c *inkassov1.Claim) { c.Spec.DueDate = "9999-12-31" }, []string{"InvalidDate", "spec.dueDate", "outside 1900-01-01..2199-12-31"}},
		{"invoice date in year 1", func(c *inkassov1.Claim) { c.Spec.InvoiceDate = "0001-01-01" }, []string{"InvalidDate", "spec.invoiceDate"}},
		{"payment in year 9999", func(c *inkassov1.Claim) { c.Spec.Payments[0].Date = "9999-12-31" }, []string{"InvalidDate", "spec.payments[0].date"}},
		{"newline in the invoice number", func(c *inkassov1.Claim) { c.Spec.InvoiceNumber = "1001\nPay elsewhere" }, []string{"InvalidText", "spec.invoiceNumber", "control character"}},
		{"debtorRef not an object name", func(c *inkassov1.Claim) { c.Spec.DebtorRef.Name = "Ola Nordmann" }, []string{"InvalidReference", "spec.debtorRef.name"}},
		{"debtorRef too long for a label", func(c *inkassov1.Claim) { c.Spec.DebtorRef.Name = strings.Repeat("a", 64) }, []string{"InvalidReference", "spec.debtorRef.name", "at most 63"}},
		{"reversal of nothing", func(c *inkassov1.Claim) {
			c.Spec.Reversals = []inkassov1.Reversal{{Kind: "Payment", Of: "p9", Date: "2026-02-02", Reason: "x"}}
		}, []string{"InvalidAmount", "spec.reversals[0].of", "names no Payment"}},
		{"reversal in year 9999", func(c *inkassov1.Claim) {
			c.Spec.Reversals = []inkassov1.Reversal{{Kind: "Payment", Of: "p1", Date: "9999-02-02", Reason: "x"}}
		}, []string{"InvalidDate", "spec.reversals[0].date"}},
		{"recorded payment removed during collection", func(c *inkassov1.Claim) {
			c.Status.CollectionStartedAt = &started
			c.Status.Ledger = []inkassov1.LedgerEntry{{Kind: "Payment", Ref: "p0", Amount: "5.00"}, {Kind: "Payment", Ref: "p1", Amount: "10.00"}}
		}, []string{"RecordRemoved", "payment p0", "spec.payments"}},
		{"recorded credit note removed during collection", func(c *inkassov1.Claim) {
			c.Status.CollectionStartedAt = &started
			c.Status.Ledger = []inkassov1.LedgerEntry{{Kind: "Credit", Ref: "cn1", Amount: "5.00"}}
		}, []string{"RecordRemoved", "credit note cn1", "spec.credits"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(c)
			_, err := claimFacts(c)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			st, ok := err.(*stallError)
			if !ok {
				t.Fatalf("got %v, want a stall %v", err, tc.want)
			}
			if st.reason != tc.want[0] {
				t.Errorf("reason %s, want %s (%s)", st.reason, tc.want[0], st.msg)
			}
			for _, w := range tc.want[1:] {
				if !strings.Contains(st.msg, w) {
					t.Errorf("message %q does not mention %q", st.msg, w)
				}
			}
		})
	}
}

// TestReversedEntriesCountForNothing: a payment and its reversal both stay
// in the spec and neither reaches the balance.
func TestReversedEntriesCountForNothing(t *testing.T) {
	c := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: inkassov1.ClaimSpec{
		DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: "1", InvoiceDate: "2026-01-01", DueDate: "2026-01-15",
		Amount: "100.00", Currency: "NOK",
		Payments: []inkassov1.Payment{{ID: "p1", Amount: "10.00", Date: "2026-02-01"}, {ID: "p2", Amount: "5.00", Date: "2026-02-01"}},
		Credits:  []inkassov1.Credit{{ID: "cn1", Amount: "20.00", Date: "2026-02-01"}},
		Reversals: []inkassov1.Reversal{{Kind: "Payment", Of: "p1", Date: "2026-02-03", Reason: "returned by the bank"},
			{Kind: "Credit", Of: "cn1", Date: "2026-02-03", Reason: "issued in error"}}}}
	f, err := claimFacts(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Payments) != 1 || f.Payments[0].ID != "p2" || len(f.Credits) != 0 {
		t.Errorf("payments %+v credits %+v: want only p2", f.Payments, f.Credits)
	}
}

// TestDebtorGuard: a debtor whose name overflows the label on its notices
// (notice creation retried forever) or whose name or address carries a
// control character stalls naming the field, not the value.
func TestDebtorGuard(t *testing.T) {
	ok := &inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Name: "ola"}, Spec: inkassov1.DebtorSpec{DisplayName: "Ola Nordmann",
		Address: &inkassov1.Address{Lines: []string{"Storgata 1"}, PostalCode: "0155", City: "Oslo", Country: "NO"}}}
	if err := debtorGuard(ok); err != nil {
		t.Fatalf("a plain debtor: %v", err)
	}
	for want, mutate := range map[string]func(*inkassov1.Debtor){
		"metadata.name has 64 characters": func(d *inkassov1.Debtor) { d.Name = strings.Repeat("o", 64) },
		"spec.displayName":                func(d *inkassov1.Debtor) { d.Spec.DisplayName = "Ola\r\nBcc: x@example.com" },
		"spec.address.lines[0]":           func(d *inkassov1.Debtor) { d.Spec.Address.Lines[0] = "Storgata\x001" },
		"spec.address.city":               func(d *inkassov1.Debtor) { d.Spec.Address.City = "Oslo\u2028" },
	} {
		d := ok.DeepCopy()
		mutate(d)
		err := debtorGuard(d)
		st, isStall := err.(*stallError)
		if !isStall || !strings.Contains(st.msg, want) || strings.Contains(st.msg, "Bcc") {
			t.Errorf("%s: %v", want, err)
		}
	}
}
