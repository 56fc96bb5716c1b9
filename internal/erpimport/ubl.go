package erpimport

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// The parts of a PEPPOL BIS Billing 3.0 (EHF 3) Invoice or CreditNote the
// import reads; elements are matched by local name, so the UBL namespaces
// and prefixes do not matter.
type ublDocument struct {
	XMLName     xml.Name
	ID          string `xml:"ID"`
	TypeCode    string `xml:"InvoiceTypeCode"`
	IssueDate   string `xml:"IssueDate"`
	DueDate     string `xml:"DueDate"`
	Currency    string `xml:"DocumentCurrencyCode"`
	PaymentDue  string `xml:"PaymentMeans>PaymentDueDate"`
	BillingRefs []struct {
		ID string `xml:"InvoiceDocumentReference>ID"`
	} `xml:"BillingReference"`
	Customer struct {
		EndpointID string   `xml:"EndpointID"`
		IDs        []string `xml:"PartyIdentification>ID"`
		Name       string   `xml:"PartyName>Name"`
		Address    struct {
			Street     string `xml:"StreetName"`
			Additional string `xml:"AdditionalStreetName"`
			Line       string `xml:"AddressLine>Line"`
			City       string `xml:"CityName"`
			PostalZone string `xml:"PostalZone"`
			Country    string `xml:"Country>IdentificationCode"`
		} `xml:"PostalAddress"`
		LegalName string `xml:"PartyLegalEntity>RegistrationName"`
		CompanyID string `xml:"PartyLegalEntity>CompanyID"`
		Phone     string `xml:"Contact>Telephone"`
		Email     string `xml:"Contact>ElectronicMail"`
	} `xml:"AccountingCustomerParty>Party"`
	Total struct {
		Prepaid string `xml:"PrepaidAmount"`
		Payable string `xml:"PayableAmount"`
	} `xml:"LegalMonetaryTotal"`
}

// creditTypeCodes are the UNCL1001 document types of a credit note
// (PEPPOL BIS 3 CreditNote type codes): an Invoice document with one of
// them is a credit note, not a claim.
var creditTypeCodes = map[string]bool{"381": true, "396": true, "81": true, "83": true, "532": true}

// declaredEncoding finds the encoding an XML declaration names.
var declaredEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)

