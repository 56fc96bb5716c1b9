// Settlement tests move the shared fake clock forward by months, so the
// file sorts after money_integration_test.go.
package controllers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/payout"
	"github.com/inkasso-operator/inkasso-operator/internal/settlement"
)

func waitSettled(t *testing.T, ns, name string) *inkassov1.Settlement {
	t.Helper()
	var s inkassov1.Settlement
	eventually(t, 20*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return err
		}
		if s.Status.SettledAt == nil {
			return fmt.Errorf("settlement %s not settled: %v", name, s.Status.Conditions)
		}
		return expectCondition(s.Status.Conditions, inkassov1.ConditionSettled, metav1.ConditionTrue, inkassov1.SettlementReasonSettled)
	})
	return &s
}

func settlementFor(ns, name, from, to string) *inkassov1.Settlement {
	return &inkassov1.Settlement{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.SettlementSpec{
			Period:   inkassov1.Period{From: inkassov1.Date(from), To: inkassov1.Date(to)},
			Currency: "NOK",
			Payout:   &inkassov1.Payout{IBAN: "NO9386011117947", BIC: "DNBANOKK", From: "86011117947"},
			Channels: []string{"statements"},
		},
	}
}

// TestSettlementSplitsCollectedMoneyOnce settles two claims under a seed
// 003/004-style contract (the agency keeps late interest, 8 % commission on
// collected principal, the creditor bears 25 % VAT on collection costs) and
// checks every total against this hand computation. D is the due date of
// both claims; late interest is overridden to 10 %, actual/365, each
// accrual rounded to the øre at the payment that ends it.
//
// Claim a, 10,000.00: fee 100.00 at the collection notice (D+14); 3,000.00
// paid to the agency on D+20. Interest 20 d x 10,000 x 10 % / 365 = 54.79.
// Costs first: fees 100.00, interest 54.79, principal 2,845.21.
//
//	commission 8 % x 2,845.21 = 227.6168   -> 227.62
//	VAT 25 % x (100.00 + 227.62) = 81.905  ->  81.91
//	agency 100.00 + 54.79 + 227.62 + 81.91  = 464.32
//	creditor 2,845.21 - 227.62 - 81.91      = 2,535.68
//
// Claim b, 1,000.00: 1,001.37 paid to the creditor directly on D+5
// (principal first): principal 1,000.00, interest 5 d = 1.37.
//
//	commission 80.00, VAT 20.00, agency 1.37 + 80.00 + 20.00 = 101.37
//	creditor 1,000.00 + 1.37 - 1.37 - 80.00 - 20.00 = 900.00
//
// Payout: the creditor's share of what the agency got, less the agency's
// share of what the creditor got: 2,535.68 - 101.37 = 2,434.31.
//
// Later, payments of 500.00 (dated D+25, registered late) and 700.00 (D+40)
// on claim a go to the next period's Settlement, never the first one:
//
//	D+25: interest 5 d x 7,154.79 x 10 % / 365 = 9.8011 -> 9.80, principal
//	      490.20; commission 8 % x 490.20 = 39.216 -> 39.22, VAT 25 % x
//	      39.22 = 9.805 -> 9.81; creditor 490.20 - 39.22 - 9.81 = 441.17,
//	      agency 9.80 + 39.22 + 9.81 = 58.83
//	D+40: interest 15 d x 6,664.59 = 27.3887 -> 27.39, principal 672.61;
//	      commission 53.8088 -> 53.81, VAT 13.4525 -> 13.45; creditor
//	      672.61 - 53.81 - 13.45 = 605.35, agency 27.39 + 53.81 + 13.45 = 94.65
//
// payout 441.17 + 605.35 = 1,046.52.
func TestSettlementSplitsCollectedMoneyOnce(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	dueDay := fclock.Now().In(oslo).AddDate(0, 0, 1)
	day := func(n int) string { return dueDay.AddDate(0, 0, n).Format(time.DateOnly) }
	at := func(n int) time.Time {
		d := dueDay.AddDate(0, 0, n)
		return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, oslo)
	}
	policy := &inkassov1.CollectionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "contract", Namespace: ns},
		Spec: inkassov1.CollectionPolicySpec{
			Jurisdiction: "NO", TimeZone: "Europe/Oslo", StepTime: "09:00",
			Creditor:       &inkassov1.Party{Name: "Acme AS"},
			Sender:         &inkassov1.Party{Name: "Nordic Collect AS", BankAccount: "8601.11.17947"},
			Eligibility:    inkassov1.Eligibility{MinDaysAfterDue: 14, MinDaysAfterInvoice: 14},
			Overrides:      &inkassov1.Overrides{LateInterestRate: "10.00", DayCount: "Actual365"},
			ContactWindows: &inkassov1.ContactWindows{Enabled: ptr.To(false)},
			Pricing: &inkassov1.Pricing{
				LateInterest: inkassov1.PartyAgency,
				Commission:   &inkassov1.Commission{Percent: "8", Basis: inkassov1.BasisCollectedPrincipal},
				VAT:          &inkassov1.VAT{Rates: []inkassov1.VATRate{{From: "2020-01-01", Percent: "25"}}},
			},
			Steps: []inkassov1.PolicyStep{
				{Name: "collection-notice", Phase: "Collection", AfterDueDays: 14, Channels: []string{"log"}, Fee: "100.00", PaymentDeadlineDays: 14},
			},
		},
	}
	a := claimDue(ns, "a", "da", "10000.00", 1)
	a.Spec.Payments = []inkassov1.Payment{{ID: "bank-1", Amount: "3000.00", Date: inkassov1.Date(day(20))}}
	b := claimDue(ns, "b", "db", "1000.00", 1)
	b.Spec.Payments = []inkassov1.Payment{{ID: "direct", Amount: "1001.37", Date: inkassov1.Date(day(5)), ReceivedBy: inkassov1.ReceivedByCreditor}}
	statements := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "statements", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerLetter, Letter: &inkassov1.LetterChannel{}}}
	create(t, policy, logChannel(ns, "log"), statements, debtor(ns, "da", inkassov1.DebtorConsumer), debtor(ns, "db", inkassov1.DebtorConsumer), a, b)

	c := driveToEnd(t, ns, "a")
	if len(c.Status.History) != 1 || c.Status.History[0].Fee != "100.00" {
		t.Fatalf("claim a history %+v, want the collection notice with its 100.00 fee", c.Status.History)
	}
	fclock.SetTime(at(31))
	create(t, settlementFor(ns, "first", day(0), day(30)))
	s1 := waitSettled(t, ns, "first")

	want := inkassov1.SettlementTotals{Collected: "4001.37", CollectedByCreditor: "1001.37", Principal: "3845.21", Interest: "56.16",
		Fees: "100.00", AdvancedFees: "0.00", Overpaid: "0.00", Creditor: "3435.68", Agency: "565.69", Commission: "307.62",
		KeptInterest: "56.16", VAT: "101.91", Payout: "2434.31", AdvancedFeesCharged: "0.00"}
	if s1.Status.Totals == nil || *s1.Status.Totals != want {
		t.Fatalf("totals %+v,\nwant %+v", s1.Status.Totals, want)
	}
	var keys []string
	for _, l := range s1.Status.Lines {
		keys = append(keys, l.Key+"="+l.Creditor+"/"+l.Agency)
	}
	if strings.Join(keys, " ") != "b/Payment/direct=900.00/101.37 a/Payment/bank-1=2535.68/464.32" {
		t.Fatalf("lines %v", keys)
	}

	// The metric: both payments are settled, nothing is left unsettled
	// (both claims are woken so their status ledgers show their payments,
	// dated after their last writes).
	wakeClaim(ns, "a")
	wakeClaim(ns, "b")
	eventually(t, 10*time.Second, func() error {
		m := metric(t, "inkasso_collected_amount", map[string]string{"namespace": ns, "currency": "NOK", "state": "Settled"})
		u := metric(t, "inkasso_collected_amount", map[string]string{"namespace": ns, "currency": "NOK", "state": "Unsettled"})
		if m.GetGauge().GetValue() != 4001.37 || u.GetGauge().GetValue() != 0 {
			return fmt.Errorf("inkasso_collected_amount settled %v unsettled %v, want 4001.37 and 0", m.GetGauge().GetValue(), u.GetGauge().GetValue())
		}
		return nil
	})

	// The files: an immutable ConfigMap owned by the Settlement, whose
	// bytes match the recorded digests; the pain.001 parses back with the
	// payout.
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: s1.Status.Statement.ConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Immutable == nil || !*cm.Immutable || !metav1.IsControlledBy(&cm, s1) {
		t.Fatalf("files ConfigMap immutable %v, owners %v", cm.Immutable, cm.OwnerReferences)
	}
	for _, ref := range []*inkassov1.FileRef{s1.Status.Statement, s1.Status.Payout} {
		if ref == nil {
			t.Fatal("a file reference is missing")
		}
		sum := sha256.Sum256([]byte(cm.Data[ref.Key]))
		if hex.EncodeToString(sum[:]) != ref.SHA256 {
			t.Errorf("%s: digest differs from status", ref.Key)
		}
	}
	if csv := cm.Data["statement.csv"]; !strings.Contains(csv, "\nPAYOUT,,,,,,,,2434.31,,,,,,,,,,\n") ||
		!strings.Contains(csv, "\nTOTAL,,,,,,,,4001.37,3845.21,56.16,100.00,0.00,0.00,307.62,56.16,101.91,3435.68,565.69\n") {
		t.Errorf("statement.csv:\n%s", csv)
	}
	doc, err := payout.Parse([]byte(cm.Data["pain.001.xml"]))
	if err != nil {
		t.Fatal(err)
	}
	tx := doc.Init.PmtInf[0].CdtTrfTxInf[0]
	if doc.Init.GrpHdr.CtrlSum != "2434.31" || tx.Amt.InstdAmt.Value != "2434.31" || tx.Amt.InstdAmt.Ccy != "NOK" ||
		tx.CdtrAcct.ID.IBAN != "NO9386011117947" || tx.Cdtr.Nm != "Acme AS" || doc.Init.PmtInf[0].DbtrAcct.ID.Othr.ID != "86011117947" {
		t.Fatalf("pain.001: header %+v, transaction %+v", doc.Init.GrpHdr, tx)
	}

	// The statement reaches the creditor as a PDF letter.
	if len(s1.Status.Notices) != 1 {
		t.Fatalf("statement notices %v", s1.Status.Notices)
	}
	pokeChannels(t, ns, "statements")
	eventually(t, 20*time.Second, func() error {
		var n inkassov1.Notice
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: s1.Status.Notices[0]}, &n); err != nil {
			return err
		}
		if err := expectCondition(n.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, inkassov1.NoticeReasonSent); err != nil {
			return err
		}
		pdf, err := os.ReadFile(filepath.Join(outbox, ns, n.Name+".pdf"))
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
			return fmt.Errorf("statement PDF: %v", err)
		}
		return nil
	})

	// Immutable: the spec from creation, the status once settled.
	edit := s1.DeepCopy()
	edit.Spec.Period.To = inkassov1.Date(day(31))
	if err := k8s.Update(ctx, edit); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("editing a settled Settlement's spec: %v, want refused as immutable", err)
	}
	edit = s1.DeepCopy()
	edit.Status.Totals.Payout = "9999.99"
	if err := k8s.Status().Update(ctx, edit); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("editing a settled Settlement's status: %v, want refused as frozen", err)
	}

	// A second Settlement of the same period settles nothing twice.
	create(t, settlementFor(ns, "again", day(0), day(30)))
	s2 := waitSettled(t, ns, "again")
	if len(s2.Status.Lines) != 0 || s2.Status.Totals.Collected != "0.00" || s2.Status.Totals.Payout != "0.00" ||
		s2.Status.Payout != nil || len(s2.Status.Notices) != 0 {
		t.Fatalf("second Settlement of the period: lines %v totals %+v payout file %v notices %v",
			s2.Status.Lines, s2.Status.Totals, s2.Status.Payout, s2.Status.Notices)
	}

	// A payment registered late (dated in the settled period) and one of
	// the next period both go to the next Settlement.
	c = getClaim(t, ns, "a")
	c.Spec.Payments = append(c.Spec.Payments,
		inkassov1.Payment{ID: "bank-2", Amount: "500.00", Date: inkassov1.Date(day(25))},
		inkassov1.Payment{ID: "bank-3", Amount: "700.00", Date: inkassov1.Date(day(40))})
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	fclock.SetTime(at(61))
	wakeClaim(ns, "a")
	eventually(t, 10*time.Second, func() error {
		u := metric(t, "inkasso_collected_amount", map[string]string{"namespace": ns, "currency": "NOK", "state": "Unsettled"})
		if u.GetGauge().GetValue() != 1200 {
			return fmt.Errorf("inkasso_collected_amount unsettled %v, want 1200 before the next Settlement", u.GetGauge().GetValue())
		}
		return nil
	})
	create(t, settlementFor(ns, "next", day(31), day(60)))
	s3 := waitSettled(t, ns, "next")
	keys = nil
	for _, l := range s3.Status.Lines {
		keys = append(keys, fmt.Sprintf("%s=%s/%s/%v", l.Key, l.Creditor, l.Agency, l.CarriedOver))
	}
	if strings.Join(keys, " ") != "a/Payment/bank-2=441.17/58.83/true a/Payment/bank-3=605.35/94.65/false" {
		t.Fatalf("next period's lines %v", keys)
	}
	if s3.Status.Totals.Payout != "1046.52" {
		t.Fatalf("next period's payout %s, want 1046.52", s3.Status.Totals.Payout)
	}
	// A computed Settlement is a record: deleting it waits for the
	// forget-settled annotation.
	if err := k8s.Delete(ctx, s1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	var kept inkassov1.Settlement
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(s1), &kept); err != nil || kept.DeletionTimestamp.IsZero() {
		t.Fatalf("a settled Settlement was deleted without the annotation: %v", err)
	}
	p := []byte(`{"metadata":{"annotations":{"` + controllers.ForgetSettledAnnotation + `":"true"}}}`)
	if err := k8s.Patch(ctx, &kept, client.RawPatch("application/merge-patch+json", p)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(s1), &kept); !apierrors.IsNotFound(err) {
			return fmt.Errorf("settlement still there (%v)", err)
		}
		return nil
	})

	seen := map[string]string{}
	for _, s := range []*inkassov1.Settlement{s1, s2, s3} {
		for _, l := range s.Status.Lines {
			if other, dup := seen[l.Key]; dup {
				t.Errorf("%s settled by %s and %s", l.Key, other, s.Name)
			}
			seen[l.Key] = s.Name
		}
	}
}

