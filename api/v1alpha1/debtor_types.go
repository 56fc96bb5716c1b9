package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DebtorType tells consumers from businesses; fees and rules differ.
// +kubebuilder:validation:Enum=Consumer;Business
type DebtorType string

// Debtor types.
const (
	DebtorConsumer DebtorType = "Consumer"
	DebtorBusiness DebtorType = "Business"
)

// Address is a postal address for letters.
type Address struct {
	// lines are the street lines, first to last.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=100
	// +kubebuilder:validation:items:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]+$`
	// +listType=atomic
	// +required
	Lines []string `json:"lines"`
	// postalCode as written on letters in the country.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z][0-9A-Za-z -]*$`
	// +required
	PostalCode string `json:"postalCode"`
	// city or postal town.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]+$`
	// +required
	City string `json:"city"`
	// country of the address (ISO 3166-1 alpha-2, quoted in YAML).
	// +required
	Country CountryCode `json:"country"`
}

// DebtorSpec describes a customer of the creditor who owes money.
// +kubebuilder:validation:XValidation:rule="self.type != 'Business' || has(self.organizationNumber)",message="organizationNumber is required for a Business debtor",fieldPath=".organizationNumber"
type DebtorSpec struct {
	// displayName is the debtor's name as printed on notices: one line, no
	// control characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^[^\x00-\x1F\x7F\x{85}\x{2028}\x{2029}]+$`
	// +required
	DisplayName string `json:"displayName"`

	// type is Consumer or Business. Business debtors pay other fees and lose
	// consumer protections.
	// +required
	Type DebtorType `json:"type"`

	// organizationNumber is the business registry number (e.g. the Norwegian
	// organisasjonsnummer); required for a Business debtor.
	// +kubebuilder:validation:MinLength=4
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z][0-9A-Za-z -]*$`
	// +optional
	OrganizationNumber string `json:"organizationNumber,omitempty"`

	// country of residence (ISO 3166-1 alpha-2, quoted in YAML: "NO").
	// A debtor living in another country than the policy's jurisdiction is
	// forwarded to a foreign partner at transfer.
	// +required
	Country CountryCode `json:"country"`

	// language notices are written in: nb, nn, sv, fi or en. Defaults to the
	// language of the policy's jurisdiction.
	// +optional
	Language Language `json:"language,omitempty"`

	// timeZone (IANA) the debtor lives in: SMS and phone contact windows are
	// kept in it. Defaults to the zone of spec.country when known, else the
	// policy's time zone.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`
	// +optional
	TimeZone string `json:"timeZone,omitempty"`

	// email address for notices sent by e-mail.
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Format=email
	// +optional
	Email string `json:"email,omitempty"`

	// phone number in E.164 form (+4791234567) for SMS and calls.
	// +kubebuilder:validation:Pattern=`^\+[1-9][0-9]{6,14}$`
	// +optional
	Phone string `json:"phone,omitempty"`

	// address for letters.
	// +optional
	Address *Address `json:"address,omitempty"`

	// autoCollection false opts this customer out of automatic collection:
	// their overdue claims wait in Overdue until turned on again.
	// +kubebuilder:default=true
	// +optional
	AutoCollection *bool `json:"autoCollection,omitempty"`
	// reminderFeeAgreed records that this customer agreed to reminder fees
	// in its terms; Sweden allows the fee only then. A claim's own
	// spec.reminderFeeAgreed takes precedence.
	// +optional
	ReminderFeeAgreed *bool `json:"reminderFeeAgreed,omitempty"`
}

// CollectionCase is the set of a debtor's claims collected together: one
// notice per step lists them all and fees are computed on the case total.
type CollectionCase struct {
	// id of the case, also the prefix of its notices' names.
	ID string `json:"id"`
	// policy is the CollectionPolicy the case follows.
	// +optional
	Policy string `json:"policy,omitempty"`
	// currency of every claim in the case: claims in other currencies are
	// collected in a case of their own, never summed.
	// +optional
	Currency string `json:"currency,omitempty"`
	// claims in the case, by name.
	// +listType=set
	Claims []string `json:"claims,omitempty"`
	// dueDate anchors the case's step offsets: the earliest due date of the
	// claims that opened it.
	// +optional
	DueDate string `json:"dueDate,omitempty"`
	// step is the last step the case completed.
	// +optional
	Step string `json:"step,omitempty"`
	// nextStep is the case's next step.
	// +optional
	NextStep string `json:"nextStep,omitempty"`
	// nextStepAt is when the next step fires.
	// +optional
	NextStepAt *metav1.Time `json:"nextStepAt,omitempty"`
	// history of the case's steps, oldest first.
	// +listType=atomic
	// +optional
	History []CaseStep `json:"history,omitempty"`
	// openedAt is when the case was opened.
	// +optional
	OpenedAt *metav1.Time `json:"openedAt,omitempty"`
}

