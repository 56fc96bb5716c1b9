package notice

import "fmt"

// CreditorData is what a notice to the creditor about one claim prints.
type CreditorData struct {
	Language      string
	Event         string // OverdueWarning, Transferred or Closed
	InvoiceNumber string
	DebtorName    string
	DueDate       string
	Currency      string
	Outstanding   string
	TransferOn    string // OverdueWarning: the day the claim transfers
	FreeUntil     string // Transferred: last day to stop at no cost
	Result        string // Closed: the final phase
	Reason        string // Closed: why collection ended
	Collected     string // Closed: what the debtor paid
}

type creditorTexts struct {
	subjects map[string]string
	bodies   map[string]string
}

// The creditor is a business reading its own language; seeds 001 and 004
// describe what it is told: the warning before transfer, the transfer and
// the free-cancellation window, and the outcome.
var creditorLanguages = map[string]creditorTexts{
	"en": {
		subjects: map[string]string{
			"OverdueWarning": "Invoice {{.InvoiceNumber}} is overdue and transfers to collection on {{.TransferOn}}",
			"Transferred":    "Invoice {{.InvoiceNumber}} has been transferred to collection",
			"Closed":         "Collection of invoice {{.InvoiceNumber}} has ended: {{.Result}}",
		},
		bodies: map[string]string{
			"OverdueWarning": "Invoice {{.InvoiceNumber}} to {{.DebtorName}}, due {{.DueDate}}, is unpaid: {{.Outstanding}} {{.Currency}}.\nIt transfers to debt collection on {{.TransferOn}} unless it is paid or you stop it (set autoCollection to false, or suspend it).\n",
			"Transferred":    "Invoice {{.InvoiceNumber}} to {{.DebtorName}} ({{.Outstanding}} {{.Currency}} outstanding) is now in debt collection.\n{{if .FreeUntil}}You can withdraw it at no cost until {{.FreeUntil}}.\n{{end}}Register credit notes only after suspending collection.\n",
			"Closed":         "Collection of invoice {{.InvoiceNumber}} to {{.DebtorName}} has ended: {{.Result}}.\n{{.Reason}}\nCollected from the debtor: {{.Collected}} {{.Currency}}; outstanding: {{.Outstanding}} {{.Currency}}.\n",
		},
	},
	"nb": {
		subjects: map[string]string{
			"OverdueWarning": "Faktura {{.InvoiceNumber}} er forfalt og overføres til inkasso {{.TransferOn}}",
			"Transferred":    "Faktura {{.InvoiceNumber}} er overført til inkasso",
			"Closed":         "Inkassosaken for faktura {{.InvoiceNumber}} er avsluttet: {{.Result}}",
		},
		bodies: map[string]string{
			"OverdueWarning": "Faktura {{.InvoiceNumber}} til {{.DebtorName}}, forfall {{.DueDate}}, er ubetalt: {{.Outstanding}} {{.Currency}}.\nDen overføres til inkasso {{.TransferOn}} hvis den ikke blir betalt eller du stopper den (autoCollection false, eller suspend).\n",
			"Transferred":    "Faktura {{.InvoiceNumber}} til {{.DebtorName}} ({{.Outstanding}} {{.Currency}} utestående) er nå til inkasso.\n{{if .FreeUntil}}Du kan trekke saken kostnadsfritt til og med {{.FreeUntil}}.\n{{end}}Kreditnota kan bare registreres etter at inkassoen er stoppet.\n",
			"Closed":         "Inkassosaken for faktura {{.InvoiceNumber}} til {{.DebtorName}} er avsluttet: {{.Result}}.\n{{.Reason}}\nInnbetalt fra skyldner: {{.Collected}} {{.Currency}}; utestående: {{.Outstanding}} {{.Currency}}.\n",
		},
	},
	"sv": {
		subjects: map[string]string{
			"OverdueWarning": "Faktura {{.InvoiceNumber}} är förfallen och lämnas till inkasso {{.TransferOn}}",
			"Transferred":    "Faktura {{.InvoiceNumber}} har lämnats till inkasso",
			"Closed":         "Inkassoärendet för faktura {{.InvoiceNumber}} är avslutat: {{.Result}}",
		},
		bodies: map[string]string{
			"OverdueWarning": "Faktura {{.InvoiceNumber}} till {{.DebtorName}}, förfallodag {{.DueDate}}, är obetald: {{.Outstanding}} {{.Currency}}.\nDen lämnas till inkasso {{.TransferOn}} om den inte betalas eller stoppas (autoCollection false, eller suspend).\n",
			"Transferred":    "Faktura {{.InvoiceNumber}} till {{.DebtorName}} ({{.Outstanding}} {{.Currency}} obetalt) är nu på inkasso.\n{{if .FreeUntil}}Du kan återkalla ärendet kostnadsfritt till och med {{.FreeUntil}}.\n{{end}}Kreditfakturor registreras först när inkassot är stoppat.\n",
			"Closed":         "Inkassoärendet för faktura {{.InvoiceNumber}} till {{.DebtorName}} är avslutat: {{.Result}}.\n{{.Reason}}\nInbetalt av gäldenären: {{.Collected}} {{.Currency}}; obetalt: {{.Outstanding}} {{.Currency}}.\n",
		},
	},
	"fi": {
		subjects: map[string]string{
			"OverdueWarning": "Lasku {{.InvoiceNumber}} on erääntynyt ja siirtyy perintään {{.TransferOn}}",
			"Transferred":    "Lasku {{.InvoiceNumber}} on siirretty perintään",
			"Closed":         "Laskun {{.InvoiceNumber}} perintä on päättynyt: {{.Result}}",
		},
		bodies: map[string]string{
			"OverdueWarning": "Lasku {{.InvoiceNumber}} ({{.DebtorName}}), eräpäivä {{.DueDate}}, on maksamatta: {{.Outstanding}} {{.Currency}}.\nSe siirtyy perintään {{.TransferOn}}, ellei sitä makseta tai pysäytetä (autoCollection false tai suspend).\n",
			"Transferred":    "Lasku {{.InvoiceNumber}} ({{.DebtorName}}, {{.Outstanding}} {{.Currency}} maksamatta) on nyt perinnässä.\n{{if .FreeUntil}}Voit peruuttaa sen maksutta {{.FreeUntil}} asti.\n{{end}}Hyvityslaskut kirjataan vasta, kun perintä on pysäytetty.\n",
			"Closed":         "Laskun {{.InvoiceNumber}} ({{.DebtorName}}) perintä on päättynyt: {{.Result}}.\n{{.Reason}}\nVelalliselta peritty: {{.Collected}} {{.Currency}}; maksamatta: {{.Outstanding}} {{.Currency}}.\n",
		},
	},
}

// RenderCreditor returns the subject and body of a notice to the creditor.
func RenderCreditor(d CreditorData) (subject, body string, err error) {
	t := creditorLanguages[language(d.Language, creditorLanguages)]
	subj, ok := t.subjects[d.Event]
	if !ok {
		return "", "", fmt.Errorf("no creditor notice for event %q", d.Event)
	}
	if subject, err = execute(subj, d); err != nil {
		return "", "", fmt.Errorf("rendering creditor subject: %w", err)
	}
	if body, err = execute(t.bodies[d.Event], d); err != nil {
		return "", "", fmt.Errorf("rendering creditor body: %w", err)
	}
	return subject, body, nil
}