// TestSettlementRefusesBadInput: the schema names the field of a bad
// payout or period; a bad IBAN check digit, which only code can check,
// stalls the Settlement with a condition naming the field.
func TestSettlementRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for _, tc := range []struct {
		mutate func(*inkassov1.Settlement)
		want   string
	}{
		{func(s *inkassov1.Settlement) { s.Spec.Period.To = "2026-12-31"; s.Spec.Period.From = "2027-01-01" }, "period.to must not be before period.from"},
		{func(s *inkassov1.Settlement) { s.Spec.Payout.IBAN = "no93 8601 1117 947" }, "spec.payout.iban"},
		{func(s *inkassov1.Settlement) { s.Spec.Payout.Account = "86011117947" }, "set exactly one of payout.iban and payout.account"},
		{func(s *inkassov1.Settlement) {
			s.Spec.Payout.IBAN = ""
			s.Spec.Payout.Account = "8601.11.17947"
			s.Spec.Payout.AccountCountry = "NO"
		}, "spec.payout.account"},
		{func(s *inkassov1.Settlement) { s.Spec.Currency = "nok" }, "spec.currency"},
	} {
		s := settlementFor(ns, "bad", "2027-01-01", "2027-01-31")
		tc.mutate(s)
		err := k8s.Create(ctx, s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("created with %+v: %v, want an error naming %q", s.Spec, err, tc.want)
			_ = k8s.Delete(ctx, s)
		}
	}
	create(t, smallPolicy(ns, "p", "NO", inkassov1.PolicyStep{Name: "notice", Phase: "Collection", AfterDueDays: 14, Channels: []string{"log"}, Fee: "None", PaymentDeadlineDays: 14}))
	s := settlementFor(ns, "bad-iban", "2020-01-01", "2020-01-31")
	s.Spec.Payout.IBAN = "NO9386011117948" // check digits wrong
	create(t, s)
	eventually(t, 20*time.Second, func() error {
		var got inkassov1.Settlement
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(s), &got); err != nil {
			return err
		}
		if err := expectCondition(got.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "InvalidPayout"); err != nil {
			return err
		}
		if msg := condition(got.Status.Conditions, inkassov1.ConditionStalled).Message; !strings.Contains(msg, "spec.payout.iban") {
			return fmt.Errorf("message %q does not name spec.payout.iban", msg)
		}
		return nil
	})

	// The policy's pricing: a step named in advancedFees must exist.
	p := smallPolicy(ns, "bad-pricing", "NO", inkassov1.PolicyStep{Name: "notice", Phase: "Collection", AfterDueDays: 14, Channels: []string{"log"}, Fee: "None", PaymentDeadlineDays: 14})
	p.Spec.Pricing = &inkassov1.Pricing{AdvancedFees: &inkassov1.AdvancedFees{Steps: []string{"court"}}}
	if err := k8s.Create(ctx, p); err == nil || !strings.Contains(err.Error(), "spec.pricing.advancedFees.steps") {
		t.Fatalf("a pricing naming a missing step: %v", err)
	}
	for _, pr := range []*inkassov1.Pricing{
		{Commission: &inkassov1.Commission{Percent: "eight"}},
		{Commission: &inkassov1.Commission{Percent: "120"}},
	} {
		p.Spec.Pricing = pr
		if err := k8s.Create(ctx, p); err == nil || !strings.Contains(err.Error(), "spec.pricing.commission.percent") {
			t.Fatalf("commission %q: %v, want refused naming spec.pricing.commission.percent", pr.Commission.Percent, err)
		}
	}
	p.Spec.Pricing = &inkassov1.Pricing{VAT: &inkassov1.VAT{Rates: []inkassov1.VATRate{{From: "2020-01-01", Percent: "125"}}}}
	if err := k8s.Create(ctx, p); err == nil || !strings.Contains(err.Error(), "spec.pricing.vat.rates[0].percent") {
		t.Fatalf("VAT of 125 %%: %v, want refused naming spec.pricing.vat.rates[0].percent", err)
	}
}

