package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// ClaimReconciler moves claims through the phases of their policy.
type ClaimReconciler struct {
	Client   client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	// Wake, when set, re-queues the claims sent on it; tests use it after
	// stepping a fake clock.
	Wake <-chan event.GenericEvent
	// MaxConcurrentReconciles bounds parallel claim reconciles.
	MaxConcurrentReconciles int
	// MaxRetryDelay caps the backoff after a failed reconcile, such as a
	// write refused while the apiserver is down (default
	// channelkit.DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=debtors;collectionpolicies;noticechannels,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile computes the claim's plan and carries out at most one due step.
func (r *ClaimReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var claim inkassov1.Claim
	if err := r.Client.Get(ctx, req.NamespacedName, &claim); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !claim.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, nil
	}
	orig := claim.DeepCopy()
	now := r.Clock.Now()
	conds := conditionSetter{conds: &claim.Status.Conditions, gen: claim.Generation, now: metav1.Time{Time: now.Truncate(time.Second)}}

	buf := &eventBuffer{to: r.Recorder}
	rr := *r
	rr.Recorder = buf
	res, err := rr.reconcile(ctx, &claim, now, conds)
	if err == nil && claim.Status.Phase.Terminal() {
		err = rr.notifyClosed(ctx, &claim, now)
	}
	var st *stallError
	switch {
	case errors.As(err, &st):
		conds.stalled(st.reason, st.msg)
		if !isStalled(orig, st.reason) {
			buf.Eventf(&claim, nil, "Warning", st.reason, "Stall", "%s", st.msg)
		}
		err = nil
	case err != nil:
		conds.reconciling("Retrying", err.Error())
	}
	if err == nil {
		claim.Status.ObservedGeneration = claim.Generation
	}
	if accrualOnly(&orig.Status, &claim.Status) {
		// Interest grows every day; writing it on every reconcile would cost
		// a status write per notice delivery and debtor change. It is written
		// with the claim's next real change (status.balance.asOf says when).
		claim.Status = orig.Status
	}
	if !apiequality.Semantic.DeepEqual(orig.Status, claim.Status) {
		// Optimistic lock: a reconcile that read a stale claim from the cache
		// must not record a step twice; it fails here and runs again.
		if perr := r.Client.Status().Patch(ctx, &claim, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); perr != nil {
			if apierrors.IsConflict(perr) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, errors.Join(err, fmt.Errorf("writing claim status: %w", perr))
		}
	}
	if orig.Status.Phase != claim.Status.Phase && claim.Status.Phase != "" {
		change := fmt.Sprintf("phase %s → %s", phaseOrNone(orig.Status.Phase), claim.Status.Phase)
		if step := buf.find("StepCompleted"); step != nil {
			// One event per step: the phase it moved the claim to goes with it.
			step.note += "; " + change
		} else {
			buf.Eventf(&claim, nil, "Normal", "Phase"+string(claim.Status.Phase), "PhaseChange", "%s", change)
		}
	}
	buf.flush()
	return res, err
}

// accrualOnly reports whether the status differs from the stored one only
// by interest accrued since (balance, ledger, the Settled message).
func accrualOnly(stored, computed *inkassov1.ClaimStatus) bool {
	if stored.Balance == nil || computed.Balance == nil || apiequality.Semantic.DeepEqual(stored, computed) {
		return false
	}
	a, b := stored.DeepCopy(), computed.DeepCopy()
	for _, st := range []*inkassov1.ClaimStatus{a, b} {
		st.Balance.Interest, st.Balance.Outstanding, st.Balance.AsOf = "", "", ""
		st.Ledger = slices.DeleteFunc(st.Ledger, func(e inkassov1.LedgerEntry) bool { return e.Kind == string(ledger.KindInterest) })
		if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionSettled); c != nil && c.Status == metav1.ConditionFalse {
			c.Message = ""
		}
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

func phaseOrNone(p inkassov1.ClaimPhase) string {
	if p == "" {
		return "(new)"
	}
	return string(p)
}

func isStalled(c *inkassov1.Claim, reason string) bool {
	s := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled)
	return s != nil && s.Status == metav1.ConditionTrue && s.Reason == reason
}

