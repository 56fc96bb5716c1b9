package controllers_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Valid objects; each bad case below changes one thing.
var validSpecs = map[string]string{
	"Claim": `
debtorRef: {name: ola}
invoiceNumber: "1001"
invoiceDate: "2026-01-01"
dueDate: "2026-01-15"
amount: "1250.00"
currency: NOK`,
	"Debtor": `
displayName: Ola Nordmann
type: Consumer
country: "NO"
language: nb
email: ola@example.no
phone: "+4791234567"`,
	"CollectionPolicy": `
jurisdiction: "NO"
stepWindow: 1h30m
steps:
- {name: reminder, phase: Reminder, afterDueDays: 1, channels: [letter]}
- {name: notice, phase: Collection, afterDueDays: 14, channels: [letter], fee: Reminder}`,
	"NoticeChannel": `
controllerName: inkasso.dev/log
log: {}`,
	"Notice": `
channelRef: {name: letter}
claimRefs: [{name: inv-1}]
step: reminder
recipient: {name: Ola}
language: nb
subject: Reminder
body: Please pay.`,
}

// specOf parses a spec the way kubectl does: YAML 1.1, so an unquoted NO is false.
func specOf(t *testing.T, kind, override string) map[string]any {
	t.Helper()
	var base, over map[string]any
	if err := yaml.Unmarshal([]byte(validSpecs[kind]), &base); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(override), &over); err != nil {
		t.Fatal(err)
	}
	for k, v := range over {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return base
}

func object(kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "collection.inkasso.dev/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec,
	}}
	return u
}

