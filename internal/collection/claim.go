package collection

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// ClaimFacts is everything a claim's decision depends on.
type ClaimFacts struct {
	Claim *Claim
	// Debtor and Policy are nil when they cannot be found; the Problem
	// says why. Ending collection works without them.
	Debtor        *Debtor
	DebtorProblem *Problem
	Policy        *Policy
	PolicyProblem *Problem
	// Case is the debtor's case that lists the claim, or else the debtor's
	// open case in the claim's currency (nil: none).
	Case *Case
	// ChannelExists tells whether a NoticeChannel exists (nil: all do).
	ChannelExists func(name string) bool
	// Notice looks up one of the claim's notices by name (nil: none exists).
	Notice func(name string) (NoticeState, bool)
	Now    time.Time
	// TransferGrace is how long (operator time) a claim whose transfer is
	// due leaves its debtor to take it in before it flags awaitingCase.
	TransferGrace time.Duration
}

// Flag is a True/False condition (Settled, Disputed, Suspended, PaymentPlan).
type Flag struct {
	Type   ConditionType
	On     bool
	Reason string
	Msg    string
}

// Event is a Kubernetes event the decision announces.
type Event struct {
	Warning bool
	Reason  string
	Action  string
	Message string
}

// NoticeIntent is a step's notice set to create before the status write.
type NoticeIntent struct {
	CaseID string
	Step   Step
	Names  []string // one per channel, in Step.Channels order
	Fee    money.Money
	At     time.Time
}

// CreditorIntent is a notice to the creditor about a claim.
type CreditorIntent struct {
	Event CreditorEvent
	Data  notice.CreditorData
}

// Fallback copies a failed debtor notice to the policy's fallback channel.
type Fallback struct {
	Of, Copy, Channel string
	Why               string
}

// Observation is a step done, for the step-lateness metric.
type Observation struct {
	Policy, Step string
	Due          time.Time
}

// Decision is what happens to a claim now.
type Decision struct {
	State State
	// Record is the history record added by this decision, if any (it is
	// also the last of State.History).
	Record *Entry
	// Balance is the claim's money after the decision (nil: not computable).
	Balance *ledger.Result
	Ready   Condition
	// Stalled, when set, replaces Ready: a reason no retry fixes.
	Stalled   *Problem
	Flags     []Flag
	Notices   []NoticeIntent
	Creditor  []CreditorIntent
	Fallbacks []Fallback
	Events    []Event
	// Wake is when time alone changes the decision (zero: never).
	Wake time.Time
	// RecheckSoon asks to look again shortly (wall clock): the claim waits
	// for its debtor or for a case step's notices to appear.
	RecheckSoon bool
	Observe     *Observation
	// HistoryLimit is how many history records the status keeps (older
	// credit re-checks are folded).
	HistoryLimit int
}

type decider struct {
	f   ClaimFacts
	c   *Claim
	p   *Policy
	d   *Decision
	st  *State
	now time.Time
	bal ledger.Result
}

// DecideClaim applies the collection rules to a claim, in this order:
//
//  1. A terminal claim stays as it ended (the creditor is told once how).
//  2. The balance is replayed (credit notes, fees, payments, interest).
//  3. The creditor's withdrawal ends collection; so does a payment to the
//     creditor when the policy closes such cases; a claim with nothing
//     left to pay is Paid.
//  4. A dispute the debtor won writes the claim off; a pending one holds it.
//  5. spec.suspend holds it.
//  6. A payment plan on track holds it; a broken or completed one lets
//     collection go on where it left off.
//  7. Leaving a hold shifts the remaining schedule by the days held.
//  8. Without its debtor or policy the claim stalls.
//  9. Outside Legal, a claim past its limitation period is time-barred.
//  10. A claim not yet overdue is Pending; one with automatic collection
//     off waits in Overdue.
//  11. A failed debtor notice goes to the fallback channel, or holds the
//     next step.
//  12. The creditor is warned before transfer (seed 004).
//  13. A claim in Surveillance with every step done is re-checked.
//  14. Under a consolidating policy, a claim in its debtor's case takes the
//     case's recorded steps; one whose transfer is due waits to be taken in.
//  15. Otherwise a due step of its own is carried out: forwarded abroad,
//     or the step's fee (within the claim's fee ledger), notices and record.
//  16. The next step and when to wake.
func DecideClaim(f ClaimFacts) Decision {
	x := &decider{f: f, c: f.Claim, p: f.Policy, now: f.Now}
	x.d = &Decision{State: cloneState(f.Claim.State), HistoryLimit: 50}
	x.st = &x.d.State
	x.decide()
	return *x.d
}

func cloneState(s State) State {
	out := s
	out.History = slices.Clone(s.History)
	for i := range out.History {
		out.History[i].Notices = slices.Clone(s.History[i].Notices)
	}
	if s.Plan != nil {
		p := *s.Plan
		out.Plan = &p
	}
	out.CreditorNotices = map[CreditorEvent]time.Time{}
	for k, v := range s.CreditorNotices {
		out.CreditorNotices[k] = v
	}
	if s.Ready != nil {
		r := *s.Ready
		out.Ready = &r
	}
	return out
}

func (x *decider) at() time.Time { return x.now.Truncate(time.Second) }

func (x *decider) event(warning bool, reason, action, format string, args ...any) {
	x.d.Events = append(x.d.Events, Event{Warning: warning, Reason: reason, Action: action, Message: fmt.Sprintf(format, args...)})
}

func (x *decider) flag(t ConditionType, on bool, reason, msg string) {
	x.d.Flags = append(x.d.Flags, Flag{Type: t, On: on, Reason: reason, Msg: msg})
}

func (x *decider) ready(reason, msg string) { x.d.Ready = Condition{Reason: reason, Message: msg} }