func (r *ClaimReconciler) reconcile(ctx context.Context, claim *inkassov1.Claim, now time.Time, conds conditionSetter) (reconcile.Result, error) {
	st := &claim.Status
	if st.Phase.Terminal() {
		// Keep the reason collection ended; only refresh its generation.
		reason, msg := string(st.Phase), "collection has ended: "+string(st.Phase)
		if r := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); r != nil && r.Status == metav1.ConditionTrue {
			reason, msg = r.Reason, r.Message
		}
		conds.ready(reason, msg)
		return reconcile.Result{}, nil
	}
	if st.CaseID == "" {
		// One claim, one case until the Debtor controller consolidates cases.
		st.CaseID = claim.Name
	}

	// Debtor and policy are looked up first for the balance (interest needs
	// the jurisdiction), but their absence only stalls a claim that must
	// still be collected: withdrawal and payment work without them.
	debtor, debtorErr := r.debtor(ctx, claim)
	policy, policyErr := resolvePolicy(ctx, r.Client, claim)
	bal, err := claimLedger(claim, policy, debtor, now, nil)
	if err != nil {
		return reconcile.Result{}, stall("InvalidAmount", "%v", err)
	}
	setBalance(st, bal)
	if policy != nil && st.PaymentReference == "" {
		ref, err := reference.Generate(reference.ForJurisdiction(string(policy.Spec.Jurisdiction)), claim.Namespace+"/"+st.CaseID)
		if err != nil {
			return reconcile.Result{}, fmt.Errorf("payment reference: %w", err)
		}
		st.PaymentReference = ref
	}

	// Creditor and debtor actions that end or pause collection come first.
	switch {
	case claim.Spec.Withdraw:
		return r.endByCreditor(claim, policy, bal, now, conds, "Withdrawn", "the creditor withdrew the claim")
	case paidToCreditor(bal) && policy != nil && policy.Spec.CreditorPayments == "CloseCase":
		return r.endByCreditor(claim, policy, bal, now, conds, "ClosedByCreditor", "the debtor paid the creditor directly and the policy closes the case")
	case !bal.Outstanding.IsPositive() && (len(claim.Spec.Payments) > 0 || len(claim.Spec.Credits) > 0):
		msg := "nothing remains to be paid"
		if bal.Overpaid.IsPositive() {
			msg = "over-paid by " + bal.Overpaid.String() + " " + string(claim.Spec.Currency) + ": refund or re-allocate it"
			r.Recorder.Eventf(claim, nil, "Warning", "Overpaid", "Settle", msg)
		}
		conds.flag(inkassov1.ConditionSettled, true, "Paid", msg)
		return r.end(claim, conds, inkassov1.PhasePaid, "Paid", "the claim is paid in full")
	}
	conds.flag(inkassov1.ConditionSettled, false, "Outstanding", outstandingMessage(bal))
	if d := claim.Spec.Dispute; d != nil {
		switch d.Resolution {
		case inkassov1.DisputeDebtor:
			conds.flag(inkassov1.ConditionDisputed, false, "ResolvedForDebtor", "the dispute was resolved in the debtor's favour")
			return r.end(claim, conds, inkassov1.PhaseWrittenOff, "ResolvedForDebtor", "the dispute was resolved in the debtor's favour")
		case inkassov1.DisputeCreditor:
			conds.flag(inkassov1.ConditionDisputed, false, "ResolvedForCreditor", "the dispute was resolved in the creditor's favour; collection resumes")
		default:
			conds.flag(inkassov1.ConditionDisputed, true, "Objection", "the debtor disputes the claim (raised "+string(d.RaisedOn)+"); collection waits for the resolution")
			return r.hold(claim, conds, inkassov1.PhaseDisputed, "Disputed", "waiting for the dispute to be resolved")
		}
	} else {
		conds.flag(inkassov1.ConditionDisputed, false, "NoDispute", "no dispute")
	}
	if claim.Spec.Suspend {
		conds.flag(inkassov1.ConditionSuspended, true, "Suspended", "spec.suspend is true")
		return r.hold(claim, conds, inkassov1.PhaseSuspended, "Suspended", "collection is paused by spec.suspend")
	}
	conds.flag(inkassov1.ConditionSuspended, false, "Active", "collection is not suspended")
	if res, held, err := r.paymentPlan(claim, debtor, policy, now, conds); err != nil || held {
		return res, err
	}
	if since := st.HeldSince; since != nil {
		// Resuming shifts the remaining schedule by the whole days paused.
		st.PausedDays += int32((now.Sub(since.Time) + 24*time.Hour - time.Second) / (24 * time.Hour))
		st.HeldSince = nil
	}

	if debtorErr != nil {
		return reconcile.Result{}, debtorErr
	}
	if policyErr != nil {
		return reconcile.Result{}, policyErr
	}
	tp, err := timing(policy)
	if err != nil {
		return reconcile.Result{}, err
	}
	facts, err := scheduleFacts(claim)
	if err != nil {
		return reconcile.Result{}, stall("InvalidDate", "%v", err)
	}
	plan := schedule.Compute(tp, facts, now)

	// Limitation: outside legal proceedings, a claim past its limitation
	// period is time-barred; until then it wakes up on that day.
	var barredAt time.Time
	if st.Phase != inkassov1.PhaseLegal {
		var acks []schedule.Date
		for _, p := range claim.Spec.Payments {
			if d, err := schedule.ParseDate(string(p.Date)); err == nil {
				acks = append(acks, d)
			}
		}
		from, why, err := schedule.TimeBarredFrom(string(policy.Spec.Jurisdiction), debtor.Spec.Type == inkassov1.DebtorBusiness, facts.DueDate, acks)
		if err != nil {
			return reconcile.Result{}, stall("InvalidPolicy", "%v", err)
		}
		barredAt = time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, tp.Location)
		if !now.Before(barredAt) {
			return r.end(claim, conds, inkassov1.PhaseTimeBarred, "TimeBarred", "the claim is time-barred since "+from.String()+": "+why)
		}
	}

	switch {
	case !plan.Overdue:
		st.Phase = inkassov1.PhasePending
		r.setNext(claim, policy, plan)
		conds.ready("Pending", "not due yet; overdue from "+plan.OverdueAt.Format(time.RFC3339))
		return r.requeue(now, plan.WakeAt), nil
	case len(st.History) == 0 && !(claim.AutoCollectionEnabled() && debtor.AutoCollectionEnabled()):
		st.Phase = inkassov1.PhaseOverdue
		st.NextStep, st.NextStepAt = "", nil
		who := "spec.autoCollection of the claim"
		if !debtor.AutoCollectionEnabled() {
			who = "spec.autoCollection of debtor " + debtor.Name
		}
		conds.ready("AutoCollectionDisabled", "overdue; automatic collection is off ("+who+" is false): set it to true to transfer the claim")
		return reconcile.Result{}, nil
	case st.Phase == inkassov1.PhasePending || st.Phase == "" || st.Phase == inkassov1.PhaseSuspended || st.Phase == inkassov1.PhaseDisputed || st.Phase == inkassov1.PhasePaymentPlan:
		st.Phase = lastPhase(claim)
	}

	if err := r.checkDeliveries(ctx, claim, policy); err != nil {
		return reconcile.Result{}, err
	}
	if plan.WarnDue {
		data := notice.CreditorData{TransferOn: transferOn(tp, facts, now)}
		if err := notifyCreditor(ctx, r.Client, claim, debtor, policy, inkassov1.CreditorOverdueWarning, data, now); err != nil {
			return reconcile.Result{}, err
		}
		r.Recorder.Eventf(claim, nil, "Normal", "CreditorWarned", "NotifyCreditor", "the creditor was warned that the claim transfers to collection on %s", data.TransferOn)
		facts, _ = scheduleFacts(claim)
		plan = schedule.Compute(tp, facts, now)
	}
	if err := notifyTransferred(ctx, r.Client, claim, debtor, policy, tp, now); err != nil {
		return reconcile.Result{}, err
	}
	if st.Phase == inkassov1.PhaseSurveillance && plan.Next < 0 {
		return r.surveil(claim, policy, tp, now, barredAt, conds), nil
	}

	if consolidates(policy) {
		if res, handled := r.caseMember(claim, debtor, policy, plan, now, conds); handled {
			return res, nil
		}
	}
	if plan.Due {
		step := policy.Spec.Steps[plan.Next]
		if err := r.doStep(ctx, claim, debtor, policy, tp, step, plan, now); err != nil {
			return reconcile.Result{}, err
		}
		facts, _ = scheduleFacts(claim)
		plan = schedule.Compute(tp, facts, now)
		if err := notifyTransferred(ctx, r.Client, claim, debtor, policy, tp, now); err != nil {
			return reconcile.Result{}, err
		}
		if st.Phase == inkassov1.PhaseSurveillance && plan.Next < 0 {
			// The last step handed the claim to Surveillance: its first
			// re-check is the next step, written with this step.
			return r.surveil(claim, policy, tp, now, barredAt, conds), nil
		}
	}
	r.setNext(claim, policy, plan)
	if st.Phase.Terminal() {
		st.NextStep, st.NextStepAt = "", nil
		conds.ready(string(st.Phase), "collection has ended: "+string(st.Phase))
		return reconcile.Result{}, nil
	}
	wake := plan.WakeAt
	if !barredAt.IsZero() && (wake.IsZero() || barredAt.Before(wake)) {
		wake = barredAt
	}
	if plan.Next < 0 {
		conds.ready(string(st.Phase), "every step of policy "+policy.Name+" is done; the claim is in "+string(st.Phase))
		return r.requeue(now, wake), nil
	}
	conds.ready("Waiting", "next step "+st.NextStep+" at "+st.NextStepAt.UTC().Format(time.RFC3339))
	return r.requeue(now, wake), nil
}

