package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

func claim(ns, caseID, due, cur, out string, phase inkassov1.ClaimPhase, started, ended string) inkassov1.Claim {
	c := inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns}, Spec: inkassov1.ClaimSpec{DueDate: inkassov1.Date(due), Currency: inkassov1.CurrencyCode(cur), Amount: inkassov1.Amount(out)},
		Status: inkassov1.ClaimStatus{Phase: phase, CaseID: caseID, Balance: &inkassov1.Balance{Outstanding: out}}}
	if started != "" {
		t, _ := time.Parse(time.DateOnly, started)
		c.Status.CollectionStartedAt = &metav1.Time{Time: t}
	}
	if ended != "" {
		t, _ := time.Parse(time.DateOnly, ended)
		c.Status.Conditions = []metav1.Condition{{Type: inkassov1.ConditionReady, Status: metav1.ConditionTrue, Reason: string(phase), LastTransitionTime: metav1.Time{Time: t}}}
	}
	return c
}

func TestAgingBucketsByDaysPastDue(t *testing.T) {
	asOf := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	claims := []inkassov1.Claim{
		claim("a", "x", "2026-07-01", "NOK", "100.00", inkassov1.PhasePending, "", ""),      // not due
		claim("a", "x", "2026-06-30", "NOK", "1.00", inkassov1.PhaseOverdue, "", ""),        // due today: not past due
		claim("a", "x", "2026-05-31", "NOK", "30.00", inkassov1.PhaseReminder, "", ""),      // 30 days
		claim("a", "x", "2026-05-30", "NOK", "31.00", inkassov1.PhaseCollection, "", ""),    // 31 days
		claim("a", "x", "2026-04-01", "NOK", "90.00", inkassov1.PhaseCollection, "", ""),    // 90 days
		claim("a", "x", "2025-12-01", "NOK", "211.00", inkassov1.PhaseLegal, "", ""),        // 211 days
		claim("a", "x", "2026-01-02", "SEK", "179.50", inkassov1.PhaseSurveillance, "", ""), // 179 days
		claim("a", "x", "2026-01-02", "SEK", "999.00", inkassov1.PhasePaid, "", ""),         // terminal: not counted
	}
	got := Aging(claims, civil.Of(asOf, time.UTC))
	want := map[string][]string{
		"NOK": {"101.00", "30.00", "31.00", "90.00", "0.00", "211.00"},
		"SEK": {"0.00", "0.00", "0.00", "0.00", "179.50", "0.00"},
	}
	if len(got) != 2 {
		t.Fatalf("%d currencies, want 2", len(got))
	}
	for _, r := range got {
		total := decimal.Zero
		for i, w := range want[r.Currency] {
			if r.Amounts[i].StringFixed(2) != w {
				t.Errorf("%s %s: %s, want %s", r.Currency, Buckets[i], r.Amounts[i].StringFixed(2), w)
			}
			total = total.Add(r.Amounts[i])
		}
		if !total.Equal(r.Total) {
			t.Errorf("%s total %s, buckets sum to %s", r.Currency, r.Total, total)
		}
	}
}

func TestResolvedWithin90DaysCountsCases(t *testing.T) {
	asOf := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	claims := []inkassov1.Claim{
		claim("a", "c1", "", "NOK", "0", inkassov1.PhasePaid, "2026-01-01", "2026-03-01"),       // 59 days: resolved
		claim("a", "c2", "", "NOK", "0", inkassov1.PhasePaid, "2026-01-01", "2026-03-01"),       // case c2: one claim paid...
		claim("a", "c2", "", "NOK", "10", inkassov1.PhaseLegal, "2026-01-01", ""),               // ...one still open: not resolved
		claim("a", "c3", "", "NOK", "0", inkassov1.PhaseWithdrawn, "2026-01-01", "2026-06-01"),  // 151 days: too late
		claim("a", "c4", "", "NOK", "5", inkassov1.PhaseCollection, "2026-12-01", ""),           // 30 days in: not counted yet
		claim("b", "c1", "", "NOK", "0", inkassov1.PhaseWrittenOff, "2026-01-01", "2026-02-01"), // another namespace's c1: unresolved
		claim("a", "c5", "", "NOK", "100", inkassov1.PhaseReminder, "", ""),                     // never transferred
	}
	got := ResolvedWithin(claims, 90, asOf)
	if got.Resolved != 1 || got.Total != 4 {
		t.Errorf("resolved %d of %d, want 1 of 4", got.Resolved, got.Total)
	}
	if s := got.Share(); s != 0.25 {
		t.Errorf("share %v", s)
	}
	if (Resolution{}).Share() != 0 {
		t.Error("share of no cases")
	}
}

func TestByPhaseInProcessOrder(t *testing.T) {
	rows := ByPhase([]inkassov1.Claim{
		claim("a", "", "", "NOK", "10.00", inkassov1.PhaseLegal, "", ""),
		claim("a", "", "", "NOK", "5.50", inkassov1.PhaseReminder, "", ""),
		claim("a", "", "", "SEK", "7.00", inkassov1.PhaseReminder, "", ""),
		claim("a", "", "", "NOK", "3.00", "", "", ""),
	})
	if len(rows) != 3 || rows[0].Phase != "Reminder" || rows[1].Phase != "Legal" || rows[2].Phase != "(new)" {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Claims != 2 || rows[0].Outstanding["NOK"].StringFixed(2) != "5.50" || rows[0].Outstanding["SEK"].StringFixed(2) != "7.00" {
		t.Errorf("reminder row %+v", rows[0])
	}
}

func TestSettlementSplitsPaymentsBySettledOrNot(t *testing.T) {
	mk := func(name, cur string, payments ...string) inkassov1.Claim {
		c := inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: name}}
		c.Spec.Currency = inkassov1.CurrencyCode(cur)
		c.Status.Ledger = append(c.Status.Ledger, inkassov1.LedgerEntry{Kind: "Invoice", Amount: "1000.00"})
		for _, p := range payments {
			id, amt, _ := strings.Cut(p, "=")
			c.Status.Ledger = append(c.Status.Ledger, inkassov1.LedgerEntry{Kind: "Payment", Ref: id, Amount: amt})
		}
		return c
	}
	claims := []inkassov1.Claim{mk("a", "NOK", "p1=100.00", "p2=50.50"), mk("b", "SEK", "p1=7.00")}
	stl := inkassov1.Settlement{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "oct"}}
	stl.Status.Lines = []inkassov1.SettlementLine{{Key: "a/Payment/p1"}}
	other := inkassov1.Settlement{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "oct"}}
	other.Status.Lines = []inkassov1.SettlementLine{{Key: "b/Payment/p1"}} // another namespace's claim b
	rows := Settlement(claims, []inkassov1.Settlement{stl, other})
	got := fmt.Sprint(rows[0].Currency, rows[0].Settled, rows[0].Unsettled, rows[0].SettledCount, rows[0].UnsettledCount, " ",
		rows[1].Currency, rows[1].Settled, rows[1].Unsettled)
	if got != "NOK100 50.5 1 1 SEK0 7" {
		t.Fatalf("rows %s", got)
	}
}
