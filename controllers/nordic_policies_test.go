package controllers_test

import (
	"strings"
	"testing"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestSwedishAndFinnishSamplePolicies runs a consumer claim through each
// shipped policy and checks the fees the rule tables charge.
func TestSwedishAndFinnishSamplePolicies(t *testing.T) {
	for _, tc := range []struct {
		policy, country, currency, amount string
		wantFees                          string // step=fee in history order
		wantPhase                         inkassov1.ClaimPhase
	}{
		// No reminder fee: the debtor did not agree to one when the debt
		// arose; no Kronofogden fee: the payment order's branch (Legal) is not
		// taken by an insolvent debtor, who goes to Surveillance.
		{"sweden", "SE", "SEK", "2500.00", "reminder=0.00 collection-demand=180.00 sms-reminder=0.00 credit-assessment=0.00 payment-order=0.00", inkassov1.PhaseSurveillance},
		{"finland", "FI", "EUR", "800.00", "reminder=5.00 second-reminder=5.00 demand-letter=24.00 credit-assessment=0.00 legal-collection=0.00", inkassov1.PhaseSurveillance},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			ns := newNamespace(t)
			p := samplePolicyFile(t, ns, tc.policy)
			d := debtor(ns, "d", inkassov1.DebtorConsumer)
			d.Spec.Country, d.Spec.Language = inkassov1.CountryCode(tc.country), "en"
			c := claimDue(ns, "c", "d", tc.amount, 3)
			c.Spec.Currency = inkassov1.CurrencyCode(tc.currency)
			c.Spec.PolicyRef = &inkassov1.LocalObjectReference{Name: tc.policy}
			create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), d, c)
			driveAllToEnd(t, ns, "c")
			got := getClaim(t, ns, "c")
			var fees []string
			for _, h := range got.Status.History {
				fees = append(fees, h.Step+"="+h.Fee)
			}
			if strings.Join(fees, " ") != tc.wantFees || got.Status.Phase != tc.wantPhase {
				t.Errorf("history %s, phase %s; want %s, %s", strings.Join(fees, " "), got.Status.Phase, tc.wantFees, tc.wantPhase)
			}
			if ref := got.Status.PaymentReference; ref == "" || (tc.country == "FI" && len(ref) != 11) {
				t.Errorf("payment reference %q", ref)
			}
			if b := got.Status.Balance; b == nil || b.Interest == "0.00" {
				t.Errorf("no late interest accrued: %+v", b)
			}
		})
	}
}
