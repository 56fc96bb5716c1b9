package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func metav1AddToGroupVersion(scheme *runtime.Scheme) {
	metav1.AddToGroupVersion(scheme, GroupVersion)
}

// LocalObjectReference names an object in the same namespace. References never
// cross namespaces: a namespace is one creditor.
type LocalObjectReference struct {
	// name of the referenced object in the same namespace: an object name
	// (DNS-1123 subdomain: lower-case letters, digits, '-' and '.').
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// Amount is a positive amount of money in major units written as a decimal
// string with a dot, e.g. "12500.00". It is parsed exactly, never as a float.
// How many decimals are allowed depends on the currency (ISO 4217 minor unit),
// which the enclosing object checks.
// +kubebuilder:validation:MaxLength=20
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,15}([.][0-9]{1,4})?$')",message="must be a decimal amount in major units with a dot and no sign, e.g. \"12500.00\""
// +kubebuilder:validation:XValidation:rule="!self.matches('^[0.]*$')",message="must be greater than zero"
type Amount string

// Date is a calendar date, YYYY-MM-DD, in the time zone of the collection
// policy's jurisdiction, between 1900-01-01 and 2199-12-31: dates outside
// are typing errors, and a step scheduled past year 9999 cannot even be
// written as a timestamp (internal/guard holds the decider to the same range).
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:Format=date
// +kubebuilder:validation:XValidation:rule="self >= timestamp('1900-01-01T00:00:00Z') && self <= timestamp('2199-12-31T00:00:00Z')",message="must be a date between 1900-01-01 and 2199-12-31"
type Date string

// CurrencyCode is an active ISO 4217 alphabetic currency code, e.g. "NOK".
// +kubebuilder:validation:MinLength=3
// +kubebuilder:validation:MaxLength=3
// +kubebuilder:validation:XValidation:rule="self in ['AED','AFN','ALL','AMD','ANG','AOA','ARS','AUD','AWG','AZN','BAM','BBD','BDT','BGN','BHD','BIF','BMD','BND','BOB','BOV','BRL','BSD','BTN','BWP','BYN','BZD','CAD','CDF','CHE','CHF','CHW','CLF','CLP','CNY','COP','COU','CRC','CUP','CVE','CZK','DJF','DKK','DOP','DZD','EGP','ERN','ETB','EUR','FJD','FKP','GBP','GEL','GHS','GIP','GMD','GNF','GTQ','GYD','HKD','HNL','HTG','HUF','IDR','ILS','INR','IQD','IRR','ISK','JMD','JOD','JPY','KES','KGS','KHR','KMF','KPW','KRW','KWD','KYD','KZT','LAK','LBP','LKR','LRD','LSL','LYD','MAD','MDL','MGA','MKD','MMK','MNT','MOP','MRU','MUR','MVR','MWK','MXN','MXV','MYR','MZN','NAD','NGN','NIO','NOK','NPR','NZD','OMR','PAB','PEN','PGK','PHP','PKR','PLN','PYG','QAR','RON','RSD','RUB','RWF','SAR','SBD','SCR','SDG','SEK','SGD','SHP','SLE','SOS','SRD','SSP','STN','SVC','SYP','SZL','THB','TJS','TMT','TND','TOP','TRY','TTD','TWD','TZS','UAH','UGX','USD','USN','UYI','UYU','UYW','UZS','VED','VES','VND','VUV','WST','XAF','XCD','XCG','XOF','XPF','YER','ZAR','ZMW','ZWG']",message="must be an active ISO 4217 currency code in upper case, e.g. \"NOK\""
type CurrencyCode string

// CountryCode is an ISO 3166-1 alpha-2 country code in upper case. Quote it in
// YAML: an unquoted NO is read as the boolean false.
// +kubebuilder:validation:MinLength=2
// +kubebuilder:validation:MaxLength=2
// +kubebuilder:validation:XValidation:rule="self in ['AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ','BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS','BT','BV','BW','BY','BZ','CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN','CO','CR','CU','CV','CW','CX','CY','CZ','DE','DJ','DK','DM','DO','DZ','EC','EE','EG','EH','ER','ES','ET','FI','FJ','FK','FM','FO','FR','GA','GB','GD','GE','GF','GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY','HK','HM','HN','HR','HT','HU','ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT','JE','JM','JO','JP','KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ','LA','LB','LC','LI','LK','LR','LS','LT','LU','LV','LY','MA','MC','MD','ME','MF','MG','MH','MK','ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ','NA','NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ','OM','PA','PE','PF','PG','PH','PK','PL','PM','PN','PR','PS','PT','PW','PY','QA','RE','RO','RS','RU','RW','SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS','ST','SV','SX','SY','SZ','TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO','TR','TT','TV','TW','TZ','UA','UG','UM','US','UY','UZ','VA','VC','VE','VG','VI','VN','VU','WF','WS','XK','YE','YT','ZA','ZM','ZW']",message="must be an ISO 3166-1 alpha-2 country code in upper case and quoted in YAML, e.g. \"NO\""
type CountryCode string

// Language is the language notices are written in.
// +kubebuilder:validation:Enum=nb;nn;sv;fi;en
type Language string

// Languages notices can be written in.
const (
	LanguageBokmal  Language = "nb"
	LanguageNynorsk Language = "nn"
	LanguageSwedish Language = "sv"
	LanguageFinnish Language = "fi"
	LanguageEnglish Language = "en"
)

// CurrencyAmount is an amount in one currency, used in status aggregates.
type CurrencyAmount struct {
	// currency is the ISO 4217 code.
	Currency string `json:"currency"`
	// amount is a decimal string in major units; zero is "0.00".
	Amount string `json:"amount"`
}

// Condition types shared by the kinds. They follow kstatus: Ready is always
// written; Reconciling and Stalled are present only while True.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
	ConditionSuspended   = "Suspended"
	ConditionDisputed    = "Disputed"
	ConditionSettled     = "Settled"
	// ConditionPaymentPlan is True while an agreed payment plan is followed.
	ConditionPaymentPlan = "PaymentPlan"
	// ConditionRestored is True on a claim whose status came back from the
	// claim archive (reason RestoredReapplied or RestoredRecheck).
	ConditionRestored = "Restored"
)

// The claim archive (docs/operations.md, "Archive").
const (
	// ArchiveFinalizer keeps a finished claim until its record is committed
	// to the archive.
	ArchiveFinalizer = "collection.inkasso.dev/archive"
	// ClosingFinalizer keeps an ended claim until its closing notice to the
	// creditor (creditor notice Closed) was sent or failed: a GitOps prune
	// right after the end must not take the creditor's final record with it.
	ClosingFinalizer = "collection.inkasso.dev/closing-notice"
	// ArchivedUIDAnnotation names the archive record a claim was brought
	// back from for its Surveillance re-check: archiving it again updates
	// that record.
	ArchivedUIDAnnotation = "collection.inkasso.dev/archived-uid"
	// RestoredReapplied: a manifest of an archived claim was applied again;
	// the claim shows its archived state and is never collected or archived
	// again.
	RestoredReapplied = "RestoredReapplied"
	// RestoredRecheck: a dormant Surveillance claim came back from the
	// archive for its credit re-check.
	RestoredRecheck = "RestoredRecheck"
)
