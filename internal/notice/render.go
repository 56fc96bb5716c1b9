package notice

import (
	"bytes"
	"context"
	"embed"
	"errors"
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

// view is what the templates see: the data, and the step's title and legal
// text rendered from title/<template> and legal/<template>.
type view struct {
	Data
	Title string
	Legal string
}

// texts are the templates Render executes for one notice: title/ and legal/
// (nil when the language has none for the template), then the subject and
// body, from the policy's override or the built-in set.
type texts struct {
	lang                        string
	key                         string // "<template>.<language>", prefixed "built-in " when not overridden
	override                    bool
	text                        string // the override's text
	title, legal, subject, body *template.Template
}

// textsFor picks the templates Render uses for d (d.Template set).
func textsFor(d Data, overrides Overrides) (texts, error) {
	lang := language(d.Language, sets)
	set := sets[lang]
	t := texts{lang: lang, key: d.Template + "." + lang, title: set.Lookup("title/" + d.Template), legal: set.Lookup("legal/" + d.Template)}
	if text, ok := overrides[t.key]; ok {
		if err := quarantined(text); err != nil {
			return texts{}, err
		}
		var err error
		if t.subject, t.body, err = parseOverride(t.key, text, lang); err != nil {
			return texts{}, err
		}
		t.override, t.text = true, text
		return t, nil
	}
	t.subject, t.body = set.Lookup("subject"), set.Lookup("body/"+d.Template)
	if t.body == nil {
		t.body = set.Lookup("body")
	}
	t.key = "built-in " + t.key
	return t, nil
}

// view renders the title and legal text of d (d.Template set).
func (t texts) view(d Data) (v view, err error) {
	v = view{Data: d, Title: strings.ReplaceAll(d.Step, "-", " ")}
	if t.title != nil {
		if v.Title, err = run(t.title, v); err != nil {
			return view{}, err
		}
	}
	if t.legal != nil {
		if v.Legal, err = run(t.legal, v); err != nil {
			return view{}, err
		}
	}
	return v, nil
}

// Render is RenderContext without a caller's context.
func Render(d Data, overrides Overrides) (subject, body string, err error) {
	return RenderContext(context.Background(), d, overrides)
}

// RenderContext returns the subject and body of a notice in d.Language (nn
// falls back to nb, unknown languages to en). An override for the template
// and language replaces the built-in text; either way the result must carry
// what the law requires of the step (Required), or it fails. An override
// must pass Validate, and renders within RenderBudget (or ctx, if sooner)
// and MaxOutputBytes; one that does not is refused from then on.
func RenderContext(ctx context.Context, d Data, overrides Overrides) (subject, body string, err error) {
	if d.Template == "" {
		d.Template = d.Step
	}
	t, err := textsFor(d, overrides)
	if err != nil {
		return "", "", err
	}
	v, err := t.view(d)
	if err != nil {
		return "", "", err
	}
	if t.override {
		ctx, cancel := context.WithTimeout(ctx, RenderBudget)
		defer cancel()
		subject, err = runBudgeted(ctx, t.subject, v)
		if err == nil {
			body, err = runBudgeted(ctx, t.body, v)
		}
		if errors.Is(err, errBudget) || errors.Is(err, errOutputCap) {
			quarantineText(t.text, &TemplateError{Key: t.key, Msg: err.Error()})
		}
	} else {
		subject, err = run(t.subject, v)
		if err == nil {
			body, err = run(t.body, v)
		}
	}
	if err != nil {
		if t.override && !errors.Is(err, context.Canceled) {
			err = &TemplateError{Key: t.key, Msg: err.Error()}
		}
		return "", "", err
	}
	if missing := Missing(d, t.lang, subject+"\n"+body); len(missing) > 0 {
		return "", "", fmt.Errorf("%s lacks what the law requires of a %s: %s", t.key, d.Template, strings.Join(missing, ", "))
	}
	return subject, strings.TrimSpace(body) + "\n", nil
}

// parseOverride parses a policy's text: "Subject: <line>", a blank line,
// the body; and checks it (checkTree). Errors are TemplateErrors naming key
// and the line in text.
func parseOverride(key, text, lang string) (subject, body *template.Template, err error) {
	if len(text) > MaxOverrideBytes {
		return nil, nil, &TemplateError{Key: key, Msg: fmt.Sprintf("%d bytes, more than the %d KiB an override may have", len(text), MaxOverrideBytes>>10)}
	}
	first, rest, _ := strings.Cut(text, "\n")
	s, ok := strings.CutPrefix(strings.TrimSpace(first), "Subject:")
	if !ok {
		return nil, nil, &TemplateError{Key: key, Line: 1, Msg: `the first line must be "Subject: <text>"`}
	}
	bodyText := strings.TrimLeft(rest, "\n")
	// The body's line 1 is this line of the override.
	bodyOffset := 1 + strings.Count(rest[:len(rest)-len(bodyText)], "\n")
	parse := func(name, src string, offset int) (*template.Template, error) {
		t, err := template.New(name).Funcs(funcs(lang)).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, parseError(key, offset, err)
		}
		return t, checkTree(key, offset, t)
	}
	if subject, err = parse("subject", strings.TrimSpace(s), 0); err != nil {
		return nil, nil, err
	}
	if body, err = parse("body", bodyText, bodyOffset); err != nil {
		return nil, nil, err
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