// ReadUBL reads one UBL Invoice or CreditNote. An invoice becomes a claim
// (its amount the payable plus any prepaid amount, which is recorded as a
// payment); a credit note (a CreditNote document, or an Invoice with a
// credit-note type code) becomes a credit on the invoice it references.
// Amounts follow the API's rules: no sign, no exponent, two decimals.
func (im *Import) ReadUBL(file string, r io.Reader) error {
	data, err := im.readInput(file, r)
	if err != nil {
		return err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	if m := declaredEncoding.FindSubmatch(data); m != nil && !strings.EqualFold(string(m[1]), "utf-8") {
		if _, ok := encodings[strings.ToLower(string(m[1]))]; !ok {
			im.fail(file, 0, "", "encoding %q: want UTF-8 or one of %s", m[1], EncodingNames)
			return nil
		}
		dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			return encodings[strings.ToLower(label)].NewDecoder().Reader(in), nil
		}
	} else if !utf8.Valid(data) {
		_, line, err := (&Import{}).toUTF8(data)
		im.fail(file, line, "", "%v (an XML file without an encoding declaration is UTF-8)", err)
		return nil
	}
	var doc ublDocument
	if err := dec.Decode(&doc); err != nil {
		im.fail(file, 0, "", "not UBL XML: %v", err)
		return nil
	}
	bad := func(field, format string, args ...any) { im.fail(file, 0, field, format, args...) }
	for field, v := range map[string]string{"ID": doc.ID, "IssueDate": doc.IssueDate, "DocumentCurrencyCode": doc.Currency,
		"LegalMonetaryTotal/PayableAmount": doc.Total.Payable, "LegalMonetaryTotal/PrepaidAmount": doc.Total.Prepaid} {
		if len(v) > im.maxField() {
			bad(field, "longer than %d bytes (the import's field limit)", im.maxField())
			return nil
		}
	}
	switch {
	case doc.XMLName.Local == "CreditNote" || doc.XMLName.Local == "Invoice" && creditTypeCodes[strings.TrimSpace(doc.TypeCode)]:
		if len(doc.BillingRefs) == 0 || doc.BillingRefs[0].ID == "" {
			bad("BillingReference/InvoiceDocumentReference/ID", "credit note %s names no invoice", doc.ID)
			return nil
		}
		amount, err := parseAmount(doc.Total.Payable)
		if err == nil && amount == "0.00" {
			err = fmt.Errorf("zero")
		}
		if err != nil {
			bad("LegalMonetaryTotal/PayableAmount", "%v", err)
			return nil
		}
		im.later = append(im.later, pendingRow{file: file, p: pending{kind: "credit", row: map[string]string{
			"invoice_number": doc.BillingRefs[0].ID, "id": doc.ID, "date": doc.IssueDate, "amount": amount, "currency": doc.Currency}}})
		return nil
	case doc.XMLName.Local == "Invoice":
	default:
		bad("", "root element %s: want a UBL Invoice or CreditNote", doc.XMLName.Local)
		return nil
	}
	p := doc.Customer
	number := p.EndpointID
	if len(p.IDs) > 0 && p.IDs[0] != "" {
		number = p.IDs[0]
	}
	row := map[string]string{
		"customer_number": number, "customer_name": cmpOr(p.Name, p.LegalName), "organization_number": p.CompanyID,
		"email": p.Email, "phone": p.Phone, "postal_code": p.Address.PostalZone, "city": p.Address.City, "country": p.Address.Country,
		"invoice_number": doc.ID, "invoice_date": doc.IssueDate, "due_date": cmpOr(doc.DueDate, doc.PaymentDue), "currency": doc.Currency,
	}
	if p.CompanyID != "" {
		row["customer_type"] = string(inkassov1.DebtorBusiness)
	}
	var lines []string
	for _, l := range []string{p.Address.Street, p.Address.Additional, p.Address.Line} {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	row["address"] = strings.Join(lines, "|")
	payable, err := ublAmount(doc.Total.Payable)
	if err != nil {
		bad("LegalMonetaryTotal/PayableAmount", "%v", err)
		return nil
	}
	total := payable
	if doc.Total.Prepaid != "" {
		prepaid, err := ublAmount(doc.Total.Prepaid)
		if err != nil {
			bad("LegalMonetaryTotal/PrepaidAmount", "%v", err)
			return nil
		}
		total = total.Add(prepaid)
		if prepaid.IsPositive() {
			im.later = append(im.later, pendingRow{file: file, p: pending{kind: "payment", row: map[string]string{
				"invoice_number": doc.ID, "id": "prepaid", "date": doc.IssueDate, "amount": prepaid.StringFixed(2)}}})
		}
	}
	row["amount"] = total.StringFixed(2)
	before := len(im.Errors)
	for field, v := range row {
		if len(v) > im.maxField() {
			im.fail(file, 0, field, "longer than %d bytes (the import's field limit)", im.maxField())
		}
	}
	if len(im.Errors) == before {
		im.csvInvoice(file, 0, row)
	}
	// Name the UBL element, not the CSV column, in what went wrong.
	for i := before; i < len(im.Errors); i++ {
		if f, ok := ublField[im.Errors[i].Field]; ok {
			im.Errors[i].Field = f
		}
	}
	return nil
}

var ublField = map[string]string{
	"customer_number": "AccountingCustomerParty/Party/PartyIdentification/ID", "customer_name": "AccountingCustomerParty/Party/PartyName/Name",
	"organization_number": "PartyLegalEntity/CompanyID", "email": "Contact/ElectronicMail", "phone": "Contact/Telephone",
	"address": "PostalAddress", "country": "PostalAddress/Country/IdentificationCode", "invoice_number": "ID",
	"invoice_date": "IssueDate", "due_date": "DueDate", "amount": "LegalMonetaryTotal/PayableAmount", "currency": "DocumentCurrencyCode",
}

// ublAmount reads a UBL amount by the rules of CSV amounts and the API: no
// sign, no exponent, at most two decimals.
func ublAmount(s string) (decimal.Decimal, error) {
	a, err := parseAmount(strings.TrimSpace(s))
	if err != nil {
		return decimal.Zero, err
	}
	return decimal.RequireFromString(a), nil
}