func (r *ClaimReconciler) end(claim *inkassov1.Claim, conds conditionSetter, phase inkassov1.ClaimPhase, reason, msg string) (reconcile.Result, error) {
	claim.Status.Phase = phase
	claim.Status.NextStep, claim.Status.NextStepAt = "", nil
	conds.ready(reason, msg)
	return reconcile.Result{}, nil
}

// endByCreditor ends collection at the creditor's choice: fees left unpaid
// are charged to the creditor, unless inside the free-cancellation window.
func (r *ClaimReconciler) endByCreditor(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, bal ledger.Result, now time.Time,
	conds conditionSetter, reason, msg string) (reconcile.Result, error) {
	free := freeToEnd(claim, policy, now)
	charge := bal.ChargeCreditor(civilOf(now, policyLocation(policy)), free)
	claim.Status.Balance = toStatusBalance(bal)
	claim.Status.Ledger = toStatusLedger(bal)
	switch {
	case free:
		msg += "; inside the free-cancellation window: no cost to the creditor"
	case charge.IsPositive():
		msg += "; fees of " + charge.String() + " " + charge.Currency + " are charged to the creditor"
	}
	return r.end(claim, conds, inkassov1.PhaseWithdrawn, reason, msg)
}

func (r *ClaimReconciler) hold(claim *inkassov1.Claim, conds conditionSetter, phase inkassov1.ClaimPhase, reason, msg string) (reconcile.Result, error) {
	claim.Status.Phase = phase
	claim.Status.NextStepAt = nil
	if claim.Status.HeldSince == nil {
		claim.Status.HeldSince = &conds.now
	}
	conds.ready(reason, msg)
	return reconcile.Result{}, nil
}

