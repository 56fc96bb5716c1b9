package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Jurisdiction is the country whose collection law applies.
// +kubebuilder:validation:Enum=NO;SE;FI
type Jurisdiction string

// Supported jurisdictions.
const (
	JurisdictionNorway  Jurisdiction = "NO"
	JurisdictionSweden  Jurisdiction = "SE"
	JurisdictionFinland Jurisdiction = "FI"
)

// StepPhase is the phase a claim enters when a step completes.
// +kubebuilder:validation:Enum=Reminder;Collection;Legal;Surveillance
type StepPhase string

// Step phases: the ClaimPhases a step can lead to.
const (
	// StepPhaseReminder: the claim's own reminders, before the transfer to collection.
	StepPhaseReminder     StepPhase = "Reminder"
	StepPhaseCollection   StepPhase = "Collection"
	StepPhaseLegal        StepPhase = "Legal"
	StepPhaseSurveillance StepPhase = "Surveillance"
)

// StepAction is what a step does.
// +kubebuilder:validation:Enum=Notify;NotifyCreditor;CreditCheck;Escalate;Surveil;Forward
type StepAction string

// Step actions.
const (
	// ActionNotify sends a notice to the debtor through the step's channels.
	ActionNotify StepAction = "Notify"
	// ActionNotifyCreditor sends a notice to the creditor.
	ActionNotifyCreditor StepAction = "NotifyCreditor"
	// ActionCreditCheck records the credit assessment (spec.creditDecision or
	// the policy's default).
	ActionCreditCheck StepAction = "CreditCheck"
	// ActionEscalate hands the claim over: Legal when solvent, Surveillance when not.
	ActionEscalate StepAction = "Escalate"
	// ActionSurveil puts the claim into long-term surveillance.
	ActionSurveil StepAction = "Surveil"
	// ActionForward hands the claim to a foreign partner.
	ActionForward StepAction = "Forward"
)

// PolicyStep is one step of the collection process.
// +kubebuilder:validation:XValidation:rule="!(self.action in ['Notify','NotifyCreditor']) || (has(self.channels) && size(self.channels) > 0)",message="a Notify or NotifyCreditor step needs at least one channel",fieldPath=".channels"
type PolicyStep struct {
	// name of the step, unique in the policy; part of notice names.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`
	// phase the claim enters when the step completes.
	// +required
	Phase StepPhase `json:"phase"`
	// afterDueDays: the step fires no earlier than this many days after the due date.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3650
	// +required
	AfterDueDays int32 `json:"afterDueDays"`
	// minGapDays: and no earlier than this many days after the previous step,
	// so a claim created late still walks every step without a burst.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3650
	// +optional
	MinGapDays int32 `json:"minGapDays,omitempty"`
	// action the step performs.
	// +kubebuilder:default=Notify
	// +optional
	Action StepAction `json:"action,omitempty"`
	// channels are NoticeChannel names the step's notice goes through.
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	Channels []string `json:"channels,omitempty"`
	// template names the notice template; defaults to the step name.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Template string `json:"template,omitempty"`
	// fee charged with the step: None, Reminder (reminder or collection-notice
	// fee), LightSalary (Norway's light salær, Sweden's inkassokrav, Finland's
	// demand letter), HeavySalary (Norway), Compensation (fixed compensation
	// from business debtors), or a fixed amount in major units such as "35.00".
	// +kubebuilder:default=None
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:XValidation:rule="self in ['None','Reminder','LightSalary','HeavySalary','Compensation'] || self.matches('^[0-9]{1,15}([.][0-9]{1,4})?$')",message="must be None, Reminder, LightSalary, HeavySalary, Compensation or a decimal amount such as \"35.00\""
	// +optional
	Fee string `json:"fee,omitempty"`
	// paymentDeadlineDays given to the debtor in the step's notice.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=365
	// +optional
	PaymentDeadlineDays int32 `json:"paymentDeadlineDays,omitempty"`
}

