package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Controller names of the in-tree channel controllers.
const (
	ControllerLog     = "inkasso.dev/log"
	ControllerSMTP    = "inkasso.dev/smtp"
	ControllerWebhook = "inkasso.dev/webhook"
	ControllerLetter  = "inkasso.dev/letter"
)

// LogChannel writes notices to the operator's log and an outbox folder.
type LogChannel struct {
	// outboxDir, if set, is a relative folder inside the namespace's part of
	// the manager's outbox (--outbox-dir/<namespace>/); it receives one file
	// per notice. Absolute paths and ".." fail the notice.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	OutboxDir string `json:"outboxDir,omitempty"`
}

// SMTPChannel sends notices as e-mail.
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.tls != 'None' || self.host in ['localhost', '127.0.0.1', '::1']",message="tls None sends mail in clear text: only allowed for a relay on a loopback address",fieldPath=".tls"
type SMTPChannel struct {
	// host of the SMTP server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Host string `json:"host"`
	// port of the SMTP server.
	// +kubebuilder:default=587
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// from address.
	// +kubebuilder:validation:Format=email
	// +kubebuilder:validation:MaxLength=254
	// +required
	From string `json:"from"`
	// tls mode: StartTLS (default), Implicit, or None (loopback testing only).
	// The channel's Secret (spec.secretRef) may hold username and password
	// (AUTH PLAIN, only over TLS) and ca.crt, a PEM CA bundle for servers
	// with a private CA.
	// +kubebuilder:default=StartTLS
	// +kubebuilder:validation:Enum=StartTLS;Implicit;None
	// +optional
	TLS string `json:"tls,omitempty"`
	// attachLetter attaches the notice as a PDF letter (default true).
	// +kubebuilder:default=true
	// +optional
	AttachLetter *bool `json:"attachLetter,omitempty"`
	// timeoutSeconds for connecting and sending.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
}

// Values of SMTPChannel.TLS.
const (
	SMTPStartTLS    = "StartTLS"
	SMTPImplicitTLS = "Implicit"
	SMTPNoTLS       = "None"
)

// WebhookChannel POSTs notices as JSON to an HTTPS endpoint.
type WebhookChannel struct {
	// url of the endpoint; https, or http on a loopback address.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && url(self).getHostname() in ['localhost','127.0.0.1','::1']))",message="must be an https URL (http only for loopback addresses)"
	// +required
	URL string `json:"url"`
	// timeoutSeconds per request.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// checkURL, when set, is where the channel asks whether the provider
	// has a notice whose delivery outcome is unknown (a timeout after the
	// request left, a crash): GET with the Idempotency-Key header; 200
	// (with the delivery id, as the send's answer) means delivered, 404
	// means not (it is sent again under the same key); anything else is
	// asked again later. Without it, spec.redelivery decides.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && url(self).getHostname() in ['localhost','127.0.0.1','::1']))",message="must be an https URL (http only for loopback addresses)"
	// +optional
	CheckURL string `json:"checkURL,omitempty"`
}

// LetterChannel renders notices as PDF letters.
type LetterChannel struct {
	// outboxDir is a relative folder inside the namespace's part of the
	// manager's outbox (--outbox-dir/<namespace>/) that receives the PDF
	// files; default the namespace's folder itself. Absolute paths and ".."
	// fail the notice.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	OutboxDir string `json:"outboxDir,omitempty"`
	// paperSize of the letter.
	// +kubebuilder:default=A4
	// +kubebuilder:validation:Enum=A4;Letter
	// +optional
	PaperSize string `json:"paperSize,omitempty"`
}

