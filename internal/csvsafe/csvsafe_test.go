package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestFormulaCellsAreText: an invoice number such as =HYPERLINK(...) from a
// hostile ERP export reached the ledger CSV as a live formula (issue 20).
func TestFormulaCellsAreText(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://x","pay")`: `'=HYPERLINK("http://x","pay")`, "+1+1": "'+1+1", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "INV-1001": "INV-1001", "": "", "-12.50": "-12.50", "+5": "+5", "1250.00": "1250.00", "-": "'-",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write([]string{"=1+1", "-3.00", "a,b"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	rec, err := csv.NewReader(&buf).Read()
	if err != nil || rec[0] != "'=1+1" || rec[1] != "-3.00" || rec[2] != "a,b" {
		t.Errorf("read back %q, %v", rec, err)
	}
}