// Eligibility sets when a claim may be transferred to collection.
type Eligibility struct {
	// minDaysAfterDue before the first Collection-phase step.
	// +kubebuilder:default=14
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3650
	// +optional
	MinDaysAfterDue int32 `json:"minDaysAfterDue"`
	// minDaysAfterInvoice before the first Collection-phase step.
	// +kubebuilder:default=14
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3650
	// +optional
	MinDaysAfterInvoice int32 `json:"minDaysAfterInvoice"`
}

// CreditorNotices configures the messages to the creditor (seed 004).
type CreditorNotices struct {
	// channels the creditor notices go through.
	// +kubebuilder:validation:MaxItems=8
	// +listType=set
	// +optional
	Channels []string `json:"channels,omitempty"`
	// warnAfterDueDays: warn the creditor this many days after the due date.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	WarnAfterDueDays int32 `json:"warnAfterDueDays"`
	// transferWarningDays between the warning and the transfer.
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0
	// +optional
	TransferWarningDays int32 `json:"transferWarningDays"`
	// freeCancellationDays after transfer in which withdrawal costs nothing.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +optional
	FreeCancellationDays int32 `json:"freeCancellationDays"`
	// recipient is the creditor's contact the notices are addressed to.
	// +optional
	Recipient *Recipient `json:"recipient,omitempty"`
	// events the creditor is told about: OverdueWarning (warnAfterDueDays
	// after due: the claim transfers in transferWarningDays), Transferred
	// (the first collection step), Closed (the result when collection ends).
	// Default: all three.
	// +kubebuilder:validation:MaxItems=3
	// +listType=set
	// +optional
	Events []CreditorEvent `json:"events,omitempty"`
}

// CreditorEvent is something the creditor is notified of.
// +kubebuilder:validation:Enum=OverdueWarning;Transferred;Closed
type CreditorEvent string

// Creditor notice events.
const (
	CreditorOverdueWarning CreditorEvent = "OverdueWarning"
	CreditorTransferred    CreditorEvent = "Transferred"
	CreditorClosed         CreditorEvent = "Closed"
)

// Notifies reports whether the creditor is told about e.
func (c *CreditorNotices) Notifies(e CreditorEvent) bool {
	if c == nil || len(c.Channels) == 0 {
		return false
	}
	if len(c.Events) == 0 {
		return true
	}
	for _, x := range c.Events {
		if x == e {
			return true
		}
	}
	return false
}

// PaymentPlans configures agreed installment plans.
type PaymentPlans struct {
	// graceDays after an installment's due date before it counts as missed.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=60
	// +optional
	GraceDays int32 `json:"graceDays,omitempty"`
	// fee charged once when a plan is agreed: None, Statutory (Sweden's
	// amorteringsplan fee) or a fixed amount in major units.
	// +kubebuilder:default=None
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:XValidation:rule="self in ['None','Statutory'] || self.matches('^[0-9]{1,15}([.][0-9]{1,4})?$')",message="must be None, Statutory or a decimal amount such as \"170.00\""
	// +optional
	Fee string `json:"fee,omitempty"`
}

// Values of PaymentPlans.Fee besides a fixed amount.
const (
	PlanFeeNone      = "None"
	PlanFeeStatutory = "Statutory"
)

// Weekday is a day of the week.
// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
type Weekday string

// Days of the week.
const (
	WeekdayMonday    Weekday = "Monday"
	WeekdayTuesday   Weekday = "Tuesday"
	WeekdayWednesday Weekday = "Wednesday"
	WeekdayThursday  Weekday = "Thursday"
	WeekdayFriday    Weekday = "Friday"
	WeekdaySaturday  Weekday = "Saturday"
	WeekdaySunday    Weekday = "Sunday"
)

