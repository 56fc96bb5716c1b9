package ledger

import (
	"github.com/shopspring/decimal"

	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func day(s string) civil.Date {
	t, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func nok(s string) money.Money { return money.MustParse(s, "NOK") }

// A claim of 10,000 NOK due 2026-01-31 at 12 %, a notice fee, a light salær
// and two partial payments, worked by hand. Interest is simple interest on
// the principal, accrued between the events that change the principal
// (payments, credit notes) and rounded to the øre there: a fee booking
// changes nothing, so the interest never depends on when fees were booked.
// Interest runs through an event's day (days = event date - due date, as
// forsinkelsesrenteloven counts them), so a payment of the balance shown on
// day X, made on day X, settles it:
//
//	02-01..02-20  20 d x 10,000.00 = 65.75   (fee 37.50 on 02-14) payment 2,000 on 02-20: fees 37.50, interest 65.75, principal 1,896.75
//	02-21..03-15  23 d x  8,103.25 = 61.27   (fee 600.00 on 03-03) payment 3,000 on 03-15: fees 600, interest 61.27, principal 2,338.73
//	03-16..03-31  16 d x  5,764.52 = 30.32
//
// interest 157.34; outstanding 10,000 + 637.50 + 157.34 - 5,000 = 5,794.84.
// (Rounded at each fee booking instead, it was 46.03 + 19.73 = 65.76 for
// the first period, and 157.35 in all.)
func TestHandComputedClaim(t *testing.T) {
	no := interest.Tables["NO"]
	r, err := Compute(Input{
		Currency: "NOK", Amount: nok("10000"), DueDate: day("2026-01-31"), AsOf: day("2026-03-31"), Interest: &no,
		Events: []Event{
			{Date: day("2026-03-15"), Kind: KindPayment, Ref: "p2", Amount: nok("3000")},
			{Date: day("2026-02-14"), Kind: KindFee, Ref: "collection-notice", Amount: nok("37.50")},
			{Date: day("2026-02-20"), Kind: KindPayment, Ref: "p1", Amount: nok("2000")},
			{Date: day("2026-03-03"), Kind: KindFee, Ref: "payment-demand", Amount: nok("600")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  money.Money
		want string
	}{
		{"principal", r.Principal, "10000.00"}, {"fees", r.Fees, "637.50"}, {"interest", r.Interest, "157.34"},
		{"paid", r.Paid, "5000.00"}, {"outstanding", r.Outstanding, "5794.84"}, {"principal due", r.PrincipalDue, "5764.52"},
		{"interest due", r.InterestDue, "30.32"}, {"fees due", r.FeesDue, "0.00"}, {"overpaid", r.Overpaid, "0.00"},
	} {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	var p1 *Entry
	for i := range r.Entries {
		if r.Entries[i].Ref == "p1" {
			p1 = &r.Entries[i]
		}
	}
	if p1 == nil || p1.ToFees.String() != "37.50" || p1.ToInterest.String() != "65.75" || p1.ToPrincipal.String() != "1896.75" ||
		p1.Agency.String() != "37.50" || p1.Creditor.String() != "1962.50" {
		t.Errorf("payment p1 allocation %+v", p1)
	}
	if r.UnconfirmedRate {
		t.Error("1H2026 rate is confirmed")
	}
}

func TestOverpaymentIsReported(t *testing.T) {
	r, err := Compute(Input{Currency: "NOK", Amount: nok("100"), DueDate: day("2026-01-31"), AsOf: day("2026-01-31"),
		Events: []Event{{Date: day("2026-01-20"), Kind: KindPayment, Ref: "p", Amount: nok("120")}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Overpaid.String() != "20.00" || r.Outstanding.String() != "-20.00" || r.PrincipalDue.String() != "0.00" {
		t.Fatalf("overpaid %s outstanding %s principalDue %s", r.Overpaid, r.Outstanding, r.PrincipalDue)
	}
}

func TestPrincipalFirstOrderAndCredits(t *testing.T) {
	r, err := Compute(Input{Currency: "NOK", Amount: nok("1000"), DueDate: day("2026-01-31"), AsOf: day("2026-02-28"), Order: PrincipalInterestCosts,
		Events: []Event{
			{Date: day("2026-02-01"), Kind: KindFee, Ref: "f", Amount: nok("35")},
			{Date: day("2026-02-02"), Kind: KindCredit, Ref: "cn", Amount: nok("1200")}, // more than the principal
			{Date: day("2026-02-03"), Kind: KindPayment, Ref: "p", Amount: nok("10")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Principal.String() != "0.00" || r.FeesDue.String() != "25.00" || r.Outstanding.String() != "25.00" {
		t.Fatalf("principal %s feesDue %s outstanding %s", r.Principal, r.FeesDue, r.Outstanding)
	}
}

func TestFutureDatedEventsWait(t *testing.T) {
	r, err := Compute(Input{Currency: "NOK", Amount: nok("100"), DueDate: day("2026-01-31"), AsOf: day("2026-02-10"),
		Events: []Event{{Date: day("2026-02-11"), Kind: KindPayment, Ref: "tomorrow", Amount: nok("100")}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Paid.String() != "0.00" || len(r.Pending) != 1 || r.Outstanding.String() != "100.00" {
		t.Fatalf("paid %s pending %d outstanding %s: a payment dated tomorrow counted today", r.Paid, len(r.Pending), r.Outstanding)
	}
}

func TestPaymentToTheCreditorSettlesPrincipalFirst(t *testing.T) {
	r, err := Compute(Input{Currency: "NOK", Amount: nok("1000"), DueDate: day("2026-01-31"), AsOf: day("2026-02-10"),
		Events: []Event{
			{Date: day("2026-02-01"), Kind: KindFee, Ref: "notice", Amount: nok("37.50")},
			{Date: day("2026-02-02"), Kind: KindPayment, Ref: "direct", Amount: nok("1000"), ReceivedByCreditor: true},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PrincipalDue.String() != "0.00" || r.FeesDue.String() != "37.50" {
		t.Fatalf("principal due %s, fees due %s: the creditor's money must settle the principal", r.PrincipalDue, r.FeesDue)
	}
	charged := r
	if c := charged.ChargeCreditor(day("2026-02-10"), false); c.String() != "37.50" || charged.Entries[len(charged.Entries)-1].Kind != KindCreditorCharge {
		t.Fatalf("creditor charge %s", c)
	}
	if c := r.ChargeCreditor(day("2026-02-10"), true); c.String() != "0.00" {
		t.Fatalf("inside the free window the creditor was charged %s", c)
	}
}

func TestBadEvents(t *testing.T) {
	if _, err := Compute(Input{Currency: "NOK", Amount: nok("1"), DueDate: day("2026-01-01"), AsOf: day("2026-01-01"),
		Events: []Event{{Date: day("2026-01-01"), Kind: KindPayment, Amount: money.MustParse("1", "SEK")}}}); err == nil {
		t.Error("a SEK payment on a NOK claim was accepted")
	}
}

// FuzzAllocation: for any amounts, the parts of every payment sum exactly to
// it, nothing due goes negative, and the balance identity holds.
func FuzzAllocation(f *testing.F) {
	f.Add(int64(100000), int64(3750), int64(50000), int64(70000), int64(500), uint8(10), uint8(40), false)
	f.Add(int64(1), int64(0), int64(0), int64(5), int64(2), uint8(0), uint8(0), true)
	f.Fuzz(func(t *testing.T, amount, fee, pay1, pay2, credit int64, d1, d2 uint8, principalFirst bool) {
		abs := func(x int64) int64 {
			if x < 0 {
				x = -x
			}
			return x % 1_000_000_000
		}
		m := func(x int64) money.Money { return money.FromDecimal(decimalOf(abs(x)), "NOK") }
		order := CostsInterestPrincipal
		if principalFirst {
			order = PrincipalInterestCosts
		}
		no := interest.Tables["NO"]
		due := day("2026-01-31")
		r, err := Compute(Input{Currency: "NOK", Amount: m(amount), DueDate: due, AsOf: due.AddDays(120), Interest: &no, Order: order,
			Events: []Event{
				{Date: due.AddDays(int(d1 % 60)), Kind: KindFee, Amount: m(fee)},
				{Date: due.AddDays(int(d2 % 90)), Kind: KindPayment, Ref: "a", Amount: m(pay1)},
				{Date: due.AddDays(int(d1%90) + 1), Kind: KindPayment, Ref: "b", Amount: m(pay2)},
				{Date: due.AddDays(int(d2 % 30)), Kind: KindCredit, Amount: m(credit)},
			}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Entries {
			if e.Kind == KindPayment && e.ToFees.Add(e.ToInterest).Add(e.ToPrincipal).Add(e.Overpaid).Cmp(e.Amount) != 0 {
				t.Fatalf("payment %s parts do not sum: %+v", e.Ref, e)
			}
			for _, x := range []money.Money{e.ToFees, e.ToInterest, e.ToPrincipal, e.Overpaid} {
				if x.Amount.IsNegative() {
					t.Fatalf("negative allocation in %+v", e)
				}
			}
		}
		for _, x := range []money.Money{r.PrincipalDue, r.FeesDue, r.InterestDue, r.Overpaid, r.Interest, r.Principal} {
			if x.Amount.IsNegative() {
				t.Fatalf("negative balance part: %+v", r)
			}
		}
		due2 := r.PrincipalDue.Add(r.FeesDue).Add(r.InterestDue).Sub(r.Overpaid)
		if due2.Cmp(r.Outstanding) != 0 {
			t.Fatalf("outstanding %s != parts due %s - overpaid", r.Outstanding, due2)
		}
	})
}

// Issue 19's figure: 1,007 NOK at 12 % for 45 days is 1007 x 0.12 x 45/365 =
// 14.898 -> 14.90, with or without fees booked in between.
func TestInterestIndependentOfFeeBookings(t *testing.T) {
	rate := decimal.RequireFromString("12")
	for _, events := range [][]Event{
		nil,
		{{Date: day("2026-01-15"), Kind: KindFee, Ref: "notice", Amount: nok("37.50")},
			{Date: day("2026-02-01"), Kind: KindFee, Ref: "demand", Amount: nok("280")}},
	} {
		no := interest.Tables["NO"]
		r, err := Compute(Input{Currency: "NOK", Amount: nok("1007"), DueDate: day("2026-01-01"), AsOf: day("2026-02-15"),
			Interest: &no, Rate: &rate, Events: events})
		if err != nil {
			t.Fatal(err)
		}
		if r.Interest.String() != "14.90" {
			t.Errorf("with %d fee bookings: interest %s, want 14.90", len(events), r.Interest)
		}
	}
}

// A credit note counts the same before or after the payment it meets: the
// invoice is taken down either way, and what it cancels of principal
// already paid goes to the debtor as Overpaid (to be refunded), never kept
// silently.
func TestCreditAfterPaymentIsReportedLikeBefore(t *testing.T) {
	for _, tc := range []struct{ credit, principal, overpaid string }{
		{"1000", "0.00", "1000.00"}, {"400", "600.00", "400.00"}, {"1500", "0.00", "1000.00"},
	} {
		run := func(creditFirst bool) Result {
			credit, pay := day("2026-02-01"), day("2026-02-02")
			if !creditFirst {
				credit, pay = pay, credit
			}
			r, err := Compute(Input{Currency: "NOK", Amount: nok("1000"), DueDate: day("2026-01-31"), AsOf: day("2026-02-28"),
				Events: []Event{
					{Date: credit, Kind: KindCredit, Ref: "cn", Amount: nok(tc.credit)},
					{Date: pay, Kind: KindPayment, Ref: "p", Amount: nok("1000")},
				}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, creditFirst := range []bool{true, false} {
			r := run(creditFirst)
			if r.Principal.String() != tc.principal || r.Overpaid.String() != tc.overpaid || r.Outstanding.String() != "-"+tc.overpaid {
				t.Errorf("credit %s, credit first %v: principal %s overpaid %s outstanding %s; want principal %s, overpaid %s, outstanding -%s",
					tc.credit, creditFirst, r.Principal, r.Overpaid, r.Outstanding, tc.principal, tc.overpaid, tc.overpaid)
			}
		}
	}
	// With a fee still due (paid principal first), the cancelled principal
	// pays it before anything goes back: 1000 paid, 35 fee, credit 1000.
	r, err := Compute(Input{Currency: "NOK", Amount: nok("1000"), DueDate: day("2026-01-31"), AsOf: day("2026-02-28"), Order: PrincipalInterestCosts,
		Events: []Event{
			{Date: day("2026-02-01"), Kind: KindFee, Ref: "f", Amount: nok("35")},
			{Date: day("2026-02-02"), Kind: KindPayment, Ref: "p", Amount: nok("1000")},
			{Date: day("2026-02-03"), Kind: KindCredit, Ref: "cn", Amount: nok("1000")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.FeesDue.String() != "0.00" || r.Overpaid.String() != "965.00" || r.Outstanding.String() != "-965.00" {
		t.Errorf("fees due %s overpaid %s outstanding %s; want 0.00, 965.00, -965.00", r.FeesDue, r.Overpaid, r.Outstanding)
	}
}