// TestSettlementResumesFromItsRecordedIntent stands for a crash after step
// 1: the lines are in status (computedAt set) but no file exists. The next
// reconcile makes the files from the recorded lines, never recomputing them
// (the recorded line names a claim that does not exist), and settles. A
// ConfigMap of the files' name that is not the Settlement's own stalls it.
func TestSettlementResumesFromItsRecordedIntent(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, smallPolicy(ns, "p", "NO", inkassov1.PolicyStep{Name: "notice", Phase: "Collection", AfterDueDays: 14, Channels: []string{"log"}, Fee: "None", PaymentDeadlineDays: 14}))
	s := settlementFor(ns, "crashed", "2198-01-01", "2198-01-31") // the period never ends on the test clock
	s.Spec.Payout, s.Spec.Channels = nil, nil
	create(t, s)
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Settlement
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(s), &got); err != nil {
			return err
		}
		return expectCondition(got.Status.Conditions, inkassov1.ConditionSettled, metav1.ConditionFalse, inkassov1.SettlementReasonWaiting)
	})
	line := inkassov1.SettlementLine{Key: "ghost/Payment/p1", Kind: inkassov1.LinePayment, Claim: "ghost", InvoiceNumber: "G-1", Ref: "p1", Date: "2198-01-05",
		ReceivedBy: inkassov1.ReceivedByAgency, Amount: "10.00", Principal: "10.00", Interest: "0.00", Fees: "0.00", AdvancedFees: "0.00",
		Overpaid: "0.00", Commission: "0.00", KeptInterest: "0.00", VAT: "0.00", Creditor: "10.00", Agency: "0.00"}
	totals := inkassov1.SettlementTotals{Collected: "10.00", CollectedByCreditor: "0.00", Principal: "10.00", Interest: "0.00", Fees: "0.00",
		AdvancedFees: "0.00", Overpaid: "0.00", Creditor: "10.00", Agency: "0.00", Commission: "0.00", KeptInterest: "0.00", VAT: "0.00", Payout: "10.00"}
	eventually(t, 10*time.Second, func() error {
		var got inkassov1.Settlement
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(s), &got); err != nil {
			return err
		}
		got.Status.ComputedAt = &metav1.Time{Time: fclock.Now().Truncate(time.Second)}
		got.Status.Lines, got.Status.Totals, got.Status.Policy = []inkassov1.SettlementLine{line}, &totals, "p"
		return k8s.Status().Update(ctx, &got) // a conflict with the controller's write: read again
	})
	got := waitSettled(t, ns, "crashed")
	if len(got.Status.Lines) != 1 || got.Status.Lines[0] != line || *got.Status.Totals != totals {
		t.Fatalf("the recorded lines changed: %+v %+v", got.Status.Lines, got.Status.Totals)
	}
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "crashed-settlement"}, &cm); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cm.Data["statement.csv"], "\nghost/Payment/p1,Payment,ghost,G-1,p1,2198-01-05,Agency,false,10.00,") {
		t.Fatalf("statement.csv:\n%s", cm.Data["statement.csv"])
	}

	// Someone else's ConfigMap where the files go: stalled, nothing overwritten.
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "squatted-settlement"}, Data: map[string]string{"statement.csv": "not ours"}})
	create(t, settlementFor(ns, "squatted", "2020-01-01", "2020-01-31"))
	eventually(t, 20*time.Second, func() error {
		var got inkassov1.Settlement
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "squatted"}, &got); err != nil {
			return err
		}
		return expectCondition(got.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "FileConflict")
	})
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "squatted-settlement"}, &cm); err != nil || cm.Data["statement.csv"] != "not ours" {
		t.Fatalf("the squatted ConfigMap was changed: %v %v", err, cm.Data)
	}
}

