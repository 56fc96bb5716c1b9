package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestBalanceAfterFeesInterestAndTwoPartialPayments drives a claim through a
// three-step policy and checks the status balance against this hand
// computation (10,000 NOK due 2027-09-30, late interest overridden to 10 %,
// actual/365, each accrual rounded to the øre at the event that ends it):
//
// (2027 carries the last known sats, 750, forward.)
//
// Interest runs through each event's day (days = event date - due date), as
// simple interest on the principal, rounded where the principal changes
// (a payment), never at a fee booking:
//
//	10-01..10-20  20 d x 10,000.00 = 54.79   (notice fee 37.50 on 10-14, 1/20 of 750) payment 2,000 on 10-20: fees 37.50, interest 54.79, principal 1,907.71
//	10-21..11-09  20 d x  8,092.29 = 44.34   (light salær 600.00 on 10-28, 0.80 x 750) payment 3,000 on 11-09: fees 600, interest 44.34, principal 2,355.66
//	11-10..11-14   5 d x  5,736.63 =  7.86   last step on 11-14
//
// interest 106.99, fees 637.50, paid 5,000, outstanding 5,744.49.
func TestBalanceAfterFeesInterestAndTwoPartialPayments(t *testing.T) {
	start := time.Date(2027, 9, 29, 12, 0, 0, 0, oslo)
	if fclock.Now().After(start) {
		t.Fatalf("the shared fake clock is already at %v, past this test's start", fclock.Now())
	}
	fclock.SetTime(start)
	ns := newNamespace(t)
	policy := &inkassov1.CollectionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "three-steps", Namespace: ns},
		Spec: inkassov1.CollectionPolicySpec{
			Jurisdiction: "NO", TimeZone: "Europe/Oslo", StepTime: "09:00",
			Creditor:    &inkassov1.Party{Name: "Acme AS"}, // a payment demand names the creditor (inkassoloven § 10)
			Eligibility: inkassov1.Eligibility{MinDaysAfterDue: 14, MinDaysAfterInvoice: 14},
			Overrides:   &inkassov1.Overrides{LateInterestRate: "10.00"},
			Steps: []inkassov1.PolicyStep{
				{Name: "collection-notice", Phase: "Collection", AfterDueDays: 14, Channels: []string{"letter"}, Fee: "Reminder", PaymentDeadlineDays: 14},
				{Name: "payment-demand", Phase: "Collection", AfterDueDays: 28, MinGapDays: 14, Channels: []string{"letter"}, Fee: "LightSalary", PaymentDeadlineDays: 14},
				{Name: "legal-warning", Phase: "Collection", AfterDueDays: 45, Channels: []string{"letter"}, Fee: "None"},
			},
		},
	}
	claim := &inkassov1.Claim{
		ObjectMeta: metav1.ObjectMeta{Name: "inv-10000", Namespace: ns},
		Spec: inkassov1.ClaimSpec{
			DebtorRef: inkassov1.LocalObjectReference{Name: "d"}, InvoiceNumber: "10000",
			InvoiceDate: "2027-09-01", DueDate: "2027-09-30", Amount: "10000.00", Currency: "NOK",
			Payments: []inkassov1.Payment{
				{ID: "bank-1", Amount: "2000.00", Date: "2027-10-20"},
				{ID: "bank-2", Amount: "3000", Date: "2027-11-09"},
			},
		},
	}
	create(t, policy, logChannel(ns, "letter"), debtor(ns, "d", inkassov1.DebtorConsumer), claim)

	c := driveToEnd(t, ns, claim.Name)
	var fired []string
	for _, h := range c.Status.History {
		fired = append(fired, h.Time.In(oslo).Format(time.DateOnly)+"/"+h.Fee)
	}
	if fmt.Sprint(fired) != "[2027-10-14/37.50 2027-10-28/600.00 2027-11-14/0.00]" {
		t.Fatalf("steps fired %v", fired)
	}
	want := inkassov1.Balance{Principal: "10000.00", Fees: "637.50", Interest: "106.99", Paid: "5000.00", Outstanding: "5744.49", AsOf: "2027-11-14"}
	if c.Status.Balance == nil || *c.Status.Balance != want {
		t.Fatalf("balance %+v, want %+v", c.Status.Balance, want)
	}
	if err := expectCondition(c.Status.Conditions, inkassov1.ConditionSettled, metav1.ConditionFalse, "Outstanding"); err != nil {
		t.Error(err)
	}

	// Twenty quiet days later the claim is reconciled again: interest has
	// grown, but that alone is not written. First let the last step's
	// stragglers (notice deliveries, the debtor's case) settle.
	for quiet := 0; quiet < 5; {
		time.Sleep(100 * time.Millisecond)
		if now := getClaim(t, ns, claim.Name); now.ResourceVersion != c.ResourceVersion {
			c, quiet = now, 0
			continue
		}
		quiet++
	}
	fclock.SetTime(time.Date(2027, 12, 4, 12, 0, 0, 0, oslo))
	wakeClaim(ns, claim.Name)
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		// Any status write recomputes the balance, so a write now would
		// carry the new day; the stored balance must keep its old one.
		if now := getClaim(t, ns, claim.Name); now.Status.Balance == nil || now.Status.Balance.AsOf != "2027-11-14" {
			t.Fatalf("accrued interest alone was written: balance %+v", now.Status.Balance)
		}
	}
	// A payment is a real change: the balance is written as of today.
	c.Spec.Payments = append(c.Spec.Payments, inkassov1.Payment{ID: "bank-3", Amount: "1000", Date: "2027-12-04"})
	if err := k8s.Update(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		b := getClaim(t, ns, claim.Name).Status.Balance
		if b == nil || b.AsOf != "2027-12-04" || b.Paid != "6000.00" || b.Interest == "106.99" {
			return fmt.Errorf("balance %+v, want it refreshed to 2027-12-04 with 6000.00 paid", b)
		}
		return nil
	})
}
