package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Period is a span of days, both ends included.
// +kubebuilder:validation:XValidation:rule="self.to >= self.from",message="period.to must not be before period.from",fieldPath=".to"
type Period struct {
	// from is the first day (YYYY-MM-DD, in the policy's time zone).
	// +required
	From Date `json:"from"`
	// to is the last day, included.
	// +required
	To Date `json:"to"`
}

// Payout is the creditor's bank account the creditor's share is paid to.
// Exactly one of iban or account.
// +kubebuilder:validation:XValidation:rule="has(self.iban) != has(self.account)",message="set exactly one of payout.iban and payout.account"
// +kubebuilder:validation:XValidation:rule="!has(self.account) || has(self.accountCountry)",message="payout.accountCountry (\"NO\" or \"SE\") is required with payout.account",fieldPath=".accountCountry"
// +kubebuilder:validation:XValidation:rule="!has(self.account) || !has(self.accountCountry) || (self.accountCountry == 'NO' ? self.account.matches('^[0-9]{11}$') : self.account.matches('^[0-9]{4}[0-9]{7,10}$'))",message="payout.account must be 11 digits for a Norwegian account, or a 4-digit clearing number followed by 7 to 10 digits for a Swedish one; no spaces or dots",fieldPath=".account"
type Payout struct {
	// name of the account holder (the creditor); default the policy's
	// spec.creditor.name.
	// +kubebuilder:validation:MaxLength=70
	// +optional
	Name string `json:"name,omitempty"`
	// iban of the creditor's account, upper case without spaces; its check
	// digits are verified by the controller.
	// +kubebuilder:validation:Pattern=`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`
	// +kubebuilder:validation:MaxLength=34
	// +optional
	IBAN string `json:"iban,omitempty"`
	// bic of the creditor's bank (8 or 11 characters).
	// +kubebuilder:validation:Pattern=`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`
	// +optional
	BIC string `json:"bic,omitempty"`
	// account is a domestic account number: Norwegian (11 digits, MOD11
	// check verified by the controller) or Swedish (clearing number and
	// account number, digits only).
	// +kubebuilder:validation:MaxLength=14
	// +optional
	Account string `json:"account,omitempty"`
	// accountCountry of a domestic account: "NO" or "SE" (quote it in YAML).
	// +kubebuilder:validation:Enum=NO;SE
	// +optional
	AccountCountry string `json:"accountCountry,omitempty"`
	// from is the agency's client-funds account the payout is debited
	// (IBAN or domestic account); default the policy's
	// spec.sender.bankAccount.
	// +kubebuilder:validation:MaxLength=34
	// +kubebuilder:validation:Pattern=`^[A-Z0-9]{5,34}$`
	// +optional
	From string `json:"from,omitempty"`
	// fromBIC is the BIC of the agency's bank.
	// +kubebuilder:validation:Pattern=`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`
	// +optional
	FromBIC string `json:"fromBIC,omitempty"`
}

// SettlementSpec asks for the creditor's settlement of one period. The
// spec is immutable: a Settlement is a record; create another for another
// period.
type SettlementSpec struct {
	// period whose payments are settled (payment dates, both ends
	// included). Payments dated earlier that no Settlement has settled yet
	// (registered late) are carried over into this one, marked so.
	// +required
	Period Period `json:"period"`
	// policyRef names the CollectionPolicy whose claims are settled and
	// whose spec.pricing splits the money; empty: the namespace's default
	// policy (the same rule claims use).
	// +optional
	PolicyRef *LocalObjectReference `json:"policyRef,omitempty"`
	// currency settled: one Settlement, one currency, one payout. Claims in
	// other currencies are left for their own Settlements.
	// +required
	Currency CurrencyCode `json:"currency"`
	// payout is the creditor's account; with it the Settlement produces an
	// ISO 20022 pain.001 credit transfer of the creditor's share.
	// +optional
	Payout *Payout `json:"payout,omitempty"`
	// channels deliver the statement to the creditor (a letter channel
	// renders it as PDF); default the policy's spec.creditorNotices.channels.
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	Channels []string `json:"channels,omitempty"`
}

// LineKind is what a Settlement line settles.
// +kubebuilder:validation:Enum=Payment;AdvancedFee
type LineKind string