func (x *decider) stall(reason, format string, args ...any) {
	x.d.Stalled = &Problem{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func (x *decider) decide() {
	st := x.st
	if x.p != nil && x.p.HistoryLimitSet() {
		x.d.HistoryLimit = x.p.HistoryLimit
	}
	// 1. Terminal — when the record supports it. Status is writable by
	// anyone allowed to write claims/status: a phase the record does not
	// support (a user's "phase: Paid" stopped collection silently) is put
	// back and the decision runs on.
	if st.Phase.Terminal() && !st.RestoredFromArchive {
		if why := x.unsupportedEnd(); why != "" {
			restored := lastPhase(st.History)
			x.event(true, ReasonStatusRestored, "Restore", "status.phase %s is not what the claim's record says (%s): restored to %s, collection goes on",
				st.Phase, why, restored)
			st.Phase = restored
		}
	}
	// A step's phase (Reminder, Collection, Legal, Surveillance) is the
	// phase of the last step on record: a user's "phase: Legal" would skip
	// the limitation check.
	if onPath := st.Phase == PhaseReminder || st.Phase == PhaseCollection || st.Phase == PhaseLegal || st.Phase == PhaseSurveillance; onPath {
		if recorded := lastPhase(st.History); recorded != st.Phase {
			x.event(true, ReasonStatusRestored, "Restore", "status.phase %s is not the phase of the last step on record: restored to %s", st.Phase, recorded)
			st.Phase = recorded
		}
	}
	if st.Phase.Terminal() {
		reason, msg := string(st.Phase), "collection has ended: "+string(st.Phase)
		if st.Ready != nil {
			reason, msg = st.Ready.Reason, st.Ready.Message
		}
		x.ready(reason, msg)
		x.notifyClosed()
		return
	}
	if st.CaseID == "" {
		st.CaseID = x.c.Name // one claim, one case until its debtor's case takes it in
	}
	// 2. Balance.
	bal, err := Balance(x.c, x.p, x.f.Debtor, x.now)
	if err != nil {
		x.stall(ReasonInvalidAmount, "%v", err)
		return
	}
	x.setBalance(bal)
	if x.p != nil && st.PaymentReference == "" {
		ref, err := reference.Generate(reference.ForJurisdiction(x.p.Jurisdiction), x.c.Namespace+"/"+st.CaseID)
		if err != nil {
			x.stall(ReasonInvalidReference, "payment reference: %v", err)
			return
		}
		st.PaymentReference = ref
	}
	x.keepReference(st.PaymentReference)
	// 3. Ending by the creditor, credited, or paid.
	switch {
	case x.c.Withdraw:
		x.endByCreditor("Withdrawn", "the creditor withdrew the claim")
		return
	case paidToCreditor(x.bal) && x.p != nil && x.p.CloseOnCreditorPayment:
		x.endByCreditor("ClosedByCreditor", "the debtor paid the creditor directly and the policy closes the case")
		return
	case !x.bal.Principal.IsPositive() && len(x.c.Credits) > 0:
		x.credited()
		return
	case !x.bal.Outstanding.IsPositive() && (len(x.c.Payments) > 0 || len(x.c.Credits) > 0):
		msg := "nothing remains to be paid"
		if x.bal.Overpaid.IsPositive() {
			msg = "over-paid by " + x.bal.Overpaid.String() + " " + x.c.Currency + ": refund or re-allocate it"
			x.event(true, "Overpaid", "Settle", "%s", msg)
		}
		x.flag(ConditionSettled, true, ReasonPaid, msg)
		x.end(PhasePaid, ReasonPaid, "the claim is paid in full")
		return
	}
	x.flag(ConditionSettled, false, ReasonOutstanding, outstandingMessage(x.bal))
	// 4. Dispute.
	if dp := x.c.Dispute; dp != nil {
		switch dp.Resolution {
		case ResolutionDebtor:
			x.flag(ConditionDisputed, false, ReasonResolvedForDebtor, "the dispute was resolved in the debtor's favour")
			x.end(PhaseWrittenOff, ReasonResolvedForDebtor, "the dispute was resolved in the debtor's favour")
			return
		case ResolutionCreditor:
			x.flag(ConditionDisputed, false, "ResolvedForCreditor", "the dispute was resolved in the creditor's favour; collection resumes")
		default:
			x.flag(ConditionDisputed, true, "Objection", "the debtor disputes the claim (raised "+dp.RaisedOn.String()+"); collection waits for the resolution")
			x.hold(PhaseDisputed, "Disputed", "waiting for the dispute to be resolved")
			return
		}
	} else {
		x.flag(ConditionDisputed, false, "NoDispute", "no dispute")
	}
	// 5. Suspend.
	if x.c.Suspend {
		x.flag(ConditionSuspended, true, "Suspended", "spec.suspend is true")
		x.hold(PhaseSuspended, "Suspended", "collection is paused by spec.suspend")
		return
	}
	x.flag(ConditionSuspended, false, "Active", "collection is not suspended")
	// 6. Payment plan.
	if x.paymentPlan() {
		return
	}
	// 7. Leaving a hold shifts the rest of the schedule by the whole days held.
	if !st.HeldSince.IsZero() {
		st.PausedDays += int((x.now.Sub(st.HeldSince) + 24*time.Hour - time.Second) / (24 * time.Hour))
		st.HeldSince = time.Time{}
	}
	// 8. Debtor and policy.
	if x.f.DebtorProblem != nil {
		x.d.Stalled = x.f.DebtorProblem
		return
	}
	if x.f.PolicyProblem != nil {
		x.d.Stalled = x.f.PolicyProblem
		return
	}
	if x.f.Debtor == nil || x.p == nil {
		x.stall("InvalidFacts", "the claim's debtor or policy is unknown")
		return
	}
	// 8b. A claim that has taken no step, for an invoice whose collection
	// already ended (its claim was deleted, the manifest applied again), is
	// not collected a second time.
	if ci, ok := closedBefore(x.c, x.f.Debtor); ok {
		x.stall(ReasonAlreadyClosed, "collection of invoice %s of debtor %s already ended (%s on %s): it is not collected again. "+
			"Delete this claim; to collect the invoice anew, give it a new invoice number", x.c.InvoiceNumber, x.f.Debtor.Name,
			ci.Phase, ci.ClosedAt.UTC().Format(time.DateOnly))
		return
	}
	x.collect()
}

// closedBefore is the earlier collection of a claim's invoice, for a claim
// that has taken no step: such a claim is not collected again, alone or in
// its debtor's case.
func closedBefore(c *Claim, d *Debtor) (ClosedInvoice, bool) {
	ci, ok := d.Closed[c.InvoiceNumber]
	return ci, ok && len(c.State.History) == 0
}

// collect runs a claim that is due for collection by time: rules 9 to 16.
func (x *decider) collect() {
	st, p, debtor := x.st, x.p, x.f.Debtor
	sf := x.scheduleFacts()
	pl := schedule.Compute(p.Timing, sf, x.now)

	// 9. Limitation.
	var barredAt time.Time
	if st.Phase != PhaseLegal {
		from, why, err := x.limitation()
		if err != nil {
			x.stall(ReasonInvalidPolicy, "%v", err)
			return
		}
		barredAt = from.Midnight(p.Timing.Location)
		if !x.now.Before(barredAt) {
			x.end(PhaseTimeBarred, "TimeBarred", "the claim is time-barred since "+from.String()+": "+why)
			return
		}
	}
	// 10. Not due, or automatic collection off.
	switch {
	case !pl.Overdue:
		st.Phase = PhasePending
		x.setNext(pl)
		x.ready("Pending", "not due yet; overdue from "+pl.OverdueAt.Format(time.RFC3339))
		x.d.Wake = pl.WakeAt
		return
	case len(st.History) == 0 && !(x.c.AutoCollection && debtor.AutoCollection):
		st.Phase = PhaseOverdue
		st.NextStep, st.NextStepAt = "", time.Time{}
		who := "spec.autoCollection of the claim"
		if !debtor.AutoCollection {
			who = "spec.autoCollection of debtor " + debtor.Name
		}
		x.ready("AutoCollectionDisabled", "overdue; automatic collection is off ("+who+" is false): set it to true to transfer the claim")
		return
	case st.Phase == PhasePending || st.Phase == "" || st.Phase.Held():
		st.Phase = lastPhase(st.History)
	}
	// 11. Deliveries.
	if !x.checkDeliveries() {
		return
	}
	// 12. Creditor warning before transfer.
	if pl.WarnDue {
		data := notice.CreditorData{TransferOn: transferOn(p.Timing, sf, x.now)}
		if !x.notifyCreditor(CreditorOverdueWarning, data) {
			return
		}
		x.event(false, "CreditorWarned", "NotifyCreditor", "the creditor was warned that the claim transfers to collection on %s", data.TransferOn)
		sf = x.scheduleFacts()
		pl = schedule.Compute(p.Timing, sf, x.now)
	}
	if !x.notifyTransferred() {
		return
	}
	// 13. Surveillance.
	if st.Phase == PhaseSurveillance && pl.Next < 0 {
		x.surveil(barredAt)
		return
	}
	// 14. The debtor's case.
	if p.Consolidation {
		handled := x.caseMember(pl)
		if x.d.Stalled != nil {
			return
		}
		// Steps taken from the case just now count as the claim's own
		// would, in the same write: a Forward step ends collection (and
		// tells the creditor how), the transfer starts the
		// free-cancellation window (and tells the creditor its last day),
		// whether or not the case has steps left.
		if st.Phase.Terminal() {
			x.end(st.Phase, string(st.Phase), "collection has ended: "+string(st.Phase))
			return
		}
		if !x.notifyTransferred() {
			return
		}
		if handled {
			// The case's timers do not end a member at its limitation
			// date: its own wake does (rule 9).
			x.d.Wake = Earliest(x.d.Wake, barredAt)
			return
		}
		// The case may have completed: its last steps are in the history now.
		sf = x.scheduleFacts()
		pl = schedule.Compute(p.Timing, sf, x.now)
		if st.Phase == PhaseSurveillance && pl.Next < 0 {
			x.surveil(barredAt)
			return
		}
	}
	// 15. A step of the claim's own.
	if pl.Due {
		if !x.doStep(pl) {
			return
		}
		sf = x.scheduleFacts()
		pl = schedule.Compute(p.Timing, sf, x.now)
		if !st.Phase.Terminal() && !x.notifyTransferred() {
			return
		}
		if st.Phase == PhaseSurveillance && pl.Next < 0 {
			// The last step handed the claim to Surveillance: its first
			// re-check is the next step, written with this step.
			x.surveil(barredAt)
			return
		}
	}
	// 16. Next.
	x.setNext(pl)
	if st.Phase.Terminal() {
		x.end(st.Phase, string(st.Phase), "collection has ended: "+string(st.Phase))
		return
	}
	wake := pl.WakeAt
	if !barredAt.IsZero() && (wake.IsZero() || barredAt.Before(wake)) {
		wake = barredAt
	}
	x.d.Wake = wake
	if pl.Next < 0 {
		x.ready(string(st.Phase), "every step of policy "+p.Name+" is done; the claim is in "+string(st.Phase))
		return
	}
	x.ready(ReasonWaiting, "next step "+st.NextStep+" at "+st.NextStepAt.UTC().Format(time.RFC3339))
}

func (x *decider) setBalance(b ledger.Result) {
	x.bal = b
	x.d.Balance = &x.bal
}

func outstandingMessage(b ledger.Result) string {
	return b.Outstanding.String() + " " + b.Outstanding.Currency + " outstanding"
}

// limitation is the day the claim becomes time-barred, and why; payments
// and acknowledgements restart it, a judgment for the creditor too.
func (x *decider) limitation() (civil.Date, string, error) {
	var acks []civil.Date
	for _, py := range x.c.Payments {
		acks = append(acks, py.Date)
	}
	acks = append(acks, x.c.Acknowledgements...)
	var judgment civil.Date
	if dp := x.c.Dispute; dp != nil && dp.Resolution == ResolutionCreditor {
		judgment = dp.JudgmentDate
	}
	return schedule.TimeBarredFrom(x.p.Jurisdiction, x.f.Debtor.Business, x.c.DueDate, acks, judgment,
		MinimumsOn(x.p.Jurisdiction, legalDay(x.p, x.now)).PostJudgmentYears)
}

// unsupportedEnd tells why the claim's terminal phase is not supported by
// its spec, balance and history, or "" when it is (or cannot be told:
// without its debtor or policy, or a balance that does not compute).
func (x *decider) unsupportedEnd() string {
	st := x.st
	switch st.Phase {
	case PhaseWithdrawn, PhasePaid, PhaseCredited:
		if st.Phase == PhaseWithdrawn && x.c.Withdraw {
			return ""
		}
		bal, err := Balance(x.c, x.p, x.f.Debtor, x.now)
		if err != nil {
			return ""
		}
		switch {
		case st.Phase == PhaseWithdrawn && paidToCreditor(bal) && x.p != nil && x.p.CloseOnCreditorPayment:
			return ""
		case st.Phase == PhaseWithdrawn:
			return "spec.withdraw is not set"
		case st.Phase == PhaseCredited && len(x.c.Credits) > 0 && !bal.Principal.IsPositive():
			return ""
		case st.Phase == PhaseCredited:
			return "credit notes leave a principal of " + bal.Principal.String() + " " + x.c.Currency
		case (len(x.c.Payments) > 0 || len(x.c.Credits) > 0) && !bal.Outstanding.IsPositive():
			return ""
		}
		return bal.Outstanding.String() + " " + x.c.Currency + " is outstanding"
	case PhaseWrittenOff:
		if x.c.Dispute != nil && x.c.Dispute.Resolution == ResolutionDebtor {
			return ""
		}
		return "no dispute resolved for the debtor"
	case PhaseForwarded:
		if lastPhase(st.History) == PhaseForwarded {
			return ""
		}
		return "no forwarding step in status.history"
	case PhaseTimeBarred:
		if x.p == nil || x.f.Debtor == nil {
			return ""
		}
		from, _, err := x.limitation()
		if err != nil || !x.now.Before(from.Midnight(x.p.Timing.Location)) {
			return ""
		}
		return "limitation runs until " + from.String()
	}
	return ""
}

// end closes collection in a terminal phase.
func (x *decider) end(phase Phase, reason, msg string) {
	x.st.Phase = phase
	x.st.NextStep, x.st.NextStepAt = "", time.Time{}
	x.ready(reason, msg)
	x.d.Wake = time.Time{}
	x.notifyClosed()
}

// endByCreditor ends collection at the creditor's choice: fees left unpaid
// are charged to the creditor, unless inside the free-cancellation window.
func (x *decider) endByCreditor(reason, msg string) {
	free := x.freeToEnd()
	charge := x.bal.ChargeCreditor(civil.Of(x.now, location(x.p)), free)
	x.setBalance(x.bal)
	switch {
	case free:
		msg += "; inside the free-cancellation window: no cost to the creditor"
	case charge.IsPositive():
		msg += "; fees of " + charge.String() + " " + charge.Currency + " are charged to the creditor"
	}
	x.end(PhaseWithdrawn, reason, msg)
}

// freeToEnd reports whether the creditor may end collection at no cost:
// before the claim was transferred to collection, or through the last day
// of the free-cancellation window counted from the transfer (seed 004) —
// the same day the Transferred notice names.
func (x *decider) freeToEnd() bool {
	last, ok := x.freeUntil()
	if !ok {
		return true
	}
	loc := location(x.p)
	return !civil.Of(x.now, loc).After(last)
}

// freeUntil is the last day the creditor may end collection at no cost;
// ok is false before the transfer (free throughout).
func (x *decider) freeUntil() (civil.Date, bool) {
	if x.p == nil {
		return civil.Date{}, false
	}
	at := transferredAt(x.p, x.st.History)
	if at.IsZero() {
		return civil.Date{}, false
	}
	// The window starts the day of the transfer: ten days are that day and the nine after.
	return civil.Of(at, location(x.p)).AddDays(x.p.FreeCancellationDays - 1), true
}

// credited ends a claim whose credit notes took its principal to zero: no
// debt is left, so nothing more is charged and the debtor owes nothing.
// Fees already incurred go to the creditor unless inside the
// free-cancellation window (seed 004: crediting after the transfer stops
// collection, "restbeløpet og eventuelle gebyrer vil bli belastet deg").
func (x *decider) credited() {
	day := civil.Of(x.now, location(x.p))
	free := x.freeToEnd()
	charge := x.bal.ChargeCreditor(day, free)
	x.bal.WriteOff(day)
	x.setBalance(x.bal)
	msg := "credit notes took the principal to zero: nothing is owed"
	switch {
	case free:
		msg += "; inside the free-cancellation window: no cost to the creditor"
	case charge.IsPositive():
		msg += "; fees of " + charge.String() + " " + charge.Currency + " are charged to the creditor"
	}
	if x.bal.Overpaid.IsPositive() {
		msg += "; over-paid by " + x.bal.Overpaid.String() + " " + x.c.Currency + ": refund it"
		x.event(true, "Overpaid", "Settle", "%s", msg)
	}
	x.flag(ConditionSettled, true, "Credited", msg)
	x.end(PhaseCredited, "Credited", msg)
}

// keepReference records a payment reference the claim has had: every
// reference a notice printed stays valid for the claim.
func (x *decider) keepReference(ref string) {
	if ref != "" && !slices.Contains(x.st.PaymentReferences, ref) {
		x.st.PaymentReferences = append(x.st.PaymentReferences, ref)
	}
}

// hold interrupts collection: the schedule shifts by the days held.
func (x *decider) hold(phase Phase, reason, msg string) {
	x.st.Phase = phase
	x.st.NextStepAt = time.Time{}
	if x.st.HeldSince.IsZero() {
		x.st.HeldSince = x.at()
	}
	x.ready(reason, msg)
}

// lastPhase is the phase of the last completed step, or Overdue.
func lastPhase(h []Entry) Phase {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Phase != "" {
			return h[i].Phase
		}
	}
	return PhaseOverdue
}

func (x *decider) setNext(pl schedule.Plan) {
	if pl.Next < 0 {
		x.st.NextStep, x.st.NextStepAt = "", time.Time{}
		return
	}
	x.st.NextStep = x.p.Steps[pl.Next].Name
	x.st.NextStepAt = pl.NextAt.UTC()
}

func (x *decider) scheduleFacts() schedule.Claim {
	c := schedule.Claim{Key: x.c.Key(), InvoiceDate: x.c.InvoiceDate, DueDate: x.c.DueDate, ShiftDays: x.st.PausedDays,
		WarnedAt: x.st.CreditorNotices[CreditorOverdueWarning], Decided: x.c.CreditDecision != ""}
	for _, h := range x.st.History {
		c.Done = append(c.Done, schedule.Done{Step: h.Step, At: h.Time})
	}
	return c
}

// transferred reports whether a step past the Reminder phase has been done.
func transferred(p *Policy, h []Entry) bool { return !transferredAt(p, h).IsZero() }

// transferredAt is when the claim's first step past the Reminder phase was
// done: its transfer to collection (zero: not yet).
func transferredAt(p *Policy, h []Entry) time.Time {
	for _, e := range h {
		if s, ok := p.StepNamed(e.Step); ok && !s.Reminder() {
			return e.Time
		}
	}
	return time.Time{}
}

// creditDecision is the claim's credit decision and where it came from.
func creditDecision(c *Claim, p *Policy) (CreditDecision, string) {
	if c.CreditDecision != "" {
		return c.CreditDecision, "spec.creditDecision"
	}
	if p.DefaultDecision != "" {
		return p.DefaultDecision, "policy default"
	}
	return Insolvent, "default"
}

// stepPhase is the phase a claim enters with a step, and what to record
// about it: Escalate branches on the claim's credit decision.
func stepPhase(c *Claim, p *Policy, s Step) (Phase, string) {
	switch s.Action {
	case ActionCreditCheck:
		decision, source := creditDecision(c, p)
		return s.Phase, fmt.Sprintf("credit assessment: %s (%s)", decision, source)
	case ActionEscalate:
		decision, source := creditDecision(c, p)
		phase := PhaseLegal
		if decision == Insolvent {
			phase = PhaseSurveillance
		}
		return phase, fmt.Sprintf("handed over to %s after credit assessment %s (%s)", phase, decision, source)
	case ActionSurveil:
		return PhaseSurveillance, ""
	case ActionForward:
		return PhaseForwarded, "forwarded to a foreign partner"
	}
	return s.Phase, ""
}

// branchCharges reports whether a step's fee applies to the branch taken:
// an Escalate step's fee (a court or enforcement fee) only when the claim
// goes to Legal, never when the credit assessment sends it to Surveillance.
func branchCharges(s Step, phase Phase) bool {
	return s.Action != ActionEscalate || phase == PhaseLegal
}

// noticeNames are the deterministic names of a step's notices: creating
// one again finds it, so a retry never sends twice.
func noticeNames(caseID string, s Step) []string {
	if !s.Action.Sends() {
		return nil
	}
	names := make([]string, 0, len(s.Channels))
	for _, ch := range s.Channels {
		names = append(names, notice.Name(caseID, s.Name, ch))
	}
	return names
}

func (x *decider) channelsExist(channels []string, usedBy string) bool {
	if x.f.ChannelExists == nil {
		return true
	}
	for _, ch := range channels {
		if !x.f.ChannelExists(ch) {
			x.stall(ReasonChannelNotFound, "NoticeChannel %q used by %s does not exist in namespace %q", ch, usedBy, x.c.Namespace)
			return false
		}
	}
	return true
}

// doStep carries out a step of the claim's own; false when it stalled.
func (x *decider) doStep(pl schedule.Plan) bool {
	st, p, debtor := x.st, x.p, x.f.Debtor
	step := p.Steps[pl.Next]
	if !x.channelsExist(step.Channels, fmt.Sprintf("step %q of policy %q", step.Name, p.Name)) {
		return false
	}
	if !step.Reminder() && !transferred(p, st.History) && debtor.Country != p.Jurisdiction {
		// A debtor abroad is handed to a foreign partner at transfer.
		msg := fmt.Sprintf("the debtor lives in %s, outside the policy's jurisdiction %s: forwarded to a foreign partner", debtor.Country, p.Jurisdiction)
		x.record(Entry{Step: step.Name, Phase: PhaseForwarded, Time: x.at(), DueAt: pl.NextAt.UTC(),
			Fee: money.Zero(x.c.Currency), HasFee: true, Message: msg})
		x.event(false, "Forwarded", "Forward", "%s", msg)
		return true
	}
	names := noticeNames(st.CaseID, step)
	// A step whose notices exist was taken already: the claim's record is
	// older than its notices (a restore, or a status write lost after the
	// notices were made). Adopt it as it was taken, at its time and fee.
	at, recorded, adopted := x.adopt(step, names)
	fee, err := Allowance(p, debtor, x.c, step, x.bal.Principal, at)
	if err != nil {
		x.stall(ReasonFeeUnavailable, "step %q of policy %q: %v", step.Name, p.Name, err)
		return false
	}
	phase, msg := stepPhase(x.c, p, step)
	if !branchCharges(step, phase) {
		fee.Amount = money.Zero(x.c.Currency)
	}
	if recorded != nil {
		fee.Amount = *recorded // what the debtor was told
	}
	x.record(Entry{Step: step.Name, Phase: phase, Time: at.Truncate(time.Second), DueAt: pl.NextAt.UTC(), Notices: names,
		Fee: fee.Amount, HasFee: true, FeeKind: fee.Kind, Message: msg})
	if len(names) > 0 {
		// Adopted or not: a channel's notice that is missing is made now,
		// with the step's time; existing ones are found, never sent again.
		x.d.Notices = append(x.d.Notices, NoticeIntent{CaseID: st.CaseID, Step: step, Names: names, Fee: fee.Amount, At: at})
	}
	if adopted != "" {
		x.event(true, ReasonStepAdopted, "Adopt", "step %s was already taken on %s (notice %s exists; the claim's record was older, as after a restore): "+
			"recorded from the notice, nothing is sent or charged again", step.Name, at.UTC().Format(time.RFC3339), adopted)
		return true
	}
	x.d.Observe = &Observation{Policy: p.Name, Step: step.Name, Due: pl.NextAt}
	note := fmt.Sprintf("step %s done", step.Name)
	if len(names) > 0 {
		note += fmt.Sprintf(", %d notice(s) via %s", len(names), strings.Join(step.Channels, ", "))
	}
	if fee.Amount.IsPositive() {
		note += ", fee " + fee.Amount.String() + " " + fee.Amount.Currency
	}
	if msg != "" {
		note += "; " + msg
	}
	x.event(false, "StepCompleted", "Step", "%s", note)
	return true
}

// ReasonStepAdopted is the event when a step is recorded from its existing
// notices instead of being taken again.
const ReasonStepAdopted = "StepAdopted"

// adopt looks for notices of step that already exist. With one, the step was
// taken before: at is when (the step time the notice carries, else its
// release, never after now), fee the fee it carries (nil: not carried), and
// adopted the notice's name. Without one, at is now and adopted empty.
func (x *decider) adopt(step Step, names []string) (at time.Time, fee *money.Money, adopted string) {
	at = x.now
	if x.f.Notice == nil {
		return at, nil, ""
	}
	for _, name := range names {
		n, ok := x.f.Notice(name)
		if !ok || n.Step != step.Name { // a lookup that does not say the step proves nothing
			continue
		}
		when := n.StepAt
		if when.IsZero() {
			when = n.Released
		}
		if when.IsZero() || when.After(x.now) {
			when = x.now
		}
		if adopted == "" || when.Before(at) {
			at = when
		}
		if n.HasFee && n.Fee.Currency == x.c.Currency && fee == nil {
			f := n.Fee
			fee = &f
		}
		if adopted == "" {
			adopted = name
		}
	}
	return at, fee, adopted
}

// record appends a history record and moves the claim to its phase, with
// the balance the record's fee makes.
func (x *decider) record(e Entry) {
	st := x.st
	st.History = append(st.History, e)
	x.d.Record = &st.History[len(st.History)-1]
	st.Step, st.Phase = e.Step, e.Phase
	if st.CollectionStartedAt.IsZero() && e.Step != RecheckStep {
		st.CollectionStartedAt = e.Time
	}
	if b, err := Balance(x.c.withHistory(st.History), x.p, x.f.Debtor, x.now); err == nil {
		x.setBalance(b)
	}
}

// withHistory is the claim with another history (a shallow copy).
func (c *Claim) withHistory(h []Entry) *Claim {
	out := *c
	out.State.History = h
	return &out
}

// checkDeliveries looks at the notices of the claim's latest record with
// notices: a failed debtor notice is copied to the policy's fallback
// channel once; with no fallback left the claim stalls and its next step
// waits until the notice is retried and sent, or deleted. False: stalled.
func (x *decider) checkDeliveries() bool {
	h := x.st.History
	i := len(h) - 1
	for i >= 0 && len(h[i].Notices) == 0 {
		i--
	}
	if i < 0 || x.f.Notice == nil {
		return true
	}
	entry := &h[i]
	for _, name := range slices.Clone(entry.Notices) {
		n, ok := x.f.Notice(name)
		if ok && n.Unknown && n.Debtor {
			x.stall("NoticeDeliveryUnknown", "notice %s (step %s, channel %s): %s; the next step waits. "+
				"Ask the provider, then annotate it: kubectl annotate ntc %s collection.inkasso.dev/resolve-delivery=Sent (or =Resend)",
				name, entry.Step, n.Channel, n.Why, name)
			return false
		}
		if !ok || !n.Failed || !n.Debtor {
			continue // gone (sent and collected, or deleted to go on), or fine; creditor notices never hold the process
		}
		fb := x.p.FallbackChannel
		if fb == "" || n.Channel == fb {
			x.stall("NoticeFailed", "notice %s (step %s, channel %s) failed: %s; the next step waits. Fix the cause and retry it "+
				"(kubectl patch ntc %s --subresource=status --type=merge -p '{\"status\":null}'), or delete it to go on without it",
				name, entry.Step, n.Channel, n.Why, name)
			return false
		}
		copyName := notice.Name(n.CaseID, entry.Step, fb)
		if slices.Contains(entry.Notices, copyName) {
			continue
		}
		if !x.channelsExist([]string{fb}, "spec.fallbackChannel of policy "+x.p.Name) {
			return false
		}
		entry.Notices = append(entry.Notices, copyName)
		x.d.Fallbacks = append(x.d.Fallbacks, Fallback{Of: name, Copy: copyName, Channel: fb, Why: n.Why})
		x.event(true, "NoticeFallback", "Fallback", "notice %s failed on channel %s (%s): sent again through fallback channel %s as %s",
			name, n.Channel, n.Why, fb, copyName)
	}
	return true
}

// Undelivered reports a failed debtor notice of the claim's latest record
// with notices that no fallback repairs: a case waits while a member has one.
func Undelivered(c *Claim, p *Policy, lookup func(string) (NoticeState, bool)) bool {
	h := c.State.History
	i := len(h) - 1
	for i >= 0 && len(h[i].Notices) == 0 {
		i--
	}
	if i < 0 || lookup == nil {
		return false
	}
	for _, name := range h[i].Notices {
		n, ok := lookup(name)
		if ok && n.Unknown && n.Debtor {
			return true // a person settles it first; no fallback copy
		}
		if !ok || !n.Failed || !n.Debtor {
			continue
		}
		fb := p.FallbackChannel
		if fb == "" || n.Channel == fb {
			return true
		}
		if cp, ok := lookup(notice.Name(n.CaseID, h[i].Step, fb)); ok && cp.Failed {
			return true
		}
	}
	return false
}

// notifyCreditor tells the creditor about ev once per claim; false: stalled.
func (x *decider) notifyCreditor(ev CreditorEvent, data notice.CreditorData) bool {
	if x.p == nil || !x.p.CreditorNotify[ev] {
		return true
	}
	if _, done := x.st.CreditorNotices[ev]; done {
		return true
	}
	if !x.channelsExist(x.p.CreditorChannels, fmt.Sprintf("spec.creditorNotices of policy %q", x.p.Name)) {
		return false
	}
	x.st.CreditorNotices[ev] = x.at()
	x.d.Creditor = append(x.d.Creditor, CreditorIntent{Event: ev, Data: data})
	return true
}

// notifyTransferred tells the creditor the claim is in collection once its
// first step past the reminders is done, with the free-cancellation window.
func (x *decider) notifyTransferred() bool {
	st := x.st
	if !transferred(x.p, st.History) || st.Phase == PhaseForwarded {
		return true
	}
	var data notice.CreditorData
	if last, ok := x.freeUntil(); ok && x.p.FreeCancellationDays > 0 {
		data.FreeUntil = last.String()
	}
	return x.notifyCreditor(CreditorTransferred, data)
}

// notifyClosed tells the creditor how collection ended, once, when it had started.
func (x *decider) notifyClosed() {
	if x.st.CollectionStartedAt.IsZero() || x.p == nil {
		return
	}
	if _, done := x.st.CreditorNotices[CreditorClosed]; done || !x.p.CreditorNotify[CreditorClosed] {
		return
	}
	data := notice.CreditorData{Result: string(x.st.Phase), Reason: strings.TrimSpace(x.d.Ready.Message)}
	if x.notifyCreditor(CreditorClosed, data) {
		x.event(false, "CreditorNotified", "NotifyCreditor", "the creditor was told that collection ended: %s", x.st.Phase)
	}
}

// transferOn is the day a warned claim transfers at the earliest.
func transferOn(tp schedule.Policy, facts schedule.Claim, now time.Time) string {
	d := civil.Of(now, tp.Location).AddDays(tp.TransferWarningDays)
	for _, x := range []civil.Date{facts.DueDate.AddDays(tp.MinDaysAfterDue), facts.InvoiceDate.AddDays(tp.MinDaysAfterInvoice)} {
		if x.After(d) {
			d = x
		}
	}
	return d.String()
}

// surveil runs a claim in Surveillance after every step: a credit re-check
// every recheckDays, which hands the claim to Legal once the debtor is found
// able to pay, until the claim is time-barred.
func (x *decider) surveil(barredAt time.Time) {
	st, p := x.st, x.p
	days := p.recheckDays()
	at := nextRecheck(x.c.Key(), st.History, p, x.now)
	if !x.now.Before(at) {
		decision, source := creditDecision(x.c, p)
		e := Entry{Step: RecheckStep, Phase: PhaseSurveillance, Time: x.at(), DueAt: at.UTC(),
			Message: fmt.Sprintf("credit re-check: %s (%s)", decision, source)}
		if decision == Solvent {
			e.Phase = PhaseLegal
			e.Message += "; the debtor can pay: handed over to Legal"
		}
		st.History = append(st.History, e)
		x.d.Record = &st.History[len(st.History)-1]
		st.Phase = e.Phase
		x.event(false, "CreditRechecked", "Recheck", "%s", e.Message)
		if st.Phase == PhaseLegal {
			st.NextStep, st.NextStepAt = "", time.Time{}
			x.ready("Legal", e.Message)
			return
		}
		at = p.Timing.RecheckAt(x.c.Key(), x.now, days)
	}
	st.NextStep, st.NextStepAt = RecheckStep, at.UTC()
	x.ready("Surveillance", SurveillanceMessage(x.c.Name, st.CaseID, p.Name, at))
	wake := at
	if !barredAt.IsZero() && barredAt.Before(wake) {
		wake = barredAt
	}
	x.d.Wake = wake
}

// SurveillanceMessage is the Ready message of a claim in Surveillance.
func SurveillanceMessage(claim, caseID, policy string, recheck time.Time) string {
	inCase := ""
	if caseID != "" && caseID != claim {
		inCase = " (collected in case " + caseID + ")"
	}
	return "every step of policy " + policy + " is done" + inCase + "; in surveillance until the claim is time-barred; next credit re-check at " + recheck.UTC().Format(time.RFC3339)
}

func (p *Policy) recheckDays() int {
	if p.RecheckDays > 0 {
		return p.RecheckDays
	}
	return DefaultRecheckDays
}

// HistoryLimitSet reports a policy history limit.
func (p *Policy) HistoryLimitSet() bool { return p.HistoryLimit > 0 }

// nextRecheck is when a claim in Surveillance is due its next credit
// re-check: recheckDays after its last history record.
func nextRecheck(key string, h []Entry, p *Policy, now time.Time) time.Time {
	last := now
	if n := len(h); n > 0 {
		last = h[n-1].Time
	}
	return p.Timing.RecheckAt(key, last, p.recheckDays())
}

// paymentPlan follows spec.paymentPlan; true when the plan holds the claim
// (or stalled it).
func (x *decider) paymentPlan() bool {
	st, c := x.st, x.c
	if !c.HasPlan {
		if st.Plan != nil && st.Plan.State == plan.OnTrack {
			st.Plan.State, st.Plan.Installment = PlanRemoved, -1
			st.Plan.Message = "spec.paymentPlan was removed; collection resumes"
			x.event(false, "PaymentPlanRemoved", "PaymentPlan", "%s", st.Plan.Message)
		}
		x.flag(ConditionPaymentPlan, false, "NoPlan", "no payment plan")
		return false
	}
	if x.p == nil {
		return false // the missing policy stalls the claim below
	}
	var pays []plan.Payment
	for _, py := range c.Payments {
		pays = append(pays, plan.Payment{Date: py.Date, Amount: py.Amount})
	}
	v, err := plan.Evaluate(c.Installments, pays, civil.Of(x.now, location(x.p)), x.p.PlanGraceDays)
	if err != nil {
		x.stall(ReasonInvalidPaymentPlan, "spec.paymentPlan: %v", err)
		return true
	}
	if st.Plan == nil {
		fee, err := x.planFee()
		if err != nil {
			x.stall(ReasonFeeUnavailable, "spec.paymentPlans.fee of policy %q: %v", x.p.Name, err)
			return true
		}
		st.Plan = &PlanStatus{AgreedAt: x.at(), Fee: fee, HasFee: true, Installment: -1}
		note := fmt.Sprintf("payment plan of %d installment(s) agreed", len(c.Installments))
		if fee.IsPositive() {
			note += "; plan fee " + fee.String() + " " + c.Currency
		}
		x.event(false, "PaymentPlanAgreed", "PaymentPlan", "%s", note)
		if b, err := Balance(c.withPlan(st.Plan), x.p, x.f.Debtor, x.now); err == nil {
			x.setBalance(b)
		}
	}
	pst := st.Plan
	was := pst.State
	pst.State, pst.Installment = v.State, -1
	inst := c.Installments
	switch v.State {
	case plan.OnTrack:
		i := v.Installment
		pst.Installment = i
		pst.Message = fmt.Sprintf("installment %d of %d (%s %s) is due %s; escalation is stopped while installments are met",
			i+1, len(inst), inst[i].Amount, c.Currency, inst[i].Due.String())
		x.flag(ConditionPaymentPlan, true, string(plan.OnTrack), pst.Message)
		x.hold(PhasePaymentPlan, "PaymentPlan", pst.Message)
		st.NextStep = ""
		x.d.Wake = v.CheckOn.Midnight(location(x.p))
		return true
	case plan.Missed:
		i := v.Installment
		pst.Installment = i
		pst.Message = fmt.Sprintf("installment %d of %d (due %s) was not met: %s %s short; the plan is broken and collection resumes at the step it left",
			i+1, len(inst), inst[i].Due.String(), v.Shortfall, c.Currency)
		x.flag(ConditionPaymentPlan, false, "InstallmentMissed", pst.Message)
		if was != plan.Missed {
			x.event(true, "PaymentPlanBroken", "PaymentPlan", "%s", pst.Message)
		}
	case plan.Completed:
		pst.Message = "every installment was met; what remains (" + x.bal.Outstanding.String() + " " + c.Currency + ") is collected by the policy"
		x.flag(ConditionPaymentPlan, false, string(plan.Completed), pst.Message)
	}
	return false
}

func (c *Claim) withPlan(p *PlanStatus) *Claim {
	out := *c
	out.State.Plan = p
	return &out
}

// planFee is the fee the policy charges when a plan is agreed: only on a
// debt in collection (a plan agreed with the creditor before the transfer
// is the creditor's own arrangement, not a collection cost).
func (x *decider) planFee() (money.Money, error) {
	cur := x.c.Currency
	if x.p.PlanFee == "" || x.p.PlanFee == PlanFeeNone || !transferred(x.p, x.st.History) {
		return money.Zero(cur), nil
	}
	in := fees.Input{Jurisdiction: x.p.Jurisdiction, Currency: cur, Principal: x.bal.Principal, On: legalDay(x.p, x.now),
		Business: x.f.Debtor != nil && x.f.Debtor.Business, Charged: Charged(x.p, x.f.Debtor, x.c)}
	if x.p.PlanFee == PlanFeeStatutory {
		in.Kind = fees.PaymentPlan
	} else {
		in.Fixed = x.p.PlanFee
	}
	return fees.Compute(in)
}