// lastPhase is the phase of the last completed step, or Overdue.
func lastPhase(claim *inkassov1.Claim) inkassov1.ClaimPhase {
	h := claim.Status.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Phase != "" {
			return h[i].Phase
		}
	}
	return inkassov1.PhaseOverdue
}

func (r *ClaimReconciler) setNext(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, plan schedule.Plan) {
	if plan.Next < 0 {
		claim.Status.NextStep, claim.Status.NextStepAt = "", nil
		return
	}
	claim.Status.NextStep = policy.Spec.Steps[plan.Next].Name
	claim.Status.NextStepAt = &metav1.Time{Time: plan.NextAt.UTC()}
}

// requeue converts the operator-time wait until wake into a wall-clock delay.
func (r *ClaimReconciler) requeue(now, wake time.Time) reconcile.Result {
	if wake.IsZero() {
		return reconcile.Result{}
	}
	d := simclock.RealDuration(r.Clock, wake.Sub(now))
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return reconcile.Result{RequeueAfter: d}
}

func (r *ClaimReconciler) debtor(ctx context.Context, claim *inkassov1.Claim) (*inkassov1.Debtor, error) {
	var d inkassov1.Debtor
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: claim.Spec.DebtorRef.Name}, &d)
	if apierrors.IsNotFound(err) {
		return nil, stall("DebtorNotFound", "Debtor %q named by spec.debtorRef does not exist in namespace %q", claim.Spec.DebtorRef.Name, claim.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("getting debtor: %w", err)
	}
	return &d, nil
}

