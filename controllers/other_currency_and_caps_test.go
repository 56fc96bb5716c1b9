// The shared fake clock only moves forward: these tests drive claims for
// months, so the file sorts after money_integration_test.go, which needs a
// fixed start date.
package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// smallPolicy is a policy of a few steps: reminder-phase steps are each
// claim's own, the others the debtor's case's.
func smallPolicy(ns, name string, j inkassov1.Jurisdiction, steps ...inkassov1.PolicyStep) *inkassov1.CollectionPolicy {
	return &inkassov1.CollectionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: inkassov1.CollectionPolicySpec{
			Jurisdiction: j, StepTime: "09:00",
			Creditor:       &inkassov1.Party{Name: "Acme", OrganizationNumber: "912345678"},
			Sender:         &inkassov1.Party{Name: "Nordic Collect", BankAccount: "1503.12.34567"},
			ContactWindows: &inkassov1.ContactWindows{Enabled: ptr.To(false)},
			Steps:          steps,
		},
	}
}

// step is a policy step 14 days after the one before (the statutory gaps
// of domain.md hold: a demand after the notice's 14 days, Finnish letters
// at least 10 days apart).
func step(name, phase string, afterDue int32, fee string) inkassov1.PolicyStep {
	return inkassov1.PolicyStep{Name: name, Phase: inkassov1.StepPhase(phase), AfterDueDays: afterDue, MinGapDays: 14,
		Channels: []string{"letter"}, Fee: fee, PaymentDeadlineDays: 14}
}

func claimIn(ns, name, debtorName, amount, currency, policy string, dueInDays int) *inkassov1.Claim {
	c := claimDue(ns, name, debtorName, amount, dueInDays)
	c.Spec.Currency = inkassov1.CurrencyCode(currency)
	c.Spec.PolicyRef = &inkassov1.LocalObjectReference{Name: policy}
	return c
}

// fees lists a claim's history as step=fee/kind.
func feesOf(c *inkassov1.Claim) string {
	var s []string
	for _, h := range c.Status.History {
		s = append(s, h.Step+"="+h.Fee)
	}
	return strings.Join(s, " ")
}

// sumFees adds the fees a claim's history charged whose kind is one of kinds (all: none given).
func sumFees(t *testing.T, c *inkassov1.Claim, kinds ...string) (decimal.Decimal, int) {
	t.Helper()
	total, n := decimal.Zero, 0
	for _, h := range c.Status.History {
		if h.Fee == "" {
			continue
		}
		f, err := decimal.NewFromString(h.Fee)
		if err != nil {
			t.Fatalf("claim %s step %s fee %q: %v", c.Name, h.Step, h.Fee, err)
		}
		if len(kinds) > 0 && !strings.Contains(" "+strings.Join(kinds, " ")+" ", " "+h.FeeKind+" ") {
			continue
		}
		if f.IsPositive() {
			total, n = total.Add(f), n+1
		}
	}
	return total, n
}

// TestCurrenciesCollectedApart: a debtor with a NOK and an EUR claim is
// collected in two cases, one per currency; nothing is summed across
// currencies and nothing panics (before, the Debtor controller panicked
// with "money: mixing EUR and NOK" and both claims stalled silently).
func TestCurrenciesCollectedApart(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	p := smallPolicy(ns, "fixed", "NO",
		step("reminder", "Reminder", 1, "None"),
		step("collection-notice", "Collection", 14, "35.00"),
		step("payment-demand", "Collection", 31, "100.00"))
	create(t, p, logChannel(ns, "letter"), debtor(ns, "two", inkassov1.DebtorConsumer))
	create(t, claimIn(ns, "kr", "two", "1000.00", "NOK", "fixed", -2), claimIn(ns, "eu", "two", "500.00", "EUR", "fixed", -2))
	driveAllToEnd(t, ns, "kr", "eu")

	kr, eu := getClaim(t, ns, "kr"), getClaim(t, ns, "eu")
	if kr.Status.CaseID == "" || eu.Status.CaseID == "" || kr.Status.CaseID == eu.Status.CaseID {
		t.Fatalf("case ids %q and %q: want one case per currency", kr.Status.CaseID, eu.Status.CaseID)
	}
	for _, c := range []*inkassov1.Claim{kr, eu} {
		if got, want := feesOf(c), "reminder=0.00 collection-notice=35.00 payment-demand=100.00"; got != want {
			t.Errorf("claim %s (%s) history %s, want %s", c.Name, c.Spec.Currency, got, want)
		}
		if c.Status.Balance == nil || c.Status.Balance.Fees != "135.00" {
			t.Errorf("claim %s balance %+v, want fees 135.00", c.Name, c.Status.Balance)
		}
	}
	var notices inkassov1.NoticeList
	if err := k8s.List(ctx, &notices, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, n := range notices.Items {
		if len(n.Spec.ClaimRefs) != 1 {
			t.Errorf("notice %s lists %d claims; claims in different currencies must never share a notice", n.Name, len(n.Spec.ClaimRefs))
		}
		if n.Spec.Amounts != nil && len(n.Spec.ClaimRefs) == 1 {
			if want := map[string]string{"kr": "NOK", "eu": "EUR"}[n.Spec.ClaimRefs[0].Name]; n.Spec.Amounts.Currency != want {
				t.Errorf("notice %s in %s, want %s", n.Name, n.Spec.Amounts.Currency, want)
			}
		}
	}
	var d inkassov1.Debtor
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "two"}, &d); err != nil {
		t.Fatal(err)
	}
	if err := expectCondition(d.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionTrue, "Aggregated"); err != nil {
		t.Errorf("debtor: %v", err)
	}
	if got := fmt.Sprint(d.Status.Outstanding); !strings.Contains(got, "EUR") || !strings.Contains(got, "NOK") {
		t.Errorf("debtor outstanding %s: want one amount per currency", got)
	}
}

