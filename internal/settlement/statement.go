package settlement

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
)

// StatementHeader are the columns of the CSV statement.
var StatementHeader = []string{"key", "claim", "invoiceNumber", "payment", "date", "receivedBy", "carriedOver",
	"amount", "principal", "interest", "fees", "advancedFees", "overpaid",
	"commission", "keptInterest", "vat", "creditor", "agency"}

// StatementCSV writes the lines and a closing TOTAL row (with the payout in
// the creditor column's row after it) as CSV. Every cell a spreadsheet
// could run as a formula is defused (see Cell).
func StatementCSV(r Result) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	write := func(rec []string) {
		out := make([]string, len(rec))
		for i, c := range rec {
			out[i] = Cell(c)
		}
		_ = w.Write(out) // a bytes.Buffer does not fail; w.Error reports the rest
	}
	write(StatementHeader)
	for _, l := range r.Lines {
		by := "Agency"
		if l.ReceivedByCreditor {
			by = "Creditor"
		}
		write([]string{l.Key, l.Claim, l.InvoiceNumber, l.Ref, l.Date.String(), by, strconv.FormatBool(l.CarriedOver),
			l.Amount.String(), l.Principal.String(), l.Interest.String(), l.Fees.String(), l.AdvancedFees.String(), l.Overpaid.String(),
			l.Commission.String(), l.KeptInterest.String(), l.VAT.String(), l.Creditor.String(), l.Agency.String()})
	}
	t := r.Totals
	write([]string{"TOTAL", "", "", "", "", "", "",
		t.Collected.String(), t.Principal.String(), t.Interest.String(), t.Fees.String(), t.AdvancedFees.String(), t.Overpaid.String(),
		t.Commission.String(), t.KeptInterest.String(), t.VAT.String(), t.Creditor.String(), t.Agency.String()})
	write([]string{"PAYOUT", "", "", "", "", "", "", t.Payout.String()})
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing the statement CSV: %w", err)
	}
	return buf.Bytes(), nil
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Cell defuses CSV injection: a cell starting with = + - @ (or a tab or
// carriage return) gets a leading apostrophe so a spreadsheet shows it as
// text instead of running it. A plain decimal number such as "-250.00" is
// no formula and stays a number.
func Cell(s string) string {
	if s == "" || plainNumber.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
