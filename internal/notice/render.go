package notice

import (
	"bytes"
	"embed"
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

// Data is everything a notice template may print. Amounts are decimal
// strings in major units, dates ISO 8601; templates format them with the
// money and date functions in the notice's language.
type Data struct {
	Language         string
	Step             string
	Template         string // defaults to Step
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
	CreditorName     string
	CreditorOrgNo    string
	SenderName       string
	SenderContact    string
	BankAccount      string
	InterestRate     string // percent a year, e.g. "12.00"
	InterestFrom     string // the earliest due date
}

//go:embed templates/*.tmpl
var builtin embed.FS

// Languages are the languages with built-in texts.
var Languages = []string{"nb", "sv", "fi", "en"}

var sets = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, lang := range Languages {
		m[lang] = template.Must(template.New(lang).Funcs(funcs(lang)).Option("missingkey=error").
			ParseFS(builtin, "templates/"+lang+".tmpl"))
	}
	return m
}()

// Overrides are a policy's replacement texts: key "<template>.<language>",
// value "Subject: <line>", a blank line, then the body (text/template).
type Overrides map[string]string

// Render returns the subject and body of a notice in d.Language (nn falls
// back to nb, unknown languages to en). An override for the template and
// language replaces the built-in text; either way the result must carry
// what the law requires of the step (Required), or Render fails.
func Render(d Data, overrides Overrides) (subject, body string, err error) {
	lang := language(d.Language, sets)
	if d.Template == "" {
		d.Template = d.Step
	}
	set := sets[lang]
	view := struct {
		Data
		Title string
		Legal string
	}{Data: d, Title: strings.ReplaceAll(d.Step, "-", " ")}
	if t := set.Lookup("title/" + d.Template); t != nil {
		if view.Title, err = run(t, view); err != nil {
			return "", "", err
		}
	}
	if t := set.Lookup("legal/" + d.Template); t != nil {
		if view.Legal, err = run(t, view); err != nil {
			return "", "", err
		}
	}
	key := d.Template + "." + lang
	if text, ok := overrides[key]; ok {
		subject, body, err = renderOverride(text, lang, view)
		if err != nil {
			return "", "", fmt.Errorf("template override %q: %w", key, err)
		}
	} else {
		if subject, err = run(set.Lookup("subject"), view); err != nil {
			return "", "", err
		}
		bt := set.Lookup("body/" + d.Template)
		if bt == nil {
			bt = set.Lookup("body")
		}
		if body, err = run(bt, view); err != nil {
			return "", "", err
		}
		key = "built-in " + key
	}
	if missing := Missing(d, lang, subject+"\n"+body); len(missing) > 0 {
		return "", "", fmt.Errorf("%s lacks what the law requires of a %s: %s", key, d.Template, strings.Join(missing, ", "))
	}
	return subject, strings.TrimSpace(body) + "\n", nil
}

func renderOverride(text, lang string, view any) (subject, body string, err error) {
	first, rest, _ := strings.Cut(text, "\n")
	s, ok := strings.CutPrefix(strings.TrimSpace(first), "Subject:")
	if !ok {
		return "", "", fmt.Errorf(`the first line must be "Subject: <text>"`)
	}
	parse := func(name, src string) (string, error) {
		t, err := template.New(name).Funcs(funcs(lang)).Option("missingkey=error").Parse(src)
		if err != nil {
			return "", err
		}
		return run(t, view)
	}
	if subject, err = parse("subject", strings.TrimSpace(s)); err != nil {
		return "", "", err
	}
	if body, err = parse("body", strings.TrimLeft(rest, "\n")); err != nil {
		return "", "", err
	}
	return subject, body, nil
}

// Required lists, per template, the facts its text must state: the
// collection notice (inkassoloven § 9) the amount and the deadline; the
// payment demand (§ 10) and its Swedish and Finnish counterparts also the
// creditor and the interest rate.
var Required = map[string][]string{
	"collection-notice": {"amount", "deadline"},
	"payment-demand":    {"amount", "deadline", "creditor", "interest rate"},
	"collection-demand": {"amount", "deadline", "creditor", "interest rate"},
	"demand-letter":     {"amount", "deadline", "creditor", "interest rate"},
}

// Missing reports which required facts of d's template text does not state,
// in the form the language's money and date functions print them.
func Missing(d Data, lang, text string) []string {
	if d.Template == "" {
		d.Template = d.Step
	}
	var missing []string
	for _, fact := range Required[d.Template] {
		var want string
		switch fact {
		case "amount":
			want = formatMoney(lang, d.Outstanding)
		case "deadline":
			want = formatDate(lang, d.PayBy)
		case "creditor":
			want = d.CreditorName
		case "interest rate":
			want = formatRate(lang, d.InterestRate)
		}
		if want != "" && !strings.Contains(text, want) {
			missing = append(missing, fmt.Sprintf("%s (%q)", fact, want))
		}
	}
	return missing
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

func run(t *template.Template, data any) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return buf.String(), nil
}

func execute(text string, data any) (string, error) {
	tmpl, err := template.New("notice").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	return run(tmpl, data)
}
