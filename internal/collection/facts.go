// Package collection decides a claim's fate. It is the one place that owns
// the order of the collection rules (docs/design-decisions.md, "The
// decider"): the controllers fetch the objects, convert them once into the
// facts of this package, call DecideClaim or DecideCases, and apply the
// decision (status write, notices, events, requeue). Nothing here talks to
// the Kubernetes API, so every rule is table-tested without a control plane.
package collection

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// Phase is where a claim stands (the API's status.phase).
type Phase string

// Phases of a claim.
const (
	PhasePending      Phase = "Pending"
	PhaseOverdue      Phase = "Overdue"
	PhaseReminder     Phase = "Reminder"
	PhaseCollection   Phase = "Collection"
	PhaseLegal        Phase = "Legal"
	PhaseSurveillance Phase = "Surveillance"
	PhaseSuspended    Phase = "Suspended"
	PhaseDisputed     Phase = "Disputed"
	PhasePaymentPlan  Phase = "PaymentPlan"
	PhasePaid         Phase = "Paid"
	PhaseCredited     Phase = "Credited"
	PhaseWithdrawn    Phase = "Withdrawn"
	PhaseWrittenOff   Phase = "WrittenOff"
	PhaseTimeBarred   Phase = "TimeBarred"
	PhaseForwarded    Phase = "Forwarded"
)

// Terminal reports a phase collection never leaves.
func (p Phase) Terminal() bool {
	switch p {
	case PhasePaid, PhaseCredited, PhaseWithdrawn, PhaseWrittenOff, PhaseTimeBarred, PhaseForwarded:
		return true
	}
	return false
}

// Held reports a phase that interrupts collection until a person acts.
func (p Phase) Held() bool {
	return p == PhaseSuspended || p == PhaseDisputed || p == PhasePaymentPlan
}

// Action is what a policy step does.
type Action string

// Step actions.
const (
	ActionNotify         Action = "Notify"
	ActionNotifyCreditor Action = "NotifyCreditor"
	ActionCreditCheck    Action = "CreditCheck"
	ActionEscalate       Action = "Escalate"
	ActionSurveil        Action = "Surveil"
	ActionForward        Action = "Forward"
)

// Sends reports whether the step renders notices for its channels.
func (a Action) Sends() bool {
	return a == "" || a == ActionNotify || a == ActionNotifyCreditor
}

// CreditDecision is the outcome of a credit assessment.
type CreditDecision string

// Credit decisions.
const (
	Solvent   CreditDecision = "Solvent"
	Insolvent CreditDecision = "Insolvent"
)

// Resolution is how a dispute ended.
type Resolution string

// Dispute resolutions.
const (
	ResolutionPending  Resolution = "Pending"
	ResolutionCreditor Resolution = "Creditor"
	ResolutionDebtor   Resolution = "Debtor"
)

// CreditorEvent is a moment the creditor is told about.
type CreditorEvent string

// Creditor events.
const (
	CreditorOverdueWarning CreditorEvent = "OverdueWarning"
	CreditorTransferred    CreditorEvent = "Transferred"
	CreditorClosed         CreditorEvent = "Closed"
)

// PlanRemoved is the plan state after spec.paymentPlan was deleted while on track.
const PlanRemoved plan.State = "Removed"

// PlanFee values besides a fixed amount (the API's spec.paymentPlans.fee).
const (
	PlanFeeNone      = "None"
	PlanFeeStatutory = "Statutory"
)

// ConditionType names a True/False condition a decision sets on the claim
// (a Flag): the API's condition type of the same name.
type ConditionType string

// Conditions a decision flags.
const (
	ConditionSettled     ConditionType = "Settled"
	ConditionDisputed    ConditionType = "Disputed"
	ConditionSuspended   ConditionType = "Suspended"
	ConditionPaymentPlan ConditionType = "PaymentPlan"
)

// Condition reasons used by more than one rule, or read back by the
// controllers (reasons are plain strings, as in metav1.Condition).
const (
	ReasonWaiting           = "Waiting"     // Ready: the next step is scheduled
	ReasonPaid              = "Paid"        // Ready and Settled: paid in full
	ReasonOutstanding       = "Outstanding" // Settled False: money is owed
	ReasonResolvedForDebtor = "ResolvedForDebtor"

	// Stalled reasons.
	ReasonInvalidPolicy      = "InvalidPolicy"
	ReasonInvalidAmount      = "InvalidAmount"
	ReasonInvalidPaymentPlan = "InvalidPaymentPlan"
	ReasonInvalidReference   = "InvalidReference"
	ReasonFeeUnavailable     = "FeeUnavailable"
	ReasonChannelNotFound    = "ChannelNotFound"
)

// RecheckStep is the history step of a periodic credit re-check in Surveillance.
const RecheckStep = "credit-recheck"

