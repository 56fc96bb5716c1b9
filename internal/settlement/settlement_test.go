package settlement

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/csvsafe"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func nok(s string) money.Money { return money.MustParse(s, "NOK") }

func day(s string) civil.Date {
	d, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// pay is a payment entry as a claim's status ledger holds it: the
// allocation (fees, interest, principal, overpaid) is the ledger's.
func pay(date, ref, fees, interest, principal, overpaid string, byCreditor bool) ledger.Entry {
	f, i, p, o := nok(fees), nok(interest), nok(principal), nok(overpaid)
	amt := f.Add(i).Add(p).Add(o)
	e := ledger.Entry{Date: day(date), Kind: ledger.KindPayment, Ref: ref, Amount: amt,
		ToFees: f, ToInterest: i, ToPrincipal: p, Overpaid: o, ReceivedByCreditor: byCreditor}
	e.Agency, e.Creditor = f, i.Add(p)
	return e
}

func fee(date, step, amount string) ledger.Entry {
	return ledger.Entry{Date: day(date), Kind: ledger.KindFee, Ref: step, Amount: nok(amount)}
}

func pct(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// want is one line's hand-computed split.
type want struct {
	commission, kept, vat, advanced, creditor, agency string
}

// The payment used by most cases is the first one of
// controllers/money_integration_test.go: 2,000.00 NOK allocated by the
// ledger to fees 37.50, interest 54.79, principal 1,907.71.
func TestSplitByPricing(t *testing.T) {
	first := pay("2027-10-20", "bank-1", "37.50", "54.79", "1907.71", "0", false)
	cases := []struct {
		name    string
		pricing Pricing
		entries []ledger.Entry
		lines   []want
		payout  string
	}{{
		// No pricing: principal and interest to the creditor, fees to the agency.
		name: "default", entries: []ledger.Entry{first},
		lines:  []want{{"0.00", "0.00", "0.00", "0.00", "1962.50", "37.50"}},
		payout: "1962.50",
	}, {
		// Seed 003: the agency keeps the late interest; the creditor bears
		// 25 % VAT on the collection costs: 0.25 x 37.50 = 9.375 -> 9.38
		// (half away from zero). Agency 37.50 + 54.79 + 9.38 = 101.67;
		// creditor 1,907.71 + 54.79 - 54.79 - 9.38 = 1,898.33.
		name:    "seed 003: agency keeps interest, VAT on fees",
		pricing: Pricing{AgencyKeepsInterest: true, VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}},
		entries: []ledger.Entry{first},
		lines:   []want{{"0.00", "54.79", "9.38", "0.00", "1898.33", "101.67"}},
		payout:  "1898.33",
	}, {
		// Seed 004: 8 % no-cure-no-pay commission on collected principal:
		// 0.08 x 1,907.71 = 152.6168 -> 152.62; VAT 25 % on fees and
		// commission: 0.25 x (37.50 + 152.62) = 47.53. Agency 37.50 +
		// 152.62 + 47.53 = 237.65; creditor 1,907.71 + 54.79 - 152.62 -
		// 47.53 = 1,762.35.
		name: "seed 004: commission and VAT",
		pricing: Pricing{CommissionPercent: pct("8"), Basis: CollectedPrincipal,
			VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}},
		entries: []ledger.Entry{first},
		lines:   []want{{"152.62", "0.00", "47.53", "0.00", "1762.35", "237.65"}},
		payout:  "1762.35",
	}, {
		// Commission on principal and interest: 0.10 x (1,907.71 + 54.79)
		// = 196.25. Creditor 1,962.50 - 196.25 = 1,766.25.
		name:    "commission on principal and interest",
		pricing: Pricing{CommissionPercent: pct("10"), Basis: CollectedPrincipalAndInterest},
		entries: []ledger.Entry{first},
		lines:   []want{{"196.25", "0.00", "0.00", "0.00", "1766.25", "233.75"}},
		payout:  "1766.25",
	}, {
		// The agency keeps the interest, so commission on "principal and
		// interest" counts only the principal: 0.10 x 1,907.71 = 190.771
		// -> 190.77.
		name:    "commission never on interest the agency keeps",
		pricing: Pricing{AgencyKeepsInterest: true, CommissionPercent: pct("10"), Basis: CollectedPrincipalAndInterest},
		entries: []ledger.Entry{first},
		lines:   []want{{"190.77", "54.79", "0.00", "0.00", "1716.94", "283.06"}},
		payout:  "1716.94",
	}, {
		// A court fee of 1,314.00 the agency advanced is repaid first out
		// of the fee part. Payment 1 pays 1,000 of fees: all of it repays
		// the court fee, no VAT (an outlay is no supply). Payment 2 pays
		// 351.50 of fees: the last 314.00 of the court fee, then 37.50 of
		// the collection fee, VAT 0.25 x 37.50 = 9.38.
		name:    "advanced court fee recovered first",
		pricing: Pricing{AdvancedSteps: map[string]bool{"court": true}, VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}},
		entries: []ledger.Entry{
			fee("2027-10-14", "collection-notice", "37.50"),
			fee("2027-12-01", "court", "1314.00"),
			pay("2027-12-10", "p1", "1000.00", "0", "0", "0", false),
			pay("2027-12-20", "p2", "351.50", "100.00", "548.50", "0", false),
		},
		lines: []want{
			{"0.00", "0.00", "0.00", "1000.00", "0.00", "1000.00"},
			// creditor 548.50 + 100.00 - 9.38 = 639.12; agency 351.50 + 9.38 = 360.88
			{"0.00", "0.00", "9.38", "314.00", "639.12", "360.88"},
		},
		payout: "639.12",
	}, {
		// The same court fee borne by the creditor (seed 004: "except a
		// court fee if it goes legal"): charged to it when booked, on
		// 12-01 (creditor -1,314.00); the debtor's repayments of it go back
		// to the creditor: payment 1 gives the creditor 1,000.00, payment
		// 2 gives it 548.50 + 100.00 - 9.38 + 314.00 = 953.12 and the
		// agency 351.50 + 9.38 - 314.00 = 46.88. Payout -1,314.00 +
		// 1,000.00 + 953.12 = 639.12: once the fee is repaid, the same as
		// when the agency bore it.
		name: "advanced court fee borne by the creditor",
		pricing: Pricing{AdvancedSteps: map[string]bool{"court": true}, CreditorBearsAdvanced: true,
			VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}},
		entries: []ledger.Entry{
			fee("2027-10-14", "collection-notice", "37.50"),
			fee("2027-12-01", "court", "1314.00"),
			pay("2027-12-10", "p1", "1000.00", "0", "0", "0", false),
			pay("2027-12-20", "p2", "351.50", "100.00", "548.50", "0", false),
		},
		lines: []want{
			{"0.00", "0.00", "0.00", "0.00", "-1314.00", "1314.00"},
			{"0.00", "0.00", "0.00", "1000.00", "1000.00", "0.00"},
			{"0.00", "0.00", "9.38", "314.00", "953.12", "46.88"},
		},
		payout: "639.12",
	}, {
		// The debtor paid the creditor 500.00 directly (principal first).
		// The creditor holds it and owes the agency 8 % commission, 40.00,
		// plus 25 % VAT on it, 10.00: the payout is -50.00.
		name: "paid to the creditor",
		pricing: Pricing{CommissionPercent: pct("8"), Basis: CollectedPrincipal,
			VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}},
		entries: []ledger.Entry{pay("2027-10-20", "direct", "0", "0", "500.00", "0", true)},
		lines:   []want{{"40.00", "0.00", "10.00", "0.00", "450.00", "50.00"}},
		payout:  "-50.00",
	}, {
		// 3,000 paid on 2,500 owed: the 500 over-paid belong to the debtor,
		// neither party's share, and stay out of the payout.
		name:    "over-paid",
		entries: []ledger.Entry{pay("2027-10-20", "big", "100.00", "0", "2400.00", "500.00", false)},
		lines:   []want{{"0.00", "0.00", "0.00", "0.00", "2400.00", "100.00"}},
		payout:  "2400.00",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compute(Input{Currency: "NOK", From: day("2027-10-01"), To: day("2027-12-31"), Pricing: tc.pricing,
				Claims: []Claim{{Name: "c", InvoiceNumber: "1", Currency: "NOK", Entries: tc.entries}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Lines) != len(tc.lines) {
				t.Fatalf("%d lines, want %d", len(r.Lines), len(tc.lines))
			}
			for i, w := range tc.lines {
				l := r.Lines[i]
				got := want{l.Commission.String(), l.KeptInterest.String(), l.VAT.String(), l.AdvancedFees.String(), l.Creditor.String(), l.Agency.String()}
				if got != w {
					t.Errorf("line %d: %+v, want %+v", i, got, w)
				}
				// Every payment adds up: creditor + agency + over-paid = amount.
				if s := l.Creditor.Add(l.Agency).Add(l.Overpaid); l.Kind == KindPayment && s.Cmp(l.Amount) != 0 {
					t.Errorf("line %d: creditor + agency + overpaid = %s, amount %s", i, s, l.Amount)
				}
			}
			if r.Totals.Payout.String() != tc.payout {
				t.Errorf("payout %s, want %s", r.Totals.Payout, tc.payout)
			}
		})
	}
}