// ContactWindow is a span of local time on given days when debtors may be contacted.
// +kubebuilder:validation:XValidation:rule="self.start < self.end",message="start must be before end",fieldPath=".end"
type ContactWindow struct {
	// days the window applies to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +listType=set
	// +required
	Days []Weekday `json:"days"`
	// start local time, HH:MM.
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$`
	// +required
	Start string `json:"start"`
	// end local time, HH:MM.
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-4]):[0-5][0-9]$`
	// +required
	End string `json:"end"`
}

// ContactWindows restricts when SMS and phone steps may reach the debtor.
type ContactWindows struct {
	// enabled: on by default (Norway's proposed rule: 08-21 weekdays, 09-15 Saturdays).
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// windows replace the jurisdiction's default windows when set. Sundays and
	// public holidays are never contact days.
	// +kubebuilder:validation:MaxItems=14
	// +listType=atomic
	// +optional
	Windows []ContactWindow `json:"windows,omitempty"`
	// maxPerWeek caps how many notices reach one debtor in any 7 days; a
	// notice over the cap is held until the oldest one in the window is a
	// week old. 0 means no cap.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=50
	// +optional
	MaxPerWeek int32 `json:"maxPerWeek,omitempty"`
}

// Party is a creditor or collector as printed on notices.
type Party struct {
	// name as printed.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +required
	Name string `json:"name"`
	// organizationNumber in the registry of its country.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	OrganizationNumber string `json:"organizationNumber,omitempty"`
	// address for letters.
	// +optional
	Address *Address `json:"address,omitempty"`
	// email for questions and objections.
	// +kubebuilder:validation:MaxLength=254
	// +optional
	Email string `json:"email,omitempty"`
	// phone for questions and objections.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Phone string `json:"phone,omitempty"`
	// bankAccount the debtor pays to (account number or IBAN).
	// +kubebuilder:validation:MaxLength=34
	// +optional
	BankAccount string `json:"bankAccount,omitempty"`
}

// Templates points at a ConfigMap whose keys replace built-in notice texts.
type Templates struct {
	// configMapName in the policy's namespace. A key "<template>.<language>"
	// (e.g. "collection-notice.nb") holds "Subject: <line>", a blank line,
	// and the body, as Go text/template over the notice data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	ConfigMapName string `json:"configMapName"`
}

// Rate is a yearly percentage as a decimal string, e.g. "12.25".
// +kubebuilder:validation:MaxLength=10
// +kubebuilder:validation:Pattern=`^[0-9]{1,3}([.][0-9]{1,4})?$`
type Rate string

// Overrides replace figures of the jurisdiction's rule tables for this policy.
type Overrides struct {
	// lateInterestRate replaces the statutory late-interest rate (percent per year).
	// +optional
	LateInterestRate Rate `json:"lateInterestRate,omitempty"`
	// dayCount for interest: Actual365 or ActualActual (366 in leap years).
	// +kubebuilder:validation:Enum=Actual365;ActualActual
	// +optional
	DayCount string `json:"dayCount,omitempty"`
	// reminderFee replaces the statutory reminder fee.
	// +optional
	ReminderFee Amount `json:"reminderFee,omitempty"`
	// feeUnit replaces the base unit of collection fees (Norway's inkassosats).
	// +optional
	FeeUnit Amount `json:"feeUnit,omitempty"`
	// creditorVATRegistered false raises Norwegian salær by 25%.
	// +optional
	CreditorVATRegistered *bool `json:"creditorVATRegistered,omitempty"`
	// paymentOrder allocates payments; default CostsInterestPrincipal.
	// +kubebuilder:validation:Enum=CostsInterestPrincipal;PrincipalInterestCosts
	// +optional
	PaymentOrder string `json:"paymentOrder,omitempty"`
}