// ParametersReference points at an out-of-tree controller's configuration object.
type ParametersReference struct {
	// apiGroup of the referenced object; empty for the core group.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	APIGroup string `json:"apiGroup,omitempty"`
	// kind of the referenced object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Kind string `json:"kind"`
	// name of the referenced object in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// RateLimit bounds how fast a channel sends.
type RateLimit struct {
	// perMinute notices at most.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	// +required
	PerMinute int32 `json:"perMinute"`
	// burst allowed above the steady rate.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	// +optional
	Burst int32 `json:"burst,omitempty"`
}

// NoticeChannelSpec configures one way of reaching people.
// +kubebuilder:validation:XValidation:rule="[has(self.log), has(self.smtp), has(self.webhook), has(self.letter), has(self.parametersRef)].filter(x, x).size() <= 1",message="set at most one of log, smtp, webhook, letter and parametersRef"
// +kubebuilder:validation:XValidation:rule="self.controllerName != 'inkasso.dev/smtp' || has(self.smtp)",message="controllerName inkasso.dev/smtp requires spec.smtp",fieldPath=".smtp"
// +kubebuilder:validation:XValidation:rule="self.controllerName != 'inkasso.dev/webhook' || has(self.webhook)",message="controllerName inkasso.dev/webhook requires spec.webhook",fieldPath=".webhook"
// +kubebuilder:validation:XValidation:rule="!has(self.smtp) || self.controllerName == 'inkasso.dev/smtp'",message="spec.smtp is only read by controllerName inkasso.dev/smtp",fieldPath=".controllerName"
// +kubebuilder:validation:XValidation:rule="!has(self.webhook) || self.controllerName == 'inkasso.dev/webhook'",message="spec.webhook is only read by controllerName inkasso.dev/webhook",fieldPath=".controllerName"
// +kubebuilder:validation:XValidation:rule="!has(self.log) || self.controllerName == 'inkasso.dev/log'",message="spec.log is only read by controllerName inkasso.dev/log",fieldPath=".controllerName"
// +kubebuilder:validation:XValidation:rule="!has(self.letter) || self.controllerName == 'inkasso.dev/letter'",message="spec.letter is only read by controllerName inkasso.dev/letter",fieldPath=".controllerName"
type NoticeChannelSpec struct {
	// controllerName is the domain-prefixed path of the channel controller
	// that handles this channel's notices, e.g. inkasso.dev/smtp. Immutable.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/._~%!$&'()*+,;=:-]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="controllerName is immutable"
	// +required
	ControllerName string `json:"controllerName"`
	// log channel configuration (controllerName inkasso.dev/log).
	// +optional
	Log *LogChannel `json:"log,omitempty"`
	// smtp channel configuration (controllerName inkasso.dev/smtp).
	// +optional
	SMTP *SMTPChannel `json:"smtp,omitempty"`
	// webhook channel configuration (controllerName inkasso.dev/webhook).
	// +optional
	Webhook *WebhookChannel `json:"webhook,omitempty"`
	// letter channel configuration (controllerName inkasso.dev/letter).
	// +optional
	Letter *LetterChannel `json:"letter,omitempty"`
	// parametersRef points at an out-of-tree controller's configuration.
	// +optional
	ParametersRef *ParametersReference `json:"parametersRef,omitempty"`
	// secretRef names a Secret in this namespace holding credentials. The
	// Secret's annotation collection.inkasso.dev/notice-channels must list
	// this channel, or the channel does not use it (Ready False,
	// SecretNotAllowed).
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
	// rateLimit bounds how fast notices are sent.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// redelivery decides what happens to an attempt whose outcome is
	// unknown (a timeout after the request left, a crash or a cut to the
	// apiserver between the call and the record of its answer) when the
	// channel cannot ask the provider: AtMostOnce never sends it again and
	// marks the notice DeliveryUnknown for a person; AtLeastOnce sends it
	// again under the same idempotency key. Default: AtMostOnce for letter
	// and smtp channels (paper and e-mail cannot be taken back or
	// de-duplicated), AtLeastOnce for webhook and log channels (the
	// provider de-duplicates on the key; the log writes one file per key).
	// +optional
	Redelivery Redelivery `json:"redelivery,omitempty"`
}

// NoticeChannelStatus is written by the channel's controller.
type NoticeChannelStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NoticeChannel is a way to reach debtors and creditors, handled by the
// channel controller named in controllerName.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nch,categories=inkasso
// +kubebuilder:printcolumn:name="Controller",type=string,JSONPath=`.spec.controllerName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type NoticeChannel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   NoticeChannelSpec   `json:"spec"`
	Status NoticeChannelStatus `json:"status,omitempty"`
}

// NoticeChannelList is a list of NoticeChannels.
// +kubebuilder:object:root=true
type NoticeChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NoticeChannel `json:"items"`
}

// Redelivery is a channel's policy for attempts with an unknown outcome.
// +kubebuilder:validation:Enum=AtMostOnce;AtLeastOnce
type Redelivery string

// Redelivery policies.
const (
	AtMostOnce  Redelivery = "AtMostOnce"
	AtLeastOnce Redelivery = "AtLeastOnce"
)
