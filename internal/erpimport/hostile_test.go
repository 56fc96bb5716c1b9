package erpimport

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Issue 20 point 6: the import lost data quietly or wrote what the API
// refuses. Each test here failed on a0c5025.

func readCSV(t *testing.T, o Options, data string) *Import {
	t.Helper()
	im := New(o)
	if err := im.ReadCSV("erp.csv", strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	im.Finish()
	return im
}

func claimNumbers(im *Import) []string {
	_, claims := im.Objects()
	var out []string
	for _, c := range claims {
		out = append(out, c.Spec.InvoiceNumber)
	}
	return out
}

func wantError(t *testing.T, im *Import, line int, field, msg string) {
	t.Helper()
	for _, e := range im.Errors {
		if e.Line == line && e.Field == field && strings.Contains(e.Msg, msg) {
			return
		}
	}
	t.Errorf("errors %v: want one at line %d, field %q, saying %q", im.Errors, line, field, msg)
}

func invoiceRow(customer, name, number string) string {
	return fmt.Sprintf("invoice,%s,%s,Consumer,,,,,,,NO,nb,%s,2026-01-01,2026-01-15,100.00,NOK,,,\n", customer, name, number)
}

// An unterminated quote swallowed every later record into one field.
func TestUnterminatedQuoteIsNamedAndLaterRecordsCount(t *testing.T) {
	data := header + good + `invoice,2,"Kari,Consumer,,,,,,,NO,nb,A-2,2026-01-01,2026-01-15,100.00,NOK,,,` + "\n" +
		invoiceRow("3", "Per", "A-3") + invoiceRow("4", "Liv", "A-4")
	im := readCSV(t, Options{}, data)
	wantError(t, im, 3, "", "quote")
	if got := strings.Join(claimNumbers(im), ","); got != "A-1,A-3,A-4" {
		t.Errorf("claims %s: want A-1, A-3 and A-4 (only the broken record skipped)", got)
	}
}

// A claim was written without its failed payment row: its balance was wrong.
func TestFailedPaymentOrCreditKeepsItsClaimOut(t *testing.T) {
	for _, row := range []string{"payment,,,,,,,,,,,,A-1,,,ten,NOK,,p-1,2026-02-01\n", "credit,,,,,,,,,,,,A-1,,,10,NOK,,k-1,soon\n"} {
		im := readCSV(t, Options{}, header+good+row+invoiceRow("2", "Kari", "A-2"))
		wantError(t, im, 2, "invoice_number", "A-1 is not written")
		if got := strings.Join(claimNumbers(im), ","); got != "A-2" {
			t.Errorf("claims %s: want only A-2", got)
		}
	}
}

// Latin-1 bytes became replacement characters in the debtor's name.
func TestNonUTF8IsRefusedOrDecoded(t *testing.T) {
	latin1 := header + "invoice,1,Bj\xf8rn \xc5s,Consumer,,,,,,,NO,nb,A-1,2026-01-01,2026-01-15,100.00,NOK,,,\n"
	im := readCSV(t, Options{}, latin1)
	wantError(t, im, 2, "", "not UTF-8")
	if len(claimNumbers(im)) != 0 {
		t.Errorf("claims written from a file that is not UTF-8")
	}
	im = readCSV(t, Options{Encoding: "latin1"}, latin1)
	if len(im.Errors) != 0 {
		t.Fatalf("--encoding latin1: %v", im.Errors)
	}
	if d, _ := im.Objects(); len(d) != 1 || d[0].Spec.DisplayName != "Bjørn Ås" {
		t.Errorf("debtors %v: want Bjørn Ås", d)
	}
	im = New(Options{})
	_ = im.ReadUBL("l.xml", strings.NewReader(strings.Replace(ublInvoice("X-1", "100.00", ""), "<Name>Per</Name>", "<Name>Bj\xf8rn</Name>", 1)))
	if len(im.Errors) == 0 || !strings.Contains(im.Errors[0].Msg, "UTF-8") {
		t.Errorf("a Latin-1 UBL file without an encoding declaration: %v", im.Errors)
	}
}

// The last of two duplicate header columns won; extra fields were ignored.
func TestHeaderAndFieldCountsAreChecked(t *testing.T) {
	dup := strings.Replace(header, ",date\n", ",amount\n", 1)
	im := readCSV(t, Options{}, dup+good+invoiceRow("2", "Kari", "A-2"))
	wantError(t, im, 1, "amount", "twice")
	wantError(t, im, 1, "amount", "2 record(s)")
	if len(claimNumbers(im)) != 0 {
		t.Errorf("claims written from a file with an ambiguous header")
	}
	im = readCSV(t, Options{}, header+good+strings.TrimSuffix(invoiceRow("2", "Kari", "A-2"), "\n")+",surprise\n")
	wantError(t, im, 3, "", "21 fields, the header has 20")
	if got := strings.Join(claimNumbers(im), ","); got != "A-1" {
		t.Errorf("claims %s: want A-1 only", got)
	}
}

// A customer's e-mail and address were taken from whichever row came first.
func TestCustomerDescribedDifferentlyNamesBothRows(t *testing.T) {
	a := "invoice,1,Ola,Consumer,,ola@example.no,,Gata 1,0155,Oslo,NO,nb,A-1,2026-01-01,2026-01-15,100.00,NOK,,,\n"
	b := "invoice,1,Ola,Consumer,,ola@example.no,,Gata 2,0155,Oslo,NO,nb,A-2,2026-01-01,2026-01-15,100.00,NOK,,,\n"
	im := readCSV(t, Options{}, header+a+b)
	wantError(t, im, 3, "address", "erp.csv:2")
}

// Dates the API refuses were written into manifests.
func TestDatesOutsideTheAPIRangeAreRefused(t *testing.T) {
	im := readCSV(t, Options{}, header+strings.Replace(good, "2026-01-15", "31.12.9999", 1))
	wantError(t, im, 2, "due_date", "outside 1900-01-01..2199-12-31")
}

// Control characters reached the debtor's letter.
func TestControlCharactersAreRefused(t *testing.T) {
	im := readCSV(t, Options{}, header+invoiceRow("1", "Ola\x1b[2J", "A-1"))
	wantError(t, im, 2, "customer_name", "control character")
	im = New(Options{})
	_ = im.ReadUBL("c.xml", strings.NewReader(strings.Replace(ublInvoice("X-1", "100.00", ""), "<Name>Per</Name>", "<Name>Per&#10;Bcc: x@example.com</Name>", 1)))
	if len(im.Errors) != 1 || im.Errors[0].Field != "AccountingCustomerParty/Party/PartyName/Name" {
		t.Errorf("a newline in the UBL party name: %v", im.Errors)
	}
}

func ublInvoice(id, payable, extra string) string {
	return `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>` + id + `</ID><IssueDate>2026-01-01</IssueDate><DueDate>2026-01-15</DueDate>` + extra +
		`<DocumentCurrencyCode>NOK</DocumentCurrencyCode><AccountingCustomerParty><Party><PartyIdentification><ID>77</ID></PartyIdentification><PartyName><Name>Per</Name></PartyName>` +
		`<PostalAddress><Country><IdentificationCode>NO</IdentificationCode></Country></PostalAddress></Party></AccountingCustomerParty>` +
		`<LegalMonetaryTotal><PayableAmount>` + payable + `</PayableAmount></LegalMonetaryTotal></Invoice>`
}

// UBL amounts skipped the rules CSV amounts (and the API) keep.
func TestUBLAmountsFollowTheAPIRules(t *testing.T) {
	for _, amount := range []string{"-100.00", "100.005", "1e3", "0.00"} {
		im := New(Options{})
		_ = im.ReadUBL("a.xml", strings.NewReader(ublInvoice("X-1", amount, "")))
		im.Finish()
		if len(im.Errors) != 1 || im.Errors[0].Field != "LegalMonetaryTotal/PayableAmount" || len(claimNumbers(im)) != 0 {
			t.Errorf("PayableAmount %s: errors %v, claims %v", amount, im.Errors, claimNumbers(im))
		}
	}
	im := New(Options{})
	_ = im.ReadUBL("p.xml", strings.NewReader(strings.Replace(ublInvoice("X-1", "100.00", ""), "<PayableAmount>", "<PrepaidAmount>0.005</PrepaidAmount><PayableAmount>", 1)))
	im.Finish()
	if len(im.Errors) != 1 || im.Errors[0].Field != "LegalMonetaryTotal/PrepaidAmount" {
		t.Errorf("PrepaidAmount 0.005: %v", im.Errors)
	}
}

// An Invoice document with a credit-note type code (381) became a claim.
func TestUBLCreditNotesCreditTheirInvoice(t *testing.T) {
	im := New(Options{})
	_ = im.ReadUBL("inv.xml", strings.NewReader(ublInvoice("X-1", "100.00", "")))
	asInvoice := strings.Replace(ublInvoice("KN-1", "40.00", "<InvoiceTypeCode>381</InvoiceTypeCode>"), "<DocumentCurrencyCode>",
		"<BillingReference><InvoiceDocumentReference><ID>X-1</ID></InvoiceDocumentReference></BillingReference><DocumentCurrencyCode>", 1)
	_ = im.ReadUBL("kn.xml", strings.NewReader(asInvoice))
	im.Finish()
	_, claims := im.Objects()
	if len(im.Errors) != 0 || len(claims) != 1 || len(claims[0].Spec.Credits) != 1 || claims[0].Spec.Credits[0].ID != "KN-1" ||
		claims[0].Spec.Credits[0].Amount != "40.00" {
		t.Errorf("errors %v claims %+v: want one claim X-1 with credit KN-1 of 40.00", im.Errors, claims)
	}
	im = New(Options{})
	_ = im.ReadUBL("kn.xml", strings.NewReader(ublInvoice("KN-2", "40.00", "<InvoiceTypeCode>381</InvoiceTypeCode>")))
	if len(im.Errors) != 1 || im.Errors[0].Field != "BillingReference/InvoiceDocumentReference/ID" {
		t.Errorf("a credit note naming no invoice: %v", im.Errors)
	}
}

// Field and file sizes are bounded.
func TestFieldAndFileSizesAreBounded(t *testing.T) {
	im := readCSV(t, Options{MaxFieldBytes: 1024}, header+invoiceRow("1", strings.Repeat("x", 2000), "A-1")+invoiceRow("2", "Kari", "A-2"))
	wantError(t, im, 2, "customer_name", "longer than 1024 bytes")
	if got := strings.Join(claimNumbers(im), ","); got != "A-2" {
		t.Errorf("claims %s: want A-2", got)
	}
	im = New(Options{MaxFileBytes: 1 << 10})
	if err := im.ReadCSV("big.csv", strings.NewReader(header+strings.Repeat(good, 100))); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("a file over the limit: %v", err)
	}
}

