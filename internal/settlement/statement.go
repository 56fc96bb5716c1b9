package settlement

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/inkasso-operator/inkasso-operator/internal/csvsafe"
)

// StatementHeader are the columns of the CSV statement.
var StatementHeader = []string{"key", "kind", "claim", "invoiceNumber", "payment", "date", "receivedBy", "carriedOver",
	"amount", "principal", "interest", "fees", "advancedFees", "overpaid",
	"commission", "keptInterest", "vat", "creditor", "agency"}

// Rows are the statement's records after the header: one per line, a
// TOTAL row and a PAYOUT row.
func Rows(r Result) [][]string {
	rows := make([][]string, 0, len(r.Lines)+2)
	for _, l := range r.Lines {
		by := "Agency"
		if l.ReceivedByCreditor {
			by = "Creditor"
		}
		rows = append(rows, []string{l.Key, string(l.Kind), l.Claim, l.InvoiceNumber, l.Ref, l.Date.String(), by, strconv.FormatBool(l.CarriedOver),
			l.Amount.String(), l.Principal.String(), l.Interest.String(), l.Fees.String(), l.AdvancedFees.String(), l.Overpaid.String(),
			l.Commission.String(), l.KeptInterest.String(), l.VAT.String(), l.Creditor.String(), l.Agency.String()})
	}
	t := r.Totals
	return append(rows, TotalRow(t.Collected.String(), t.Principal.String(), t.Interest.String(), t.Fees.String(), t.AdvancedFees.String(),
		t.Overpaid.String(), t.Commission.String(), t.KeptInterest.String(), t.VAT.String(), t.Creditor.String(), t.Agency.String()),
		PayoutRow(t.Payout.String()))
}

// TotalRow is the TOTAL record: amounts in the order of the header's
// amount columns (amount … agency).
func TotalRow(amounts ...string) []string {
	return append([]string{"TOTAL", "", "", "", "", "", "", ""}, amounts...)
}

// PayoutRow is the PAYOUT record: the payout in the amount column, the
// other columns empty. Every record has the header's width: a CSV with a
// short last record is refused by strict readers (Go's encoding/csv,
// Python's csv with strict dialects, database bulk loaders).
func PayoutRow(payout string) []string {
	row := make([]string, len(StatementHeader))
	row[0], row[8] = "PAYOUT", payout
	return row
}

// StatementCSV writes the header and rows as CSV. Every cell a spreadsheet
// could run as a formula is defused (internal/csvsafe).
func StatementCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csvsafe.NewWriter(&buf)
	for _, rec := range append([][]string{StatementHeader}, rows...) {
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("writing the statement CSV: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing the statement CSV: %w", err)
	}
	return buf.Bytes(), nil
}
