// Package money is exact decimal arithmetic on amounts of one currency.
//
// Amounts are written in major units with a dot ("12500.00") as in the API and
// parsed into shopspring/decimal values: arbitrary precision, no float64. Every
// amount is kept at, and printed with, the currency's ISO 4217 minor unit.
// Rounding to the minor unit is half away from zero (commercial rounding), the
// rule Nordic fee tables and invoices use.
package money

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// minorUnits lists ISO 4217 currencies whose minor unit is not 2 decimals.
var minorUnits = map[string]int32{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// MinorDigits returns the number of decimals of the currency's minor unit.
func MinorDigits(currency string) int32 {
	if d, ok := minorUnits[currency]; ok {
		return d
	}
	return 2
}

// Money is an exact amount in one currency.
type Money struct {
	Currency string
	Amount   decimal.Decimal
}

// Zero returns zero in the currency.
func Zero(currency string) Money { return Money{Currency: currency, Amount: decimal.Zero} }

// maxDigits bounds the integer and the decimal part of an amount's text:
// 18 digits each are far more than money needs, and unbounded input could make
// the decimal library build huge numbers.
const maxDigits = 18

// Parse reads a decimal string in major units: digits, an optional leading
// minus and an optional dot with decimals; no exponent, no grouping. It
// refuses more decimals than the currency has, so nothing is silently
// rounded on input.
func Parse(s, currency string) (Money, error) {
	if !plainDecimal(s) {
		return Money{}, fmt.Errorf("amount %q is not a plain decimal number like \"1250.00\"", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Money{}, fmt.Errorf("amount %q is not a decimal number: %w", s, err)
	}
	if -d.Exponent() > MinorDigits(currency) && !d.Equal(d.Round(MinorDigits(currency))) {
		return Money{}, fmt.Errorf("amount %q has more decimals than %s allows (%d)", s, currency, MinorDigits(currency))
	}
	return Money{Currency: currency, Amount: d}, nil
}

// MustParse is Parse for literals known to be valid; it panics otherwise.
func MustParse(s, currency string) Money {
	m, err := Parse(s, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// FromDecimal rounds d to the currency's minor unit.
func FromDecimal(d decimal.Decimal, currency string) Money {
	return Money{Currency: currency, Amount: d.Round(MinorDigits(currency))}
}

func (m Money) same(o Money) {
	if m.Currency != o.Currency && !o.Amount.IsZero() && !m.Amount.IsZero() {
		panic(fmt.Sprintf("money: mixing %s and %s", m.Currency, o.Currency))
	}
}

// Add returns m + o.
func (m Money) Add(o Money) Money { m.same(o); return Money{m.Currency, m.Amount.Add(o.Amount)} }

// Sub returns m - o.
func (m Money) Sub(o Money) Money { m.same(o); return Money{m.Currency, m.Amount.Sub(o.Amount)} }

// IsPositive reports m > 0.
func (m Money) IsPositive() bool { return m.Amount.IsPositive() }

// IsZero reports m == 0.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// Cmp compares m and o: -1, 0 or +1.
func (m Money) Cmp(o Money) int { m.same(o); return m.Amount.Cmp(o.Amount) }

// String prints the amount with exactly the currency's decimals, e.g. "35.00".
func (m Money) String() string { return m.Amount.StringFixed(MinorDigits(m.Currency)) }

func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return whole != "" && len(whole) <= maxDigits && digits(whole) &&
		(!dot || (frac != "" && len(frac) <= maxDigits && digits(frac)))
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