// CreditAssessment configures the branch at the credit-check step.
type CreditAssessment struct {
	// defaultDecision applies when the claim has no spec.creditDecision.
	// +kubebuilder:default=Insolvent
	// +optional
	DefaultDecision CreditDecision `json:"defaultDecision,omitempty"`
	// recheckDays between credit re-checks in Surveillance.
	// +kubebuilder:default=180
	// +kubebuilder:validation:Minimum=1
	// +optional
	RecheckDays int32 `json:"recheckDays,omitempty"`
	// decisionTimeoutDays: how long after the CreditCheck step an Escalate
	// step waits for spec.creditDecision before defaultDecision applies.
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=365
	// +optional
	DecisionTimeoutDays int32 `json:"decisionTimeoutDays,omitempty"`
}

// CollectionPolicySpec defines how claims are collected.
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'NO' || self.steps.all(s, !has(s.fee) || !s.fee.matches('^[0-9]') || (int(s.fee.split('.')[0]) < 20250 || (int(s.fee.split('.')[0]) == 20250 && !s.fee.matches('[.][0-9]*[1-9]'))))",message="a fixed step fee is at most 20250 in NO: the largest single fee its law allows a step (fees.Ceiling); the operator checks the exact figure in force on the day",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'NO' || !has(self.paymentPlans) || !has(self.paymentPlans.fee) || !self.paymentPlans.fee.matches('^[0-9]') || (int(self.paymentPlans.fee.split('.')[0]) < 20250 || (int(self.paymentPlans.fee.split('.')[0]) == 20250 && !self.paymentPlans.fee.matches('[.][0-9]*[1-9]')))",message="a fixed payment-plan fee is at most 20250 in NO: the largest single fee its law allows (fees.Ceiling)",fieldPath=".paymentPlans.fee"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'SE' || self.steps.all(s, !has(s.fee) || !s.fee.matches('^[0-9]') || (int(s.fee.split('.')[0]) < 450 || (int(s.fee.split('.')[0]) == 450 && !s.fee.matches('[.][0-9]*[1-9]'))))",message="a fixed step fee is at most 450 in SE: the largest single fee its law allows a step (fees.Ceiling); the operator checks the exact figure in force on the day",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'SE' || !has(self.paymentPlans) || !has(self.paymentPlans.fee) || !self.paymentPlans.fee.matches('^[0-9]') || (int(self.paymentPlans.fee.split('.')[0]) < 450 || (int(self.paymentPlans.fee.split('.')[0]) == 450 && !self.paymentPlans.fee.matches('[.][0-9]*[1-9]')))",message="a fixed payment-plan fee is at most 450 in SE: the largest single fee its law allows (fees.Ceiling)",fieldPath=".paymentPlans.fee"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'FI' || self.steps.all(s, !has(s.fee) || !s.fee.matches('^[0-9]') || (int(s.fee.split('.')[0]) < 210 || (int(s.fee.split('.')[0]) == 210 && !s.fee.matches('[.][0-9]*[1-9]'))))",message="a fixed step fee is at most 210 in FI: the largest single fee its law allows a step (fees.Ceiling); the operator checks the exact figure in force on the day",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'FI' || !has(self.paymentPlans) || !has(self.paymentPlans.fee) || !self.paymentPlans.fee.matches('^[0-9]') || (int(self.paymentPlans.fee.split('.')[0]) < 210 || (int(self.paymentPlans.fee.split('.')[0]) == 210 && !self.paymentPlans.fee.matches('[.][0-9]*[1-9]')))",message="a fixed payment-plan fee is at most 210 in FI: the largest single fee its law allows (fees.Ceiling)",fieldPath=".paymentPlans.fee"
// +kubebuilder:validation:XValidation:rule="self.steps.map(s, s.afterDueDays).isSorted()",message="steps must be ordered by afterDueDays",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'NO' || self.steps.all(s, s.phase == 'Reminder' || !has(s.paymentDeadlineDays) || s.paymentDeadlineDays == 0 || s.paymentDeadlineDays >= 14)",message="in Norway a notice after the reminders gives at least 14 days to pay (inkassoloven §§ 9-10): set paymentDeadlineDays to 14 or more",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'NO' || self.steps.all(s, !has(s.fee) || s.fee != 'LightSalary' || (has(s.paymentDeadlineDays) && s.paymentDeadlineDays >= 14))",message="in Norway a payment demand (fee LightSalary) gives at least 14 days to pay (inkassoloven § 10): set its paymentDeadlineDays to 14 or more",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'SE' || self.steps.all(s, !has(s.fee) || s.fee != 'LightSalary' || (has(s.paymentDeadlineDays) && s.paymentDeadlineDays >= 8))",message="in Sweden an inkassokrav (fee LightSalary) gives at least 8 days to pay: set its paymentDeadlineDays to 8 or more",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.jurisdiction != 'NO' || !self.steps.exists(s, has(s.fee) && s.fee == 'LightSalary') || (has(self.creditor) && size(self.creditor.name) > 0)",message="in Norway a payment demand must name the creditor (inkassoloven § 10): set spec.creditor.name",fieldPath=".creditor"
// +kubebuilder:validation:XValidation:rule="!has(self.pricing) || !has(self.pricing.advancedFees) || self.pricing.advancedFees.steps.all(n, self.steps.exists(s, s.name == n))",message="every step named in spec.pricing.advancedFees.steps must be a step of spec.steps",fieldPath=".pricing.advancedFees.steps"
type CollectionPolicySpec struct {
	// jurisdiction whose law applies: "NO", "SE" or "FI" (quote it in YAML).
	// +required
	Jurisdiction Jurisdiction `json:"jurisdiction"`
	// timeZone (IANA) of dates and step times; defaults to the jurisdiction's capital.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// stepTime is the local time of day steps fire, HH:MM.
	// +kubebuilder:default="09:00"
	// +kubebuilder:validation:Pattern=`^([01][0-9]|2[0-3]):[0-5][0-9]$`
	// +optional
	StepTime string `json:"stepTime,omitempty"`
	// stepWindow spreads stepTime per claim: a claim's steps fire at stepTime
	// plus an offset in [0, stepWindow) fixed by a hash of its namespace and
	// name (a case's by its debtor's), the same after every restart, so
	// thousands of claims due the same day do not reach the apiserver in the
	// same second. Never before stepTime; the deadline a notice gives the
	// debtor counts from when it goes out. Default 0: every claim at stepTime.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(h|m|s))+$') && duration(self) <= duration('12h')",message="must be a duration of hours, minutes and seconds (such as 2h or 1h30m) of at most 12h"
	// +optional
	StepWindow *metav1.Duration `json:"stepWindow,omitempty"`
	// overrides of the jurisdiction's rates and fees.
	// +optional
	Overrides *Overrides `json:"overrides,omitempty"`
	// contactWindows for SMS and phone steps.
	// +optional
	ContactWindows *ContactWindows `json:"contactWindows,omitempty"`
	// consolidation collects all overdue claims of a debtor as one case (the
	// law requires it in Norway); default true.
	// +kubebuilder:default=true
	// +optional
	Consolidation *bool `json:"consolidation,omitempty"`
	// eligibility for transfer to collection.
	// +kubebuilder:default={}
	// +optional
	Eligibility Eligibility `json:"eligibility"`
	// creditorNotices warn the creditor before transfer.
	// +optional
	CreditorNotices *CreditorNotices `json:"creditorNotices,omitempty"`
	// creditorPayments is what happens when the debtor pays the creditor
	// directly (receivedBy: Creditor): principal collection stops, and either
	// the fees left are still collected from the debtor (KeepCollectingFees,
	// default) or the case is closed and they are charged to the creditor
	// (CloseCase).
	// +kubebuilder:default=KeepCollectingFees
	// +kubebuilder:validation:Enum=KeepCollectingFees;CloseCase
	// +optional
	CreditorPayments string `json:"creditorPayments,omitempty"`
	// creditAssessment configures the credit-check branch.
	// +optional
	CreditAssessment *CreditAssessment `json:"creditAssessment,omitempty"`
	// paymentPlans configures installment plans agreed with debtors.
	// +optional
	PaymentPlans *PaymentPlans `json:"paymentPlans,omitempty"`
	// historyLimit is how many entries a claim's status.history keeps; older
	// credit re-checks are folded into status.historySummary.
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=20
	// +kubebuilder:validation:Maximum=500
	// +optional
	HistoryLimit int32 `json:"historyLimit,omitempty"`
	// creditor is the party the claims are owed to, as printed on notices
	// (a payment demand must name it, inkassoloven § 10).
	// +optional
	Creditor *Party `json:"creditor,omitempty"`
	// sender is the collector sending the notices: letterhead, contact and
	// the account the debtor pays to.
	// +optional
	Sender *Party `json:"sender,omitempty"`
	// templates overrides the built-in notice texts with a ConfigMap.
	// +optional
	Templates *Templates `json:"templates,omitempty"`
	// fallbackChannel receives a copy of a debtor notice whose channel failed
	// it (e.g. a letter when mail bounces). Without one a failed notice
	// stalls the claim until it is resolved.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	FallbackChannel string `json:"fallbackChannel,omitempty"`
	// deliveryDeadlineHours is how long a channel has to deliver a notice
	// (from when it may first be sent) before it fails: a letter sent days
	// late would shorten the payment deadline it states.
	// +kubebuilder:default=72
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=720
	// +optional
	DeliveryDeadlineHours int32 `json:"deliveryDeadlineHours,omitempty"`
	// pricing is the agency–creditor contract Settlements apply: who keeps
	// the late interest, the agency's commission, VAT on collection costs
	// and court fees the agency advances. It changes nothing the debtor
	// owes (fees and interest follow the law); only how collected money is
	// split. Unset: the creditor gets principal and interest, the agency
	// keeps the collection fees, no commission, no VAT.
	// +optional
	Pricing *Pricing `json:"pricing,omitempty"`
	// steps of the process, ordered by afterDueDays.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=name
	// +required
	Steps []PolicyStep `json:"steps"`
}

