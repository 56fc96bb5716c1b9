package controllers

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// recheckStep is the history step of a periodic credit re-check in Surveillance.
const recheckStep = inkassov1.RecheckStep

// defaultRecheckDays applies when the policy has no creditAssessment.
const defaultRecheckDays = 180

// defaultHistoryLimit applies when the policy sets none.
const defaultHistoryLimit = 50

// paymentPlan follows spec.paymentPlan: while installments are met the claim
// is held in PaymentPlan (escalation stops, the schedule shifts by the time
// held); when one is missed the plan is broken and collection resumes at the
// step it left. held reports that the claim is held.
func (r *ClaimReconciler) paymentPlan(claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy,
	now time.Time, conds conditionSetter) (res reconcile.Result, held bool, err error) {
	st := &claim.Status
	pp := claim.Spec.PaymentPlan
	if pp == nil {
		if st.PaymentPlan != nil && st.PaymentPlan.State == string(plan.OnTrack) {
			st.PaymentPlan.State, st.PaymentPlan.Installment = "Removed", nil
			st.PaymentPlan.Message = "spec.paymentPlan was removed; collection resumes"
			r.Recorder.Eventf(claim, nil, "Normal", "PaymentPlanRemoved", "PaymentPlan", st.PaymentPlan.Message)
		}
		conds.flag(inkassov1.ConditionPaymentPlan, false, "NoPlan", "no payment plan")
		return reconcile.Result{}, false, nil
	}
	if policy == nil {
		return reconcile.Result{}, false, nil // the missing policy stalls the claim below
	}
	loc := policyLocation(policy)
	cur := string(claim.Spec.Currency)
	installments := make([]plan.Installment, len(pp.Installments))
	for i, in := range pp.Installments {
		amt, err := money.Parse(string(in.Amount), cur)
		if err != nil {
			return reconcile.Result{}, false, stall("InvalidPaymentPlan", "spec.paymentPlan.installments[%d].amount: %v", i, err)
		}
		due, err := civil(string(in.DueDate))
		if err != nil {
			return reconcile.Result{}, false, stall("InvalidPaymentPlan", "spec.paymentPlan.installments[%d].dueDate: %v", i, err)
		}
		installments[i] = plan.Installment{Due: due, Amount: amt}
	}
	var payments []plan.Payment
	for _, p := range claim.Spec.Payments {
		amt, err1 := money.Parse(string(p.Amount), cur)
		day, err2 := civil(string(p.Date))
		if err1 == nil && err2 == nil {
			payments = append(payments, plan.Payment{Date: day, Amount: amt})
		}
	}
	grace := 0
	if pps := policy.Spec.PaymentPlans; pps != nil {
		grace = int(pps.GraceDays)
	}
	v, err := plan.Evaluate(installments, payments, civilOf(now, loc), grace)
	if err != nil {
		return reconcile.Result{}, false, stall("InvalidPaymentPlan", "spec.paymentPlan: %v", err)
	}
	if st.PaymentPlan == nil {
		fee, err := planFee(claim, debtor, policy, now)
		if err != nil {
			return reconcile.Result{}, false, stall("FeeUnavailable", "spec.paymentPlans.fee of policy %q: %v", policy.Name, err)
		}
		st.PaymentPlan = &inkassov1.PaymentPlanStatus{AgreedAt: metav1.Time{Time: now.Truncate(time.Second)}, Fee: fee.String()}
		note := fmt.Sprintf("payment plan of %d installment(s) agreed", len(installments))
		if fee.IsPositive() {
			note += "; plan fee " + fee.String() + " " + cur
		}
		r.Recorder.Eventf(claim, nil, "Normal", "PaymentPlanAgreed", "PaymentPlan", note)
	}
	pst := st.PaymentPlan
	was := pst.State
	pst.State = string(v.State)
	pst.Installment = nil
	switch v.State {
	case plan.OnTrack:
		i := v.Installment
		pst.Installment = ptr.To(int32(i))
		pst.Message = fmt.Sprintf("installment %d of %d (%s %s) is due %s; escalation is stopped while installments are met",
			i+1, len(installments), installments[i].Amount, cur, installments[i].Due.Format(time.DateOnly))
		conds.flag(inkassov1.ConditionPaymentPlan, true, "OnTrack", pst.Message)
		if _, err := r.hold(claim, conds, inkassov1.PhasePaymentPlan, "PaymentPlan", pst.Message); err != nil {
			return reconcile.Result{}, true, err
		}
		st.NextStep = ""
		wake := time.Date(v.CheckOn.Year(), v.CheckOn.Month(), v.CheckOn.Day(), 0, 0, 0, 0, loc)
		return r.requeue(now, wake), true, nil
	case plan.Missed:
		i := v.Installment
		pst.Installment = ptr.To(int32(i))
		pst.Message = fmt.Sprintf("installment %d of %d (due %s) was not met: %s %s short; the plan is broken and collection resumes at the step it left",
			i+1, len(installments), installments[i].Due.Format(time.DateOnly), v.Shortfall, cur)
		conds.flag(inkassov1.ConditionPaymentPlan, false, "InstallmentMissed", pst.Message)
		if was != string(plan.Missed) {
			r.Recorder.Eventf(claim, nil, "Warning", "PaymentPlanBroken", "PaymentPlan", pst.Message)
		}
	case plan.Completed:
		pst.Message = "every installment was met; what remains (" + claim.Status.Balance.Outstanding + " " + cur + ") is collected by the policy"
		conds.flag(inkassov1.ConditionPaymentPlan, false, "Completed", pst.Message)
	}
	return reconcile.Result{}, false, nil
}