func TestInvalidManifestsAreRefusedNamingTheField(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	for kind := range validSpecs {
		if err := k8s.Create(ctx, object(kind, ns, "valid-"+strings.ToLower(kind), specOf(t, kind, "{}"))); err != nil {
			t.Fatalf("the valid %s is refused: %v", kind, err)
		}
	}

	cases := []struct {
		name, kind, override string
		want                 []string // substrings of the error: the field and the reason
	}{
		{"due before invoice", "Claim", `dueDate: "2025-12-31"`, []string{"spec.dueDate", "must not be before invoiceDate"}},
		{"too many decimals for NOK", "Claim", `amount: "100.123"`, []string{"spec.amount", "more decimals than currency NOK allows"}},
		{"decimals on a JPY amount", "Claim", `{amount: "100.5", currency: JPY}`, []string{"spec.amount", "currency JPY"}},
		{"negative amount", "Claim", `amount: "-5.00"`, []string{"spec.amount", "decimal amount in major units"}},
		{"zero amount", "Claim", `amount: "0.00"`, []string{"spec.amount", "greater than zero"}},
		{"amount as a YAML number", "Claim", `amount: 1250`, []string{"spec.amount", "must be of type string"}},
		{"amount with a comma", "Claim", `amount: "1250,00"`, []string{"spec.amount", "with a dot"}},
		{"unknown currency", "Claim", `currency: XYZ`, []string{"spec.currency", "ISO 4217"}},
		{"lower-case currency", "Claim", `currency: nok`, []string{"spec.currency", "ISO 4217"}},
		{"impossible date", "Claim", `dueDate: "2026-02-30"`, []string{"spec.dueDate", "date"}},
		{"missing debtorRef", "Claim", `debtorRef: null`, []string{"spec.debtorRef", "Required"}},
		{"empty invoice number", "Claim", `invoiceNumber: ""`, []string{"spec.invoiceNumber", "at least 1"}},
		{"duplicate payment id", "Claim", `payments: [{id: p1, amount: "1", date: "2026-02-01"}, {id: p1, amount: "2", date: "2026-02-02"}]`, []string{"spec.payments[1]", "Duplicate value"}},
		{"unknown receiver", "Claim", `payments: [{id: p1, amount: "1", date: "2026-02-01", receivedBy: Bank}]`, []string{"spec.payments[0].receivedBy", "Unsupported value"}},
		{"payment decimals", "Claim", `payments: [{id: p1, amount: "1.001", date: "2026-02-01"}]`, []string{"spec.payments", "payment amount has more decimals"}},
		{"unknown dispute resolution", "Claim", `dispute: {raisedOn: "2026-02-01", resolution: Maybe}`, []string{"spec.dispute.resolution", "Unsupported value"}},
		{"unknown credit decision", "Claim", `creditDecision: Rich`, []string{"spec.creditDecision", "Unsupported value"}},
		{"empty payment plan", "Claim", `paymentPlan: {installments: []}`, []string{"spec.paymentPlan.installments", "at least 1"}},
		{"unquoted NO country", "Debtor", `country: NO`, []string{"spec.country", "must be of type string"}},
		{"unknown country", "Debtor", `country: "XX"`, []string{"spec.country", "ISO 3166-1"}},
		{"phone not E.164", "Debtor", `phone: "91234567"`, []string{"spec.phone", "should match"}},
		{"bad e-mail", "Debtor", `email: "ola.example.no"`, []string{"spec.email", "email"}},
		{"unsupported language", "Debtor", `language: de`, []string{"spec.language", "Unsupported value"}},
		{"business without organization number", "Debtor", `type: Business`, []string{"spec.organizationNumber", "required for a Business debtor"}},
		{"unknown debtor type", "Debtor", `type: Person`, []string{"spec.type", "Unsupported value"}},
		{"address without lines", "Debtor", `address: {lines: [], postalCode: "0155", city: Oslo, country: "NO"}`, []string{"spec.address.lines", "at least 1"}},
		{"unknown jurisdiction", "CollectionPolicy", `jurisdiction: "DK"`, []string{"spec.jurisdiction", "Unsupported value"}},
		{"steps out of order", "CollectionPolicy", `steps: [{name: a, phase: Collection, afterDueDays: 14, channels: [x]}, {name: b, phase: Reminder, afterDueDays: 1, channels: [x]}]`, []string{"spec.steps", "ordered by afterDueDays"}},
		{"notify step without channel", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1}]`, []string{"spec.steps[0].channels", "needs at least one channel"}},
		{"unknown fee", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x], fee: Lots}]`, []string{"spec.steps[0].fee", "must be None, Reminder"}},
		{"duplicate step name", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x]}, {name: a, phase: Reminder, afterDueDays: 2, channels: [x]}]`, []string{"spec.steps[1]", "Duplicate value"}},
		{"negative day offset", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: -1, channels: [x]}]`, []string{"spec.steps[0].afterDueDays", "greater than or equal to 0"}},
		{"step time out of range", "CollectionPolicy", `stepTime: "25:00"`, []string{"spec.stepTime", "should match"}},
		{"step window over 12 hours", "CollectionPolicy", `stepWindow: 13h`, []string{"spec.stepWindow", "at most 12h"}},
		{"step window in days", "CollectionPolicy", `stepWindow: 1d`, []string{"spec.stepWindow", "hours, minutes and seconds"}},
		{"step name not DNS", "CollectionPolicy", `steps: [{name: "Reminder One", phase: Reminder, afterDueDays: 1, channels: [x]}]`, []string{"spec.steps[0].name", "should match"}},
		{"Norwegian notice with 13 days to pay", "CollectionPolicy", `steps: [{name: notice, phase: Collection, afterDueDays: 14, channels: [x], fee: Reminder, paymentDeadlineDays: 13}]`, []string{"spec.steps", "at least 14 days to pay (inkassoloven §§ 9-10)"}},
		{"Norwegian demand without a deadline", "CollectionPolicy", `{creditor: {name: Acme AS}, steps: [{name: demand, phase: Collection, afterDueDays: 28, channels: [x], fee: LightSalary}]}`, []string{"spec.steps", "payment demand (fee LightSalary) gives at least 14 days"}},
		{"Norwegian demand without a creditor", "CollectionPolicy", `steps: [{name: demand, phase: Collection, afterDueDays: 28, channels: [x], fee: LightSalary, paymentDeadlineDays: 14}]`, []string{"spec.creditor", "must name the creditor (inkassoloven § 10)"}},
		{"Swedish inkassokrav with 7 days to pay", "CollectionPolicy", `{jurisdiction: "SE", steps: [{name: krav, phase: Collection, afterDueDays: 14, channels: [x], fee: LightSalary, paymentDeadlineDays: 7}]}`, []string{"spec.steps", "at least 8 days to pay"}},
		{"judgment without a creditor resolution", "Claim", `dispute: {raisedOn: "2026-02-01", resolution: Pending, judgmentDate: "2026-05-01"}`, []string{"spec.dispute.judgmentDate", "only for a dispute resolved for the creditor"}},
		{"judgment before the dispute", "Claim", `dispute: {raisedOn: "2026-02-01", resolution: Creditor, judgmentDate: "2026-01-01"}`, []string{"spec.dispute.judgmentDate", "must not be before raisedOn"}},
		{"controllerName without domain", "NoticeChannel", `{controllerName: smtp, log: null}`, []string{"spec.controllerName", "should match"}},
		{"two config blocks", "NoticeChannel", `smtp: {host: mail.example.no, from: a@example.no}`, []string{"spec", "set at most one of log, smtp, webhook, letter and parametersRef"}},
		{"smtp controller without smtp block", "NoticeChannel", `{controllerName: inkasso.dev/smtp, log: null}`, []string{"spec.smtp", "requires spec.smtp"}},
		{"plain http webhook", "NoticeChannel", `{controllerName: inkasso.dev/webhook, log: null, webhook: {url: "http://sms.example.com/send"}}`, []string{"spec.webhook.url", "must be an https URL"}},
		{"notice without claims", "Notice", `claimRefs: []`, []string{"spec.claimRefs", "at least 1"}},
		{"notice without channel", "Notice", `channelRef: null`, []string{"spec.channelRef", "Required"}},
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := object(tc.kind, ns, "bad-"+strings.ToLower(tc.kind)+"-"+string(rune('a'+i%26))+string(rune('a'+i/26)), specOf(t, tc.kind, tc.override))
			err := k8s.Create(ctx, obj)
			if err == nil {
				t.Fatalf("accepted: %v", obj.Object["spec"])
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestImmutableFieldsOnUpdate(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	n := object("Notice", ns, "n", specOf(t, "Notice", "{}"))
	ch := object("NoticeChannel", ns, "c", specOf(t, "NoticeChannel", "{}"))
	if err := k8s.Create(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, ch); err != nil {
		t.Fatal(err)
	}
	patch := func(obj client.Object, p string) error {
		return k8s.Patch(ctx, obj, client.RawPatch("application/merge-patch+json", []byte(p)))
	}
	if err := patch(n, `{"spec":{"body":"Pay more."}}`); err == nil || !strings.Contains(err.Error(), "Notice spec is immutable") {
		t.Errorf("changing a notice body: %v", err)
	}
	if err := patch(ch, `{"spec":{"controllerName":"example.com/sms"}}`); err == nil ||
		!strings.Contains(err.Error(), "spec.controllerName") || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing a channel's controllerName: %v", err)
	}
}