// TestNorwegianReminderFeesCappedAcrossCase: inkassoforskriften § 1-2 allows
// at most two reminder-type fees per claim (two reminders and a demand, or a
// reminder, a collection notice and a demand). Two claims that were each
// charged two reminder fees on their own reminders get no share of the
// case's collection-notice fee, although the case itself charged none yet.
func TestNorwegianReminderFeesCappedAcrossCase(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "two-reminders", "NO",
		step("reminder-1", "Reminder", 14, "Reminder"),
		step("reminder-2", "Reminder", 28, "Reminder"),
		step("collection-notice", "Collection", 42, "Reminder"),
		step("payment-demand", "Collection", 56, "LightSalary"))
	create(t, p, logChannel(ns, "letter"), debtor(ns, "nora", inkassov1.DebtorConsumer))
	create(t, claimIn(ns, "n1", "nora", "1000.00", "NOK", "two-reminders", -2), claimIn(ns, "n2", "nora", "3000.00", "NOK", "two-reminders", -2))
	driveAllToEnd(t, ns, "n1", "n2")

	for _, name := range []string{"n1", "n2"} {
		c := getClaim(t, ns, name)
		if c.Status.CaseID == name {
			t.Fatalf("claim %s was not collected in its debtor's case: %s", name, feesOf(c))
		}
		if _, n := sumFees(t, c, "Reminder"); n > 2 {
			t.Errorf("claim %s paid %d reminder-type fees, the law allows two: %s", name, n, feesOf(c))
		}
		if !strings.Contains(feesOf(c), "collection-notice=0.00") {
			t.Errorf("claim %s history %s: want no collection-notice fee after two reminder fees", name, feesOf(c))
		}
	}
}

// TestSwedishCompensationOncePerDebt: a business debtor owes the 450 SEK
// compensation instead of the reminder and demand fees (lagen om ersättning
// för inkassokostnader 4 §), once per debt. A claim charged it with its own
// reminder is not charged it again when its debtor's case sends the
// inkassokrav (before, it paid 450 twice).
func TestSwedishCompensationOncePerDebt(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "se", "SE",
		step("paminnelse", "Reminder", 1, "Reminder"),
		step("inkassokrav", "Collection", 14, "LightSalary"))
	d := debtor(ns, "ab", inkassov1.DebtorBusiness)
	d.Spec.Country, d.Spec.Language = "SE", "sv"
	create(t, p, logChannel(ns, "letter"), d)
	a := claimIn(ns, "s1", "ab", "5000.00", "SEK", "se", -2)
	b := claimIn(ns, "s2", "ab", "5000.00", "SEK", "se", -2)
	create(t, a, b)
	driveAllToEnd(t, ns, "s1", "s2")

	for _, name := range []string{"s1", "s2"} {
		c := getClaim(t, ns, name)
		total, n := sumFees(t, c)
		if n > 1 || total.GreaterThan(decimal.RequireFromString("450")) {
			t.Errorf("claim %s was charged the compensation %d times (%s SEK): %s", name, n, total, feesOf(c))
		}
	}
}

// TestFinnishConsumerCapAcrossCase: a Finnish consumer claim of 100 EUR
// bears at most 60 EUR of collection costs in all (perintälaki 10 e §),
// counting its own reminders before it joined its debtor's case (before,
// the case counted only its own letters and each claim paid 70).
func TestFinnishConsumerCapAcrossCase(t *testing.T) {
	ns := newNamespace(t)
	p := smallPolicy(ns, "fi", "FI",
		step("muistutus-1", "Reminder", 14, "Reminder"),
		step("muistutus-2", "Reminder", 28, "Reminder"),
		step("perintakirje-1", "Collection", 42, "LightSalary"),
		step("perintakirje-2", "Collection", 56, "LightSalary"),
		step("perintakirje-3", "Collection", 70, "LightSalary"),
		step("perintakirje-4", "Collection", 84, "LightSalary"),
		step("perintakirje-5", "Collection", 98, "LightSalary"))
	d := debtor(ns, "matti", inkassov1.DebtorConsumer)
	d.Spec.Country, d.Spec.Language = "FI", "fi"
	create(t, p, logChannel(ns, "letter"), d)
	create(t, claimIn(ns, "f1", "matti", "100.00", "EUR", "fi", -2), claimIn(ns, "f2", "matti", "100.00", "EUR", "fi", -2))
	driveAllToEnd(t, ns, "f1", "f2")

	// Capital <= 100 EUR: 60 EUR in all. The case's total (200) has a cap of
	// 120, which five demand letters of 24 reach; split in half, that was
	// 60 per claim on top of its own two 5 EUR reminders.
	caps := map[string]string{"f1": "60", "f2": "60"}
	for name, limit := range caps {
		c := getClaim(t, ns, name)
		if c.Status.CaseID == name {
			t.Fatalf("claim %s was not collected in its debtor's case: %s", name, feesOf(c))
		}
		if total, _ := sumFees(t, c); total.GreaterThan(decimal.RequireFromString(limit)) {
			t.Errorf("claim %s (capital %s EUR) bears %s EUR of costs, above the cap of %s: %s", name, c.Spec.Amount, total, limit, feesOf(c))
		}
	}
}
