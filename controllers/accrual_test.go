package controllers_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// TestAccrualOnly pins which status changes are deferred: interest accrued
// since the last write (balance, interest ledger lines, the Settled message)
// waits for the next real change; anything else is written.
func TestAccrualOnly(t *testing.T) {
	base := func() *inkassov1.ClaimStatus {
		return &inkassov1.ClaimStatus{
			Phase: inkassov1.PhaseCollection, Step: "collection-notice",
			Balance: &inkassov1.Balance{Principal: "1000.00", Fees: "35.00", Interest: "4.10", Paid: "0.00", Outstanding: "1039.10", AsOf: "2027-03-01"},
			Ledger: []inkassov1.LedgerEntry{
				{Date: "2027-01-31", Kind: "Invoice", Amount: "1000.00", Creditor: "1000.00", Agency: "0.00"},
				{Date: "2027-02-14", Kind: "Fee", Ref: "collection-notice", Amount: "35.00", Creditor: "0.00", Agency: "35.00"},
				{Date: "2027-03-01", Kind: "Interest", Amount: "4.10", Creditor: "4.10", Agency: "0.00"},
			},
			Conditions: []metav1.Condition{
				{Type: inkassov1.ConditionSettled, Status: metav1.ConditionFalse, Reason: "Outstanding", Message: "1039.10 NOK outstanding"},
				{Type: inkassov1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Waiting", Message: "next step payment-demand"},
			},
		}
	}
	accrued := func(s *inkassov1.ClaimStatus) {
		s.Balance.Interest, s.Balance.Outstanding, s.Balance.AsOf = "6.25", "1041.25", "2027-03-20"
		s.Ledger[2] = inkassov1.LedgerEntry{Date: "2027-03-20", Kind: "Interest", Amount: "6.25", Creditor: "6.25", Agency: "0.00"}
		s.Conditions[0].Message = "1041.25 NOK outstanding"
	}
	cases := []struct {
		name   string
		change func(*inkassov1.ClaimStatus)
		want   bool
	}{
		{"nothing changed", func(*inkassov1.ClaimStatus) {}, false},
		{"interest accrued", accrued, true},
		{"first interest line", func(s *inkassov1.ClaimStatus) {
			s.Ledger = append(s.Ledger, inkassov1.LedgerEntry{Date: "2027-03-21", Kind: "Interest", Amount: "0.30", Creditor: "0.30", Agency: "0.00"})
			s.Balance.Interest, s.Balance.Outstanding = "4.40", "1039.40"
		}, true},
		{"interest and a step", func(s *inkassov1.ClaimStatus) { accrued(s); s.Step = "payment-demand" }, false},
		{"interest and a fee", func(s *inkassov1.ClaimStatus) { accrued(s); s.Balance.Fees = "105.00" }, false},
		{"interest and a payment line", func(s *inkassov1.ClaimStatus) {
			accrued(s)
			s.Ledger = append(s.Ledger, inkassov1.LedgerEntry{Date: "2027-03-20", Kind: "Payment", Ref: "bank-1", Amount: "100.00"})
		}, false},
		{"settled", func(s *inkassov1.ClaimStatus) {
			accrued(s)
			s.Conditions[0].Status, s.Conditions[0].Reason = metav1.ConditionTrue, "Paid"
		}, false},
		{"ready message", func(s *inkassov1.ClaimStatus) { accrued(s); s.Conditions[1].Message = "next step sms" }, false},
		{"observed generation", func(s *inkassov1.ClaimStatus) { accrued(s); s.ObservedGeneration = 4 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stored, computed := base(), base()
			tc.change(computed)
			if got := controllers.AccrualOnly(stored, computed); got != tc.want {
				t.Errorf("accrualOnly = %v, want %v", got, tc.want)
			}
		})
	}
	if controllers.AccrualOnly(&inkassov1.ClaimStatus{}, base()) {
		t.Error("a claim without a stored balance must get its first one written")
	}
}
