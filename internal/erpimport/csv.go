package erpimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// CSVColumns are the columns of the CSV format (docs/import.md); the header
// row names them, in any order. A row's record column says what it is:
// invoice (with its customer), payment or credit (of an invoice above or in
// another file of the same import).
var CSVColumns = []string{"record", "customer_number", "customer_name", "customer_type", "organization_number",
	"email", "phone", "address", "postal_code", "city", "country", "language",
	"invoice_number", "invoice_date", "due_date", "amount", "currency", "policy", "id", "date", "received_by"}

var (
	numberRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/ -]{0,63}$`)
	refIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	currRE    = regexp.MustCompile(`^[A-Z]{3}$`)
	phoneRE   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

type pending struct {
	kind string
	row  map[string]string
	line int
}

// ReadCSV reads one CSV export. Payments and credits are applied in
// Finish, so they may come before or after their invoice, in any file.
func (im *Import) ReadCSV(file string, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: reading the header: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, need := range []string{"record", "invoice_number"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("%s:1: the header has no %q column (columns: %s)", file, need, strings.Join(CSVColumns, ","))
		}
	}
	for h := range col {
		if !contains(CSVColumns, h) {
			im.fail(file, 1, h, "unknown column (columns: %s)", strings.Join(CSVColumns, ","))
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			im.fail(file, perr.Line, "", "%v", perr.Err)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		// Only after a row was read: FieldPos panics when a parse error
		// left no fields (found by FuzzReadCSV).
		line, _ := cr.FieldPos(0)
		row := map[string]string{}
		for name, i := range col {
			if i < len(rec) {
				row[name] = strings.TrimSpace(rec[i])
			}
		}
		switch kind := strings.ToLower(row["record"]); kind {
		case "invoice":
			im.csvInvoice(file, line, row)
		case "payment", "credit":
			im.later = append(im.later, pendingRow{file: file, p: pending{kind: kind, row: row, line: line}})
		case "":
			if strings.Join(rec, "") == "" {
				continue // blank line
			}
			im.fail(file, line, "record", "empty: want invoice, payment or credit")
		default:
			im.fail(file, line, "record", "%q: want invoice, payment or credit", row["record"])
		}
	}
}

type pendingRow struct {
	file string
	p    pending
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (im *Import) csvInvoice(file string, line int, row map[string]string) {
	bad := func(field, format string, args ...any) { im.fail(file, line, field, format, args...) }
	errs := len(im.Errors)
	c := Customer{Number: row["customer_number"], Name: row["customer_name"], OrgNumber: row["organization_number"],
		Email: row["email"], Phone: strings.ReplaceAll(row["phone"], " ", ""), Country: strings.ToUpper(cmpOr(row["country"], im.opts.Country)),
		Language: strings.ToLower(cmpOr(row["language"], im.opts.Language))}
	if !numberRE.MatchString(c.Number) {
		bad("customer_number", "%q: want 1-64 letters, digits, or . _ / - and spaces", c.Number)
	}
	if c.Name == "" || len(c.Name) > 200 {
		bad("customer_name", "required, at most 200 characters")
	}
	switch strings.ToLower(row["customer_type"]) {
	case "", "consumer", "person", "private":
		c.Type = string(inkassov1.DebtorConsumer)
	case "business", "company", "organization":
		c.Type = string(inkassov1.DebtorBusiness)
	default:
		bad("customer_type", "%q: want Consumer or Business", row["customer_type"])
	}
	if c.Type == string(inkassov1.DebtorBusiness) && c.OrgNumber == "" {
		bad("organization_number", "required for a Business customer")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			bad("email", "%q is not an e-mail address", c.Email)
		}
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		bad("phone", "%q: want E.164, e.g. +4791234567", row["phone"])
	}
	if !countryRE.MatchString(c.Country) {
		bad("country", "%q: want an ISO 3166 code such as NO (or pass --country)", c.Country)
	}
	if addr := row["address"]; addr != "" {
		lines := strings.Split(addr, "|")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		a := &inkassov1.Address{Lines: lines, PostalCode: row["postal_code"], City: row["city"], Country: inkassov1.CountryCode(c.Country)}
		if a.PostalCode == "" || a.City == "" || len(lines) > 4 {
			bad("address", "an address needs postal_code and city, and at most 4 lines separated by |")
		} else {
			c.Address = a
		}
	}
	inv := &Invoice{Customer: c.Number, Number: row["invoice_number"], Currency: strings.ToUpper(row["currency"]), Policy: row["policy"], file: file, line: line}
	if !numberRE.MatchString(inv.Number) {
		bad("invoice_number", "%q: want 1-64 letters, digits, or . _ / - and spaces", inv.Number)
	}
	var err error
	if inv.InvoiceDate, err = parseDate(row["invoice_date"]); err != nil {
		bad("invoice_date", "%v", err)
	}
	if inv.DueDate, err = parseDate(row["due_date"]); err != nil {
		bad("due_date", "%v", err)
	} else if inv.InvoiceDate != "" && inv.DueDate < inv.InvoiceDate {
		bad("due_date", "%s is before the invoice date %s", inv.DueDate, inv.InvoiceDate)
	}
	if inv.Amount, err = parseAmount(row["amount"]); err != nil {
		bad("amount", "%v", err)
	} else if inv.Amount == "0.00" {
		bad("amount", "zero")
	}
	if !currRE.MatchString(inv.Currency) {
		bad("currency", "%q: want an ISO 4217 code such as NOK", row["currency"])
	}
	if len(im.Errors) > errs {
		return
	}
	if im.addCustomer(file, line, c) {
		im.addInvoice(inv)
	}
}

// Finish applies the payments and credit notes read so far to their invoices.
func (im *Import) Finish() {
	for _, pr := range im.later {
		file, line, row := pr.file, pr.p.line, pr.p.row
		bad := func(field, format string, args ...any) { im.fail(file, line, field, format, args...) }
		inv, ok := im.invoices[row["invoice_number"]]
		if !ok {
			bad("invoice_number", "%s %q: no such invoice in this import", pr.p.kind, row["invoice_number"])
			continue
		}
		id := row["id"]
		if !refIDRE.MatchString(id) {
			bad("id", "%q: want 1-64 letters, digits or . _ : / -", id)
			continue
		}
		date, err := parseDate(row["date"])
		if err != nil {
			bad("date", "%v", err)
			continue
		}
		amount, err := parseAmount(row["amount"])
		if err != nil {
			bad("amount", "%v", err)
			continue
		}
		if cur := strings.ToUpper(row["currency"]); cur != "" && cur != inv.Currency {
			bad("currency", "%s is not the invoice's currency %s", cur, inv.Currency)
			continue
		}
		switch pr.p.kind {
		case "payment":
			if dupe(inv.Payments, id, func(p inkassov1.Payment) string { return p.ID }) {
				bad("id", "payment %s of invoice %s is listed twice", id, inv.Number)
				continue
			}
			p := inkassov1.Payment{ID: id, Amount: inkassov1.Amount(amount), Date: inkassov1.Date(date)}
			switch strings.ToLower(row["received_by"]) {
			case "", "agency":
			case "creditor":
				p.ReceivedBy = inkassov1.ReceivedByCreditor
			default:
				bad("received_by", "%q: want Agency or Creditor", row["received_by"])
				continue
			}
			inv.Payments = append(inv.Payments, p)
		case "credit":
			if dupe(inv.Credits, id, func(c inkassov1.Credit) string { return c.ID }) {
				bad("id", "credit note %s of invoice %s is listed twice", id, inv.Number)
				continue
			}
			inv.Credits = append(inv.Credits, inkassov1.Credit{ID: id, Amount: inkassov1.Amount(amount), Date: inkassov1.Date(date)})
		}
	}
	im.later = nil
}

func dupe[T any](list []T, id string, key func(T) string) bool {
	for _, x := range list {
		if key(x) == id {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
