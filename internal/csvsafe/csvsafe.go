// Package csvsafe writes CSV that a spreadsheet opens as data: a cell that
// starts with = + - @, a tab or a carriage return is a formula to Excel,
// LibreOffice and Google Sheets (CSV injection), so such a cell is written
// with a leading apostrophe, which they show as text. Plain numbers
// ("-12.50") are left alone so the books still add up. Every CSV the
// operator's tools write goes through it.
package csvsafe

import (
	"encoding/csv"
	"io"
	"regexp"
)

// number is a plain decimal number, which no spreadsheet reads as a formula.
var number = regexp.MustCompile(`^[+-]?[0-9]+([.][0-9]+)?$`)

// Cell returns s as it is safe to write into a CSV cell.
func Cell(s string) string {
	if s == "" || number.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is an encoding/csv Writer that escapes every cell with Cell.
type Writer struct{ *csv.Writer }

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{csv.NewWriter(w)} }

// Write writes one record, each cell escaped.
func (w *Writer) Write(record []string) error {
	safe := make([]string, len(record))
	for i, s := range record {
		safe[i] = Cell(s)
	}
	return w.Writer.Write(safe)
}
