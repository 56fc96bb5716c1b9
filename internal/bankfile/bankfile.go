// Package bankfile reads the files Nordic banks deliver for incoming
// payments into typed payments:
//
//   - ISO 20022 camt.054 (debit/credit notification) and camt.053 (account
//     statement), any version from .001.02 on: Finnish reference payments,
//     and most banks' structured-reference (KID, OCR, RF) reporting.
//   - Nets OCR giro ("OCR-fil"), Norway: 80-character records, KID payments.
//   - Bankgirot BgMax, Sweden: 80-character records, OCR payments.
//
// It has no Kubernetes client and no I/O beyond the bytes it is given. A
// payment's payer name, account and organisation number are personal data:
// they are kept for matching only and must never be logged.
package bankfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Format is a bank file format.
type Format string

// Formats read.
const (
	Camt054 Format = "camt.054"
	Camt053 Format = "camt.053"
	NetsOCR Format = "nets-ocr"
	BgMax   Format = "bgmax"
)

// MaxSize bounds a bank file: a day's payments of a large creditor are a few
// megabytes; anything far bigger is not a bank file.
const MaxSize = 64 << 20

// Payment is one incoming payment as the bank reported it.
type Payment struct {
	// ID is stable for the same bank entry in every file that reports it
	// (a camt.054 and the day's camt.053 give the same one), valid as a
	// Claim's spec.payments id and at most MaxIDLen characters, so a split
	// suffix still fits the API's 64.
	ID string
	// BankRef is the bank's own entry reference as written.
	BankRef string
	Amount  money.Money
	// BookingDate is the day the money was booked to the creditor's
	// account (camt BookgDt, Nets settlement date, BgMax payment date).
	BookingDate civil.Date
	// ValueDate is the camt ValDt (zero when absent or not camt).
	ValueDate civil.Date
	// Reference is the structured creditor reference the payer gave (KID,
	// OCR, RF, Finnish reference), spaces removed; empty when none.
	Reference string
	// OtherReferences are further structured references of the same
	// payment (one transfer paying several invoices); usually none.
	OtherReferences []string
	// PayerName, PayerAccount and PayerOrgID identify the payer where the
	// bank tells: personal data, never logged.
	PayerName, PayerAccount, PayerOrgID string
	// Source is where the payment is in its file (name:line or name entry
	// N), for reports.
	Source string
	Format Format
}

// Skipped is an entry of a bank file that is not a payment in, with why:
// counted and named, never silently dropped.
type Skipped struct {
	Source, Reason string
	// Money marks an entry that moves money finance must book by hand (a
	// reversal, a BgMax deduction): it belongs in the suspense report, with
	// its Amount and Reference.
	Money     bool
	Amount    money.Money
	Reference string
}

// File is what one bank file holds.
type File struct {
	Format   Format
	Payments []Payment
	Skipped  []Skipped
}

// MaxIDLen is the longest payment id a file yields: 64 (the API's limit)
// less room for a split suffix (":" and 8 hex digits).
const MaxIDLen = 55

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)

// ID turns the bank's reference parts into a payment id: the parts joined
// with "-" when that is a valid id of at most MaxIDLen characters;
// otherwise its characters outside the id alphabet become "-" and a long one
// is cut and given a hash of the whole, so the id is deterministic and two
// different references never share one by truncation.
func ID(parts ...string) string {
	raw := strings.Join(parts, "-")
	if len(raw) <= MaxIDLen && idRE.MatchString(raw) {
		return raw
	}
	var b strings.Builder
	for _, r := range raw {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._:/-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "._:/-")
	sum := sha256.Sum256([]byte(raw))
	h := hex.EncodeToString(sum[:])[:12]
	if len(s) > MaxIDLen-13 {
		s = s[:MaxIDLen-13]
	}
	if s == "" {
		return "x-" + h
	}
	return s + "-" + h
}

// Parse detects the format of data and reads it; name is used in errors
// and sources.
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes is more than a bank file (%d)", name, len(data), MaxSize)
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("<")):
		return ParseCamt(name, data)
	case bytes.HasPrefix(trimmed, []byte("NY000010")):
		return ParseNetsOCR(name, data)
	case bytes.HasPrefix(trimmed, []byte("01BGMAX")):
		return ParseBgMax(name, data)
	}
	return nil, fmt.Errorf("%s: not a bank file this reads: want ISO 20022 camt.054/camt.053 XML, a Nets OCR giro file (first record NY000010) or a Bankgirot BgMax file (first record 01BGMAX)", name)
}

// normalizeRef removes spaces from a reference and upper-cases it (RF).
func normalizeRef(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// latin1 decodes ISO 8859-1 text (the fixed-width files' name fields) into
// UTF-8; valid UTF-8 is kept as is.
func latin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// records splits a fixed-width file into lines of exactly width
// characters: trailing blanks that editors and transfers strip are put
// back, a longer line is an error.
func records(name string, data []byte, width int) ([][]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out [][]byte
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			out = append(out, nil) // keep line numbers
			continue
		}
		if len(line) > width {
			return nil, fmt.Errorf("%s:%d: record is %d characters, want %d", name, i+1, len(line), width)
		}
		if len(line) < width {
			line = append(append([]byte{}, line...), bytes.Repeat([]byte(" "), width-len(line))...)
		}
		out = append(out, line)
	}
	return out, nil
}

// digits reports whether b is all ASCII digits (and not empty).
func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// minorAmount turns a field of minor units (øre, öre) into money.
func minorAmount(field []byte, currency string) (money.Money, error) {
	if !digits(field) {
		return money.Money{}, fmt.Errorf("amount %q is not digits", field)
	}
	s := strings.TrimLeft(string(field), "0")
	if s == "" {
		s = "0"
	}
	for len(s) < 3 {
		s = "0" + s
	}
	return money.Parse(s[:len(s)-2]+"."+s[len(s)-2:], currency)
}