// planFee is the fee the policy charges when a plan is agreed.
func planFee(claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy, now time.Time) (money.Money, error) {
	cur := string(claim.Spec.Currency)
	pps := policy.Spec.PaymentPlans
	if pps == nil || pps.Fee == "" || pps.Fee == "None" {
		return money.Zero(cur), nil
	}
	principal, err := money.Parse(string(claim.Spec.Amount), cur)
	if err != nil {
		return money.Money{}, err
	}
	in := fees.Input{Jurisdiction: string(policy.Spec.Jurisdiction), Currency: cur, Principal: principal, On: now,
		Business: debtor != nil && debtor.Spec.Type == inkassov1.DebtorBusiness}
	if pps.Fee == "Statutory" {
		in.Kind = fees.PaymentPlan
	} else {
		in.Fixed = pps.Fee
	}
	return fees.Compute(in)
}

// surveil runs a claim in Surveillance after every step is done: a credit
// re-check every recheckDays, which hands the claim to Legal once the
// debtor is found able to pay (spec.creditDecision Solvent), until the claim
// is time-barred.
func (r *ClaimReconciler) surveil(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, tp schedule.Policy,
	now, barredAt time.Time, conds conditionSetter) reconcile.Result {
	st := &claim.Status
	days := recheckDays(policy)
	at := nextRecheck(claim, policy, tp, now)
	if !now.Before(at) {
		decision, source := creditDecision(claim, policy)
		entry := inkassov1.HistoryEntry{Step: recheckStep, Phase: inkassov1.PhaseSurveillance, Time: metav1.Time{Time: now.Truncate(time.Second)},
			DueAt: &metav1.Time{Time: at.UTC()}, Message: fmt.Sprintf("credit re-check: %s (%s)", decision, source)}
		if decision == inkassov1.CreditSolvent {
			entry.Phase = inkassov1.PhaseLegal
			entry.Message += "; the debtor can pay: handed over to Legal"
		}
		st.History = append(st.History, entry)
		st.Phase = entry.Phase
		foldHistory(claim, policy)
		r.Recorder.Eventf(claim, nil, "Normal", "CreditRechecked", "Recheck", entry.Message)
		if st.Phase == inkassov1.PhaseLegal {
			st.NextStep, st.NextStepAt = "", nil
			conds.ready("Legal", entry.Message)
			return reconcile.Result{}
		}
		at = tp.RecheckAt(now, days)
	}
	st.NextStep, st.NextStepAt = recheckStep, &metav1.Time{Time: at.UTC()}
	conds.ready("Surveillance", surveillanceMessage(claim, policy, at))
	wake := at
	if !barredAt.IsZero() && barredAt.Before(wake) {
		wake = barredAt
	}
	return r.requeue(now, wake)
}