// Values of CollectionPolicySpec.CreditorPayments.
const (
	CreditorPaymentsKeepCollectingFees = "KeepCollectingFees"
	CreditorPaymentsCloseCase          = "CloseCase"
)

// Party that keeps a share of collected money.
// +kubebuilder:validation:Enum=Creditor;Agency
type PricingParty string

// Parties of the agency–creditor contract.
const (
	PartyCreditor PricingParty = "Creditor"
	PartyAgency   PricingParty = "Agency"
)

// CommissionBasis is what the commission is a percentage of.
// +kubebuilder:validation:Enum=CollectedPrincipal;CollectedPrincipalAndInterest
type CommissionBasis string

// Commission bases: always of money collected (no cure, no pay).
const (
	BasisCollectedPrincipal            CommissionBasis = "CollectedPrincipal"
	BasisCollectedPrincipalAndInterest CommissionBasis = "CollectedPrincipalAndInterest"
)

// Pricing is the agency–creditor contract (seeds 001, 003, 004).
type Pricing struct {
	// lateInterest is who keeps the late interest collected: Creditor
	// (default) or Agency (seed 003: the agency keeps it as its fee).
	// +kubebuilder:default=Creditor
	// +optional
	LateInterest PricingParty `json:"lateInterest,omitempty"`
	// commission the agency takes from what it collects.
	// +optional
	Commission *Commission `json:"commission,omitempty"`
	// vat the creditor bears on collection costs (seed 003: "Beställaren
	// står för den del av momsen som beräknas för inkassokostnaderna").
	// Unset: no VAT line on the statement.
	// +optional
	VAT *VAT `json:"vat,omitempty"`
	// advancedFees are court and enforcement fees the agency pays out
	// (advances) and recovers from the debtor.
	// +optional
	AdvancedFees *AdvancedFees `json:"advancedFees,omitempty"`
}