func scheduleFacts(claim *inkassov1.Claim) (schedule.Claim, error) {
	inv, err := schedule.ParseDate(string(claim.Spec.InvoiceDate))
	if err != nil {
		return schedule.Claim{}, fmt.Errorf("spec.invoiceDate: %w", err)
	}
	due, err := schedule.ParseDate(string(claim.Spec.DueDate))
	if err != nil {
		return schedule.Claim{}, fmt.Errorf("spec.dueDate: %w", err)
	}
	c := schedule.Claim{InvoiceDate: inv, DueDate: due, ShiftDays: int(claim.Status.PausedDays),
		WarnedAt: warnedAt(claim), Decided: claim.Spec.CreditDecision != ""}
	for _, h := range claim.Status.History {
		c.Done = append(c.Done, schedule.Done{Step: h.Step, At: h.Time.Time})
	}
	return c, nil
}

// doStep carries out one step: fee, notices, history. Notices are created
// before the history records the step, with deterministic names, so a crash
// in between repeats the creation harmlessly and never sends twice.
func (r *ClaimReconciler) doStep(ctx context.Context, claim *inkassov1.Claim, debtor *inkassov1.Debtor,
	policy *inkassov1.CollectionPolicy, tp schedule.Policy, step inkassov1.PolicyStep, plan schedule.Plan, now time.Time) error {
	st := &claim.Status
	if err := requireChannels(ctx, r.Client, claim.Namespace, policy, step); err != nil {
		return err
	}

	fee, err := r.fee(claim, debtor, policy, step, now)
	if err != nil {
		return stall("FeeUnavailable", "step %q of policy %q: %v", step.Name, policy.Name, err)
	}
	bal, err := claimLedger(claim, policy, debtor, now, &stepFee{step.Name, fee})
	if err != nil {
		return stall("InvalidAmount", "%v", err)
	}

	if step.Phase != "Reminder" && !transferred(claim, policy) && string(debtor.Spec.Country) != string(policy.Spec.Jurisdiction) {
		// A debtor abroad is handed to a foreign partner at transfer.
		at := metav1.Time{Time: now.Truncate(time.Second)}
		msg := fmt.Sprintf("the debtor lives in %s, outside the policy's jurisdiction %s: forwarded to a foreign partner", debtor.Spec.Country, policy.Spec.Jurisdiction)
		st.History = append(st.History, inkassov1.HistoryEntry{Step: step.Name, Phase: inkassov1.PhaseForwarded, Time: at,
			DueAt: &metav1.Time{Time: plan.NextAt.UTC()}, Fee: money.Zero(string(claim.Spec.Currency)).String(), Message: msg})
		st.Step, st.Phase = step.Name, inkassov1.PhaseForwarded
		if st.CollectionStartedAt == nil {
			st.CollectionStartedAt = &at
		}
		r.Recorder.Eventf(claim, nil, "Normal", "Forwarded", "Forward", msg)
		return nil
	}
	phase, msg := stepPhase(claim, policy, step)
	names, err := createNotices(ctx, r.Client, noticeInput{caseID: claim.Status.CaseID, debtor: debtor, policy: policy, tp: tp,
		step: step, claims: []*inkassov1.Claim{claim}, balances: []ledger.Result{bal}, owner: claim, now: now})
	if err != nil {
		return err
	}

	at := metav1.Time{Time: now.Truncate(time.Second)}
	st.History = append(st.History, inkassov1.HistoryEntry{
		Step: step.Name, Phase: phase, Time: at, DueAt: &metav1.Time{Time: plan.NextAt.UTC()},
		Notices: names, Fee: fee.String(), Message: msg,
	})
	afterWrite(r.Recorder, func() { observeStep(policy.Name, step.Name, plan.NextAt, now) })
	st.Step = step.Name
	st.Phase = phase
	setBalance(st, bal)
	if st.CollectionStartedAt == nil {
		st.CollectionStartedAt = &at
	}
	note := fmt.Sprintf("step %s done", step.Name)
	if len(names) > 0 {
		note += fmt.Sprintf(", %d notice(s) via %s", len(names), strings.Join(step.Channels, ", "))
	}
	if fee.IsPositive() {
		note += ", fee " + fee.String() + " " + fee.Currency
	}
	if msg != "" {
		note += "; " + msg
	}
	r.Recorder.Eventf(claim, nil, "Normal", "StepCompleted", "Step", note)
	log.FromContext(ctx).V(1).Info("step done", "step", step.Name, "phase", phase, "notices", len(names))
	return nil
}