// Defaults the API leaves to the operator.
const (
	DefaultRecheckDays          = 180
	DefaultFreeCancellationDays = 10 // seed 004
)

// Step is one step of a policy.
type Step struct {
	Name     string
	Phase    Phase
	Action   Action
	Channels []string
	Template string
	// Fee is the fee kind the step charges; FixedFee, when set, a fixed
	// amount instead (in the claim's currency).
	Fee                 fees.Kind
	FixedFee            string
	PaymentDeadlineDays int
}

// FeeOf reads a policy step's fee: a fee kind, or else a fixed amount.
func FeeOf(fee string) (kind fees.Kind, fixed string) {
	switch k := fees.Kind(fee); k {
	case "", fees.None, fees.Reminder, fees.LightSalary, fees.HeavySalary, fees.Compensation:
		return k, ""
	}
	return "", fee
}

// Reminder reports a reminder-phase step: the claim's own, before transfer.
func (s Step) Reminder() bool { return s.Phase == PhaseReminder }

// FeeRules are a policy's overrides of the fee tables.
type FeeRules struct {
	NoVAT       bool   // creditor not VAT-registered (Norway: +25 %)
	Sats        string // override of Norway's inkassosats, major units
	ReminderFee string // override of the reminder fee, major units
}

// MoneyRules are how a policy computes interest and allocates payments.
type MoneyRules struct {
	Interest *interest.Table // nil: no late interest
	Rate     *decimal.Decimal
	DayCount interest.DayCount
	Order    ledger.Order
}

// Policy is a CollectionPolicy as the rules see it.
type Policy struct {
	Name         string
	Jurisdiction string
	Timing       schedule.Policy // Timing.Steps[i] is Steps[i]
	Steps        []Step
	// Consolidation collects a debtor's claims together as one case.
	Consolidation bool
	// CloseOnCreditorPayment ends collection when the debtor paid the creditor directly.
	CloseOnCreditorPayment bool
	FreeCancellationDays   int
	// CreditorNotify lists the creditor events the policy tells the
	// creditor about, through CreditorChannels.
	CreditorNotify   map[CreditorEvent]bool
	CreditorChannels []string
	FallbackChannel  string
	RecheckDays      int
	DefaultDecision  CreditDecision
	// PlanFee is "", PlanFeeNone, PlanFeeStatutory or a fixed amount; PlanGraceDays
	// how late an installment may be.
	PlanFee       string
	PlanGraceDays int
	// HistoryLimit is how many history records a claim's status keeps (0: the default).
	HistoryLimit int
	Fees         FeeRules
	Money        MoneyRules
}