func TestWhichPaymentsAreSettled(t *testing.T) {
	claims := []Claim{
		{Name: "a", Currency: "NOK", Entries: []ledger.Entry{
			pay("2027-08-31", "before-settlement-began", "0", "0", "1.00", "0", false),
			pay("2027-09-15", "late-registered", "0", "0", "2.00", "0", false),
			pay("2027-10-01", "first-day", "0", "0", "4.00", "0", false),
			pay("2027-10-31", "last-day", "0", "0", "8.00", "0", false),
			pay("2027-11-01", "after", "0", "0", "16.00", "0", false),
			pay("2027-10-15", "already-settled", "0", "0", "32.00", "0", false),
		}},
		{Name: "b", Currency: "EUR", Entries: []ledger.Entry{
			{Date: day("2027-10-10"), Kind: ledger.KindPayment, Ref: "eur", Amount: money.MustParse("64.00", "EUR"),
				ToFees: money.Zero("EUR"), ToInterest: money.Zero("EUR"), ToPrincipal: money.MustParse("64.00", "EUR"), Overpaid: money.Zero("EUR")},
		}},
	}
	in := Input{Currency: "NOK", From: day("2027-10-01"), To: day("2027-10-31"), CarryOverFrom: day("2027-09-01"),
		Claims: claims, Settled: map[string]bool{Key("a", "already-settled"): true}}
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range r.Lines {
		s := l.Ref
		if l.CarriedOver {
			s += "(carried over)"
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != "late-registered(carried over) first-day last-day" {
		t.Fatalf("lines %v", got)
	}
	if r.Totals.Collected.String() != "14.00" || r.Remaining != 0 {
		t.Fatalf("collected %s remaining %d, want 2 + 4 + 8 = 14.00 and 0", r.Totals.Collected, r.Remaining)
	}

	in.MaxLines = 2
	r, err = Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Lines) != 2 || r.Remaining != 1 || r.Lines[1].Ref != "first-day" {
		t.Fatalf("capped: %d lines, %d remaining", len(r.Lines), r.Remaining)
	}
}

// Finland raised VAT from 24 % to 25.5 % on 2024-09-01: each line takes the
// rate of its payment's day. A payment before every rate is an error that
// names the field.
func TestVATRateByDate(t *testing.T) {
	p := Pricing{VAT: []VATRate{{From: day("2013-01-01"), Percent: pct("24")}, {From: day("2024-09-01"), Percent: pct("25.5")}}}
	r, err := Compute(Input{Currency: "NOK", From: day("2024-08-01"), To: day("2024-09-30"), Pricing: p,
		Claims: []Claim{{Name: "c", Currency: "NOK", Entries: []ledger.Entry{
			pay("2024-08-31", "old", "100.00", "0", "0", "0", false),
			pay("2024-09-01", "new", "100.00", "0", "0", "0", false),
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines[0].VAT.String() != "24.00" || r.Lines[1].VAT.String() != "25.50" {
		t.Fatalf("VAT %s and %s, want 24.00 and 25.50", r.Lines[0].VAT, r.Lines[1].VAT)
	}
	p.VAT = p.VAT[1:]
	_, err = Compute(Input{Currency: "NOK", From: day("2024-08-01"), To: day("2024-09-30"), Pricing: p,
		Claims: []Claim{{Name: "c", Currency: "NOK", Entries: []ledger.Entry{pay("2024-08-31", "old", "100.00", "0", "0", "0", false)}}}})
	if err == nil || !strings.Contains(err.Error(), "spec.pricing.vat.rates") {
		t.Fatalf("error %v, want one naming spec.pricing.vat.rates", err)
	}
}

// The settlement reads the allocation the ledger made; it never re-derives
// it. A claim replayed by internal/ledger settles exactly its payment
// entries' allocation.
func TestUsesTheLedgersAllocation(t *testing.T) {
	res, err := ledger.Compute(ledger.Input{Currency: "NOK", Amount: nok("1000.00"), DueDate: day("2027-01-01"), AsOf: day("2027-03-01"),
		Events: []ledger.Event{
			{Date: day("2027-01-20"), Kind: ledger.KindFee, Ref: "notice", Amount: nok("70.00")},
			{Date: day("2027-02-01"), Kind: ledger.KindPayment, Ref: "p", Amount: nok("500.00")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compute(Input{Currency: "NOK", From: day("2027-02-01"), To: day("2027-02-28"),
		Claims: []Claim{{Name: "c", Currency: "NOK", Entries: res.Entries}}})
	if err != nil {
		t.Fatal(err)
	}
	// Costs first: 70.00 fees, then 430.00 principal (no interest table).
	if len(r.Lines) != 1 || r.Lines[0].Fees.String() != "70.00" || r.Lines[0].Principal.String() != "430.00" {
		t.Fatalf("lines %+v", r.Lines)
	}
}

func TestStatementCSVDefusesFormulas(t *testing.T) {
	r, err := Compute(Input{Currency: "NOK", From: day("2027-10-01"), To: day("2027-10-31"),
		Claims: []Claim{{Name: "c", InvoiceNumber: "=HYPERLINK(\"http://x\")", Currency: "NOK", Entries: []ledger.Entry{
			pay("2027-10-20", "@SUM(1+1)", "0", "0", "10.00", "0", false)}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := StatementCSV(Rows(r))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{`"'=HYPERLINK(""http://x"")"`, "'@SUM(1+1)", "\nTOTAL,", "\nPAYOUT,,,,,,,,10.00,,,,,,,,,,\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("statement lacks %q:\n%s", want, s)
		}
	}
	// Every record has the header's width, or strict CSV readers refuse
	// the file (encoding/csv: "wrong number of fields").
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Errorf("statement does not read back as 4 records of %d fields: %v\n%s", len(StatementHeader), err, s)
	}
	for in, want := range map[string]string{"-250.00": "-250.00", "-1+2": "'-1+2", "+47": "+47", "\tx": "'\tx", "ok": "ok"} {
		if got := csvsafe.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkCompute1000Claims settles 1,000 claims of three payments each
// (capped at 1,000 lines, as a Settlement is).
func BenchmarkCompute1000Claims(b *testing.B) {
	claims := make([]Claim, 1000)
	for i := range claims {
		claims[i] = Claim{Name: "claim-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)), Currency: "NOK", Entries: []ledger.Entry{
			fee("2027-10-14", "court", "1314.00"),
			pay("2027-10-20", "p1", "37.50", "54.79", "1907.71", "0", false),
			pay("2027-10-21", "p2", "0", "1.00", "99.00", "0", false),
			pay("2027-10-22", "p3", "0", "1.00", "99.00", "0", true),
		}}
	}
	in := Input{Currency: "NOK", From: day("2027-10-01"), To: day("2027-10-31"), MaxLines: 1000, Claims: claims,
		Pricing: Pricing{CommissionPercent: pct("8"), VAT: []VATRate{{From: day("2020-01-01"), Percent: pct("25")}}, AdvancedSteps: map[string]bool{"court": true}}}
	for b.Loop() {
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
}