// Commission is "no cure, no pay": a percentage of money actually
// collected, never of what is merely claimed (seed 004: 8 %).
type Commission struct {
	// percent of the basis, e.g. "8" or "25.00"; at most 100.
	// +kubebuilder:validation:XValidation:rule="self.matches('^(100([.]0{1,4})?|[0-9]{1,2}([.][0-9]{1,4})?)$')",message="spec.pricing.commission.percent must be a percentage from 0 to 100, e.g. \"8\" or \"12.5\""
	// +required
	Percent Rate `json:"percent"`
	// basis the percentage applies to: CollectedPrincipal (default) or
	// CollectedPrincipalAndInterest (interest only while it goes to the
	// creditor).
	// +kubebuilder:default=CollectedPrincipal
	// +optional
	Basis CommissionBasis `json:"basis,omitempty"`
}

// VAT is the value-added tax the creditor bears on the agency's collection
// costs: the fees collected and the commission. Late interest and advanced
// court fees are not a supply and carry none.
type VAT struct {
	// rates by the day they take effect; a line uses the rate in effect on
	// its date (Finland: 24 % until 2024-08-31, 25.5 % from 2024-09-01).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=from
	// +required
	Rates []VATRate `json:"rates"`
}

// VATRate is a VAT percentage from a day on.
type VATRate struct {
	// from is the first day (YYYY-MM-DD) the rate applies.
	// +required
	From Date `json:"from"`
	// percent, e.g. "25" or "25.5"; at most 100.
	// +kubebuilder:validation:XValidation:rule="self.matches('^(100([.]0{1,4})?|[0-9]{1,2}([.][0-9]{1,4})?)$')",message="a VAT percent must be from 0 to 100, e.g. \"25\" or \"25.5\""
	// +required
	Percent Rate `json:"percent"`
}

