// Package guard holds the checks on hostile input that the API's schema
// makes (docs/api.md, Guards) in Go, for the decider (objects written
// before a rule existed) and the ERP import (which must refuse what the
// apiserver would). Its errors say what is wrong without repeating the
// value: the value may be personal data.
package guard

import (
	"fmt"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// The range of a date the API accepts: anything outside is a typing error,
// and a step scheduled after year 9999 cannot be written as a timestamp.
const (
	MinDate = "1900-01-01"
	MaxDate = "2199-12-31"
)

// MaxLabelValue is the longest label value: a Debtor's name is one on its
// notices.
const MaxLabelValue = validation.LabelValueMaxLength

// Line checks text printed on one line of a notice: no control characters
// (a newline would inject a line into the debtor's letter) and no Unicode
// line or paragraph separators.
func Line(s string) error { return text(s, false) }

// Lines checks multi-line text: line feeds allowed, other control
// characters not.
func Lines(s string) error { return text(s, true) }

func text(s string, multiline bool) error {
	for i, r := range s {
		if multiline && r == '\n' {
			continue
		}
		if r == unicode.ReplacementChar {
			continue // a literal U+FFFD is text; invalid UTF-8 is refused by the apiserver
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("control character %U at byte %d", r, i)
		}
	}
	return nil
}

// ObjectName checks a reference to an object: a DNS-1123 subdomain.
func ObjectName(s string) error {
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		return fmt.Errorf("not an object name: %s", errs[0])
	}
	return nil
}

// LabelValueName checks an object name that is also a label value.
func LabelValueName(s string) error {
	if err := ObjectName(s); err != nil {
		return err
	}
	if len(s) > MaxLabelValue {
		return fmt.Errorf("%d characters, at most %d fit a label value", len(s), MaxLabelValue)
	}
	return nil
}

// Date checks a calendar date is within MinDate..MaxDate.
func Date(d civil.Date) error {
	if s := d.String(); s < MinDate || s > MaxDate {
		return fmt.Errorf("%s is outside %s..%s", s, MinDate, MaxDate)
	}
	return nil
}
