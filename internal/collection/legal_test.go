package collection

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/shopspring/decimal"
)

// Issue 19, point 3: the free-cancellation window (seed 004: 10 days) runs
// from the transfer, not from a reminder before it: a kravia claim reminded
// on 2025-03-16 and transferred (collection notice) on 2025-03-29 may be
// withdrawn free through 2025-04-07.
func TestFreeCancellationFromTheTransferNotTheReminder(t *testing.T) {
	p := alone(kraviaPolicy())
	p.FreeCancellationDays = 10
	c := kReminded(p)
	did(c, p, "collection-notice", kNoticeAt, nok("35.00"))
	c.Withdraw = true
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{local(oslo, 2025, 4, 7, 22, 0), "0.00"}, // the transfer's day and nine more
		{local(oslo, 2025, 4, 8, 8, 0), "35.00"},
	} {
		dec := DecideClaim(facts(p, consumer("ola", "NO"), c, tc.at))
		wantMoney(t, "creditor charge on "+tc.at.Format(time.DateOnly), dec.Balance.CreditorCharge, tc.want)
	}
}

// Point 7: a payment plan agreed before the claim is in collection costs
// the debtor nothing; agreed after the transfer, Sweden's 170 SEK.
func TestPlanFeeOnlyOnADebtInCollection(t *testing.T) {
	p := swedenPolicy()
	p.PlanFee = PlanFeeStatutory
	for _, tc := range []struct {
		name        string
		transferred bool
		want        string
	}{{"in the reminder phase", false, "0.00"}, {"in collection", true, "170.00"}} {
		c := newClaim("f-1", "SEK", "5000.00", ymd(2025, 3, 14))
		did(c, p, "reminder", local(stockholm, 2025, 3, 22, 9, 0), sek("0"))
		if tc.transferred {
			did(c, p, "collection-demand", local(stockholm, 2025, 4, 5, 9, 0), sek("180"))
		}
		c.HasPlan = true
		c.Installments = []plan.Installment{{Due: civil.New(2025, 6, 1), Amount: sek("5000.00")}}
		dec := DecideClaim(facts(p, consumer("sven", "SE"), c, local(stockholm, 2025, 4, 10, 10, 0)))
		if dec.State.Plan == nil {
			t.Fatalf("%s: no plan", tc.name)
		}
		wantMoney(t, tc.name+": plan fee", dec.State.Plan.Fee, tc.want)
	}
}

// Point 9: a claim keeps every payment reference it had when it joins its
// debtor's case.
func TestPaymentReferencesKeptOnJoining(t *testing.T) {
	p := kraviaPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	did(a, p, "reminder", kReminderAt, nok("0"))
	a.State.PaymentReference = "1234567890"
	cs := openCase(p, a)
	dec := DecideClaim(ClaimFacts{Claim: a, Debtor: consumer("ola", "NO"), Policy: p, Case: &cs, Now: kNoticeAt.Add(time.Hour),
		Notice: allNotices, TransferGrace: 10 * time.Minute})
	refs := dec.State.PaymentReferences
	if dec.State.PaymentReference == "1234567890" || !slices.Contains(refs, "1234567890") || !slices.Contains(refs, dec.State.PaymentReference) {
		t.Errorf("reference %s, references %v: want the case's and the claim's own", dec.State.PaymentReference, refs)
	}
}

// Point 11: limitation (foreldelsesloven) 3 years after the due date,
// restarted by a written acknowledgement (§ 14) and 10 years after a
// judgment for the creditor (§ 21).
func TestLimitationRestarts(t *testing.T) {
	p := alone(kraviaPolicy())
	now := local(oslo, 2029, 6, 1, 12, 0) // more than 3 years after the due date 2025-03-15
	for _, tc := range []struct {
		name   string
		setup  func(c *Claim)
		barred bool
		why    string
	}{
		{"3 years after due", func(c *Claim) {}, true, "3 years after the due date"},
		{"acknowledged 2027-01-10", func(c *Claim) { c.Acknowledgements = []civil.Date{civil.New(2027, 1, 10)} }, false, ""},
		{"judgment 2026-02-01", func(c *Claim) {
			c.Dispute = &Dispute{RaisedOn: civil.New(2025, 4, 1), Resolution: ResolutionCreditor, JudgmentDate: civil.New(2026, 2, 1)}
		}, false, ""},
	} {
		c := kReminded(p)
		tc.setup(c)
		dec := DecideClaim(facts(p, consumer("ola", "NO"), c, now))
		barred := dec.State.Phase == PhaseTimeBarred
		if barred != tc.barred || (tc.why != "" && !strings.Contains(dec.Ready.Message, tc.why)) {
			t.Errorf("%s: phase %s (%s), want time-barred %v", tc.name, dec.State.Phase, dec.Ready.Message, tc.barred)
		}
	}
	// Ten years after the judgment it is time-barred after all.
	c := kReminded(p)
	c.Dispute = &Dispute{RaisedOn: civil.New(2025, 4, 1), Resolution: ResolutionCreditor, JudgmentDate: civil.New(2026, 2, 1)}
	if dec := DecideClaim(facts(p, consumer("ola", "NO"), c, local(oslo, 2036, 2, 2, 12, 0))); dec.State.Phase != PhaseTimeBarred ||
		!strings.Contains(dec.Ready.Message, "10 years after the judgment") {
		t.Errorf("2036-02-02: phase %s (%s), want time-barred 10 years after the judgment", dec.State.Phase, dec.Ready.Message)
	}
}

