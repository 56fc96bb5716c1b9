// Package reference generates and validates the payment references debtors
// pay with, so that a bank payment can be matched to its case:
//
//   - Norway: KID with a MOD10 (Luhn) or MOD11 check digit.
//   - Sweden: OCR with a Luhn check digit, optionally with a length digit.
//   - Finland: the national reference with 7-3-1 weights.
//   - International: the RF creditor reference (ISO 11649, mod 97).
package reference

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Kind is a reference scheme.
type Kind string

// Reference schemes.
const (
	KIDMod10   Kind = "KID-MOD10"
	KIDMod11   Kind = "KID-MOD11"
	OCR        Kind = "OCR"
	OCRLength  Kind = "OCR-LENGTH"
	FINational Kind = "FI"
	RF         Kind = "RF"
)

// ForJurisdiction is the default scheme of a jurisdiction.
func ForJurisdiction(j string) Kind {
	switch j {
	case "SE":
		return OCR
	case "FI":
		return FINational
	case "NO":
		return KIDMod10
	}
	return RF
}

// Generate derives a reference of kind from a stable key (namespace and case
// id): the same key always gives the same reference, so a restart never
// issues a second one. The body has 10 digits (2^33 values per namespace).
func Generate(kind Kind, key string) (string, error) {
	for salt := 0; salt < 100; salt++ {
		body := digitsOf(fmt.Sprintf("%s#%d", key, salt), 10)
		ref, err := withCheck(kind, body)
		if errors.Is(err, errNoCheckDigit) {
			continue // MOD11 has no digit for remainder 1: try the next body
		}
		return ref, err
	}
	return "", fmt.Errorf("no %s reference found for %q", kind, key)
}

func digitsOf(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	v := new(big.Int).SetBytes(sum[:])
	d := v.String()
	// Never start with 0: some banks strip leading zeros.
	out := "1" + d[len(d)-(n-1):]
	return out
}

var errNoCheckDigit = errors.New("no check digit for this body")

func withCheck(kind Kind, body string) (string, error) {
	switch kind {
	case KIDMod10, OCR:
		return body + string(rune('0'+luhn(body))), nil
	case OCRLength:
		l := (len(body) + 2) % 10
		b := body + string(rune('0'+l))
		return b + string(rune('0'+luhn(b))), nil
	case KIDMod11:
		c, ok := mod11(body)
		if !ok {
			return "", errNoCheckDigit
		}
		return body + string(rune('0'+c)), nil
	case FINational:
		return body + string(rune('0'+fi731(body))), nil
	case RF:
		return rfWithCheck(body)
	}
	return "", fmt.Errorf("unknown reference kind %q", kind)
}

// Validate checks a reference of kind and says what is wrong.
func Validate(kind Kind, ref string) error {
	ref = strings.ReplaceAll(ref, " ", "")
	if kind == RF {
		return validateRF(ref)
	}
	if ref == "" || strings.Trim(ref, "0123456789") != "" {
		return fmt.Errorf("%s reference %q must be digits only", kind, ref)
	}
	min, max := 2, 25
	if kind == FINational {
		min, max = 4, 20
	}
	if len(ref) < min || len(ref) > max {
		return fmt.Errorf("%s reference %q must have %d to %d digits", kind, ref, min, max)
	}
	body, check := ref[:len(ref)-1], int(ref[len(ref)-1]-'0')
	var want int
	switch kind {
	case KIDMod10, OCR:
		want = luhn(body)
	case OCRLength:
		if int(body[len(body)-1]-'0') != len(ref)%10 {
			return fmt.Errorf("OCR reference %q: length digit %c does not match its length %d", ref, body[len(body)-1], len(ref))
		}
		want = luhn(body)
	case KIDMod11:
		c, ok := mod11(body)
		if !ok {
			return fmt.Errorf("KID %q: MOD11 has no check digit for this number", ref)
		}
		want = c
	case FINational:
		want = fi731(body)
	default:
		return fmt.Errorf("unknown reference kind %q", kind)
	}
	if check != want {
		return fmt.Errorf("%s reference %q: check digit %d, want %d", kind, ref, check, want)
	}
	return nil
}

// luhn is the MOD10 check digit of body: doubling every second digit from the right.
func luhn(body string) int {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// mod11 is the MOD11 check digit with weights 2..7 from the right; remainder
// 1 has no digit (ok false), remainder 0 gives 0.
func mod11(body string) (int, bool) {
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[len(body)-1-i]-'0') * (2 + i%6)
	}
	r := sum % 11
	switch r {
	case 0:
		return 0, true
	case 1:
		return 0, false
	}
	return 11 - r, true
}

// fi731 is the Finnish reference check digit: weights 7, 3, 1 from the right.
func fi731(body string) int {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[len(body)-1-i]-'0') * weights[i%3]
	}
	return (10 - sum%10) % 10
}

// rfNumber turns an RF string into the digits of ISO 7064 mod 97-10.
func rfNumber(s string) (*big.Int, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&b, "%d", r-'A'+10)
		default:
			return nil, fmt.Errorf("character %q is not allowed in an RF reference", r)
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	if !ok {
		return nil, fmt.Errorf("RF reference %q is not a number", s)
	}
	return n, nil
}

func rfWithCheck(body string) (string, error) {
	n, err := rfNumber(strings.ToUpper(body) + "RF00")
	if err != nil {
		return "", err
	}
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("RF%02d%s", check, strings.ToUpper(body)), nil
}

func validateRF(ref string) error {
	ref = strings.ToUpper(ref)
	if len(ref) < 5 || len(ref) > 25 || !strings.HasPrefix(ref, "RF") {
		return fmt.Errorf("RF reference %q must be RF, two check digits and 1 to 21 characters", ref)
	}
	n, err := rfNumber(ref[4:] + ref[:4])
	if err != nil {
		return err
	}
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return fmt.Errorf("RF reference %q: check digits do not match (mod 97 is not 1)", ref)
	}
	return nil
}
