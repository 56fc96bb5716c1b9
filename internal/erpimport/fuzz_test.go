package erpimport

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

var twoDecimals = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)

// FuzzParseAmount: any text is refused or normalised to a non-negative
// amount with two decimals that reads back as itself.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.5", "1234,50", "1 234,50", "0.10", "-5", "1.005", "1e9", "1e999999999", "", ",", "１２"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseAmount(s)
		if err != nil {
			if err.Error() == "" || out != "" {
				t.Fatalf("%q: error %v with output %q", s, err, out)
			}
			return
		}
		if !twoDecimals.MatchString(out) || len(out) > 40 {
			t.Fatalf("%q -> %q: not a plain amount with two decimals", s, out)
		}
		if again, err := parseAmount(out); err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v: not stable", s, out, again, err)
		}
	})
}

// FuzzParseDate: a date is refused or written as a valid YYYY-MM-DD that
// reads back as itself.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-15", "15.01.2026", "1.2.2026", "2026-02-30", "31.12.9999", "", "0001-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseDate(s)
		if err != nil {
			return
		}
		if again, err := parseDate(out); err != nil || again != out || len(out) != 10 {
			t.Fatalf("%q -> %q -> %q, %v", s, out, again, err)
		}
	})
}

// FuzzReadCSV: no export, however broken, panics the import or yields an
// object with a name the apiserver would refuse; every error says where.
func FuzzReadCSV(f *testing.F) {
	f.Add(header + good)
	f.Add(header + good + "payment,,,,,,,,,,,,A-1,,,10,NOK,,p-1,2026-02-01\n")
	f.Add(header + good + "credit,,,,,,,,,,,,A-1,,,1e99999999,NOK,,k-1,2026-02-01\n")
	f.Add("invoice_number;amount\n1;2\n")
	f.Add("\"unterminated\n")
	f.Fuzz(func(t *testing.T, doc string) {
		im := New(Options{Namespace: "acme", Country: "NO"})
		_ = im.ReadCSV("erp.csv", strings.NewReader(doc))
		im.Finish()
		checkImport(t, im)
	})
}

// FuzzReadUBL: the same for UBL invoices and credit notes.
func FuzzReadUBL(f *testing.F) {
	f.Add(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>X-1</ID><IssueDate>2026-01-01</IssueDate><DueDate>2026-01-15</DueDate><DocumentCurrencyCode>NOK</DocumentCurrencyCode>
<AccountingCustomerParty><Party><PartyIdentification><ID>77</ID></PartyIdentification><PartyName><Name>Per</Name></PartyName><PostalAddress><Country><IdentificationCode>NO</IdentificationCode></Country></PostalAddress></Party></AccountingCustomerParty>
<LegalMonetaryTotal><PayableAmount>10.00</PayableAmount></LegalMonetaryTotal></Invoice>`)
	f.Add(`<CreditNote><ID>K-1</ID></CreditNote>`)
	f.Add(`<Order/>`)
	f.Add(`<Invoice><ID>`)
	f.Fuzz(func(t *testing.T, doc string) {
		im := New(Options{Namespace: "acme", Country: "NO"})
		_ = im.ReadUBL("x.xml", strings.NewReader(doc))
		im.Finish()
		checkImport(t, im)
	})
}

func checkImport(t *testing.T, im *Import) {
	t.Helper()
	for _, e := range im.Errors {
		if e.File == "" || e.Msg == "" {
			t.Fatalf("error without a place or message: %+v", e)
		}
	}
	debtors, claims := im.Objects()
	for _, d := range debtors {
		if errs := validation.IsDNS1123Subdomain(d.Name); len(errs) > 0 {
			t.Fatalf("debtor name %q: %v", d.Name, errs)
		}
	}
	for _, c := range claims {
		if errs := validation.IsDNS1123Subdomain(c.Name); len(errs) > 0 {
			t.Fatalf("claim name %q: %v", c.Name, errs)
		}
		if !twoDecimals.MatchString(string(c.Spec.Amount)) {
			t.Fatalf("claim %s amount %q", c.Name, c.Spec.Amount)
		}
		if _, err := Manifest(c); err != nil {
			t.Fatalf("claim %s does not serialise: %v", c.Name, err)
		}
	}
}
