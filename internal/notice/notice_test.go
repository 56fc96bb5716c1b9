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

func sampleData() Data {
	return Data{Step: "collection-notice", DebtorName: "Ola Nordmann", Currency: "NOK",
		Claims:    []Line{{InvoiceNumber: "1001", DueDate: "2026-01-15", Outstanding: "1035.00"}},
		Principal: "1000.00", Fees: "35.00", Interest: "0.00", Paid: "0.00", Outstanding: "1035.00",
		PayBy: "2026-02-12", PaymentReference: "12345678903", CreditorName: "Acme AS", InterestRate: "12.00",
		InterestFrom: "2026-01-15", SenderName: "Nordic Collect AS", BankAccount: "1503.12.34567"}
}

// notifySteps are the Notify steps of the shipped policies (config/samples).
var notifySteps = []string{"reminder", "second-reminder", "collection-notice", "collection-demand", "demand-letter",
	"payment-demand", "sms-reminder", "phone-call", "legal-warning", "second-call", "heavy-fee-sms"}

func TestRenderEveryShippedStepInEveryLanguage(t *testing.T) {
	titles := map[string]map[string]string{
		"nb": {"collection-notice": "Inkassovarsel", "payment-demand": "Betalingsoppfordring"},
		"sv": {"collection-demand": "Inkassokrav"},
		"fi": {"collection-notice": "Perintäkirje", "demand-letter": "Perintäkirje"},
		"en": {"collection-notice": "Collection notice", "payment-demand": "Payment demand"},
	}
	amounts := map[string]string{"nb": "1 035,00", "sv": "1 035,00", "fi": "1 035,00", "en": "1,035.00"}
	for _, lang := range Languages {
		for _, step := range notifySteps {
			d := sampleData()
			d.Language, d.Step = lang, step
			subject, body, err := Render(d, nil)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, step, err)
			}
			if sets[lang].Lookup("title/"+step) == nil || strings.Contains(subject+body, "<no value>") {
				t.Errorf("%s/%s: no translated title, or an empty field, in %q", lang, step, subject)
			}
			if want := titles[lang][step]; want != "" && !strings.HasPrefix(subject, want) {
				t.Errorf("%s/%s: subject %q, want it to start with %q", lang, step, subject, want)
			}
			if !strings.Contains(body, amounts[lang]) || !strings.Contains(body, "12345678903") {
				t.Errorf("%s/%s: body lacks the amount %s or the reference:\n%s", lang, step, amounts[lang], body)
			}
		}
	}
}

func TestLegalContentOfCollectionNoticeAndPaymentDemand(t *testing.T) {
	for _, tc := range []struct{ lang, step, statute, deadline string }{
		{"nb", "collection-notice", "inkassoloven § 9", "12.02.2026"},
		{"nb", "payment-demand", "inkassoloven § 10", "12.02.2026"},
		{"sv", "collection-demand", "inkassolagen", "2026-02-12"},
		{"fi", "demand-letter", "perintälain", "12.2.2026"},
		{"en", "payment-demand", "payment demand", "12 February 2026"},
	} {
		d := sampleData()
		d.Language, d.Step = tc.lang, tc.step
		_, body, err := Render(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{tc.statute, tc.deadline} {
			if !strings.Contains(body, want) {
				t.Errorf("%s/%s lacks %q:\n%s", tc.lang, tc.step, want, body)
			}
		}
		if tc.step != "collection-notice" && (!strings.Contains(body, "Acme AS") || !strings.Contains(body, formatRate(tc.lang, "12.00")+" %")) {
			t.Errorf("%s/%s does not name the creditor and the interest rate:\n%s", tc.lang, tc.step, body)
		}
	}
}

func TestOverridesReplaceTextsButNotTheLaw(t *testing.T) {
	d := sampleData()
	d.Language = "nb"
	good := Overrides{"collection-notice.nb": "Subject: Varsel fra Acme – {{money .Outstanding}} kr\n\nHei {{.DebtorName}}! Betal {{money .Outstanding}} kr innen {{date .PayBy}}, KID {{.PaymentReference}}.\n"}
	subject, body, err := Render(d, good)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Varsel fra Acme – 1 035,00 kr" || !strings.HasPrefix(body, "Hei Ola Nordmann!") {
		t.Errorf("override not used: %q %q", subject, body)
	}
	d.Language = "sv" // no sv override: the built-in text
	if subject, _, _ := Render(d, good); !strings.HasPrefix(subject, "Inkassokrav") {
		t.Errorf("sv used the nb override: %q", subject)
	}
	d.Language = "nb"
	for name, tc := range map[string]struct{ text, want string }{
		"no deadline":     {"Subject: Varsel\n\nBetal {{money .Outstanding}} kr.", "deadline (\"12.02.2026\")"},
		"no subject line": {"Varsel\n\nBetal.", "Subject:"},
		"unknown field":   {"Subject: x\n\n{{.Nope}}", "Nope"},
		"unparsable":      {"Subject: x\n\n{{if}}", "collection-notice.nb"},
	} {
		_, _, err := Render(d, Overrides{"collection-notice.nb": tc.text})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "collection-notice.nb") {
			t.Errorf("%s: %v, want an error naming the key and %q", name, err, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"nb", "1234567.50", "1 234 567,50"}, {"en", "1234567.50", "1,234,567.50"}, {"sv", "999.00", "999,00"},
		{"fi", "-1000.10", "-1 000,10"}, {"en", "12", "12"}, {"nb", "n/a", "n/a"},
	} {
		if got := formatMoney(tc.lang, tc.in); got != tc.want {
			t.Errorf("formatMoney(%s, %s) = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
	for lang, want := range map[string]string{"nb": "05.03.2026", "sv": "2026-03-05", "fi": "5.3.2026", "en": "5 March 2026"} {
		if got := formatDate(lang, "2026-03-05"); got != want {
			t.Errorf("formatDate(%s) = %q, want %q", lang, got, want)
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