// StepNamed returns the policy's step of that name.
func (p *Policy) StepNamed(name string) (Step, bool) {
	for _, s := range p.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// IsCaseStep reports a step the debtor's case carries out: any past the reminders.
func (p *Policy) IsCaseStep(name string) bool {
	s, ok := p.StepNamed(name)
	return ok && !s.Reminder()
}

// Debtor is who owes.
type Debtor struct {
	Name           string
	Business       bool
	Country        string
	AutoCollection bool
	// ReminderFeeAgreed: the customer's terms allow reminder fees (Sweden).
	ReminderFeeAgreed bool
	// Closed are the debtor's invoices whose collection ended, by invoice
	// number (the Debtor's bounded memory, status.closedInvoices).
	Closed map[string]ClosedInvoice
}

// ClosedInvoice is an invoice whose collection ended.
type ClosedInvoice struct {
	Phase    Phase
	ClosedAt time.Time
}

// ReasonAlreadyClosed stalls a new claim for an invoice whose collection
// already ended.
const ReasonAlreadyClosed = "AlreadyClosed"

// Payment is money received for a claim.
type Payment struct {
	ID         string
	Amount     money.Money
	Date       civil.Date
	ByCreditor bool // paid to the creditor directly
}

// Credit is a credit note.
type Credit struct {
	ID     string
	Amount money.Money
	Date   civil.Date
}

// Dispute is the debtor's objection to a claim.
type Dispute struct {
	RaisedOn   civil.Date
	Resolution Resolution
	// JudgmentDate is when a court decided for the creditor (zero: none).
	JudgmentDate civil.Date
}

// Entry is one record of a claim's history.
type Entry struct {
	Step    string
	Phase   Phase
	Time    time.Time
	DueAt   time.Time
	Notices []string
	// Fee charged by the step (zero Money with a currency when none) and
	// its legal basis; FeeKind is empty in records written before it was
	// kept, and the policy's step then tells it.
	Fee     money.Money
	HasFee  bool // the record states a fee, possibly zero
	FeeKind fees.Kind
	Message string
}

// PlanStatus is what the operator recorded about a payment plan.
type PlanStatus struct {
	AgreedAt    time.Time
	Fee         money.Money
	HasFee      bool
	State       plan.State
	Installment int // -1: none
	Message     string
}

// Condition is a status condition the decision sets.
type Condition struct {
	Reason, Message string
}

// State is the claim's status as the rules read and write it.
type State struct {
	// RestoredFromArchive: the status came back from the claim archive (a
	// manifest of an archived claim applied again): its ending is the
	// archive's record, not something the spec shows.
	RestoredFromArchive bool
	Phase               Phase
	Step                string
	NextStep            string
	NextStepAt          time.Time
	History             []Entry
	HeldSince           time.Time
	PausedDays          int
	CollectionStartedAt time.Time
	CaseID              string
	PaymentReference    string
	// PaymentReferences are every reference the claim has had: each stays valid.
	PaymentReferences []string
	AwaitingCase      bool
	Plan              *PlanStatus
	// CreditorNotices records when each creditor event was notified.
	CreditorNotices map[CreditorEvent]time.Time
	// Ready is the Ready condition last written, when True.
	Ready *Condition
}

// Claim is an invoice in collection.
type Claim struct {
	Name, Namespace string
	InvoiceNumber   string
	Currency        string
	Amount          money.Money
	InvoiceDate     civil.Date
	DueDate         civil.Date
	Payments        []Payment
	Credits         []Credit
	Withdraw        bool
	Suspend         bool
	AutoCollection  bool
	Dispute         *Dispute
	// Installments of spec.paymentPlan; HasPlan tells an empty plan from none.
	Installments   []plan.Installment
	HasPlan        bool
	CreditDecision CreditDecision
	// ReminderFeeAgreed is the claim's own record that a reminder fee was
	// agreed when the debt arose (nil: the debtor's says).
	ReminderFeeAgreed *bool
	// Acknowledgements are the debtor's written acknowledgements (restart limitation).
	Acknowledgements []civil.Date
	State            State
}

// Key is namespace/name: what spreads the claim's steps over the policy's
// stepWindow.
func (c *Claim) Key() string { return c.Namespace + "/" + c.Name }

// HasStep reports whether the claim's history records the step.
func (c *Claim) HasStep(step string) bool {
	for _, h := range c.State.History {
		if h.Step == step {
			return true
		}
	}
	return false
}

// CaseStep is one step a collection case recorded (intent first) for its claims.
type CaseStep struct {
	Step   string
	Time   time.Time
	DueAt  time.Time
	Claims []string
	// Shares is each claim's part of Fee; nil for records seeded from the
	// opener's own history (carried out by the claim itself).
	Shares  []money.Money
	Fee     money.Money
	FeeKind fees.Kind
}

// ShareOf returns claim's share of the step, if the step covered it.
func (s CaseStep) ShareOf(claim string) (money.Money, bool) {
	for i, c := range s.Claims {
		if c == claim && i < len(s.Shares) {
			return s.Shares[i], true
		}
	}
	return money.Money{}, false
}

// Case is a debtor's collection case: claims in one currency under one
// policy collected together.
type Case struct {
	ID         string
	Policy     string
	Currency   string
	DueDate    civil.Date
	Claims     []string
	Step       string
	NextStep   string
	NextStepAt time.Time
	OpenedAt   time.Time
	History    []CaseStep
}

// Lists reports whether the case collects the claim.
func (c *Case) Lists(claim string) bool {
	for _, n := range c.Claims {
		if n == claim {
			return true
		}
	}
	return false
}

// LastRecorded is the case's latest step with shares (one it carried out), or nil.
func (c *Case) LastRecorded() *CaseStep {
	if n := len(c.History); n > 0 && c.History[n-1].Shares != nil {
		return &c.History[n-1]
	}
	return nil
}

// NoticeState is what a claim's notice tells the rules.
type NoticeState struct {
	CaseID  string
	Channel string
	Debtor  bool // addressed to the debtor (creditor notices never hold the process)
	Failed  bool
	// Unknown: an attempt may or may not have reached the debtor and the
	// channel delivers at most once; a person settles it. Never replaced
	// by a fallback copy, which could be a second letter.
	Unknown bool
	Why     string
	// Step is the policy step the notice is for; StepAt and Fee are the
	// step's record as the notice carries it (annotations written when the
	// step was taken; StepAt zero: a notice made before they were kept).
	// Released is when the notice could first go out (notBefore, else its
	// creation): the stand-in for StepAt on older notices.
	Step     string
	StepAt   time.Time
	Fee      money.Money
	HasFee   bool
	Released time.Time
}

// Problem is a reason no retry fixes until an object changes (Stalled).
type Problem struct {
	Reason, Message string
}

func (p *Problem) Error() string { return p.Reason + ": " + p.Message }

// ReasonStatusRestored is the event when a phase the claim's record does
// not support (a user's status write) is put back.
const ReasonStatusRestored = "StatusRestored"
