package interest

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

func day(s string) civil.Date {
	t, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func round(r Result) string { return r.Interest.Round(2).StringFixed(2) }

func TestNorwegianInterestAcrossAHalfYear(t *testing.T) {
	// 10,000 NOK due 2025-06-20, interest to 2025-07-10: 10 days of June at
	// 12.50 % and 10 days of July at 12.25 %, actual/365:
	// 10000*12.5*10/36500 = 34.2466 + 10000*12.25*10/36500 = 33.5616 -> 67.81.
	r, err := Accrue(Input{Table: Tables["NO"], Principal: dec("10000"), DueDate: day("2025-06-20"), AsOf: day("2025-07-10")})
	if err != nil {
		t.Fatal(err)
	}
	if round(r) != "67.81" {
		t.Fatalf("interest %s, want 67.81", round(r))
	}
	if !r.Unconfirmed {
		t.Error("2H2025 is unconfirmed in domain.md; the result must say so")
	}
}

func TestFinnishInterestInALeapYear(t *testing.T) {
	// 1,000 EUR consumer, due 2024-02-27, to 2024-03-02: 4 days at
	// (4.5 + 7) % over 366: 1000*11.5*4/36600 = 1.2568 -> 1.26.
	r, err := Accrue(Input{Table: Tables["FI"], Principal: dec("1000"), DueDate: day("2024-02-27"), AsOf: day("2024-03-02")})
	if err != nil {
		t.Fatal(err)
	}
	if round(r) != "1.26" {
		t.Fatalf("interest %s, want 1.26", round(r))
	}
	// Business margin 8: 1000*12.5*4/36600 = 1.3661 -> 1.37.
	r, _ = Accrue(Input{Table: Tables["FI"], Business: true, Principal: dec("1000"), DueDate: day("2024-02-27"), AsOf: day("2024-03-02")})
	if round(r) != "1.37" {
		t.Fatalf("business interest %s, want 1.37", round(r))
	}
	// Across the year end 2024 -> 2025: 2 days over 366 at 11.5, 3 days over 365 at 10.5:
	// 1000*11.5*2/36600 + 1000*10.5*3/36500 = 0.62842 + 0.86301 = 1.49.
	r, _ = Accrue(Input{Table: Tables["FI"], Principal: dec("1000"), DueDate: day("2024-12-29"), AsOf: day("2025-01-03")})
	if round(r) != "1.49" {
		t.Fatalf("interest over the year end %s, want 1.49", round(r))
	}
}

func TestPartialPaymentsReducePrincipal(t *testing.T) {
	// 10,000 NOK due 2026-01-31 at 12 %; 4,000 reaches the principal on
	// 2026-02-11 (10 days at 10,000), then 20 days at 6,000 to 2026-03-03:
	// 10000*12*10/36500 + 6000*12*20/36500 = 32.8767 + 39.4521 = 72.33.
	r, err := Accrue(Input{Table: Tables["NO"], Principal: dec("10000"), DueDate: day("2026-01-31"), AsOf: day("2026-03-02"),
		Changes: []Change{{Date: day("2026-02-11"), Delta: dec("-4000")}}})
	if err != nil {
		t.Fatal(err)
	}
	if round(r) != "72.33" {
		t.Fatalf("interest %s, want 72.33", round(r))
	}
	// Paid in full: no more interest.
	r, _ = Accrue(Input{Table: Tables["NO"], Principal: dec("100"), DueDate: day("2026-01-31"), AsOf: day("2026-12-31"),
		Changes: []Change{{Date: day("2026-02-01"), Delta: dec("-100")}}})
	if !r.Interest.IsZero() {
		t.Fatalf("interest on a paid principal: %s", r.Interest)
	}
}

func TestOverrideAndEdges(t *testing.T) {
	rate := dec("10")
	r, _ := Accrue(Input{Table: Tables["SE"], Override: &rate, Principal: dec("3650"), DueDate: day("2024-01-01"), AsOf: day("2024-01-11")})
	if round(r) != "10.00" { // 3650*10*10/36500
		t.Fatalf("override: %s", round(r))
	}
	if r, _ := Accrue(Input{Table: Tables["NO"], Principal: dec("100"), DueDate: day("2026-01-31"), AsOf: day("2026-01-31")}); !r.Interest.IsZero() {
		t.Fatal("interest on the due date itself")
	}
	if r, err := Accrue(Input{Table: Tables["SE"], Principal: dec("100"), DueDate: day("2020-01-01"), AsOf: day("2020-02-01")}); err != nil || !r.Unconfirmed {
		t.Fatalf("a date before the table: %v, unconfirmed %v: want the earliest rate, marked unconfirmed", err, r.Unconfirmed)
	}
	se, unconfirmed, _ := Tables["SE"].Rate(day("2025-03-01"), false)
	if !se.Equal(decimal.NewFromInt(12)) || !unconfirmed {
		t.Fatalf("Sweden 2025: %s unconfirmed=%v: want the last known 12 %% marked unconfirmed", se, unconfirmed)
	}
}
