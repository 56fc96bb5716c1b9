package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReceivedBy tells who received a payment: the agency (this operator's
// creditor account) or the creditor directly.
// +kubebuilder:validation:Enum=Agency;Creditor
type ReceivedBy string

// Who received a payment.
const (
	ReceivedByAgency   ReceivedBy = "Agency"
	ReceivedByCreditor ReceivedBy = "Creditor"
)

// Payment is money received against the claim.
type Payment struct {
	// id identifies the payment (bank transaction id, ERP id); the list key,
	// so several field managers can each own their entries.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`
	// +required
	ID string `json:"id"`
	// amount paid, in the claim's currency.
	// +required
	Amount Amount `json:"amount"`
	// date the payment was received.
	// +required
	Date Date `json:"date"`
	// receivedBy is Agency (default) or Creditor: a payment to the creditor
	// directly stops collection of the principal.
	// +kubebuilder:default=Agency
	// +optional
	ReceivedBy ReceivedBy `json:"receivedBy,omitempty"`
}

// Credit is a credit note reducing the claim.
type Credit struct {
	// id of the credit note; the list key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`
	// +required
	ID string `json:"id"`
	// amount credited, in the claim's currency.
	// +required
	Amount Amount `json:"amount"`
	// date of the credit note.
	// +required
	Date Date `json:"date"`
}

// ReversalKind says which list a reversal's entry is in.
// +kubebuilder:validation:Enum=Payment;Credit
type ReversalKind string

// Kinds of reversed entries.
const (
	ReversalPayment ReversalKind = "Payment"
	ReversalCredit  ReversalKind = "Credit"
)

// Reversal cancels a recorded payment (bounced, misattributed) or credit
// note (issued in error). Recorded money is never removed once collection
// has started: the entry stays in spec.payments or spec.credits, the
// reversal records when and why, and the entry no longer counts.
type Reversal struct {
	// kind of the reversed entry: Payment or Credit.
	// +required
	Kind ReversalKind `json:"kind"`
	// of is the id of the reversed payment or credit note.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`
	// +required
	Of string `json:"of"`
	// date of the reversal.
	// +required
	Date Date `json:"date"`
	// reason for the reversal, one line.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]+$`
	// +required
	Reason string `json:"reason"`
}

// DisputeResolution is the outcome of a dispute.
// +kubebuilder:validation:Enum=Pending;Creditor;Debtor
type DisputeResolution string

// Dispute outcomes.
const (
	DisputePending  DisputeResolution = "Pending"
	DisputeCreditor DisputeResolution = "Creditor"
	DisputeDebtor   DisputeResolution = "Debtor"
)

// Dispute records the debtor's objection to the claim.
// +kubebuilder:validation:XValidation:rule="!has(self.judgmentDate) || self.resolution == 'Creditor'",message="judgmentDate is only for a dispute resolved for the creditor (resolution: Creditor)",fieldPath=".judgmentDate"
// +kubebuilder:validation:XValidation:rule="!has(self.judgmentDate) || self.judgmentDate >= self.raisedOn",message="judgmentDate must not be before raisedOn",fieldPath=".judgmentDate"
type Dispute struct {
	// raisedOn is the date the objection was received.
	// +required
	RaisedOn Date `json:"raisedOn"`
	// reason the debtor gave; line breaks allowed, other control characters not.
	// +kubebuilder:validation:MaxLength=1000
	// +kubebuilder:validation:Pattern=`^[^\x00-\x09\x0B-\x1F\x7F]*$`
	// +optional
	Reason string `json:"reason,omitempty"`
	// resolution: Pending while open; Creditor resumes collection; Debtor closes the claim.
	// +kubebuilder:default=Pending
	// +optional
	Resolution DisputeResolution `json:"resolution,omitempty"`
	// judgmentDate is the day a court (or the conciliation board) decided
	// the dispute for the creditor: limitation restarts at the
	// jurisdiction's post-judgment period (Norway: 10 years,
	// foreldelsesloven § 21).
	// +optional
	JudgmentDate *Date `json:"judgmentDate,omitempty"`
}

// Acknowledgement is the debtor's written acknowledgement of the claim,
// which interrupts (restarts) limitation (foreldelsesloven § 14).
type Acknowledgement struct {
	// date the debtor acknowledged the claim.
	// +required
	Date Date `json:"date"`
	// note on how (letter, e-mail, signed payment plan); line breaks
	// allowed, other control characters not.
	// +kubebuilder:validation:MaxLength=500
	// +kubebuilder:validation:Pattern=`^[^\x00-\x09\x0B-\x1F\x7F]*$`
	// +optional
	Note string `json:"note,omitempty"`
}

// Installment is one agreed payment of a payment plan.
type Installment struct {
	// dueDate of the installment.
	// +required
	DueDate Date `json:"dueDate"`
	// amount due.
	// +required
	Amount Amount `json:"amount"`
}

// PaymentPlan is an agreed schedule of installments (nedbetalingsplan).
type PaymentPlan struct {
	// installments in date order.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=120
	// +listType=atomic
	// +required
	Installments []Installment `json:"installments"`
}

// CreditDecision is the manual outcome of the credit assessment.
// +kubebuilder:validation:Enum=Solvent;Insolvent
type CreditDecision string

// Credit assessment outcomes: Solvent goes to Legal, Insolvent to Surveillance.
const (
	CreditSolvent   CreditDecision = "Solvent"
	CreditInsolvent CreditDecision = "Insolvent"
)

// ClaimSpec is an unpaid invoice handed to collection.
// +kubebuilder:validation:XValidation:rule="self.dueDate >= self.invoiceDate",message="dueDate must not be before invoiceDate",fieldPath=".dueDate"
// +kubebuilder:validation:XValidation:rule="(self.amount.indexOf('.') < 0 ? 0 : size(self.amount) - self.amount.indexOf('.') - 1) <= (self.currency in ['BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF'] ? 0 : self.currency in ['BHD','IQD','JOD','KWD','LYD','OMR','TND'] ? 3 : self.currency in ['CLF','UYW'] ? 4 : 2)",messageExpression="'amount ' + self.amount + ' has more decimals than currency ' + self.currency + ' allows'",fieldPath=".amount"
// +kubebuilder:validation:XValidation:rule="!has(self.payments) || self.payments.all(p, (p.amount.indexOf('.') < 0 ? 0 : size(p.amount) - p.amount.indexOf('.') - 1) <= (self.currency in ['BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF'] ? 0 : self.currency in ['BHD','IQD','JOD','KWD','LYD','OMR','TND'] ? 3 : self.currency in ['CLF','UYW'] ? 4 : 2))",messageExpression="'a payment amount has more decimals than currency ' + self.currency + ' allows'",fieldPath=".payments"
// +kubebuilder:validation:XValidation:rule="!has(self.credits) || self.credits.all(c, (c.amount.indexOf('.') < 0 ? 0 : size(c.amount) - c.amount.indexOf('.') - 1) <= (self.currency in ['BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF'] ? 0 : self.currency in ['BHD','IQD','JOD','KWD','LYD','OMR','TND'] ? 3 : self.currency in ['CLF','UYW'] ? 4 : 2))",messageExpression="'a credit amount has more decimals than currency ' + self.currency + ' allows'",fieldPath=".credits"
// +kubebuilder:validation:XValidation:rule="!has(self.paymentPlan) || self.paymentPlan.installments.all(i, (i.amount.indexOf('.') < 0 ? 0 : size(i.amount) - i.amount.indexOf('.') - 1) <= (self.currency in ['BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF'] ? 0 : self.currency in ['BHD','IQD','JOD','KWD','LYD','OMR','TND'] ? 3 : self.currency in ['CLF','UYW'] ? 4 : 2))",messageExpression="'an installment amount has more decimals than currency ' + self.currency + ' allows'",fieldPath=".paymentPlan.installments"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.withdraw) || !oldSelf.withdraw || (has(self.withdraw) && self.withdraw)",message="withdraw cannot be undone; create a new Claim instead",fieldPath=".withdraw"
// +kubebuilder:validation:XValidation:rule="!has(self.reversals) || self.reversals.all(r, r.kind == 'Payment' ? (has(self.payments) && self.payments.exists(p, p.id == r.of)) : (has(self.credits) && self.credits.exists(c, c.id == r.of)))",message="a reversal names a payment (kind: Payment) or credit note (kind: Credit) of this claim by its id (of)",fieldPath=".reversals"
// +kubebuilder:validation:XValidation:rule="size(self.debtorRef.name) <= 63",message="debtorRef.name must be at most 63 characters: the debtor's name is a label value on its notices",fieldPath=".debtorRef.name"
type ClaimSpec struct {
	// debtorRef names the Debtor in this namespace who owes the money.
	// +required
	DebtorRef LocalObjectReference `json:"debtorRef"`

	// invoiceNumber as printed on the invoice: one line, no control
	// characters (it is printed into the debtor's notices).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]+$`
	// +required
	InvoiceNumber string `json:"invoiceNumber"`

	// invoiceDate is the date the invoice was issued.
	// +required
	InvoiceDate Date `json:"invoiceDate"`

	// dueDate is the invoice's due date; not before invoiceDate.
	// +required
	DueDate Date `json:"dueDate"`

	// amount is the invoice principal in major units, e.g. "12500.00", with at
	// most the currency's decimals.
	// +required
	Amount Amount `json:"amount"`

	// currency is the ISO 4217 code of every amount of the claim.
	// +required
	Currency CurrencyCode `json:"currency"`

	// policyRef names the CollectionPolicy; empty uses the namespace's default
	// policy (the one annotated collection.inkasso.dev/default-policy: "true",
	// or the only policy in the namespace).
	// +optional
	PolicyRef *LocalObjectReference `json:"policyRef,omitempty"`

	// autoCollection false keeps this claim out of automatic collection: it
	// waits in Overdue until turned on (manual transfer).
	// +kubebuilder:default=true
	// +optional
	AutoCollection *bool `json:"autoCollection,omitempty"`

	// suspend pauses everything, like a CronJob's suspend; on resume the
	// remaining schedule is shifted by the pause.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// withdraw ends collection: the creditor withdraws the claim. Final.
	// +optional
	Withdraw bool `json:"withdraw,omitempty"`

	// payments received, keyed by id.
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=500
	// +optional
	Payments []Payment `json:"payments,omitempty"`

	// credits are credit notes, keyed by id.
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Credits []Credit `json:"credits,omitempty"`

	// reversals cancel recorded payments and credit notes, with a reason:
	// once collection has started, payments and credits are append-only.
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=of
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Reversals []Reversal `json:"reversals,omitempty"`

	// dispute records a written objection from the debtor.
	// +optional
	Dispute *Dispute `json:"dispute,omitempty"`

	// paymentPlan is an agreed installment plan.
	// +optional
	PaymentPlan *PaymentPlan `json:"paymentPlan,omitempty"`

	// creditDecision is the manual outcome of the credit assessment:
	// Solvent leads to Legal, Insolvent to Surveillance.
	// +optional
	CreditDecision CreditDecision `json:"creditDecision,omitempty"`

	// reminderFeeAgreed records that the debtor agreed to a reminder fee
	// when the debt arose; Sweden allows the fee only then (lag om
	// ersättning för inkassokostnader m.m. 2 §). Unset: the debtor's
	// spec.reminderFeeAgreed.
	// +optional
	ReminderFeeAgreed *bool `json:"reminderFeeAgreed,omitempty"`
	// acknowledgements are the debtor's written acknowledgements of the
	// claim; each restarts limitation.
	// +listType=map
	// +listMapKey=date
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Acknowledgements []Acknowledgement `json:"acknowledgements,omitempty"`
	// externalRef is the claim's id in the creditor's ERP system.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]*$`
	// +optional
	ExternalRef string `json:"externalRef,omitempty"`
}

// ClaimPhase is the display phase of a claim; conditions carry the truth.
// +kubebuilder:validation:Enum=Pending;Overdue;Reminder;Collection;Legal;Surveillance;Suspended;Disputed;PaymentPlan;Paid;Credited;Withdrawn;WrittenOff;TimeBarred;Forwarded
type ClaimPhase string

// Claim phases, in order of advance for the ones on the main path.
const (
	PhasePending      ClaimPhase = "Pending"
	PhaseOverdue      ClaimPhase = "Overdue"
	PhaseReminder     ClaimPhase = "Reminder"
	PhaseCollection   ClaimPhase = "Collection"
	PhaseLegal        ClaimPhase = "Legal"
	PhaseSurveillance ClaimPhase = "Surveillance"
	PhaseSuspended    ClaimPhase = "Suspended"
	PhaseDisputed     ClaimPhase = "Disputed"
	PhasePaymentPlan  ClaimPhase = "PaymentPlan"
	PhasePaid         ClaimPhase = "Paid"
	// PhaseCredited: credit notes took the principal to zero; nothing is owed.
	PhaseCredited   ClaimPhase = "Credited"
	PhaseWithdrawn  ClaimPhase = "Withdrawn"
	PhaseWrittenOff ClaimPhase = "WrittenOff"
	PhaseTimeBarred ClaimPhase = "TimeBarred"
	PhaseForwarded  ClaimPhase = "Forwarded"
)

// Terminal reports whether no further collection happens in this phase.
func (p ClaimPhase) Terminal() bool {
	switch p {
	case PhasePaid, PhaseCredited, PhaseWithdrawn, PhaseWrittenOff, PhaseTimeBarred, PhaseForwarded:
		return true
	}
	return false
}

// RecheckStep is the step name of the periodic credit re-check in Surveillance.
const RecheckStep = "credit-recheck"

// PolicyDone reports a claim at the end of its policy: in a terminal phase,
// in Legal with no next step, or in Surveillance with nothing left but the
// periodic credit re-check.
func (s *ClaimStatus) PolicyDone() bool {
	switch {
	case s.Phase.Terminal(), s.Phase == PhaseLegal && s.NextStep == "":
		return true
	case s.Phase == PhaseSurveillance && (s.NextStep == "" || s.NextStep == RecheckStep):
		return true
	}
	return false
}

// HistoryEntry records one completed step of a claim.
type HistoryEntry struct {
	// step is the policy step's name.
	Step string `json:"step"`
	// phase the claim entered with this step.
	// +optional
	Phase ClaimPhase `json:"phase,omitempty"`
	// time the step was carried out (RFC 3339).
	Time metav1.Time `json:"time"`
	// dueAt is when the schedule wanted the step; time - dueAt is its lateness.
	// +optional
	DueAt *metav1.Time `json:"dueAt,omitempty"`
	// notices created for the step, one per channel.
	// +listType=atomic
	// +optional
	Notices []string `json:"notices,omitempty"`
	// fee charged with the step, decimal in major units ("0.00" for none).
	// +optional
	Fee string `json:"fee,omitempty"`
	// feeKind is the legal basis of the fee (Reminder, LightSalary,
	// HeavySalary, Compensation; empty for a fixed fee or none): every cap
	// of the claim's fee ledger counts by it.
	// +optional
	FeeKind string `json:"feeKind,omitempty"`
	// message is a short human explanation.
	// +optional
	Message string `json:"message,omitempty"`
}

// PaymentPlanStatus is the state of the claim's payment plan.
type PaymentPlanStatus struct {
	// agreedAt is when the operator first saw the plan.
	AgreedAt metav1.Time `json:"agreedAt"`
	// state: OnTrack, Missed (the plan is broken and collection resumed) or Completed.
	State string `json:"state"`
	// installment is the index of the installment next due (OnTrack) or missed (Missed).
	// +optional
	Installment *int32 `json:"installment,omitempty"`
	// fee charged for the plan, an exact decimal in the claim's currency.
	// +optional
	Fee string `json:"fee,omitempty"`
	// message explains the state.
	// +optional
	Message string `json:"message,omitempty"`
}

// HistorySummary stands for the history entries folded away.
type HistorySummary struct {
	// folded is how many entries were removed from history.
	Folded int32 `json:"folded"`
	// first and last are the times of the oldest and newest entry folded.
	First metav1.Time `json:"first"`
	Last  metav1.Time `json:"last"`
}

// CreditorNoticeRecord is one notice sent to the creditor about the claim.
type CreditorNoticeRecord struct {
	// event the creditor was told of: OverdueWarning, Transferred or Closed.
	Event CreditorEvent `json:"event"`
	// time it was sent.
	Time metav1.Time `json:"time"`
	// notices created for it, one per channel.
	// +listType=atomic
	// +optional
	Notices []string `json:"notices,omitempty"`
}

// Balance is the claim's money, each figure an exact decimal string in the
// claim's currency: outstanding = principal + fees + interest - paid.
type Balance struct {
	// principal is the invoice amount less credit notes.
	Principal string `json:"principal"`
	// fees charged so far.
	Fees string `json:"fees"`
	// interest accrued so far (late-payment interest).
	Interest string `json:"interest"`
	// paid is the sum of payments.
	Paid string `json:"paid"`
	// outstanding is what remains to be paid; negative means over-paid.
	Outstanding string `json:"outstanding"`
	// asOf is the day (YYYY-MM-DD, in the policy's time zone) the interest
	// was accrued to. Interest grows daily but is written only together with
	// another change of the claim's status (a step, payment, credit, phase or
	// condition change, or a credit re-check), so a quiet claim shows the
	// balance of its last change; the amount on each notice is always current.
	// +optional
	AsOf string `json:"asOf,omitempty"`
	// creditorCharge is what the creditor owes the agency because it ended
	// collection (withdrawal after the free-cancellation window, or closing
	// the case after being paid directly): the fees left unpaid.
	// +optional
	CreditorCharge string `json:"creditorCharge,omitempty"`
}

// LedgerEntry is one line of the claim's settlement ledger, for bookkeeping:
// amounts are decimals in the claim's currency; creditor and agency are each
// party's share of the line (principal and interest belong to the creditor,
// collection fees to the agency).
type LedgerEntry struct {
	// date of the entry (YYYY-MM-DD).
	Date string `json:"date"`
	// kind: Invoice, Credit, Fee, Interest, Payment or CreditorCharge.
	Kind string `json:"kind"`
	// ref is the payment or credit-note id, or the step of a fee.
	// +optional
	Ref string `json:"ref,omitempty"`
	// amount of the entry.
	Amount string `json:"amount"`
	// toFees, toInterest, toPrincipal and overpaid split a payment.
	// +optional
	ToFees string `json:"toFees,omitempty"`
	// +optional
	ToInterest string `json:"toInterest,omitempty"`
	// +optional
	ToPrincipal string `json:"toPrincipal,omitempty"`
	// +optional
	Overpaid string `json:"overpaid,omitempty"`
	// creditor is the creditor's share.
	Creditor string `json:"creditor"`
	// agency is the agency's share.
	Agency string `json:"agency"`
}

// ClaimStatus is the observed state of a claim, written by the operator.
type ClaimStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase for display; conditions carry the truth.
	// +optional
	Phase ClaimPhase `json:"phase,omitempty"`
	// step is the name of the last completed step.
	// +optional
	Step string `json:"step,omitempty"`
	// nextStep is the name of the step that comes next.
	// +optional
	NextStep string `json:"nextStep,omitempty"`
	// nextStepAt is when the next step fires.
	// +optional
	NextStepAt *metav1.Time `json:"nextStepAt,omitempty"`
	// collectionStartedAt is when the first step fired; from then on the
	// invoice fields are immutable and payments and credit notes are
	// append-only. Written once: the apiserver refuses to remove or change it.
	// +optional
	CollectionStartedAt *metav1.Time `json:"collectionStartedAt,omitempty"`
	// heldSince is when collection was last paused (suspended or disputed).
	// +optional
	HeldSince *metav1.Time `json:"heldSince,omitempty"`
	// pausedDays is how many days collection has been paused in all; the
	// remaining schedule is shifted by them.
	// +optional
	PausedDays int32 `json:"pausedDays,omitempty"`
	// paymentPlan is how the agreed payment plan is followed.
	// +optional
	PaymentPlan *PaymentPlanStatus `json:"paymentPlan,omitempty"`
	// historySummary counts the entries folded out of history to keep the
	// status small (a claim in surveillance for years).
	// +optional
	HistorySummary *HistorySummary `json:"historySummary,omitempty"`
	// creditorNotices sent about this claim: the overdue warning, the
	// transfer notice and the result.
	// +listType=map
	// +listMapKey=event
	// +optional
	CreditorNotices []CreditorNoticeRecord `json:"creditorNotices,omitempty"`
	// history of completed steps, oldest first.
	// +listType=atomic
	// +optional
	History []HistoryEntry `json:"history,omitempty"`
	// balance of the claim.
	// +optional
	Balance *Balance `json:"balance,omitempty"`
	// ledger is the settlement ledger: every fee, interest accrual, credit
	// note and payment, with each party's share.
	// +listType=atomic
	// +optional
	Ledger []LedgerEntry `json:"ledger,omitempty"`
	// awaitingCase is set when the claim's transfer has been due for ten
	// minutes and its debtor's collection case has not taken it in yet (the
	// Debtor controller normally does so at once, on its own timer).
	// +optional
	AwaitingCase bool `json:"awaitingCase,omitempty"`
	// caseID is the debtor's collection case this claim belongs to.
	// +optional
	CaseID string `json:"caseID,omitempty"`
	// paymentReference (KID, OCR, RF reference) the debtor pays with.
	// +optional
	PaymentReference string `json:"paymentReference,omitempty"`
	// paymentReferences lists every reference the claim has had, the
	// current one included: a debtor paying with the reference of an
	// earlier letter (before the claim joined its debtor's case) still
	// pays this claim.
	// +listType=set
	// +optional
	PaymentReferences []string `json:"paymentReferences,omitempty"`
	// conditions: Ready, Reconciling, Stalled (kstatus), Suspended, Disputed, Settled, PaymentPlan; Restored on a claim brought back from the claim archive.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Claim is an unpaid invoice moving through collection.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=clm,categories=inkasso
// +kubebuilder:printcolumn:name="Debtor",type=string,JSONPath=`.spec.debtorRef.name`
// +kubebuilder:printcolumn:name="Amount",type=string,JSONPath=`.spec.amount`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`,priority=1
// +kubebuilder:printcolumn:name="Outstanding",type=string,JSONPath=`.status.balance.outstanding`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Step",type=string,JSONPath=`.status.step`
// +kubebuilder:printcolumn:name="Next",type=string,JSONPath=`.status.nextStepAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:validation:XValidation:rule="self.spec.invoiceNumber == oldSelf.spec.invoiceNumber || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="invoiceNumber is immutable once collection has started",fieldPath=".spec.invoiceNumber"
// +kubebuilder:validation:XValidation:rule="self.spec.invoiceDate == oldSelf.spec.invoiceDate || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="invoiceDate is immutable once collection has started",fieldPath=".spec.invoiceDate"
// +kubebuilder:validation:XValidation:rule="self.spec.dueDate == oldSelf.spec.dueDate || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="dueDate is immutable once collection has started",fieldPath=".spec.dueDate"
// +kubebuilder:validation:XValidation:rule="self.spec.amount == oldSelf.spec.amount || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="amount is immutable once collection has started; register a credit note or payment instead",fieldPath=".spec.amount"
// +kubebuilder:validation:XValidation:rule="self.spec.currency == oldSelf.spec.currency || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="currency is immutable once collection has started",fieldPath=".spec.currency"
// +kubebuilder:validation:XValidation:rule="self.spec.debtorRef.name == oldSelf.spec.debtorRef.name || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt)",message="debtorRef is immutable once collection has started",fieldPath=".spec.debtorRef.name"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt) || (has(self.status) && has(self.status.collectionStartedAt) && self.status.collectionStartedAt == oldSelf.status.collectionStartedAt)",message="status.collectionStartedAt is written once, by the operator: it cannot be removed or changed (it locks the invoice fields)",fieldPath=".status.collectionStartedAt"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.spec.payments) || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt) || oldSelf.spec.payments.all(o, has(self.spec.payments) && self.spec.payments.exists(p, p == o))",message="payments are append-only once collection has started: a recorded payment cannot be removed or changed; add a reversal (spec.reversals: {kind: Payment, of: <id>, date, reason}) instead",fieldPath=".spec.payments"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.spec.reversals) || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt) || oldSelf.spec.reversals.all(o, has(self.spec.reversals) && self.spec.reversals.exists(r, r == o))",message="reversals are append-only once collection has started",fieldPath=".spec.reversals"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.spec.credits) || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt) || oldSelf.spec.credits.all(o, has(self.spec.credits) && self.spec.credits.exists(c, c == o))",message="credit notes are append-only once collection has started: a recorded credit note cannot be removed or changed; add a reversal (spec.reversals: {kind: Credit, of: <id>, date, reason}) instead",fieldPath=".spec.credits"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.credits) || (has(oldSelf.spec.credits) && self.spec.credits == oldSelf.spec.credits) || !has(oldSelf.status) || !has(oldSelf.status.collectionStartedAt) || (has(oldSelf.spec.suspend) && oldSelf.spec.suspend) || (has(oldSelf.spec.withdraw) && oldSelf.spec.withdraw) || self.spec.credits.all(c, has(oldSelf.spec.credits) && oldSelf.spec.credits.exists(o, o.id == c.id && o.amount == c.amount && o.date == c.date))",message="a credit note can only be added once collection is stopped: set spec.suspend to true first, then register the credit note",fieldPath=".spec.credits"
type Claim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   ClaimSpec   `json:"spec"`
	Status ClaimStatus `json:"status,omitempty"`
}

// ClaimList is a list of Claims.
// +kubebuilder:object:root=true
type ClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Claim `json:"items"`
}

// AutoCollectionEnabled reports whether the claim allows automatic collection.
func (c *Claim) AutoCollectionEnabled() bool {
	return c.Spec.AutoCollection == nil || *c.Spec.AutoCollection
}