// transferred reports whether a step past the Reminder phase has been done.
func transferred(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy) bool {
	reminder := map[string]bool{}
	for _, s := range policy.Spec.Steps {
		reminder[s.Name] = s.Phase == "Reminder"
	}
	for _, h := range claim.Status.History {
		if !reminder[h.Step] {
			return true
		}
	}
	return false
}

func creditDecision(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy) (inkassov1.CreditDecision, string) {
	if claim.Spec.CreditDecision != "" {
		return claim.Spec.CreditDecision, "spec.creditDecision"
	}
	if ca := policy.Spec.CreditAssessment; ca != nil && ca.DefaultDecision != "" {
		return ca.DefaultDecision, "policy default"
	}
	return inkassov1.CreditInsolvent, "default"
}

func (r *ClaimReconciler) fee(claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy, step inkassov1.PolicyStep, now time.Time) (money.Money, error) {
	cur := string(claim.Spec.Currency)
	principal, err := money.Parse(string(claim.Spec.Amount), cur)
	if err != nil {
		return money.Money{}, err
	}
	in := fees.Input{
		Jurisdiction: string(policy.Spec.Jurisdiction), Currency: cur, Principal: principal,
		Business: debtor.Spec.Type == inkassov1.DebtorBusiness, On: now,
	}
	if err := applyFeeStep(&in, policy, step); err != nil {
		return money.Money{}, err
	}
	in.Charged = chargedSoFar(claim, policy, cur)
	return fees.Compute(in)
}

// applyFeeStep sets the step's fee kind (or fixed amount) and the policy's overrides.
func applyFeeStep(in *fees.Input, policy *inkassov1.CollectionPolicy, step inkassov1.PolicyStep) error {
	switch step.Fee {
	case "", "None", "Reminder", "LightSalary", "HeavySalary", "Compensation":
		in.Kind = fees.Kind(step.Fee)
	default:
		in.Fixed = step.Fee
	}
	o := policy.Spec.Overrides
	if o == nil {
		return nil
	}
	in.NoVAT = o.CreditorVATRegistered != nil && !*o.CreditorVATRegistered
	if o.FeeUnit != "" {
		m, err := money.Parse(string(o.FeeUnit), in.Currency)
		if err != nil {
			return fmt.Errorf("spec.overrides.feeUnit: %w", err)
		}
		in.SatsOverride = &m
	}
	if o.ReminderFee != "" {
		m, err := money.Parse(string(o.ReminderFee), in.Currency)
		if err != nil {
			return fmt.Errorf("spec.overrides.reminderFee: %w", err)
		}
		in.ReminderFee = &m
	}
	return nil
}