// Point 6: a notice's deadline counts from its release to the channel, is
// never shorter than the minimum (Norway: 14 days after the reminders,
// inkassoloven §§ 9-10; Sweden: 8 days for the inkassokrav) and moves to
// the next bank day (Norwegian holidays included).
func TestPayByFromTheRelease(t *testing.T) {
	no, err := calendar.For("NO")
	if err != nil {
		t.Fatal(err)
	}
	se, _ := calendar.For("SE")
	notice := Step{Name: "collection-notice", Phase: PhaseCollection, PaymentDeadlineDays: 14, Fee: fees.Reminder}
	stepAt := local(oslo, 2026, 1, 19, 9, 0) // a Monday
	for _, tc := range []struct {
		name    string
		j       string
		step    Step
		release time.Time
		cal     *calendar.Calendar
		loc     *time.Location
		want    string
	}{
		{"released at the step", "NO", notice, time.Time{}, no, oslo, "2026-02-02"},
		{"held four days by the weekly cap", "NO", notice, stepAt.AddDate(0, 0, 4), no, oslo, "2026-02-06"},
		{"held five days: a Saturday, so Monday", "NO", notice, stepAt.AddDate(0, 0, 5), no, oslo, "2026-02-09"},
		{"a policy asking 10 days still gives 14", "NO", Step{Name: "n", Phase: PhaseCollection, PaymentDeadlineDays: 10}, time.Time{}, no, oslo, "2026-02-02"},
		{"a reminder keeps its own days", "NO", Step{Name: "r", Phase: PhaseReminder, PaymentDeadlineDays: 10}, time.Time{}, no, oslo, "2026-01-29"},
		{"Easter: 14 days land on Good Friday, moved past Easter Monday", "NO", notice, local(oslo, 2026, 3, 20, 9, 0), no, oslo, "2026-04-07"},
		{"SE inkassokrav asking 5 days gives 8", "SE", Step{Name: "krav", Phase: PhaseCollection, PaymentDeadlineDays: 5, Fee: fees.LightSalary},
			local(stockholm, 2026, 1, 19, 9, 0), se, stockholm, "2026-01-27"},
	} {
		got, ok := PayBy(tc.j, tc.step, stepAt, tc.release, tc.loc, tc.cal, 0)
		if tc.release.After(stepAt.AddDate(0, 1, 0)) {
			got, ok = PayBy(tc.j, tc.step, tc.release, time.Time{}, tc.loc, tc.cal, 0)
		}
		if !ok || got.String() != tc.want {
			t.Errorf("%s: pay by %s (%v), want %s", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := PayBy("NO", Step{Name: "sms", Phase: PhaseCollection}, stepAt, time.Time{}, oslo, no, 0); ok {
		t.Error("a step without a deadline got one")
	}
}

// Point 8: the claim's balance has the same interest whether or not fees
// were booked in between: 1,007 NOK at 12 % for 45 days = 1007 x 0.12 x
// 45/365 = 14.898 -> 14.90 (forsinkelsesrenteloven: simple interest on the
// principal).
func TestBalanceInterestIndependentOfFees(t *testing.T) {
	p := alone(kraviaPolicy())
	rate := decimal.RequireFromString("12")
	p.Money.Rate = &rate
	due := civil.New(2026, 1, 1)
	asOf := local(oslo, 2026, 2, 15, 12, 0) // 45 days after the due date
	for _, withFees := range []bool{false, true} {
		c := newClaim("inv-1", "NOK", "1007.00", due)
		if withFees {
			did(c, p, "collection-notice", local(oslo, 2026, 1, 15, 9, 0), nok("37.50"))
			did(c, p, "payment-demand", local(oslo, 2026, 2, 1, 9, 0), nok("245.00"))
		}
		b, err := Balance(c, p, consumer("ola", "NO"), asOf)
		if err != nil {
			t.Fatal(err)
		}
		wantMoney(t, "interest", b.Interest, "14.90")
	}
}

// TestPayByUnderClockSkew: the deadline a notice states counts from the
// latest real moment the clock's reading can stand for. At 09:00 a skew of
// minutes changes nothing; at midnight a clock 2 minutes slow (reading
// 23:59, real 00:01) must not date the count a day early and take a day
// from the debtor; a fast clock only ever gives a day more.
func TestPayByUnderClockSkew(t *testing.T) {
	no, err := calendar.For("NO")
	if err != nil {
		t.Fatal(err)
	}
	step := Step{Name: "collection-notice", Phase: PhaseCollection, PaymentDeadlineDays: 14, Fee: fees.Reminder}
	const allowance = 2 * time.Minute
	for _, tc := range []struct {
		name string
		real time.Time
	}{
		{"a Monday morning", local(oslo, 2026, 1, 19, 9, 0)},
		{"a minute after midnight", local(oslo, 2026, 1, 20, 0, 1)},
		{"a minute before midnight", local(oslo, 2026, 1, 19, 23, 59)},
		{"a Friday night into the weekend", local(oslo, 2026, 1, 23, 23, 59)},
	} {
		// What the debtor is owed: 14 days from the real day, to a bank day.
		owed, _ := PayBy("NO", step, tc.real, time.Time{}, oslo, no, 0)
		for _, skew := range []time.Duration{-allowance, -time.Minute, 0, time.Minute, allowance} {
			got, ok := PayBy("NO", step, tc.real.Add(skew), time.Time{}, oslo, no, allowance)
			if !ok || got.Before(owed) {
				t.Errorf("%s, clock %v off: pay by %s, the debtor is owed %s", tc.name, skew, got, owed)
			}
			if got.After(owed.AddDays(3)) { // a day more, then past a weekend at most
				t.Errorf("%s, clock %v off: pay by %s, far past %s", tc.name, skew, got, owed)
			}
		}
		if tc.real.Hour() == 9 {
			for _, skew := range []time.Duration{-allowance, allowance} {
				if got, _ := PayBy("NO", step, tc.real.Add(skew), time.Time{}, oslo, no, allowance); got != owed {
					t.Errorf("%s, clock %v off: pay by %s, want exactly %s", tc.name, skew, got, owed)
				}
			}
		}
	}
	// Without the allowance the slow clock at midnight does take the day:
	// the case the allowance exists for.
	real := local(oslo, 2026, 1, 20, 0, 1)
	owed, _ := PayBy("NO", step, real, time.Time{}, oslo, no, 0)
	if got, _ := PayBy("NO", step, real.Add(-allowance), time.Time{}, oslo, no, 0); !got.Before(owed) {
		t.Errorf("the unguarded slow clock gave %s, expected a day less than %s", got, owed)
	}
}

// TestDecideClaimUnderClockSkew: with the allowance a claim's due step is
// not taken a minute after its time (a fast clock's reading), the claim
// wakes when the allowance has passed and takes it then.
func TestDecideClaimUnderClockSkew(t *testing.T) {
	p := alone(kraviaPolicy())
	p.Timing.SkewAllowance = 2 * time.Minute
	dec := DecideClaim(facts(p, consumer("ola", "NO"), kReminded(p), kNoticeAt.Add(time.Minute)))
	if dec.Record != nil {
		t.Fatalf("step taken a minute after its time: %+v", *dec.Record)
	}
	if !dec.Wake.Equal(kNoticeAt.Add(2 * time.Minute)) {
		t.Errorf("wake %s, want %s", dec.Wake, kNoticeAt.Add(2*time.Minute))
	}
	dec = DecideClaim(facts(p, consumer("ola", "NO"), kReminded(p), kNoticeAt.Add(2*time.Minute)))
	if dec.Record == nil || dec.Record.Step != "collection-notice" || !dec.Record.DueAt.Equal(kNoticeAt) {
		t.Fatalf("record %+v, want collection-notice due at %s", dec.Record, kNoticeAt)
	}
}
