package fees

import (
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func TestNorwegianFees(t *testing.T) {
	on2025 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	on2026 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	nok := func(s string) money.Money { return money.MustParse(s, "NOK") }
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"reminder 2025 is 1/20 of 700", Input{Kind: Reminder, Principal: nok("1000"), On: on2025}, "35.00"},
		{"reminder 2026 is 1/20 of 750", Input{Kind: Reminder, Principal: nok("1000"), On: on2026}, "37.50"},
		{"third reminder fee is free", Input{Kind: Reminder, Principal: nok("1000"), On: on2025, ReminderFees: 2}, "0.00"},
		{"light, consumer, 500 band", Input{Kind: LightSalary, Principal: nok("500"), On: on2025}, "175.00"},
		{"light, consumer, 1000 band", Input{Kind: LightSalary, Principal: nok("500.01"), On: on2025}, "245.00"},
		{"heavy, consumer, 10000 band", Input{Kind: HeavySalary, Principal: nok("10000"), On: on2025}, "1120.00"},
		{"light, business, 2500 band", Input{Kind: LightSalary, Principal: nok("2000"), On: on2025, Business: true}, "420.00"},
		{"heavy, business, above 250000", Input{Kind: HeavySalary, Principal: nok("300000"), On: on2025, Business: true}, "15120.00"},
		{"light, not VAT registered", Input{Kind: LightSalary, Principal: nok("500"), On: on2025, NoVAT: true}, "218.75"},
		{"light 2026, 50000 band", Input{Kind: LightSalary, Principal: nok("12500"), On: on2026}, "1200.00"},
		{"heavy after light charges the difference", Input{Kind: HeavySalary, Principal: nok("10000"), On: on2025, SalaryCharged: nok("560")}, "560.00"},
		{"light twice charges nothing more", Input{Kind: LightSalary, Principal: nok("10000"), On: on2025, SalaryCharged: nok("560")}, "0.00"},
		{"fixed fee", Input{Fixed: "99.50", Principal: nok("1"), On: on2025}, "99.50"},
		{"none", Input{Kind: None, Principal: nok("1"), On: on2025}, "0.00"},
		{"override sats", Input{Kind: Reminder, Principal: nok("1"), On: on2025, SatsOverride: ptrMoney(nok("800"))}, "40.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Jurisdiction, tt.in.Currency = "NO", "NOK"
			got, err := Compute(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFeeErrors(t *testing.T) {
	if _, err := Compute(Input{Jurisdiction: "NO", Currency: "NOK", Kind: Reminder, Principal: money.MustParse("1", "NOK"), On: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("a date before the first table gave no error")
	}
	if _, err := Compute(Input{Jurisdiction: "SE", Currency: "SEK", Kind: Reminder, Principal: money.MustParse("1", "SEK"), On: time.Now()}); err == nil {
		t.Error("a jurisdiction without tables gave no error")
	}
}

func ptrMoney(m money.Money) *money.Money { return &m }