// countCharge adds a fee charged by a step with fee kind to c.
func countCharge(c *fees.Charged, kind string, charged money.Money) {
	c.Total = c.Total.Add(charged)
	switch kind {
	case "Reminder":
		c.ReminderFees++
	case "LightSalary":
		c.DemandFees++
		c.Salary = c.Salary.Add(charged)
	case "HeavySalary":
		c.Salary = c.Salary.Add(charged)
	case "Compensation":
		c.Compensation = true
		c.Salary = c.Salary.Add(charged)
	}
}

// chargedSoFar sums the fees the claim's history charged, by kind.
func chargedSoFar(claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy, cur string) fees.Charged {
	c := fees.Charged{Salary: money.Zero(cur), Total: money.Zero(cur)}
	for _, h := range claim.Status.History {
		charged, err := money.Parse(h.Fee, cur)
		if h.Fee == "" || err != nil || !charged.IsPositive() {
			continue
		}
		countCharge(&c, stepNamed(policy, h.Step).Fee, charged)
	}
	return c
}

// consolidates reports whether the policy collects a debtor's claims as one case.
func consolidates(p *inkassov1.CollectionPolicy) bool {
	return p.Spec.Consolidation == nil || *p.Spec.Consolidation
}

// caseMember handles a claim whose steps from the transfer on belong to its
// debtor's collection case, which the Debtor controller runs: a claim in the
// case mirrors the case's next step; a claim whose transfer is due waits to
// be taken in. handled is false where the claim's own steps apply (reminders
// before transfer, forwarding a debtor abroad).
func (r *ClaimReconciler) caseMember(claim *inkassov1.Claim, debtor *inkassov1.Debtor, policy *inkassov1.CollectionPolicy,
	plan schedule.Plan, now time.Time, conds conditionSetter) (reconcile.Result, bool) {
	st := &claim.Status
	if c := debtor.Status.Case; c != nil && slices.Contains(c.Claims, claim.Name) {
		behind := false // the case recorded a step for this claim that the Debtor controller has not written to it yet
		if n := len(c.History); n > 0 && slices.Contains(c.History[n-1].Claims, claim.Name) && !hasStep(claim, c.History[n-1].Step) {
			behind = true
		}
		if behind || c.NextStep != "" && slices.ContainsFunc(st.History, func(h inkassov1.HistoryEntry) bool { return h.Step == c.NextStep }) {
			// The cached case is behind the claim, which the Debtor controller
			// has already moved on: keep what it wrote.
			if ready := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); ready != nil {
				conds.ready(ready.Reason, ready.Message)
			}
			return reconcile.Result{}, true
		}
		st.CaseID, st.AwaitingCase = c.ID, false
		st.NextStep, st.NextStepAt = c.NextStep, c.NextStepAt.DeepCopy()
		if c.NextStep == "" {
			conds.ready(string(st.Phase), "collected in case "+c.ID+"; every step of policy "+policy.Name+" is done")
		} else {
			conds.ready("Waiting", "collected in case "+c.ID+" of debtor "+debtor.Name+"; next step "+c.NextStep+" at "+c.NextStepAt.UTC().Format(time.RFC3339))
		}
		return reconcile.Result{}, true
	}
	if plan.Next < 0 || policy.Spec.Steps[plan.Next].Phase == "Reminder" || !plan.Due {
		return reconcile.Result{}, false
	}
	if c := debtor.Status.Case; c != nil && c.Policy != policy.Name {
		return reconcile.Result{}, false // the debtor's case follows another policy: collected alone
	}
	if !transferred(claim, policy) && string(debtor.Spec.Country) != string(policy.Spec.Jurisdiction) {
		return reconcile.Result{}, false // forwarded by its own step
	}
	r.setNext(claim, policy, plan)
	// The Debtor controller's own timer takes the claim in when its transfer
	// is due, so asking would only cost a claim write per transfer. The claim
	// says it waits only when its debtor has not acted for a while (a stalled
	// or stopped Debtor controller): until then it keeps what it showed.
	waited := simclock.RealDuration(r.Clock, now.Sub(plan.NextAt))
	if ready := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); !st.AwaitingCase && waited < awaitingCaseGrace &&
		ready != nil && ready.Reason == "Waiting" {
		conds.ready(ready.Reason, ready.Message)
		return reconcile.Result{RequeueAfter: awaitingCaseGrace - waited}, true
	}
	st.AwaitingCase = true
	conds.ready("AwaitingCase", "transfer to collection is due: waiting for debtor "+debtor.Name+"'s collection case to take the claim in")
	// Normally taken in at once; look again in case the debtor's case
	// follows another policy and the claim must be collected alone.
	return reconcile.Result{RequeueAfter: 2 * time.Second}, true
}