// TestStatementRowsFromStatusMatchTheComputation: the statement is written
// from the recorded status (so a retry makes the same bytes); its rows must
// be the ones internal/settlement makes from the computation itself.
func TestStatementRowsFromStatusMatchTheComputation(t *testing.T) {
	nok := func(s string) money.Money { return money.MustParse(s, "NOK") }
	d, _ := civil.Parse("2027-10-20")
	e := ledger.Entry{Date: d, Kind: ledger.KindPayment, Ref: "p", Amount: nok("100.00"), ToFees: nok("10.00"), ToInterest: nok("5.00"),
		ToPrincipal: nok("80.00"), Overpaid: nok("5.00"), ReceivedByCreditor: true}
	fee := ledger.Entry{Date: d, Kind: ledger.KindFee, Ref: "court", Amount: nok("3.00")}
	res, err := settlement.Compute(settlement.Input{Currency: "NOK", From: d, To: d,
		Pricing: settlement.Pricing{CommissionPercent: decimal.RequireFromString("8"), AdvancedSteps: map[string]bool{"court": true}, CreditorBearsAdvanced: true},
		Claims:  []settlement.Claim{{Name: "c", InvoiceNumber: "=1", Currency: "NOK", Entries: []ledger.Entry{fee, e}}}})
	if err != nil {
		t.Fatal(err)
	}
	st := inkassov1.SettlementStatus{Lines: controllers.LinesToAPI(res.Lines), Totals: controllers.TotalsToAPI(res.Totals)}
	got, want := controllers.StatementRows(st), settlement.Rows(res)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 4 {
		t.Fatalf("rows from status:\n%v\nrows from the computation:\n%v", got, want)
	}
}
