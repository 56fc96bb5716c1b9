package payout

import (
	"fmt"
	"math/big"
	"strings"
)

// CheckIBAN verifies an IBAN's ISO 13616 check digits (mod 97 == 1). The
// format (country, digits, length) is checked by the CRD schema.
func CheckIBAN(iban string) error {
	s := strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	if len(s) < 15 || len(s) > 34 {
		return fmt.Errorf("IBAN has %d characters, want 15 to 34", len(s))
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		default:
			return fmt.Errorf("IBAN contains %q", r)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return fmt.Errorf("IBAN check digits are wrong (mod 97 is not 1)")
	}
	return nil
}

// CheckNorwegianAccount verifies an 11-digit Norwegian account number's
// MOD11 check digit (weights 5 4 3 2 7 6 5 4 3 2).
func CheckNorwegianAccount(acct string) error {
	if len(acct) != 11 || strings.Trim(acct, "0123456789") != "" {
		return fmt.Errorf("a Norwegian account number is 11 digits")
	}
	weights := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(acct[i]-'0') * w
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || check != int(acct[10]-'0') {
		return fmt.Errorf("the Norwegian account number's check digit is wrong (MOD11)")
	}
	return nil
}