// CaseStep is one step a case completed.
type CaseStep struct {
	// step name.
	Step string `json:"step"`
	// time the step was carried out.
	Time metav1.Time `json:"time"`
	// claims the step covered.
	// +listType=atomic
	// +optional
	Claims []string `json:"claims,omitempty"`
	// fee charged for the whole case with the step.
	// +optional
	Fee string `json:"fee,omitempty"`
	// shares of the fee, one per claim in the order of claims. A share is
	// never more than the claim's own fee ledger allows for the step.
	// +listType=atomic
	// +optional
	Shares []string `json:"shares,omitempty"`
	// feeKind is the legal basis of the fee (Reminder, LightSalary,
	// HeavySalary, Compensation; empty for a fixed fee or none).
	// +optional
	FeeKind string `json:"feeKind,omitempty"`
	// dueAt is when the schedule wanted the step.
	// +optional
	DueAt *metav1.Time `json:"dueAt,omitempty"`
}

// DebtorStatus aggregates the debtor's claims.
type DebtorStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// openClaims counts claims that are not in a terminal phase.
	// +optional
	OpenClaims int32 `json:"openClaims"`
	// outstanding is the open amount per currency.
	// +listType=map
	// +listMapKey=currency
	// +optional
	Outstanding []CurrencyAmount `json:"outstanding,omitempty"`
	// phase is the most advanced phase among the debtor's open claims.
	// +optional
	Phase ClaimPhase `json:"phase,omitempty"`
	// cases are the open collection cases, at most one per currency. The
	// Debtor controller records each case step here first (intent); each
	// claim then records its own entry from it.
	// +listType=map
	// +listMapKey=id
	// +optional
	Cases []CollectionCase `json:"cases,omitempty"`
	// closedInvoices remembers the invoices of this debtor whose collection
	// ended (newest 200): a Claim for one of them created again (a GitOps
	// manifest re-applied after the claim was pruned) is not collected a
	// second time. The claim archive keeps the full record; this is the
	// memory without one.
	// +kubebuilder:validation:MaxItems=200
	// +listType=map
	// +listMapKey=invoiceNumber
	// +optional
	ClosedInvoices []ClosedInvoice `json:"closedInvoices,omitempty"`
	// conditions: Ready (kstatus).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClosedInvoiceLimit is how many closed invoices a Debtor remembers.
const ClosedInvoiceLimit = 200

// ClosedInvoice is an invoice whose collection ended.
type ClosedInvoice struct {
	// invoiceNumber of the claim.
	// +kubebuilder:validation:MaxLength=64
	InvoiceNumber string `json:"invoiceNumber"`
	// phase the claim ended in (Paid, Withdrawn, ...).
	Phase ClaimPhase `json:"phase"`
	// closedAt is when it ended (its last record), or when it was seen ended.
	ClosedAt metav1.Time `json:"closedAt"`
}

// Debtor is a customer who owes the creditor (the namespace) money.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dbt,categories=inkasso
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Country",type=string,JSONPath=`.spec.country`
// +kubebuilder:printcolumn:name="Open",type=integer,JSONPath=`.status.openClaims`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Case",type=string,JSONPath=`.status.case.id`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name of a Debtor is at most 63 characters: it is a label value on its notices"
type Debtor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   DebtorSpec   `json:"spec"`
	Status DebtorStatus `json:"status,omitempty"`
}

// DebtorList is a list of Debtors.
// +kubebuilder:object:root=true
type DebtorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Debtor `json:"items"`
}

// AutoCollectionEnabled reports whether the debtor allows automatic collection.
func (d *Debtor) AutoCollectionEnabled() bool {
	return d.Spec.AutoCollection == nil || *d.Spec.AutoCollection
}
