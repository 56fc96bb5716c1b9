package controllers

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// claimLedger replays the claim's money up to today: credit notes, fees of
// the history (plus extra, the fee of a step about to be recorded), payments,
// and late interest under the policy's jurisdiction. policy and debtor may
// be nil (not found yet): then no interest is computed.
func claimLedger(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, debtor *inkassov1.Debtor, now time.Time, extra *stepFee) (ledger.Result, error) {
	cur := string(claim.Spec.Currency)
	amount, err := money.Parse(string(claim.Spec.Amount), cur)
	if err != nil {
		return ledger.Result{}, fmt.Errorf("spec.amount: %w", err)
	}
	due, err := civil(string(claim.Spec.DueDate))
	if err != nil {
		return ledger.Result{}, fmt.Errorf("spec.dueDate: %w", err)
	}
	loc := policyLocation(policy)
	in := ledger.Input{Currency: cur, Amount: amount, DueDate: due}
	if policy != nil {
		if t, ok := interest.Tables[string(policy.Spec.Jurisdiction)]; ok {
			in.Interest = &t
		}
		if o := policy.Spec.Overrides; o != nil {
			if o.LateInterestRate != "" {
				r, err := decimal.NewFromString(string(o.LateInterestRate))
				if err != nil {
					return ledger.Result{}, fmt.Errorf("policy %s spec.overrides.lateInterestRate: %w", policy.Name, err)
				}
				in.Rate = &r
			}
			in.DayCount = interest.DayCount(o.DayCount)
			in.Order = ledger.Order(o.PaymentOrder)
		}
	}
	in.Business = debtor != nil && debtor.Spec.Type == inkassov1.DebtorBusiness
	in.AsOf = civilOf(now, loc)

	for i, c := range claim.Spec.Credits {
		e, err := moneyEvent(ledger.KindCredit, c.ID, string(c.Amount), string(c.Date), cur)
		if err != nil {
			return ledger.Result{}, fmt.Errorf("spec.credits[%d]: %w", i, err)
		}
		in.Events = append(in.Events, e)
	}
	for i, p := range claim.Spec.Payments {
		e, err := moneyEvent(ledger.KindPayment, p.ID, string(p.Amount), string(p.Date), cur)
		if err != nil {
			return ledger.Result{}, fmt.Errorf("spec.payments[%d]: %w", i, err)
		}
		e.ReceivedByCreditor = p.ReceivedBy == inkassov1.ReceivedByCreditor
		in.Events = append(in.Events, e)
	}
	for _, h := range claim.Status.History {
		if h.Fee == "" {
			continue
		}
		fee, err := money.Parse(h.Fee, cur)
		if err != nil || !fee.IsPositive() {
			continue
		}
		in.Events = append(in.Events, ledger.Event{Date: civilOf(h.Time.Time, loc), Kind: ledger.KindFee, Ref: h.Step, Amount: fee})
	}
	if pp := claim.Status.PaymentPlan; pp != nil && pp.Fee != "" {
		if fee, err := money.Parse(pp.Fee, cur); err == nil && fee.IsPositive() {
			in.Events = append(in.Events, ledger.Event{Date: civilOf(pp.AgreedAt.Time, loc), Kind: ledger.KindFee, Ref: "payment-plan", Amount: fee})
		}
	}
	if extra != nil && extra.fee.IsPositive() {
		// As the history entry will replay it, so the ledger written with
		// the step is the one every later reconcile computes.
		in.Events = append(in.Events, ledger.Event{Date: in.AsOf, Kind: ledger.KindFee, Ref: extra.step, Amount: extra.fee})
	}
	return ledger.Compute(in)
}

// stepFee is the fee of a step being recorded.
type stepFee struct {
	step string
	fee  money.Money
}

// setBalance writes a computed balance to the status with its ledger, and
// keeps the Settled condition's "outstanding" message in step with it, so
// the next reconcile finds nothing to rewrite.
func setBalance(st *inkassov1.ClaimStatus, b ledger.Result) {
	st.Balance, st.Ledger = toStatusBalance(b), toStatusLedger(b)
	if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionSettled); c != nil && c.Status == metav1.ConditionFalse && c.Reason == "Outstanding" {
		c.Message = outstandingMessage(b)
	}
}

func outstandingMessage(b ledger.Result) string {
	return b.Outstanding.String() + " " + b.Outstanding.Currency + " outstanding"
}

func moneyEvent(kind ledger.Kind, ref, amount, date, cur string) (ledger.Event, error) {
	m, err := money.Parse(amount, cur)
	if err != nil {
		return ledger.Event{}, err
	}
	d, err := civil(date)
	if err != nil {
		return ledger.Event{}, err
	}
	return ledger.Event{Date: d, Kind: kind, Ref: ref, Amount: m}, nil
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

// civil reads YYYY-MM-DD as UTC midnight, the ledger's calendar days.
func civil(s string) (time.Time, error) {
	d, err := schedule.ParseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), nil
}

// civilOf is the calendar day of t in loc, as UTC midnight.
func civilOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func toStatusBalance(b ledger.Result) *inkassov1.Balance {
	out := &inkassov1.Balance{
		Principal: b.Principal.String(), Fees: b.Fees.String(), Interest: b.Interest.String(),
		Paid: b.Paid.String(), Outstanding: b.Outstanding.String(),
	}
	if !b.AsOf.IsZero() {
		out.AsOf = b.AsOf.Format(time.DateOnly)
	}
	if b.CreditorCharge.Currency != "" {
		out.CreditorCharge = b.CreditorCharge.String()
	}
	return out
}

func toStatusLedger(b ledger.Result) []inkassov1.LedgerEntry {
	out := make([]inkassov1.LedgerEntry, 0, len(b.Entries))
	for _, e := range b.Entries {
		le := inkassov1.LedgerEntry{Date: e.Date.Format(time.DateOnly), Kind: string(e.Kind), Ref: e.Ref,
			Amount: e.Amount.String(), Creditor: e.Creditor.String(), Agency: e.Agency.String()}
		if e.Kind == ledger.KindPayment {
			le.ToFees, le.ToInterest, le.ToPrincipal, le.Overpaid = e.ToFees.String(), e.ToInterest.String(), e.ToPrincipal.String(), e.Overpaid.String()
		}
		out = append(out, le)
	}
	return out
}

// defaultFreeCancellationDays applies when a policy sets no creditorNotices (seed 004).
const defaultFreeCancellationDays = 10

// freeToEnd reports whether the creditor may end collection at no cost: before
// collection started, or within the policy's free-cancellation window after.
func freeToEnd(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, now time.Time) bool {
	started := claim.Status.CollectionStartedAt
	if started == nil {
		return true
	}
	days := defaultFreeCancellationDays
	if policy != nil && policy.Spec.CreditorNotices != nil {
		days = int(policy.Spec.CreditorNotices.FreeCancellationDays)
	}
	return now.Before(started.AddDate(0, 0, days))
}

// paidToCreditor reports a payment the creditor received directly, dated up to today.
func paidToCreditor(b ledger.Result) bool {
	for _, e := range b.Entries {
		if e.Kind == ledger.KindPayment && e.ReceivedByCreditor {
			return true
		}
	}
	return false
}
