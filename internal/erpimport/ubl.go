package erpimport

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/shopspring/decimal"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// The parts of a PEPPOL BIS Billing 3.0 (EHF 3) Invoice or CreditNote the
// import reads; elements are matched by local name, so the UBL namespaces
// and prefixes do not matter.
type ublDocument struct {
	XMLName     xml.Name
	ID          string `xml:"ID"`
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

// ReadUBL reads one UBL Invoice or CreditNote. An invoice becomes a claim
// (its amount the payable plus any prepaid amount, which is recorded as a
// payment); a credit note becomes a credit on the invoice it references.
func (im *Import) ReadUBL(file string, r io.Reader) error {
	var doc ublDocument
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		im.fail(file, 0, "", "not UBL XML: %v", err)
		return nil
	}
	bad := func(field, format string, args ...any) { im.fail(file, 0, field, format, args...) }
	switch doc.XMLName.Local {
	case "Invoice":
	case "CreditNote":
		if len(doc.BillingRefs) == 0 || doc.BillingRefs[0].ID == "" {
			bad("BillingReference/InvoiceDocumentReference/ID", "credit note %s names no invoice", doc.ID)
			return nil
		}
		amount, err := parseAmount(doc.Total.Payable)
		if err != nil {
			bad("LegalMonetaryTotal/PayableAmount", "%v", err)
			return nil
		}
		im.later = append(im.later, pendingRow{file: file, p: pending{kind: "credit", row: map[string]string{
			"invoice_number": doc.BillingRefs[0].ID, "id": doc.ID, "date": doc.IssueDate, "amount": amount, "currency": doc.Currency}}})
		return nil
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
	payable, err := decimal.NewFromString(strings.TrimSpace(doc.Total.Payable))
	if err != nil {
		bad("LegalMonetaryTotal/PayableAmount", "%q is not an amount", doc.Total.Payable)
		return nil
	}
	total := payable
	if doc.Total.Prepaid != "" {
		prepaid, err := decimal.NewFromString(strings.TrimSpace(doc.Total.Prepaid))
		if err != nil {
			bad("LegalMonetaryTotal/PrepaidAmount", "%q is not an amount", doc.Total.Prepaid)
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
	im.csvInvoice(file, 0, row)
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
