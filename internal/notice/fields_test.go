package notice

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fullData sets every field of Data the notice builder sets
// (controllers/notices.go), with realistic values: a case of two claims.
func fullData() Data {
	return Data{Language: "nb", Step: "payment-demand", DebtorName: "Ola Nordmann", Currency: "NOK",
		Claims: []Line{
			{InvoiceNumber: "1001", DueDate: "2026-01-05", Outstanding: "1297.41"},
			{InvoiceNumber: "1002", DueDate: "2026-01-12", Outstanding: "408.84"},
		},
		Principal: "1730.00", Fees: "350.00", Interest: "26.25", Paid: "100.00", Outstanding: "2006.25",
		FeeCharged: "315.00", PayBy: "2026-02-23", PaymentReference: "12345678903",
		CreditorName: "Acme AS", CreditorOrgNo: "912345678", SenderName: "Nordic Collect AS",
		SenderContact: "+4722000000, post@nordic-collect.example", BankAccount: "1503.12.34567",
		InterestRate: "12.50", InterestFrom: "2026-01-05"}
}

func TestEmptyFieldsOfHandWrittenTemplates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		data     func(*Data)
		required []string
		guarded  []string
		err      string
	}{
		{name: "all set", body: "{{.DebtorName}} {{money .Fees}}{{if .FeeCharged}} ({{money .FeeCharged}}){{end}}"},
		{name: "printed empty", body: "Dear {{.DebtorName}}, pay {{.PaymentReference}}",
			data: func(d *Data) { d.DebtorName = "" }, required: []string{"DebtorName"}},
		{name: "through a function and a pipe", body: "{{money .Fees}} {{.Interest | money}} {{date .PayBy}}",
			data: func(d *Data) { d.Fees, d.Interest, d.PayBy = "", "", "" }, required: []string{"Fees", "Interest", "PayBy"}},
		{name: "if guard dropped its line", body: "{{money .Fees}}{{if .FeeCharged}} (of which {{money .FeeCharged}}){{end}}",
			data: func(d *Data) { d.FeeCharged = "" }, guarded: []string{"FeeCharged"}},
		{name: "empty inside a taken branch", body: "{{if .PayBy}}by {{date .PayBy}}, ref {{.PaymentReference}}{{end}}",
			data: func(d *Data) { d.PaymentReference = "" }, required: []string{"PaymentReference"}},
		{name: "empty inside dropped text", body: "{{if .SenderName}}{{.SenderName}}{{if .SenderContact}}, {{.SenderContact}}{{end}}{{end}}",
			data: func(d *Data) { d.SenderName, d.SenderContact = "", "" }, guarded: []string{"SenderName", "SenderContact"}},
		{name: "else branch taken", body: "{{if .BankAccount}}{{.BankAccount}}{{else}}see {{.SenderContact}}{{end}}",
			data: func(d *Data) { d.BankAccount, d.SenderContact = "", "" }, required: []string{"SenderContact"}, guarded: []string{"BankAccount"}},
		{name: "else branch dropped", body: "{{if .BankAccount}}{{.BankAccount}}{{else}}see {{.SenderContact}}{{end}}",
			data: func(d *Data) { d.SenderContact = "" }, guarded: []string{"SenderContact"}},
		{name: "else if", body: "{{if .BankAccount}}a{{else if .SenderContact}}b{{else}}{{.SenderName}}{{end}}",
			data:     func(d *Data) { d.BankAccount, d.SenderContact, d.SenderName = "", "", "" },
			required: []string{"SenderName"}, guarded: []string{"BankAccount", "SenderContact"}},
		{name: "with", body: "{{with .CreditorOrgNo}}org. no. {{.}}{{end}}",
			data: func(d *Data) { d.CreditorOrgNo = "" }, guarded: []string{"CreditorOrgNo"}},
		{name: "or with a fallback text", body: `{{or .BankAccount "(see the letter)"}}`,
			data: func(d *Data) { d.BankAccount = "" }, guarded: []string{"BankAccount"}},
		{name: "or whose last argument is printed", body: `{{or .BankAccount .SenderContact}}`,
			data: func(d *Data) { d.BankAccount, d.SenderContact = "", "" }, required: []string{"SenderContact"}, guarded: []string{"BankAccount"}},
		{name: "or decided early", body: `{{or .BankAccount .SenderContact}}`,
			data: func(d *Data) { d.SenderContact = "" }, guarded: []string{"SenderContact"}},
		{name: "and, not", body: `{{if and .PayBy (not .PaymentReference)}}x{{end}}`,
			data: func(d *Data) { d.PaymentReference = "" }, guarded: []string{"PaymentReference"}},
		{name: "comparison", body: `{{if eq .Currency "NOK"}}kr{{else}}{{.CreditorOrgNo}}{{end}} {{if gt (len .Claims) 1}}{{.Fees}}{{end}}`,
			data: func(d *Data) { d.CreditorOrgNo, d.Fees = "", "" }, required: []string{"Fees"}, guarded: []string{"CreditorOrgNo"}},
		{name: "range elements", body: "{{range .Claims}}{{.InvoiceNumber}} {{date .DueDate}} {{$.Currency}}\n{{end}}",
			data: func(d *Data) { d.Claims[1].DueDate, d.Currency = "", "" }, required: []string{"Currency", "Claims[1].DueDate"}},
		{name: "range variables", body: "{{range $i, $c := .Claims}}{{$i}}: {{$c.InvoiceNumber}}{{end}}",
			data: func(d *Data) { d.Claims[0].InvoiceNumber = "" }, required: []string{"Claims[0].InvoiceNumber"}},
		{name: "empty range drops its text", body: "{{range .Claims}}{{.InvoiceNumber}}{{end}}",
			data: func(d *Data) { d.Claims = nil }, required: []string{"Claims"}},
		{name: "empty range with an else", body: "{{range .Claims}}{{.InvoiceNumber}}{{else}}no invoices{{end}}",
			data: func(d *Data) { d.Claims = nil }, guarded: []string{"Claims"}},
		{name: "index", body: "{{(index .Claims 0).InvoiceNumber}}",
			data: func(d *Data) { d.Claims[0].InvoiceNumber = "" }, required: []string{"Claims[0].InvoiceNumber"}},
		{name: "variables", body: "{{$f := .FeeCharged}}{{if $f}}{{money $f}}{{end}}{{$n := .DebtorName}}{{$n}}",
			data: func(d *Data) { d.FeeCharged, d.DebtorName = "", "" }, required: []string{"DebtorName"}, guarded: []string{"FeeCharged"}},
		{name: "assigned in a branch", body: "{{$r := .PaymentReference}}{{if .BankAccount}}{{$r = .SenderName}}{{end}}{{$r}}",
			data: func(d *Data) { d.SenderName = "" }, required: []string{"SenderName"}},
		{name: "assigned in a dropped branch", body: "{{$r := .PaymentReference}}{{if .BankAccount}}{{$r = .SenderName}}{{$r}}{{end}}{{$r}}",
			data: func(d *Data) { d.BankAccount, d.SenderName = "", "" }, guarded: []string{"BankAccount", "SenderName"}},
		{name: "defined template is refused (recursion)", body: `{{define "x"}}{{.CreditorName}}{{end}}{{template "x" .}}`,
			err: "{{define}} and {{block}} are not allowed"},
		{name: "Title and Legal are not data", body: "{{.Title}}{{if .Legal}}{{.Legal}}{{end}}"},
		{name: "unknown field", body: "{{if .FeeCharged}}{{.Nope}}{{end}}", data: func(d *Data) { d.FeeCharged = "" },
			err: "can't evaluate field Nope"},
		{name: "undefined function", body: "{{if .PayBy}}{{nope .PayBy}}{{end}}", err: `function "nope" not defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := fullData()
			d.Step = "custom" // no built-in title or legal text: only the body below
			if tc.data != nil {
				tc.data(&d)
			}
			got, err := EmptyFields(d, Overrides{"custom.nb": "Subject: {{.Title}}\n\n" + tc.body})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "custom.nb") {
					t.Fatalf("error %v, want one naming the override and %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Required, tc.required) || !slices.Equal(got.Guarded, tc.guarded) {
				t.Errorf("got required %q, guarded %q; want %q, %q", got.Required, got.Guarded, tc.required, tc.guarded)
			}
		})
	}
}

// templateNames are every template a step can use: each name the built-in
// texts define a title, legal text or body for, in any language, the steps
// of the shipped policies, and a step the texts do not know (the generic
// letter under the step's own name).
func templateNames() []string {
	names := slices.Clone(notifySteps)
	for _, set := range sets {
		for _, t := range set.Templates() {
			for _, prefix := range []string{"title/", "legal/", "body/"} {
				if name, ok := strings.CutPrefix(t.Name(), prefix); ok {
					names = append(names, name)
				}
			}
		}
	}
	names = append(names, "custom-step")
	slices.Sort(names)
	return slices.Compact(names)
}

// TestEveryTemplateUsesOnlyFilledFields renders every built-in template in
// every language with data in which every field is set, and fails when a
// template uses a field that is empty anyway, guarded or not: that is a field
// the notice builder no longer fills (as FeeCharged was, for a while, which
// silently dropped the "of which X for this notice" line).
func TestEveryTemplateUsesOnlyFilledFields(t *testing.T) {
	full := fullData()
	// Every field is set, so that a field added to Data must be filled here
	// (and, in the notice builder, in controllers/notice_data.go).
	fv := reflect.ValueOf(full)
	for i := range fv.NumField() {
		if name := fv.Type().Field(i).Name; fv.Field(i).IsZero() && name != "Template" {
			t.Errorf("fullData leaves %s empty: set it as the notice builder does", name)
		}
	}
	for _, lang := range []string{"nb", "nn", "sv", "fi", "en"} {
		for _, name := range templateNames() {
			for _, claims := range [][]Line{full.Claims, full.Claims[:1]} {
				d := full
				d.Language, d.Step, d.Claims = lang, name, claims
				if _, _, err := Render(d, nil); err != nil {
					t.Errorf("%s/%s: %v", lang, name, err)
					continue
				}
				empty, err := EmptyFields(d, nil)
				if err != nil {
					t.Errorf("%s/%s: %v", lang, name, err)
					continue
				}
				if len(empty.Required)+len(empty.Guarded) > 0 {
					t.Errorf("%s/%s with %d claim(s) uses empty fields: printed blank %q, text dropped %q",
						lang, name, len(claims), empty.Required, empty.Guarded)
				}
			}
		}
	}
}

// TestEmptyFieldsCatchesTheMissingFee is the check above with the fee this
// notice charged left out, as the notice builder did: it must be reported
// for every letter, whose fee line is guarded by it.
func TestEmptyFieldsCatchesTheMissingFee(t *testing.T) {
	for _, lang := range []string{"nb", "nn", "sv", "fi", "en"} {
		for _, name := range templateNames() {
			d := fullData()
			d.Language, d.Step, d.FeeCharged = lang, name, ""
			empty, err := EmptyFields(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The generic letter prints the fee line; SMS texts and call
			// scripts have their own bodies without it.
			_, ownBody := map[string]bool{"sms-reminder": true, "heavy-fee-sms": true, "phone-call": true, "second-call": true}[name]
			if reported := slices.Contains(empty.Guarded, "FeeCharged"); reported == ownBody || len(empty.Required) > 0 {
				t.Errorf("%s/%s: guarded %q, required %q; want FeeCharged guarded: %v", lang, name, empty.Guarded, empty.Required, !ownBody)
			}
		}
	}
}

func TestEveryCreditorNoticeUsesOnlyFilledFields(t *testing.T) {
	full := CreditorData{InvoiceNumber: "1001", DebtorName: "Fjordbygg AS", DueDate: "2026-12-20", Currency: "NOK",
		Outstanding: "12500.00", TransferOn: "2026-12-26", FreeUntil: "2027-01-05", Result: "Paid", Reason: "paid in full", Collected: "12500.00"}
	for _, lang := range []string{"nb", "nn", "sv", "fi", "en"} {
		for _, ev := range []string{"OverdueWarning", "Transferred", "Closed"} {
			d := full
			d.Language, d.Event = lang, ev
			empty, err := EmptyCreditorFields(d)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, ev, err)
			}
			if len(empty.Required)+len(empty.Guarded) > 0 {
				t.Errorf("%s/%s uses empty fields: printed blank %q, text dropped %q", lang, ev, empty.Required, empty.Guarded)
			}
			// Each event's own fields, as the controllers set them, are used.
			d.TransferOn, d.FreeUntil, d.Result = "", "", ""
			empty, _ = EmptyCreditorFields(d)
			want := map[string]Empty{
				"OverdueWarning": {Required: []string{"TransferOn"}},
				"Transferred":    {Guarded: []string{"FreeUntil"}},
				"Closed":         {Required: []string{"Result"}},
			}[ev]
			if !slices.Equal(empty.Required, want.Required) || !slices.Equal(empty.Guarded, want.Guarded) {
				t.Errorf("%s/%s without its own fields: %+v, want %+v", lang, ev, empty, want)
			}
		}
	}
	if _, err := EmptyCreditorFields(CreditorData{Event: "Nope"}); err == nil {
		t.Error("an unknown event passed")
	}
}
