package notice

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestNameIsDeterministicValidAndUnique(t *testing.T) {
	a := Name("case-1", "reminder", "log")
	if a != Name("case-1", "reminder", "log") {
		t.Fatal("same inputs gave different names")
	}
	if a == Name("case-1-reminder", "", "log") || a == Name("case", "1-reminder", "log") {
		t.Fatal("names collide when dashes move between parts")
	}
	long := Name(strings.Repeat("c", 200), strings.Repeat("s", 40), strings.Repeat("h", 60))
	for _, n := range []string{a, long} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%q is not a valid object name: %v", n, errs)
		}
	}
}

func TestRenderLanguages(t *testing.T) {
	d := Data{Step: "collection-notice", DebtorName: "Ola Nordmann", Currency: "NOK",
		Claims:    []Line{{InvoiceNumber: "1001", DueDate: "2026-01-15", Outstanding: "1035.00"}},
		Principal: "1000.00", Fees: "35.00", Interest: "0.00", Paid: "0.00", Outstanding: "1035.00",
		PayBy: "2026-02-12", PaymentReference: "12345678903"}
	for lang, want := range map[string]string{"nb": "Inkassovarsel", "nn": "Inkassovarsel", "en": "Collection notice", "sv": "Inkassokrav", "fi": "Perintäkirje", "de": "Collection notice"} {
		d.Language = lang
		subject, body, err := Render(d)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if !strings.HasPrefix(subject, want) || !strings.Contains(body, "1001") || !strings.Contains(body, "12345678903") {
			t.Errorf("%s: subject %q body %q", lang, subject, body)
		}
	}
}

func TestRenderCreditorEveryLanguageAndEvent(t *testing.T) {
	d := CreditorData{InvoiceNumber: "1001", DebtorName: "Fjordbygg AS", DueDate: "2026-12-20", Currency: "NOK",
		Outstanding: "12500.00", TransferOn: "2026-12-26", FreeUntil: "2027-01-05", Result: "Paid", Reason: "paid in full", Collected: "12500.00"}
	for _, lang := range []string{"nb", "nn", "sv", "fi", "en", "xx"} {
		for _, ev := range []string{"OverdueWarning", "Transferred", "Closed"} {
			d.Language, d.Event = lang, ev
			subj, body, err := RenderCreditor(d)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, ev, err)
			}
			if !strings.Contains(subj, "1001") || !strings.Contains(body, "Fjordbygg AS") || !strings.Contains(body, "12500.00") {
				t.Errorf("%s/%s lacks the invoice, debtor or amount:\n%s\n%s", lang, ev, subj, body)
			}
			want := map[string]string{"OverdueWarning": "2026-12-26", "Transferred": "2027-01-05", "Closed": "Paid"}[ev]
			if !strings.Contains(subj+body, want) {
				t.Errorf("%s/%s lacks %q", lang, ev, want)
			}
		}
	}
	if _, _, err := RenderCreditor(CreditorData{Event: "Nope"}); err == nil {
		t.Error("an unknown event rendered")
	}
}