// Settlement line kinds.
const (
	// LinePayment is a payment of the debtor, split between the parties.
	LinePayment LineKind = "Payment"
	// LineAdvancedFee is a court or enforcement fee the agency advanced and
	// the creditor bears (spec.pricing.advancedFees.borneBy: Creditor).
	LineAdvancedFee LineKind = "AdvancedFee"
)

// SettlementLine is one payment of one claim, split between the creditor
// and the agency, or an advanced court fee charged to the creditor. Every
// amount is a decimal in the Settlement's currency.
type SettlementLine struct {
	// key identifies the settled ledger entry in the namespace:
	// "<claim>/Payment/<payment id>" or "<claim>/Fee/<step>". A key is
	// settled at most once across all Settlements of the namespace.
	// +kubebuilder:validation:MaxLength=200
	Key string `json:"key"`
	// kind: Payment, or AdvancedFee (the line's amount is the fee, charged
	// to the creditor: creditor -amount, agency +amount).
	// +kubebuilder:default=Payment
	// +optional
	Kind LineKind `json:"kind,omitempty"`
	// claim is the Claim's name.
	// +kubebuilder:validation:MaxLength=253
	Claim string `json:"claim"`
	// invoiceNumber of the claim.
	// +kubebuilder:validation:MaxLength=64
	InvoiceNumber string `json:"invoiceNumber"`
	// ref is the payment id, or the step of an advanced fee.
	// +kubebuilder:validation:MaxLength=64
	Ref string `json:"ref"`
	// date of the payment.
	// +kubebuilder:validation:MaxLength=10
	Date string `json:"date"`
	// receivedBy: Agency, or Creditor (the creditor already holds the money
	// and owes the agency its share).
	// +kubebuilder:validation:MaxLength=10
	ReceivedBy ReceivedBy `json:"receivedBy"`
	// carriedOver marks a payment dated before the period that no earlier
	// Settlement settled (registered late).
	// +optional
	CarriedOver bool `json:"carriedOver,omitempty"`
	// amount paid; = principal + interest + fees + overpaid.
	// +kubebuilder:validation:MaxLength=24
	Amount string `json:"amount"`
	// principal is the part of the payment the claim's ledger allocated
	// to principal.
	// +kubebuilder:validation:MaxLength=24
	Principal string `json:"principal"`
	// interest is the part allocated to late interest.
	// +kubebuilder:validation:MaxLength=24
	Interest string `json:"interest"`
	// fees is the part allocated to collection fees (and advanced fees).
	// +kubebuilder:validation:MaxLength=24
	Fees string `json:"fees"`
	// advancedFees is the part of fees that repays court or enforcement
	// fees the agency advanced.
	// +kubebuilder:validation:MaxLength=24
	// +optional
	AdvancedFees string `json:"advancedFees,omitempty"`
	// overpaid is owed back to the debtor: neither party's share.
	// +kubebuilder:validation:MaxLength=24
	// +optional
	Overpaid string `json:"overpaid,omitempty"`
	// commission is the agency's commission on this payment.
	// +kubebuilder:validation:MaxLength=24
	Commission string `json:"commission"`
	// keptInterest is the interest the agency keeps (pricing.lateInterest: Agency).
	// +kubebuilder:validation:MaxLength=24
	KeptInterest string `json:"keptInterest"`
	// vat is the VAT the creditor bears on the collection costs of this payment.
	// +kubebuilder:validation:MaxLength=24
	VAT string `json:"vat"`
	// creditor is the creditor's share: principal + interest − keptInterest
	// − commission − vat (+ advancedFees when the creditor bore them).
	// +kubebuilder:validation:MaxLength=24
	Creditor string `json:"creditor"`
	// agency is the agency's share: fees + keptInterest + commission + vat
	// (− advancedFees when the creditor bore them).
	// +kubebuilder:validation:MaxLength=24
	Agency string `json:"agency"`
}