// hugeField streams a UBL invoice with one text field of n bytes.
type hugeField struct {
	head, tail string
	n, off     int
}

func (h *hugeField) Read(p []byte) (int, error) {
	total := len(h.head) + h.n + len(h.tail)
	if h.off >= total {
		return 0, io.EOF
	}
	i := 0
	for i < len(p) && h.off < total {
		switch {
		case h.off < len(h.head):
			p[i] = h.head[h.off]
		case h.off < len(h.head)+h.n:
			p[i] = 'a'
		default:
			p[i] = h.tail[h.off-len(h.head)-h.n]
		}
		i++
		h.off++
	}
	return i, nil
}

// A 300 MB UBL field took 3.1 GB; now the file limit stops reading early.
func TestHugeUBLFieldIsRefusedWithBoundedMemory(t *testing.T) {
	doc := ublInvoice("X-1", "100.00", "<Note>FIELD</Note>")
	parts := strings.SplitN(doc, "FIELD", 2)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	im := New(Options{})
	err := im.ReadUBL("huge.xml", &hugeField{head: parts[0], tail: parts[1], n: 300 << 20})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a 300 MB field: %v, errors %v", err, im.Errors)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a 300 MB field: %d MB allocated", alloc>>20)
	if alloc > 200<<20 {
		t.Errorf("reading it allocated %d MB", alloc>>20)
	}
}