// awaitingCaseGrace is how long (wall clock) a claim whose transfer is due
// leaves its debtor to take it in before it flags status.awaitingCase. It is
// longer than a saturated manager's queue (docs/performance.md: step
// lateness reached 252 s), so a healthy run never flags.
const awaitingCaseGrace = 10 * time.Minute

// SetupWithManager registers the controller and its watches.
func (r *ClaimReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("inkasso-claim")
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("claim").
		For(&inkassov1.Claim{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.Debtor{}, handler.EnqueueRequestsFromMapFunc(r.claimsOfDebtor),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, caseChanged()))).
		Watches(&inkassov1.CollectionPolicy{}, handler.EnqueueRequestsFromMapFunc(r.claimsOfPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.NoticeChannel{}, handler.EnqueueRequestsFromMapFunc(r.stalledClaims),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&inkassov1.Notice{}, handler.EnqueueRequestsFromMapFunc(claimsOfNotice), builder.WithPredicates(deliveryOutcome())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1), RateLimiter: channelkit.NewRetryLimiter(r.MaxRetryDelay)})
	if r.Wake != nil {
		b = b.WatchesRawSource(source.Channel(r.Wake, &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r)
}

// caseChanged passes debtor updates that open, advance or close its
// collection case: the claims then take over what the case no longer does
// (a completed case leaves its claims to their own Surveillance timers).
func caseChanged() predicate.Predicate {
	key := func(o client.Object) string {
		d, ok := o.(*inkassov1.Debtor)
		if !ok || d.Status.Case == nil {
			return ""
		}
		c := d.Status.Case
		return c.ID + "/" + c.Step + "/" + c.NextStep + "/" + strings.Join(c.Claims, ",")
	}
	return predicate.Funcs{
		UpdateFunc:  func(e event.UpdateEvent) bool { return key(e.ObjectOld) != key(e.ObjectNew) },
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func (r *ClaimReconciler) claimsOfDebtor(ctx context.Context, o client.Object) []reconcile.Request {
	return r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimDebtorIndex: o.GetName()})
}

func (r *ClaimReconciler) claimsOfPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	named := r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimPolicyIndex: o.GetName()})
	// Any policy change may change which one is the namespace default.
	return append(named, r.claimRequests(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{claimPolicyIndex: ""})...)
}

func (r *ClaimReconciler) stalledClaims(ctx context.Context, o client.Object) []reconcile.Request {
	var list inkassov1.ClaimList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "listing claims")
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if meta.IsStatusConditionTrue(list.Items[i].Status.Conditions, inkassov1.ConditionStalled) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}

func (r *ClaimReconciler) claimRequests(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list inkassov1.ClaimList
	if err := r.Client.List(ctx, &list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "listing claims")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}
