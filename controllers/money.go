package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
)

// setBalance writes a computed balance to the status with its ledger, and
// keeps the Settled condition's "outstanding" message in step with it, so
// the next reconcile finds nothing to rewrite.
func setBalance(st *inkassov1.ClaimStatus, b ledger.Result) {
	st.Balance, st.Ledger = toStatusBalance(b), toStatusLedger(b)
	if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionSettled); c != nil && c.Status == metav1.ConditionFalse && c.Reason == collection.ReasonOutstanding {
		c.Message = outstandingMessage(b)
	}
}

// syncSettledMessage keeps the Settled condition's "outstanding" message in
// step with the balance kept in status.
func syncSettledMessage(st *inkassov1.ClaimStatus, currency string) {
	if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionSettled); c != nil && c.Status == metav1.ConditionFalse &&
		c.Reason == collection.ReasonOutstanding && st.Balance != nil {
		c.Message = st.Balance.Outstanding + " " + currency + " outstanding"
	}
}

func outstandingMessage(b ledger.Result) string {
	return b.Outstanding.String() + " " + b.Outstanding.Currency + " outstanding"
}

// policyLocation is the policy's time zone, UTC without a (valid) policy.
func policyLocation(policy *inkassov1.CollectionPolicy) *time.Location {
	if policy != nil {
		if tp, err := timing(policy); err == nil {
			return tp.Location
		}
	}
	return time.UTC
}

func toStatusBalance(b ledger.Result) *inkassov1.Balance {
	out := &inkassov1.Balance{
		Principal: b.Principal.String(), Fees: b.Fees.String(), Interest: b.Interest.String(),
		Paid: b.Paid.String(), Outstanding: b.Outstanding.String(),
	}
	if !b.AsOf.IsZero() {
		out.AsOf = b.AsOf.String()
	}
	if b.CreditorCharge.Currency != "" {
		out.CreditorCharge = b.CreditorCharge.String()
	}
	return out
}

func toStatusLedger(b ledger.Result) []inkassov1.LedgerEntry {
	out := make([]inkassov1.LedgerEntry, 0, len(b.Entries))
	for _, e := range b.Entries {
		le := inkassov1.LedgerEntry{Date: e.Date.String(), Kind: string(e.Kind), Ref: e.Ref,
			Amount: e.Amount.String(), Creditor: e.Creditor.String(), Agency: e.Agency.String()}
		if e.Kind == ledger.KindPayment {
			le.ToFees, le.ToInterest, le.ToPrincipal, le.Overpaid = e.ToFees.String(), e.ToInterest.String(), e.ToPrincipal.String(), e.Overpaid.String()
		}
		out = append(out, le)
	}
	return out
}