// SettlementTotals sums the lines.
type SettlementTotals struct {
	// collected is the sum of payments.
	Collected string `json:"collected"`
	// collectedByCreditor is the part of it the creditor received directly.
	CollectedByCreditor string `json:"collectedByCreditor"`
	// principal collected.
	Principal string `json:"principal"`
	// interest collected.
	Interest string `json:"interest"`
	// fees collected.
	Fees string `json:"fees"`
	// advancedFees recovered (part of fees).
	AdvancedFees string `json:"advancedFees"`
	// advancedFeesCharged to the creditor (AdvancedFee lines).
	// +optional
	AdvancedFeesCharged string `json:"advancedFeesCharged,omitempty"`
	// overpaid, owed back to debtors.
	Overpaid string `json:"overpaid"`
	// creditor is the creditor's share.
	Creditor string `json:"creditor"`
	// agency is the agency's share: fees + keptInterest + commission + vat
	// (advanced fees as the pricing says).
	Agency string `json:"agency"`
	// commission is the agency's commission.
	Commission string `json:"commission"`
	// keptInterest is the late interest the agency keeps.
	KeptInterest string `json:"keptInterest"`
	// vat is the VAT the creditor bears on collection costs.
	VAT string `json:"vat"`
	// payout is what the agency transfers to the creditor: the creditor's
	// share of money the agency received, less the agency's share of money
	// the creditor received. Negative: the creditor owes the agency, and
	// no payout file is made.
	Payout string `json:"payout"`
}

// FileRef points at a file the Settlement produced.
type FileRef struct {
	// configMap holding the file (owned by the Settlement, immutable).
	ConfigMap string `json:"configMap"`
	// key of the file in the ConfigMap.
	Key string `json:"key"`
	// sha256 of the file's bytes, hex.
	SHA256 string `json:"sha256"`
	// size in bytes.
	Size int64 `json:"size"`
}

// SettlementStatus is written by the operator in three steps (compute,
// files, settle) and frozen once settledAt is set.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.settledAt) || self == oldSelf",message="a settled Settlement's status is frozen"
type SettlementStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// policy is the CollectionPolicy whose claims and pricing were used.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Policy string `json:"policy,omitempty"`
	// computedAt is when the lines were computed and recorded (the intent
	// to settle them).
	// +optional
	ComputedAt *metav1.Time `json:"computedAt,omitempty"`
	// settledAt is when the Settlement was frozen.
	// +optional
	SettledAt *metav1.Time `json:"settledAt,omitempty"`
	// lines, one per claim per payment, in date order.
	// +kubebuilder:validation:MaxItems=1000
	// +listType=atomic
	// +optional
	Lines []SettlementLine `json:"lines,omitempty"`
	// totals of the lines.
	// +optional
	Totals *SettlementTotals `json:"totals,omitempty"`
	// remaining counts payments the Settlement could have settled but left
	// for a later one because it holds at most 1000 lines.
	// +optional
	Remaining int32 `json:"remaining,omitempty"`
	// statement is the CSV statement.
	// +optional
	Statement *FileRef `json:"statement,omitempty"`
	// payout is the pain.001 credit transfer file.
	// +optional
	Payout *FileRef `json:"payout,omitempty"`
	// notices sent the statement to the creditor, one per channel.
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +optional
	Notices []string `json:"notices,omitempty"`
	// conditions: Ready, Reconciling, Stalled (kstatus) and Settled.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Settlement is a creditor's settlement for a period: what the agency
// collected, the creditor's and the agency's shares under the policy's
// pricing, a statement and a payout file. Immutable once settled; a ledger
// entry is settled at most once across all Settlements of the namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=stl,categories=inkasso
// +kubebuilder:printcolumn:name="From",type=string,JSONPath=`.spec.period.from`
// +kubebuilder:printcolumn:name="To",type=string,JSONPath=`.spec.period.to`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="Collected",type=string,JSONPath=`.status.totals.collected`
// +kubebuilder:printcolumn:name="Creditor",type=string,JSONPath=`.status.totals.creditor`
// +kubebuilder:printcolumn:name="Agency",type=string,JSONPath=`.status.totals.agency`
// +kubebuilder:printcolumn:name="Payout",type=string,JSONPath=`.status.totals.payout`
// +kubebuilder:printcolumn:name="Settled",type=string,JSONPath=`.status.conditions[?(@.type=="Settled")].status`
// +kubebuilder:printcolumn:name="Policy",type=string,JSONPath=`.status.policy`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Settlement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="Settlement spec is immutable; delete an unsettled Settlement and create a new one"
	Spec   SettlementSpec   `json:"spec"`
	Status SettlementStatus `json:"status,omitempty"`
}

// SettlementList is a list of Settlements.
// +kubebuilder:object:root=true
type SettlementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Settlement `json:"items"`
}

// Reasons of a Settlement's Settled condition.
const (
	SettlementReasonComputed = "Computed" // lines recorded, files and notices being made
	SettlementReasonSettled  = "Settled"
	SettlementReasonWaiting  = "PeriodOpen" // the period has not ended yet
)