// AdvancedFees configures court and enforcement fees the agency advances.
// They are repaid to whoever bore them first out of the fee part of each
// payment the debtor makes.
type AdvancedFees struct {
	// borneBy is who pays the court while the debtor has not: Agency
	// (default; seed 003: the agency pays the application fees and tries to
	// recover them from the debtor) or Creditor (seed 004: no cure no pay
	// "except a court fee if it goes legal"): the fee is charged to the
	// creditor in the Settlement of the period it was booked in, and what
	// the debtor later repays of it goes back to the creditor.
	// +kubebuilder:default=Agency
	// +optional
	BorneBy PricingParty `json:"borneBy,omitempty"`
	// steps whose fee is a court or enforcement fee (e.g. the Escalate
	// step charging rettsgebyr or Kronofogden's application fee); each
	// must be a step of spec.steps.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=40
	// +listType=set
	// +required
	Steps []string `json:"steps"`
}

// CollectionPolicyStatus is the observed state of a policy.
type CollectionPolicyStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// CollectionPolicy is a creditor's collection process: its steps, deadlines,
// channels and fee choices under one jurisdiction.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cpol,categories=inkasso
// +kubebuilder:printcolumn:name="Jurisdiction",type=string,JSONPath=`.spec.jurisdiction`
// +kubebuilder:printcolumn:name="TimeZone",type=string,JSONPath=`.spec.timeZone`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CollectionPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   CollectionPolicySpec   `json:"spec"`
	Status CollectionPolicyStatus `json:"status,omitempty"`
}

// CollectionPolicyList is a list of CollectionPolicies.
// +kubebuilder:object:root=true
type CollectionPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CollectionPolicy `json:"items"`
}

// DefaultPolicyAnnotation marks a namespace's default CollectionPolicy.
const DefaultPolicyAnnotation = "collection.inkasso.dev/default-policy"