// surveillanceMessage is the Ready message of a claim in Surveillance; the
// Claim and Debtor controllers both write it, so it must not differ.
func surveillanceMessage(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, recheck time.Time) string {
	inCase := ""
	if id := claim.Status.CaseID; id != "" && id != claim.Name {
		inCase = " (collected in case " + id + ")"
	}
	return "every step of policy " + policy.Name + " is done" + inCase + "; in surveillance until the claim is time-barred; next credit re-check at " + recheck.UTC().Format(time.RFC3339)
}

func recheckDays(policy *inkassov1.CollectionPolicy) int {
	if ca := policy.Spec.CreditAssessment; ca != nil && ca.RecheckDays > 0 {
		return int(ca.RecheckDays)
	}
	return defaultRecheckDays
}

// nextRecheck is when a claim in Surveillance is due its next credit
// re-check: recheckDays after its last history entry.
func nextRecheck(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, tp schedule.Policy, now time.Time) time.Time {
	last := now
	if n := len(claim.Status.History); n > 0 {
		last = claim.Status.History[n-1].Time.Time
	}
	return tp.RecheckAt(last, recheckDays(policy))
}

// foldHistory keeps status.history within the policy's historyLimit by
// folding the oldest credit re-checks into status.historySummary. Policy
// steps and fees are never folded: the schedule and the ledger replay them.
func foldHistory(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy) {
	limit := defaultHistoryLimit
	if policy != nil && policy.Spec.HistoryLimit > 0 {
		limit = int(policy.Spec.HistoryLimit)
	}
	st := &claim.Status
	for len(st.History) > limit {
		i := -1
		for j := range st.History[:len(st.History)-1] { // the latest re-check anchors the next one
			if st.History[j].Step == recheckStep && (st.History[j].Fee == "" || st.History[j].Fee == "0") {
				i = j
				break
			}
		}
		if i < 0 {
			return
		}
		h := st.History[i]
		if st.HistorySummary == nil {
			st.HistorySummary = &inkassov1.HistorySummary{First: h.Time}
		}
		st.HistorySummary.Folded++
		st.HistorySummary.Last = h.Time
		st.History = append(st.History[:i], st.History[i+1:]...)
	}
}

// notifyClosed tells the creditor how collection of a claim ended, once,
// when collection had started.
func (r *ClaimReconciler) notifyClosed(ctx context.Context, claim *inkassov1.Claim, now time.Time) error {
	if claim.Status.CollectionStartedAt == nil || hasCreditorNotice(claim, inkassov1.CreditorClosed) {
		return nil
	}
	policy, err := resolvePolicy(ctx, r.Client, claim)
	if err != nil || !policy.Spec.CreditorNotices.Notifies(inkassov1.CreditorClosed) {
		return nil // without a policy there is no creditor channel to use
	}
	debtor, _ := r.debtor(ctx, claim)
	data := notice.CreditorData{Result: string(claim.Status.Phase), Reason: closedReason(claim)}
	if err := notifyCreditor(ctx, r.Client, claim, debtor, policy, inkassov1.CreditorClosed, data, now); err != nil {
		return err
	}
	r.Recorder.Eventf(claim, nil, "Normal", "CreditorNotified", "NotifyCreditor", "the creditor was told that collection ended: %s", claim.Status.Phase)
	return nil
}
