package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Recipient is a snapshot of the debtor's contact data when the notice was made.
type Recipient struct {
	// name as printed on the notice.
	// +kubebuilder:validation:MaxLength=200
	Name string `json:"name"`
	// email address, if any.
	// +kubebuilder:validation:MaxLength=254
	// +optional
	Email string `json:"email,omitempty"`
	// phone in E.164 form, if any.
	// +kubebuilder:validation:MaxLength=16
	// +optional
	Phone string `json:"phone,omitempty"`
	// address for letters, if any.
	// +optional
	Address *Address `json:"address,omitempty"`
}

// NoticeClaim is one claim listed on a notice.
type NoticeClaim struct {
	// name of the Claim.
	Name string `json:"name"`
	// invoiceNumber of the claim.
	InvoiceNumber string `json:"invoiceNumber"`
	// dueDate of the claim.
	DueDate string `json:"dueDate"`
	// outstanding on the claim, decimal in major units.
	Outstanding string `json:"outstanding"`
}

// NoticeAmounts is a snapshot of the money the notice demands.
type NoticeAmounts struct {
	// currency of every amount.
	Currency string `json:"currency"`
	// principal less credits.
	Principal string `json:"principal"`
	// fees including the one charged with this step.
	Fees string `json:"fees"`
	// interest accrued.
	Interest string `json:"interest"`
	// paid so far.
	Paid string `json:"paid"`
	// outstanding is what the debtor is asked to pay.
	Outstanding string `json:"outstanding"`
	// claims listed on the notice.
	// +kubebuilder:validation:MaxItems=200
	// +listType=atomic
	// +optional
	Claims []NoticeClaim `json:"claims,omitempty"`
}

// NoticeSpec is a rendered message for one channel. Immutable: a notice is a
// record of what was (to be) sent.
type NoticeSpec struct {
	// channelRef names the NoticeChannel that delivers this notice.
	// +required
	ChannelRef LocalObjectReference `json:"channelRef"`
	// claimRefs lists the claims the notice is about (one case).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=200
	// +listType=atomic
	// +required
	ClaimRefs []LocalObjectReference `json:"claimRefs"`
	// debtorRef names the debtor, or is empty for a notice to the creditor.
	// +optional
	DebtorRef *LocalObjectReference `json:"debtorRef,omitempty"`
	// caseID of the collection case.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	CaseID string `json:"caseID,omitempty"`
	// step of the policy that made the notice.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Step string `json:"step"`
	// recipient contact data, snapshot.
	// +required
	Recipient Recipient `json:"recipient"`
	// language of subject and body.
	// +required
	Language Language `json:"language"`
	// subject line.
	// +kubebuilder:validation:MaxLength=300
	// +required
	Subject string `json:"subject"`
	// body is the rendered text.
	// +kubebuilder:validation:MaxLength=65536
	// +required
	Body string `json:"body"`
	// creditor the claims are owed to, snapshot.
	// +optional
	Creditor *Party `json:"creditor,omitempty"`
	// sender of the notice (the collector), snapshot.
	// +optional
	Sender *Party `json:"sender,omitempty"`
	// interestRate is the yearly late-interest rate in percent stated in the notice.
	// +kubebuilder:validation:MaxLength=10
	// +optional
	InterestRate string `json:"interestRate,omitempty"`
	// amounts demanded, snapshot.
	// +optional
	Amounts *NoticeAmounts `json:"amounts,omitempty"`
	// paymentReference the debtor pays with.
	// +kubebuilder:validation:MaxLength=35
	// +optional
	PaymentReference string `json:"paymentReference,omitempty"`
	// payBy is the payment deadline stated in the notice.
	// +optional
	PayBy Date `json:"payBy,omitempty"`
	// notBefore: the channel must not deliver earlier (contact windows).
	// +optional
	NotBefore *metav1.Time `json:"notBefore,omitempty"`
	// deadline: the channel must not deliver later; the notice then fails.
	// +optional
	Deadline *metav1.Time `json:"deadline,omitempty"`
}

// NoticeStatus is written only by the channel controller that owns the notice.
type NoticeStatus struct {
	// controllerName of the channel controller that handled the notice.
	// +optional
	ControllerName string `json:"controllerName,omitempty"`
	// attempts made to deliver.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// sentAt is when the notice was delivered.
	// +optional
	SentAt *metav1.Time `json:"sentAt,omitempty"`
	// deliveryID returned by the provider.
	// +optional
	DeliveryID string `json:"deliveryID,omitempty"`
	// idempotencyKey is what the channel passes to the provider: derived
	// from what identifies the notice (namespace, case or claims, step,
	// channel), so it survives a restore that gives the notice a new UID.
	// +optional
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// attempt is the delivery attempt in progress, recorded before the
	// provider is called and cleared with its outcome. One left behind (a
	// crash, a cut to the apiserver, an answer that never came) has an
	// unknown outcome: the channel asks the provider when it can, else
	// its redelivery policy decides (docs/channel-contract.md).
	// +optional
	Attempt *DeliveryAttempt `json:"attempt,omitempty"`
	// conditions: Ready (False/Pending, False/Failed terminal, True/Sent).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DeliveryAttempt is one call to a provider, recorded before it is made.
type DeliveryAttempt struct {
	// number of the attempt, from 1.
	Number int32 `json:"number"`
	// startedAt is when the provider was called.
	StartedAt metav1.Time `json:"startedAt"`
	// holder is the replica that made the call.
	// +optional
	Holder string `json:"holder,omitempty"`
}

// Reasons of a Notice's Ready condition.
const (
	NoticeReasonPending = "Pending"
	NoticeReasonSent    = "Sent"
	NoticeReasonFailed  = "Failed"
	// NoticeReasonDeliveryUnknown: an attempt's outcome is unknown and the
	// channel delivers at most once; a person decides (annotation
	// ResolveDeliveryAnnotation). Terminal for the channel until then.
	NoticeReasonDeliveryUnknown = "DeliveryUnknown"
)

// ResolveDeliveryAnnotation on a Notice whose delivery is unknown tells its
// channel what a person found out: "Sent" (the provider has it) or
// "Resend" (it does not: send again, under the same idempotency key).
const ResolveDeliveryAnnotation = "collection.inkasso.dev/resolve-delivery"

// Notice is one message to deliver through one channel: the contract between
// the operator and channel controllers.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ntc,categories=inkasso
// +kubebuilder:printcolumn:name="Channel",type=string,JSONPath=`.spec.channelRef.name`
// +kubebuilder:printcolumn:name="Step",type=string,JSONPath=`.spec.step`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Sent",type=string,JSONPath=`.status.sentAt`
// +kubebuilder:printcolumn:name="Attempts",type=integer,JSONPath=`.status.attempts`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Notice struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="Notice spec is immutable; create a new Notice"
	Spec   NoticeSpec   `json:"spec"`
	Status NoticeStatus `json:"status,omitempty"`
}

// NoticeList is a list of Notices.
// +kubebuilder:object:root=true
type NoticeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Notice `json:"items"`
}
