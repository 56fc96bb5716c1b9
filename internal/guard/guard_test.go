package guard

import (
	"strings"
	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

func TestLineAndLines(t *testing.T) {
	for _, tc := range []struct {
		s         string
		line, mul bool // accepted as one line, as several
	}{
		{"INV-1001", true, true}, {"Ærlige Åsmund", true, true}, {"", true, true}, {"a\nb", false, true},
		{"a\r\nb", false, false}, {"a\tb", false, false}, {"\x1b[2J", false, false}, {"a\u2028b", false, false},
		{"a\u0085b", false, false}, {"a\x7fb", false, false},
	} {
		if got := Line(tc.s) == nil; got != tc.line {
			t.Errorf("Line(%q) accepted %v, want %v", tc.s, got, tc.line)
		}
		if got := Lines(tc.s) == nil; got != tc.mul {
			t.Errorf("Lines(%q) accepted %v, want %v", tc.s, got, tc.mul)
		}
	}
}

func TestNamesAndDates(t *testing.T) {
	if ObjectName("ola-nordmann.2") != nil || ObjectName("Ola Nordmann") == nil || ObjectName("../x") == nil {
		t.Error("ObjectName")
	}
	if LabelValueName(strings.Repeat("a", 63)) != nil || LabelValueName(strings.Repeat("a", 64)) == nil {
		t.Error("LabelValueName")
	}
	for s, ok := range map[string]bool{"1900-01-01": true, "2199-12-31": true, "1899-12-31": false, "2200-01-01": false, "9999-12-31": false, "0001-01-01": false} {
		d, err := civil.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Date(d) == nil; got != ok {
			t.Errorf("Date(%s) accepted %v, want %v", s, got, ok)
		}
	}
}
