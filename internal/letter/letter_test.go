package letter

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/inkasso-operator/inkasso-operator/internal/notice"
)

// TestCollectionNoticeAndPaymentDemandInFourLanguages renders the two
// letters the law regulates in every language, checks each is a valid PDF
// of the expected length, and leaves them in $LETTER_OUT (or a temp dir)
// for a human to look at.
func TestCollectionNoticeAndPaymentDemandInFourLanguages(t *testing.T) {
	out := os.Getenv("LETTER_OUT")
	if out == "" {
		out = t.TempDir()
	}
	steps := map[string][2]string{ // the language's notice and demand templates
		"nb": {"collection-notice", "payment-demand"},
		"sv": {"collection-notice", "collection-demand"},
		"fi": {"collection-notice", "demand-letter"},
		"en": {"collection-notice", "payment-demand"},
	}
	for _, lang := range notice.Languages {
		for _, step := range steps[lang] {
			d := notice.Data{Language: lang, Step: step, DebtorName: "Åse Ødegård-Sørensen", Currency: "NOK",
				Claims: []notice.Line{
					{InvoiceNumber: "10017", DueDate: "2026-01-15", Outstanding: "12500.00"},
					{InvoiceNumber: "10042", DueDate: "2026-02-01", Outstanding: "730.00"},
				},
				Principal: "13230.00", Fees: "597.50", Interest: "87.12", Paid: "0.00", Outstanding: "13914.62",
				PayBy: "2026-03-16", PaymentReference: "1000170427", CreditorName: "Acme AS", CreditorOrgNo: "912345678",
				InterestRate: "12.00", InterestFrom: "2026-01-15", SenderName: "Nordic Collect AS",
				SenderContact: "+47 22 00 00 00, post@nordic-collect.example", BankAccount: "1503.12.34567"}
			subject, body, err := notice.Render(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			title, _, _ := strings.Cut(subject, ":")
			pdf, info, err := Render(Letter{
				Language: lang, Date: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
				Sender:    Party{Name: "Nordic Collect AS", Lines: []string{"Postboks 123 Sentrum", "0102 Oslo"}, Extra: []string{"Org.nr. 998 877 665", "+47 22 00 00 00"}},
				Recipient: Party{Name: d.DebtorName, Lines: []string{"Storgata 1", "0155 Oslo"}},
				Title:     title, Body: body, Account: d.BankAccount, Reference: d.PaymentReference,
				Amount: "13 914,62 NOK", PayBy: "16.03.2026", Footer: "notice " + lang + "-" + step,
			})
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, step, err)
			}
			if err := api.Validate(bytes.NewReader(pdf), nil); err != nil {
				t.Fatalf("%s/%s is not a valid PDF: %v", lang, step, err)
			}
			pages, err := api.PageCount(bytes.NewReader(pdf), nil)
			if err != nil || pages != info.Pages {
				t.Fatalf("%s/%s: pdfcpu counts %d pages (%v), Render said %d", lang, step, pages, err, info.Pages)
			}
			if pages < 1 || pages > 2 || info.Bytes < 10_000 || info.Bytes > 400_000 {
				t.Errorf("%s/%s: %d pages, %d bytes: want a one- or two-page letter with embedded font subsets", lang, step, pages, info.Bytes)
			}
			path := filepath.Join(out, lang+"-"+step+".pdf")
			if err := os.WriteFile(path, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%-2s %-17s %d page(s) %6d bytes  %s", lang, step, pages, info.Bytes, path)
		}
	}
}

// TestLongCaseFlowsOntoMorePages: a case with many claims continues on
// numbered pages and still ends with the payment box.
func TestLongCaseFlowsOntoMorePages(t *testing.T) {
	body := "Dear debtor,\n\n" + strings.Repeat("  Invoice 10017, due 15 January 2026: 1,000.00 NOK\n", 120) + "\nPlease pay.\n"
	pdf, info, err := Render(Letter{Language: "en", Date: time.Now(), Title: "Payment demand", Body: body,
		Sender: Party{Name: "Nordic Collect AS"}, Recipient: Party{Name: "Ola"}, Reference: "1234", Amount: "120,000.00 NOK"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Pages < 3 {
		t.Errorf("%d pages for 120 claim lines, want at least 3", info.Pages)
	}
	if err := api.Validate(bytes.NewReader(pdf), nil); err != nil {
		t.Fatal(err)
	}
}
