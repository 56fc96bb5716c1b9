package notice

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// Line is one claim on a notice.
type Line struct {
	InvoiceNumber string
	DueDate       string
	Outstanding   string
}

// Data is everything a notice template may print.
type Data struct {
	Language         string
	Step             string
	DebtorName       string
	Currency         string
	Claims           []Line
	Principal        string
	Fees             string
	Interest         string
	Paid             string
	Outstanding      string
	FeeCharged       string
	PayBy            string
	PaymentReference string
}

type texts struct {
	subject string
	body    string
	steps   map[string]string
}

// The foundation's built-in wording per language; policy templates and
// ConfigMap overrides come with the channel work.
var languages = map[string]texts{
	"en": {
		subject: "{{.Title}}: {{.Outstanding}} {{.Currency}} outstanding",
		body: `Dear {{.DebtorName}},

{{.Title}}. Our records show the following unpaid invoices:
{{range .Claims}}  invoice {{.InvoiceNumber}}, due {{.DueDate}}: {{.Outstanding}} {{$.Currency}}
{{end}}
Principal {{.Principal}}, fees {{.Fees}}, interest {{.Interest}}, paid {{.Paid}}.
Amount to pay: {{.Outstanding}} {{.Currency}}{{if .PayBy}} by {{.PayBy}}{{end}}.
{{if .PaymentReference}}Payment reference: {{.PaymentReference}}
{{end}}If you disagree with the claim, tell us in writing before the deadline.
`,
		steps: map[string]string{
			"reminder": "Payment reminder", "collection-notice": "Collection notice",
			"payment-demand": "Payment demand", "sms-reminder": "Payment reminder (SMS)",
			"phone-call": "Phone follow-up", "legal-warning": "Notice of legal action",
			"second-call": "Second phone follow-up", "heavy-fee-sms": "Notice of increased fee (SMS)",
		},
	},
	"nb": {
		subject: "{{.Title}}: {{.Outstanding}} {{.Currency}} utestående",
		body: `Til {{.DebtorName}},

{{.Title}}. Vi har ikke mottatt betaling for disse fakturaene:
{{range .Claims}}  faktura {{.InvoiceNumber}}, forfall {{.DueDate}}: {{.Outstanding}} {{$.Currency}}
{{end}}
Hovedstol {{.Principal}}, gebyrer {{.Fees}}, renter {{.Interest}}, betalt {{.Paid}}.
Å betale: {{.Outstanding}} {{.Currency}}{{if .PayBy}} innen {{.PayBy}}{{end}}.
{{if .PaymentReference}}KID: {{.PaymentReference}}
{{end}}Er du uenig i kravet, må du si fra skriftlig innen fristen.
`,
		steps: map[string]string{
			"reminder": "Betalingspåminnelse", "collection-notice": "Inkassovarsel",
			"payment-demand": "Betalingsoppfordring", "sms-reminder": "Betalingspåminnelse (SMS)",
			"phone-call": "Telefonoppfølging", "legal-warning": "Varsel om rettslig inndrivelse",
			"second-call": "Ny telefonoppfølging", "heavy-fee-sms": "Varsel om tungt salær (SMS)",
		},
	},
	"sv": {
		subject: "{{.Title}}: {{.Outstanding}} {{.Currency}} att betala",
		body: `Till {{.DebtorName}},

{{.Title}}. Följande fakturor är obetalda:
{{range .Claims}}  faktura {{.InvoiceNumber}}, förfallodag {{.DueDate}}: {{.Outstanding}} {{$.Currency}}
{{end}}
Kapital {{.Principal}}, avgifter {{.Fees}}, ränta {{.Interest}}, betalt {{.Paid}}.
Att betala: {{.Outstanding}} {{.Currency}}{{if .PayBy}} senast {{.PayBy}}{{end}}.
{{if .PaymentReference}}OCR: {{.PaymentReference}}
{{end}}Om du bestrider kravet, meddela oss skriftligen före förfallodagen.
`,
		steps: map[string]string{"reminder": "Betalningspåminnelse", "collection-notice": "Inkassokrav"},
	},
	"fi": {
		subject: "{{.Title}}: {{.Outstanding}} {{.Currency}} maksamatta",
		body: `Hyvä {{.DebtorName}},

{{.Title}}. Seuraavat laskut ovat maksamatta:
{{range .Claims}}  lasku {{.InvoiceNumber}}, eräpäivä {{.DueDate}}: {{.Outstanding}} {{$.Currency}}
{{end}}
Pääoma {{.Principal}}, kulut {{.Fees}}, korko {{.Interest}}, maksettu {{.Paid}}.
Maksettava: {{.Outstanding}} {{.Currency}}{{if .PayBy}} viimeistään {{.PayBy}}{{end}}.
{{if .PaymentReference}}Viitenumero: {{.PaymentReference}}
{{end}}Jos kiistät saatavan, ilmoita siitä kirjallisesti ennen määräpäivää.
`,
		steps: map[string]string{"reminder": "Maksumuistutus", "collection-notice": "Perintäkirje"},
	},
}

// Render returns the subject and body of a notice in d.Language (nn falls
// back to nb, unknown languages to en).
func Render(d Data) (subject, body string, err error) {
	t := languages[language(d.Language, languages)]
	title := t.steps[d.Step]
	if title == "" {
		title = strings.ReplaceAll(d.Step, "-", " ")
	}
	view := struct {
		Data
		Title string
	}{d, title}
	if subject, err = execute(t.subject, view); err != nil {
		return "", "", fmt.Errorf("rendering subject: %w", err)
	}
	if body, err = execute(t.body, view); err != nil {
		return "", "", fmt.Errorf("rendering body: %w", err)
	}
	return subject, body, nil
}

// language picks the texts for lang: nn falls back to nb, unknown languages to en.
func language[T any](lang string, texts map[string]T) string {
	if lang == "nn" {
		lang = "nb"
	}
	if _, ok := texts[lang]; !ok {
		return "en"
	}
	return lang
}

func execute(text string, data any) (string, error) {
	tmpl, err := template.New("notice").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}
