package erpimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/guard"
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
// Every record that is not imported is reported, with its line: a broken
// quote costs that record only, a file that is not UTF-8 (or whose header
// is ambiguous) is refused whole, saying how many records it held.
func (im *Import) ReadCSV(file string, r io.Reader) error {
	raw, err := im.readInput(file, r)
	if err != nil {
		return err
	}
	data, line, err := im.toUTF8(raw)
	if err != nil {
		if line == 0 {
			return fmt.Errorf("%s: %w", file, err)
		}
		im.fail(file, line, "", "%v; none of the file's %d line(s) is read", err, bytes.Count(raw, []byte("\n")))
		return nil
	}
	var header []string
	col := map[string]int{}
	var rows []csvRecord
	parseCSV(data, func(line int, err error) { im.fail(file, line, "", "%v", err) }, func(rec []string, line int) {
		if header == nil {
			header = rec
			return
		}
		rows = append(rows, csvRecord{rec, line})
	})
	if header == nil {
		return fmt.Errorf("%s: no header row", file)
	}
	ambiguous := false
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if j, dup := col[h]; dup {
			im.fail(file, 1, h, "the header names this column twice (columns %d and %d): none of the file's %d record(s) is read", j+1, i+1, len(rows))
			ambiguous = true
			continue
		}
		col[h] = i
	}
	if ambiguous {
		return nil
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
	names := make([]string, len(header))
	for name, i := range col {
		names[i] = name
	}
	for _, rr := range rows {
		rec, line := rr.fields, rr.line
		if len(rec) != len(header) {
			if strings.Join(rec, "") == "" && len(rec) == 1 {
				continue // blank line
			}
			im.fail(file, line, "", "%d fields, the header has %d: the record is not read", len(rec), len(header))
			continue
		}
		tooLong := false
		for i, f := range rec {
			if len(f) > im.maxField() {
				im.fail(file, line, names[i], "longer than %d bytes (the import's field limit)", im.maxField())
				tooLong = true
			}
		}
		if tooLong {
			continue
		}
		row := map[string]string{}
		for name, i := range col {
			row[name] = strings.TrimSpace(rec[i])
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
	return nil
}

type csvRecord struct {
	fields []string
	line   int
}

// parseCSV reads every record of data. A record the CSV reader cannot
// parse is reported by the line it starts on; when its error spans lines
// (an unterminated quote takes everything to the end of the file into one
// field) reading starts again on the line after it, so one broken quote
// costs one record, not every later one.
func parseCSV(data []byte, fail func(line int, err error), record func(rec []string, line int)) {
	base := 0 // lines before data
	for len(data) > 0 {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		cr.TrimLeadingSpace = true
		restart := 0
		for restart == 0 {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				fail(base+perr.StartLine, perr.Err)
				if perr.Line > perr.StartLine {
					restart = perr.StartLine
				}
				continue
			}
			if err != nil {
				fail(base, err)
				return
			}
			// Only after a row was read: FieldPos panics when a parse error
			// left no fields (found by FuzzReadCSV).
			line, _ := cr.FieldPos(0)
			record(rec, base+line)
		}
		for range restart {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return
			}
			data = data[i+1:]
		}
		base += restart
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
	if !im.plainText(file, line, row) {
		return
	}
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

// plainText refuses a row with a control character or Unicode line
// separator in any field: it would be printed into the debtor's notices
// (the API refuses it too). It names the field, not the value.
func (im *Import) plainText(file string, line int, row map[string]string) bool {
	ok := true
	for _, field := range slices.Sorted(maps.Keys(row)) {
		if err := guard.Line(row[field]); err != nil {
			im.fail(file, line, field, "%v", err)
			ok = false
		}
	}
	return ok
}

// Finish applies the payments and credit notes read so far to their
// invoices. An invoice with a payment or credit row that fails is not
// written, and is reported at its own line: its balance would be wrong.
func (im *Import) Finish() {
	for _, pr := range im.later {
		file, line, row := pr.file, pr.p.line, pr.p.row
		inv, ok := im.invoices[row["invoice_number"]]
		bad := func(field, format string, args ...any) {
			im.fail(file, line, field, format, args...)
			if ok {
				inv.failed = append(inv.failed, fmt.Sprintf("%s at %s:%d", pr.p.kind, file, line))
			}
		}
		if !ok {
			bad("invoice_number", "%s %q: no such invoice in this import", pr.p.kind, row["invoice_number"])
			continue
		}
		if !im.plainText(file, line, row) {
			inv.failed = append(inv.failed, fmt.Sprintf("%s at %s:%d", pr.p.kind, file, line))
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
	for _, number := range slices.Sorted(maps.Keys(im.invoices)) {
		if inv := im.invoices[number]; len(inv.failed) > 0 {
			im.fail(inv.file, inv.line, "invoice_number", "invoice %s is not written: its %s failed", inv.Number, strings.Join(inv.failed, ", "))
		}
	}
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
