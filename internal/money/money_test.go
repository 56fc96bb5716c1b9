package money

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in, cur, want string
		wantErr       bool
	}{
		{"12500", "NOK", "12500.00", false},
		{"12500.5", "NOK", "12500.50", false},
		{"0.01", "EUR", "0.01", false},
		{"100", "JPY", "100", false},
		{"1.234", "KWD", "1.234", false},
		{"1.230", "NOK", "1.23", false}, // trailing zero beyond minor unit is exact
		{"1.234", "NOK", "", true},
		{"1.5", "JPY", "", true},
		{"abc", "NOK", "", true},
		{"1e3", "NOK", "", true},
		{"1,5", "NOK", "", true},
		{".5", "NOK", "", true},
		{"5.", "NOK", "", true},
		{"-20.00", "NOK", "-20.00", false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.cur)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q, %s) error = %v, wantErr %v", tt.in, tt.cur, err, tt.wantErr)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("Parse(%q, %s) = %s, want %s", tt.in, tt.cur, got, tt.want)
		}
	}
}

func TestArithmeticIsExact(t *testing.T) {
	// 0.1 + 0.2 is the classic float trap.
	sum := MustParse("0.10", "NOK").Add(MustParse("0.20", "NOK"))
	if sum.String() != "0.30" || sum.Cmp(MustParse("0.3", "NOK")) != 0 {
		t.Fatalf("0.10 + 0.20 = %s", sum)
	}
	if d := MustParse("100", "NOK").Sub(MustParse("100.01", "NOK")); d.String() != "-0.01" || d.IsPositive() {
		t.Fatalf("100 - 100.01 = %s", d)
	}
}

func TestMixingCurrenciesPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("adding NOK and SEK did not panic")
		}
	}()
	MustParse("1", "NOK").Add(MustParse("1", "SEK"))
}

// FuzzParse: any string either parses to an amount that prints back to the
// same value with the currency's decimals, or is refused with an error that
// quotes it. Never a panic, never a silent rounding.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12500.00", "0.01", "1e3", "-5", "1,5", "", "9999999999999999999.99", "1.005"} {
		f.Add(s, "NOK")
	}
	f.Add("100", "JPY")
	f.Add("1.234", "KWD")
	f.Fuzz(func(t *testing.T, s, cur string) {
		m, err := Parse(s, cur)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("error %q does not quote the input %q", err, s)
			}
			return
		}
		back, err := Parse(m.String(), cur)
		if err != nil || back.Cmp(m) != 0 {
			t.Fatalf("%q parsed to %s, which does not parse back to the same amount: %v", s, m, err)
		}
		if !m.Amount.Equal(m.Amount.Round(MinorDigits(cur))) {
			t.Fatalf("%q kept more decimals than %s has: %s", s, cur, m.Amount)
		}
	})
}
