package fees

import (
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

var (
	on2025 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	on2026 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func nok(s string) money.Money { return money.MustParse(s, "NOK") }

func compute(t *testing.T, in Input) string {
	t.Helper()
	got, err := Compute(in)
	if err != nil {
		t.Fatalf("%+v: %v", in, err)
	}
	return got.String()
}

type salaryRow struct{ principal, cLight, cHeavy, bLight, bHeavy string }

// checkSalaryTable computes each row's consumer and business, light and heavy salær on day on.
func checkSalaryTable(t *testing.T, on time.Time, rows []salaryRow) {
	t.Helper()
	for _, r := range rows {
		for _, c := range []struct {
			kind     Kind
			business bool
			want     string
		}{{LightSalary, false, r.cLight}, {HeavySalary, false, r.cHeavy}, {LightSalary, true, r.bLight}, {HeavySalary, true, r.bHeavy}} {
			got := compute(t, Input{Jurisdiction: "NO", Currency: "NOK", Kind: c.kind, Business: c.business, Principal: nok(r.principal), On: on})
			if got != c.want {
				t.Errorf("%s principal %s %s business=%v: %s, want %s", on.Format(time.DateOnly), r.principal, c.kind, c.business, got, c.want)
			}
		}
	}
}

// TestNorwegianSalaryTable reproduces every row of domain.md's table at the
// 700 sats (2024-2025): consumer light / heavy, business light / heavy.
func TestNorwegianSalaryTable(t *testing.T) {
	rows := []salaryRow{
		{"500", "175.00", "350.00", "262.50", "525.00"},
		{"1000", "245.00", "490.00", "367.50", "735.00"},
		{"2500", "280.00", "560.00", "420.00", "840.00"},
		{"10000", "560.00", "1120.00", "840.00", "1680.00"},
		{"50000", "1120.00", "2240.00", "1680.00", "3360.00"},
		{"250000", "2520.00", "5040.00", "3780.00", "7560.00"},
		{"250000.01", "5040.00", "10080.00", "7560.00", "15120.00"},
	}
	checkSalaryTable(t, on2025, rows)
}

// TestNorwegianSalaryTable2026 derives every band at the 2026 sats of 750
// (domain.md marks these DERIVED): multiples x 750, heavy x 2, business x 1.5.
func TestNorwegianSalaryTable2026(t *testing.T) {
	rows := []salaryRow{
		{"500", "187.50", "375.00", "281.25", "562.50"},
		{"1000", "262.50", "525.00", "393.75", "787.50"},
		{"2500", "300.00", "600.00", "450.00", "900.00"},
		{"10000", "600.00", "1200.00", "900.00", "1800.00"},
		{"50000", "1200.00", "2400.00", "1800.00", "3600.00"},
		{"250000", "2700.00", "5400.00", "4050.00", "8100.00"},
		{"1000000", "5400.00", "10800.00", "8100.00", "16200.00"},
	}
	checkSalaryTable(t, on2026, rows)
}

func TestNorwegianFees(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"reminder 2025 is 1/20 of 700", Input{Kind: Reminder, Principal: nok("1000"), On: on2025}, "35.00"},
		{"reminder 2026 is 1/20 of 750", Input{Kind: Reminder, Principal: nok("1000"), On: on2026}, "37.50"},
		{"third reminder-type fee is free", Input{Kind: Reminder, Principal: nok("1000"), On: on2025, Charged: Charged{ReminderFees: 2}}, "0.00"},
		{"2026 light, 10000 band at 750", Input{Kind: LightSalary, Principal: nok("10000"), On: on2026}, "600.00"},
		{"2026 heavy, above 250000, business", Input{Kind: HeavySalary, Principal: nok("300000"), On: on2026, Business: true}, "16200.00"},
		{"not VAT registered +25 %", Input{Kind: LightSalary, Principal: nok("500"), On: on2025, NoVAT: true}, "218.75"},
		{"heavy after light charges the difference", Input{Kind: HeavySalary, Principal: nok("10000"), On: on2025, Charged: Charged{Salary: nok("560")}}, "560.00"},
		{"a second light salær charges nothing", Input{Kind: LightSalary, Principal: nok("10000"), On: on2025, Charged: Charged{Salary: nok("560")}}, "0.00"},
		{"business compensation 2025", Input{Kind: Compensation, Business: true, Principal: nok("1000"), On: on2025}, "470.00"},
		{"business compensation 2026", Input{Kind: Compensation, Business: true, Principal: nok("1000"), On: on2026}, "460.00"},
		{"compensation once", Input{Kind: Compensation, Business: true, Principal: nok("1000"), On: on2026, Charged: Charged{Compensation: true}}, "0.00"},
		{"no compensation from consumers", Input{Kind: Compensation, Principal: nok("1000"), On: on2026}, "0.00"},
		// business light on 2,000 at 750: 0.40*750*1.5 = 450, less the 460 compensation already charged
		{"compensation is deducted from a later salær", Input{Kind: LightSalary, Business: true, Principal: nok("2000"), On: on2026, Charged: Charged{Salary: nok("460"), Compensation: true}}, "0.00"},
		{"fixed fee", Input{Fixed: "99.50", Principal: nok("1"), On: on2025}, "99.50"},
		{"none", Input{Kind: None, Principal: nok("1"), On: on2025}, "0.00"},
		{"override sats", Input{Kind: Reminder, Principal: nok("1"), On: on2025, SatsOverride: ptrMoney(nok("800"))}, "40.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Jurisdiction, tt.in.Currency = "NO", "NOK"
			if got := compute(t, tt.in); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSwedishFees(t *testing.T) {
	sek := func(s string) money.Money { return money.MustParse(s, "SEK") }
	for _, tt := range []struct {
		name string
		in   Input
		want string
	}{
		{"reminder", Input{Kind: Reminder}, "60.00"},
		{"one reminder fee per claim", Input{Kind: Reminder, Charged: Charged{ReminderFees: 1}}, "0.00"},
		{"inkassokrav", Input{Kind: LightSalary}, "180.00"},
		{"one inkassokrav per debt", Input{Kind: LightSalary, Charged: Charged{DemandFees: 1}}, "0.00"},
		{"business: 450 instead", Input{Kind: Reminder, Business: true}, "450.00"},
		{"business: once", Input{Kind: LightSalary, Business: true, Charged: Charged{Compensation: true}}, "0.00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Jurisdiction, tt.in.Currency, tt.in.Principal, tt.in.On = "SE", "SEK", sek("5000"), on2025
			if got := compute(t, tt.in); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := Compute(Input{Jurisdiction: "SE", Currency: "SEK", Kind: HeavySalary, Principal: sek("1"), On: on2025}); err == nil {
		t.Error("heavy fee in Sweden accepted")
	}
}

func TestFinnishFeesAndCaps(t *testing.T) {
	eur := func(s string) money.Money { return money.MustParse(s, "EUR") }
	for _, tt := range []struct {
		name string
		in   Input
		want string
	}{
		{"consumer reminder", Input{Kind: Reminder, Principal: eur("500")}, "5.00"},
		{"consumer demand <=100", Input{Kind: LightSalary, Principal: eur("100")}, "14.00"},
		{"consumer demand <=1000", Input{Kind: LightSalary, Principal: eur("1000")}, "24.00"},
		{"consumer demand >1000", Input{Kind: LightSalary, Principal: eur("1000.01")}, "50.00"},
		{"consumer cap 60 <=100", Input{Kind: LightSalary, Principal: eur("80"), Charged: Charged{Total: eur("50")}}, "10.00"},
		{"consumer cap 120 reached", Input{Kind: Reminder, Principal: eur("800"), Charged: Charged{Total: eur("120")}}, "0.00"},
		{"consumer cap 210 >1000", Input{Kind: LightSalary, Principal: eur("5000"), Charged: Charged{Total: eur("190")}}, "20.00"},
		{"business reminder", Input{Kind: Reminder, Business: true, Principal: eur("500")}, "12.00"},
		{"business compensation", Input{Kind: Compensation, Business: true, Principal: eur("500")}, "40.00"},
		{"business demand <=500", Input{Kind: LightSalary, Business: true, Principal: eur("500")}, "50.00"},
		{"business demand <=2500", Input{Kind: LightSalary, Business: true, Principal: eur("2500")}, "70.00"},
		{"business demand <=10000", Input{Kind: LightSalary, Business: true, Principal: eur("10000")}, "90.00"},
		{"business demand above", Input{Kind: LightSalary, Business: true, Principal: eur("10000.01")}, "110.00"},
		{"business later letter half", Input{Kind: LightSalary, Business: true, Principal: eur("10000.01"), Charged: Charged{DemandFees: 1}}, "55.00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Jurisdiction, tt.in.Currency, tt.in.On = "FI", "EUR", on2025
			if got := compute(t, tt.in); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPaymentPlanFee(t *testing.T) {
	on := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	got, err := Compute(Input{Jurisdiction: "SE", Kind: PaymentPlan, Currency: "SEK", Principal: money.MustParse("5000", "SEK"), On: on})
	if err != nil || got.String() != "170.00" {
		t.Fatalf("Swedish plan fee %v, %v; want 170.00", got, err)
	}
	for _, j := range []struct{ jur, cur string }{{"NO", "NOK"}, {"FI", "EUR"}} {
		_, err := Compute(Input{Jurisdiction: j.jur, Kind: PaymentPlan, Currency: j.cur, Principal: money.MustParse("5000", j.cur), On: on})
		if err == nil || !strings.Contains(err.Error(), "no payment-plan fee") {
			t.Errorf("%s plan fee error %v, want one saying there is none", j.jur, err)
		}
	}
}

func TestFeeErrors(t *testing.T) {
	for _, in := range []Input{
		{Jurisdiction: "NO", Currency: "NOK", Kind: Reminder, Principal: nok("1"), On: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Jurisdiction: "DK", Currency: "DKK", Kind: Reminder, Principal: money.MustParse("1", "DKK"), On: on2025},
		{Jurisdiction: "NO", Currency: "SEK", Kind: Reminder, Principal: money.MustParse("1", "SEK"), On: on2025},
		{Jurisdiction: "NO", Currency: "NOK", Fixed: "1.234", Principal: nok("1"), On: on2025},
	} {
		if _, err := Compute(in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
}

func TestSplitSumsExactly(t *testing.T) {
	tests := []struct {
		fee        string
		principals []string
		want       []string
	}{
		{"600.00", []string{"1000", "2000", "3000"}, []string{"100.00", "200.00", "300.00"}},
		{"100.00", []string{"1", "1", "1"}, []string{"33.34", "33.33", "33.33"}},
		{"0.01", []string{"5", "10"}, []string{"0.00", "0.01"}},
		{"37.50", []string{"0", "0"}, []string{"18.75", "18.75"}},
		{"10.00", []string{"333.33", "666.67"}, []string{"3.33", "6.67"}},
	}
	for _, tt := range tests {
		var ps []money.Money
		for _, p := range tt.principals {
			ps = append(ps, nok(p))
		}
		got, err := Split(nok(tt.fee), ps)
		if err != nil {
			t.Fatal(err)
		}
		var strs []string
		sum := money.Zero("NOK")
		for _, g := range got {
			strs = append(strs, g.String())
			sum = sum.Add(g)
		}
		if strings.Join(strs, ",") != strings.Join(tt.want, ",") || sum.String() != nok(tt.fee).String() {
			t.Errorf("Split(%s, %v) = %v (sum %s), want %v", tt.fee, tt.principals, strs, sum, tt.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(int64(3750), int64(100000), int64(250000), int64(1))
	f.Fuzz(func(t *testing.T, fee, a, b, c int64) {
		m := func(x int64) money.Money {
			if x < 0 {
				x = -x
			}
			return money.FromDecimal(decimalFromOre(x%1_000_000_000_00), "NOK")
		}
		parts, err := Split(m(fee), []money.Money{m(a), m(b), m(c)})
		if err != nil {
			t.Fatal(err)
		}
		sum := money.Zero("NOK")
		for _, p := range parts {
			if p.Amount.IsNegative() {
				t.Fatalf("negative part %s", p)
			}
			sum = sum.Add(p)
		}
		if sum.Cmp(m(fee)) != 0 {
			t.Fatalf("parts %v sum to %s, not %s", parts, sum, m(fee))
		}
	})
}

func ptrMoney(m money.Money) *money.Money { return &m }

// TestCeiling: the largest single fee per jurisdiction, which the CEL rule
// of CollectionPolicySpec repeats (NO 20250, SE 450, FI 210).
func TestCeiling(t *testing.T) {
	for _, tc := range []struct {
		j    string
		on   time.Time
		want string
	}{{"NO", on2025, "18900.00"}, {"NO", on2026, "20250.00"}, {"SE", on2026, "450.00"}, {"FI", on2026, "210.00"}} {
		got, err := Ceiling(tc.j, tc.on)
		if err != nil || got.String() != tc.want {
			t.Errorf("Ceiling(%s, %s) = %v, %v; want %s", tc.j, tc.on.Format(time.DateOnly), got, err, tc.want)
		}
	}
	if _, err := Ceiling("DK", on2026); err == nil {
		t.Error("a jurisdiction without tables has a ceiling")
	}
}
