package erpimport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

const samples = "../../examples/erp"

func importFiles(t *testing.T, files ...string) (*Import, map[string]string) {
	t.Helper()
	im := New(Options{Namespace: "acme", Policy: "kravia-11", Country: "NO"})
	for _, f := range files {
		r, err := os.Open(filepath.Join(samples, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".xml") {
			err = im.ReadUBL(f, r)
		} else {
			err = im.ReadCSV(f, r)
		}
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	im.Finish()
	debtors, claims := im.Objects()
	out := map[string]string{}
	for _, d := range debtors {
		b, err := Manifest(d)
		if err != nil {
			t.Fatal(err)
		}
		out[FileName("Debtor", d.Name)] = string(b)
	}
	for _, c := range claims {
		b, err := Manifest(c)
		if err != nil {
			t.Fatal(err)
		}
		out[FileName("Claim", c.Name)] = string(b)
	}
	return im, out
}

func TestImportSampleCSVAndUBL(t *testing.T) {
	im, files := importFiles(t, "export-2026-03-01.csv", "invoice-2026-2002.xml", "creditnote-KN-2002-1.xml")
	if len(im.Errors) > 0 {
		t.Fatalf("errors in the samples: %v", im.Errors)
	}
	want := []string{"claim-inv-2026-1001.yaml", "claim-inv-2026-1002.yaml", "claim-inv-2026-2001.yaml", "claim-inv-2026-2002.yaml",
		"claim-inv-se-7001-", "debtor-c-10017.yaml", "debtor-c-20042.yaml", "debtor-c-30001.yaml"}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	for _, w := range want {
		found := false
		for _, n := range names {
			found = found || strings.HasPrefix(n, w)
		}
		if !found {
			t.Errorf("no file %s among %v", w, names)
		}
	}
	for n := range files {
		name := strings.TrimSuffix(strings.SplitN(n, "-", 2)[1], ".yaml")
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
	for file, checks := range map[string][]string{
		"debtor-c-20042.yaml":      {"type: Business", "organizationNumber: \"987654321\"", "- Bryggen 5", "- Postboks 12", "postalCode: \"5003\""},
		"claim-inv-2026-1002.yaml": {"amount: \"500.00\"", "debtorRef:\n    name: c-10017", "policyRef:\n    name: kravia-11", "namespace: acme"},
		"claim-inv-2026-1001.yaml": {"id: bank-88121", "amount: \"230.00\""},
		// UBL: the payable plus the prepaid amount, the prepaid recorded as a payment, and the credit note.
		"claim-inv-2026-2002.yaml": {"amount: \"3200.00\"", "id: prepaid", "amount: \"1000.00\"", "id: KN-2002-1", "amount: \"200.00\"", "dueDate: \"2026-02-15\""},
	} {
		for _, c := range checks {
			if !strings.Contains(files[file], c) {
				t.Errorf("%s lacks %q:\n%s", file, c, files[file])
			}
		}
		if strings.Contains(files[file], "status") || strings.Contains(files[file], "creationTimestamp") {
			t.Errorf("%s has server fields:\n%s", file, files[file])
		}
	}
}

// TestReimportChangesOnlyWhatChanged: the newer export adds a payment and a
// credit note; exactly those two claims change, by exactly those lines.
func TestReimportChangesOnlyWhatChanged(t *testing.T) {
	_, before := importFiles(t, "export-2026-03-01.csv")
	_, after := importFiles(t, "export-2026-03-15.csv")
	_, again := importFiles(t, "export-2026-03-15.csv")
	var changed []string
	for name, b := range before {
		if after[name] != b {
			changed = append(changed, name)
			added, removed := lineDiff(b, after[name])
			if len(removed) > 0 {
				t.Errorf("%s: lines removed %q", name, removed)
			}
			want := map[string][]string{
				"claim-inv-2026-1002.yaml": {"  payments:", `  - amount: "500.00"`, `    date: "2026-03-12"`, "    id: bank-88577"},
				"claim-inv-se-7001":        {"  credits:", `  - amount: "400.00"`, `    date: "2026-03-02"`, "    id: KN-7001-1"},
			}
			for prefix, lines := range want {
				if strings.HasPrefix(name, prefix) && strings.Join(added, "\n") != strings.Join(lines, "\n") {
					t.Errorf("%s: added %q, want %q", name, added, lines)
				}
			}
		}
		if again[name] != after[name] {
			t.Errorf("%s differs between two imports of the same export", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d objects after, %d before", len(after), len(before))
	}
	if len(changed) != 2 || !strings.HasPrefix(strings.Join(changed, ","), "claim-inv") {
		t.Errorf("changed %v: want the two claims with a new payment and a new credit note", changed)
	}
}

func lineDiff(a, b string) (added, removed []string) {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		if count[l] > 0 {
			count[l]--
		} else {
			added = append(added, l)
		}
	}
	for l, n := range count {
		for range n {
			removed = append(removed, l)
		}
	}
	return added, removed
}

const header = "record,customer_number,customer_name,customer_type,organization_number,email,phone,address,postal_code,city,country,language,invoice_number,invoice_date,due_date,amount,currency,policy,id,date\n"
const good = "invoice,1,Ola,Consumer,,,,,,,NO,nb,A-1,2026-01-01,2026-01-15,100.00,NOK,,,\n"

// TestBadRowsNameFileLineAndField: every bad row is reported where it is,
// with the field, and skipped; good rows survive.
func TestBadRowsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, rows, field string
	}{
		{"bad record type", "refund,1,Ola,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "record"},
		{"no customer number", "invoice,,Ola,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "customer_number"},
		{"no name", "invoice,2,,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "customer_name"},
		{"unknown type", "invoice,2,Kari,Alien,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "customer_type"},
		{"business without org number", "invoice,2,Kari AS,Business,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "organization_number"},
		{"bad email", "invoice,2,Kari,,,kari@,,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "email"},
		{"bad phone", "invoice,2,Kari,,,,91234567,,,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "phone"},
		{"bad country", "invoice,2,Kari,,,,,,,,Norway,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "country"},
		{"address without city", "invoice,2,Kari,,,,,Gata 1,0155,,NO,,A-2,2026-01-01,2026-01-15,1,NOK,,,\n", "address"},
		{"bad invoice date", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-13-01,2026-01-15,1,NOK,,,\n", "invoice_date"},
		{"due before invoice", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-02-01,2026-01-15,1,NOK,,,\n", "due_date"},
		{"bad amount", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,12x,NOK,,,\n", "amount"},
		{"three decimals", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1.005,NOK,,,\n", "amount"},
		{"negative amount", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,-5,NOK,,,\n", "amount"},
		{"zero amount", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,0,NOK,,,\n", "amount"},
		{"bad currency", "invoice,2,Kari,,,,,,,,NO,,A-2,2026-01-01,2026-01-15,1,kroner,,,\n", "currency"},
		{"duplicate invoice", "invoice,1,Ola,Consumer,,,,,,,NO,nb,A-1,2026-01-01,2026-01-15,100.00,NOK,,,\n", "invoice_number"},
		{"customer described twice", "invoice,1,Ola Other,Consumer,,,,,,,NO,nb,A-9,2026-01-01,2026-01-15,100.00,NOK,,,\n", "customer_name"},
		{"payment of unknown invoice", "payment,,,,,,,,,,,,B-404,,,10,NOK,,p-1,2026-02-01\n", "invoice_number"},
		{"payment without id", "payment,,,,,,,,,,,,A-1,,,10,NOK,,,2026-02-01\n", "id"},
		{"payment with bad date", "payment,,,,,,,,,,,,A-1,,,10,NOK,,p-1,soon\n", "date"},
		{"payment in another currency", "payment,,,,,,,,,,,,A-1,,,10,SEK,,p-1,2026-02-01\n", "currency"},
		{"credit with bad amount", "credit,,,,,,,,,,,,A-1,,,ten,NOK,,k-1,2026-02-01\n", "amount"},
	} {
		// A failed payment or credit of invoice A-1 keeps A-1 out too (reported at its own line).
		withholds := strings.Contains(tc.rows, ",A-1,") && !strings.HasPrefix(tc.rows, "invoice")
		t.Run(tc.name, func(t *testing.T) {
			im := New(Options{})
			if err := im.ReadCSV("erp.csv", strings.NewReader(header+good+tc.rows)); err != nil {
				t.Fatal(err)
			}
			im.Finish()
			want := 1
			if withholds {
				want = 2
			}
			if len(im.Errors) != want {
				t.Fatalf("errors %v: want exactly %d", im.Errors, want)
			}
			e := im.Errors[0]
			if e.File != "erp.csv" || e.Line != 3 || e.Field != tc.field {
				t.Errorf("error %q at %s:%d field %q: want erp.csv:3 field %q", e.Msg, e.File, e.Line, e.Field, tc.field)
			}
			if !strings.Contains(e.Error(), "erp.csv:3: "+tc.field) {
				t.Errorf("message %q does not start with the place and field", e.Error())
			}
			_, claims := im.Objects()
			switch {
			case withholds && (len(claims) != 0 || !strings.Contains(im.Errors[1].Error(), "erp.csv:2: invoice_number: invoice A-1 is not written")):
				t.Errorf("claims %v, errors %v: want A-1 withheld and named", claims, im.Errors)
			case !withholds && (len(claims) < 1 || claims[0].Spec.InvoiceNumber != "A-1"):
				t.Errorf("the good row was lost")
			}
		})
	}
}

func TestNamesAreDNSSafeAndDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, n := range []string{"2026-1001", "2026/1001", "2026 1001", "INV-1001", "inv-1001", "Ø-17", strings.Repeat("9", 64), strings.Repeat("9", 63) + "8"} {
		name := ClaimName(n)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			t.Errorf("%q -> %q: %v", n, name, errs)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%q and %q both named %q", n, other, name)
		}
		seen[name] = n
		if ClaimName(n) != name {
			t.Errorf("%q named differently twice", n)
		}
	}
	if ClaimName("2026-1001") != "inv-2026-1001" {
		t.Errorf("a clean number gets a hash: %q", ClaimName("2026-1001"))
	}
}

func TestUBLErrorsNameTheElement(t *testing.T) {
	im := New(Options{})
	doc := `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>X-1</ID><IssueDate>2026-01-01</IssueDate><DueDate>later</DueDate><DocumentCurrencyCode>NOK</DocumentCurrencyCode>
<AccountingCustomerParty><Party><PartyIdentification><ID>77</ID></PartyIdentification><PartyName><Name>Per</Name></PartyName><PostalAddress><Country><IdentificationCode>NO</IdentificationCode></Country></PostalAddress></Party></AccountingCustomerParty>
<LegalMonetaryTotal><PayableAmount>10.00</PayableAmount></LegalMonetaryTotal></Invoice>`
	if err := im.ReadUBL("x.xml", strings.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	if len(im.Errors) != 1 || im.Errors[0].Field != "DueDate" || im.Errors[0].File != "x.xml" {
		t.Errorf("errors %v: want one naming DueDate in x.xml", im.Errors)
	}
	im = New(Options{})
	_ = im.ReadUBL("y.xml", strings.NewReader("<Order/>"))
	if len(im.Errors) != 1 || !strings.Contains(im.Errors[0].Msg, "Invoice or CreditNote") {
		t.Errorf("errors %v", im.Errors)
	}
}
