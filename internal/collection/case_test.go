package collection

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
)

func casesFor(p *Policy, d *Debtor, now time.Time, claims ...*Claim) CaseFacts {
	w := newWorld(p, d, now, claims...)
	return w.caseFacts()
}

func namesOf(cs []*Claim) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func wantShares(t *testing.T, rec CaseStep, want ...string) {
	t.Helper()
	if len(rec.Shares) != len(want) {
		t.Fatalf("shares %v, want %v", rec.Shares, want)
	}
	sum := money.Zero(rec.Fee.Currency)
	for i := range want {
		if rec.Shares[i].String() != want[i] {
			t.Errorf("shares %v, want %v", rec.Shares, want)
			break
		}
		sum = sum.Add(rec.Shares[i])
	}
	if sum.Cmp(rec.Fee) != 0 {
		t.Errorf("shares sum %s, the record's fee %s", sum, rec.Fee)
	}
}

// kravia, ola: inv-a 1,000 NOK and inv-b 3,000 NOK, both due 2025-03-15 and reminded.
func twoReminded(p *Policy) (*Claim, *Claim) {
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	b := newClaim("inv-b", "NOK", "3000.00", kDue)
	did(a, p, "reminder", kReminderAt, nok("0"))
	did(b, p, "reminder", kReminderAt, nok("0"))
	return a, b
}

// Claims due together open one case, which records its first step for all
// of them at once: one collection-notice fee (35 NOK) split by principal.
func TestDecideCasesOpensWithClaimsDueTogether(t *testing.T) {
	p := kraviaPolicy()
	a, b := twoReminded(p)
	now := kNoticeAt.Add(30 * time.Second)
	dec := DecideCases(casesFor(p, consumer("ola", "NO"), now, b, a))
	if dec.Stalled != nil {
		t.Fatal(dec.Stalled)
	}
	if len(dec.Cases) != 1 {
		t.Fatalf("cases %+v", dec.Cases)
	}
	c := dec.Cases[0]
	if c.ID != CaseID("ola", "inv-a") || c.Policy != "kravia-11" || c.Currency != "NOK" || c.DueDate != kDue {
		t.Errorf("case %+v", c)
	}
	wantTime(t, "OpenedAt", c.OpenedAt, now.Truncate(time.Second))
	if !slices.Equal(c.Claims, []string{"inv-a", "inv-b"}) {
		t.Errorf("claims %v", c.Claims)
	}
	if !dec.Recorded || len(c.History) != 1 || c.Step != "collection-notice" {
		t.Fatalf("recorded %v history %+v", dec.Recorded, c.History)
	}
	rec := c.History[0]
	if rec.Step != "collection-notice" || rec.FeeKind != fees.Reminder || !slices.Equal(rec.Claims, []string{"inv-a", "inv-b"}) {
		t.Errorf("record %+v", rec)
	}
	wantMoney(t, "case fee", rec.Fee, "35.00")
	wantShares(t, rec, "8.75", "26.25")
	wantTime(t, "record DueAt", rec.DueAt, kNoticeAt)
	if c.NextStep != "payment-demand" {
		t.Errorf("next %s", c.NextStep)
	}
	wantTime(t, "NextStepAt", c.NextStepAt, kDemandAt)
	if len(dec.Work) != 1 {
		t.Fatalf("work %+v", dec.Work)
	}
	wk := dec.Work[0]
	if wk.Step.Name != "collection-notice" || wk.Record.Step != "collection-notice" || !slices.Equal(namesOf(wk.Members), []string{"inv-a", "inv-b"}) {
		t.Errorf("work %+v", wk)
	}
	if len(wk.Balances) != 2 || wk.Balances[0].Fees.String() != "8.75" || wk.Balances[1].Fees.String() != "26.25" {
		t.Errorf("work balances %+v", wk.Balances)
	}
	if pv := dec.Previews["inv-b"]; pv == nil || !pv.HasStep("collection-notice") || dec.Balances["inv-b"].Fees.String() != "26.25" {
		t.Errorf("preview of inv-b %+v", pv)
	}
	if len(dec.Events) != 1 || dec.Events[0].Reason != "CaseOpened" {
		t.Errorf("events %+v", dec.Events)
	}
	if len(dec.Observe) != 1 || dec.Observe[0].Step != "collection-notice" {
		t.Errorf("observe %+v", dec.Observe)
	}
	if a.HasStep("collection-notice") || b.HasStep("collection-notice") {
		t.Errorf("DecideCases wrote into a claim")
	}

	// Each claim takes its own entry, and the case waits for its next step.
	for _, cl := range []*Claim{a, b} {
		f := facts(p, consumer("ola", "NO"), cl, now.Add(time.Second))
		f.Case, f.Notice = &c, allNotices
		d := DecideClaim(f)
		applyDecision(cl, d)
	}
	wantMoney(t, "inv-a fees", feeSum(a), "8.75")
	wantMoney(t, "inv-b fees", feeSum(b), "26.25")
	if a.State.CaseID != c.ID || b.State.CaseID != c.ID || a.State.PaymentReference != b.State.PaymentReference {
		t.Errorf("case id %s / %s, references %s / %s", a.State.CaseID, b.State.CaseID, a.State.PaymentReference, b.State.PaymentReference)
	}
	f := casesFor(p, consumer("ola", "NO"), now.Add(time.Minute), a, b)
	f.Cases = dec.Cases
	next := DecideCases(f)
	if next.Recorded || len(next.Work) != 0 || len(next.Cases) != 1 || len(next.Cases[0].History) != 1 {
		t.Errorf("recorded %v work %+v cases %+v", next.Recorded, next.Work, next.Cases)
	}
	wantTime(t, "wake", next.Wake, kDemandAt)
}

// One case per currency: claims in different currencies are never summed.
func TestDecideCasesOnePerCurrency(t *testing.T) {
	d := consumer("ola", "NO")
	now := kNoticeAt.Add(time.Minute)
	t.Run("Norwegian fee tables have no EUR fees", func(t *testing.T) {
		p := kraviaPolicy()
		n := newClaim("inv-n", "NOK", "1000.00", kDue)
		e := newClaim("inv-e", "EUR", "100.00", kDue)
		did(n, p, "reminder", kReminderAt, nok("0"))
		did(e, p, "reminder", kReminderAt, eur("0"))
		dec := DecideCases(casesFor(p, d, now, n, e))
		if len(dec.Cases) != 2 || dec.Cases[0].Currency != "EUR" || dec.Cases[1].Currency != "NOK" {
			t.Fatalf("cases %+v", dec.Cases)
		}
		if !slices.Equal(dec.Cases[0].Claims, []string{"inv-e"}) || !slices.Equal(dec.Cases[1].Claims, []string{"inv-n"}) {
			t.Errorf("claims %v / %v", dec.Cases[0].Claims, dec.Cases[1].Claims)
		}
		if dec.Cases[0].ID == dec.Cases[1].ID {
			t.Errorf("one id for both cases")
		}
		// The NOK case records its step; the EUR one cannot price it in NOK tables.
		if !dec.Recorded || len(dec.Cases[1].History) != 1 {
			t.Errorf("NOK case not recorded: %+v", dec.Cases[1])
		}
		wantMoney(t, "NOK fee", dec.Cases[1].History[0].Fee, "35.00")
		if dec.Stalled == nil || dec.Stalled.Reason != "FeeUnavailable" || !strings.Contains(dec.Stalled.Message, "EUR") {
			t.Errorf("stalled %+v, want FeeUnavailable naming EUR", dec.Stalled)
		}
		if len(dec.Cases[0].History) != 0 {
			t.Errorf("EUR case recorded %+v", dec.Cases[0].History)
		}
	})
	t.Run("fixed fees in each claim's currency", func(t *testing.T) {
		p := newPolicy("fixed", "NO", oslo, 14, 14,
			stepDef{name: "reminder", phase: PhaseReminder, after: 1, channels: letter},
			stepDef{name: "notice", phase: PhaseCollection, after: 14, channels: letter, fee: "10.00"},
			stepDef{name: "demand", phase: PhaseCollection, after: 28, gap: 14, channels: letter, fee: "20.00"},
		)
		w := newWorld(p, d, kReminderAt.Add(time.Minute),
			newClaim("inv-n", "NOK", "1000.00", kDue), newClaim("inv-e", "EUR", "100.00", kDue), newClaim("inv-e2", "EUR", "300.00", kDue))
		w.run(t, local(oslo, 2025, 5, 1, 12, 0), func() {
			if w.lastCases.Stalled != nil {
				t.Fatalf("%s: %v", w.now, w.lastCases.Stalled)
			}
			for _, c := range w.cases {
				for _, h := range c.History {
					if h.Fee.Currency != c.Currency {
						t.Fatalf("case %s in %s records a fee in %s", c.ID, c.Currency, h.Fee.Currency)
					}
				}
			}
		})
		wantMoney(t, "inv-n fees", feeSum(w.claim("inv-n")), "30.00")
		// 10 + 20 EUR split 100:300 between the EUR claims.
		wantMoney(t, "inv-e fees", feeSum(w.claim("inv-e")), "7.50")
		wantMoney(t, "inv-e2 fees", feeSum(w.claim("inv-e2")), "22.50")
		if w.claim("inv-e").State.CaseID != w.claim("inv-e2").State.CaseID || w.claim("inv-e").State.CaseID == w.claim("inv-n").State.CaseID {
			t.Errorf("case ids %s %s %s", w.claim("inv-n").State.CaseID, w.claim("inv-e").State.CaseID, w.claim("inv-e2").State.CaseID)
		}
	})
}

// No case before a claim's transfer is due; the debtor wakes for it.
func TestDecideCasesWaitsForTransfer(t *testing.T) {
	p := kraviaPolicy()
	a, _ := twoReminded(p)
	dec := DecideCases(casesFor(p, consumer("ola", "NO"), kReminderAt.Add(time.Hour), a))
	if len(dec.Cases) != 0 || dec.Recorded {
		t.Fatalf("cases %+v", dec.Cases)
	}
	wantTime(t, "wake", dec.Wake, kNoticeAt)

	// Automatic collection off: no timer.
	c := newClaim("inv-x", "NOK", "1000.00", kDue)
	c.AutoCollection = false
	dec = DecideCases(casesFor(p, consumer("ola", "NO"), kNoticeAt.Add(time.Hour), c))
	if len(dec.Cases) != 0 || !dec.Wake.IsZero() {
		t.Errorf("cases %+v wake %v", dec.Cases, dec.Wake)
	}

	// A debtor abroad: forwarded by the claim itself, never a case.
	dec = DecideCases(casesFor(p, consumer("sven", "SE"), kNoticeAt.Add(time.Hour), a))
	if len(dec.Cases) != 0 {
		t.Errorf("cases %+v", dec.Cases)
	}

	// A policy that does not consolidate opens none.
	dec = DecideCases(casesFor(alone(kraviaPolicy()), consumer("ola", "NO"), kNoticeAt.Add(time.Hour), a))
	if len(dec.Cases) != 0 {
		t.Errorf("cases %+v", dec.Cases)
	}
}

// openCase is a kravia case of inv-a whose collection notice was recorded and taken.
func openCase(p *Policy, a *Claim) Case {
	c := Case{ID: CaseID("ola", a.Name), Policy: p.Name, Currency: "NOK", DueDate: kDue, Claims: []string{a.Name}, OpenedAt: kNoticeAt,
		History: []CaseStep{{Step: "collection-notice", Time: kNoticeAt, DueAt: kNoticeAt.UTC(), Claims: []string{a.Name},
			Shares: []money.Money{nok("35.00")}, Fee: nok("35.00"), FeeKind: fees.Reminder}},
		Step: "collection-notice", NextStep: "payment-demand", NextStepAt: kDemandAt.UTC()}
	a.State.CaseID = c.ID
	did(a, p, "collection-notice", kNoticeAt, nok("35.00"))
	return c
}

// A claim joins the open case only at the case's next step, when its own
// next step is that step and due: one behind (its collection notice still
// to come) is collected alone and never skips a step the law requires
// (inkassoloven §§ 9-10).
func TestDecideCasesJoiningClaim(t *testing.T) {
	p := kraviaPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	did(a, p, "reminder", kReminderAt, nok("0"))
	cs := openCase(p, a)
	// inv-b, due a week later, is behind: its own collection notice is due 2025-04-05.
	b := newClaim("inv-b", "NOK", "3000.00", ymd(2025, 3, 22))
	did(b, p, "reminder", local(oslo, 2025, 3, 23, 9, 0), nok("0"))
	f := casesFor(p, consumer("ola", "NO"), local(oslo, 2025, 4, 5, 9, 1), a, b)
	f.Cases = []Case{cs}
	if dec := DecideCases(f); !slices.Equal(dec.Cases[0].Claims, []string{"inv-a"}) {
		t.Errorf("a claim behind the case was taken in: %v", dec.Cases[0].Claims)
	}
	// inv-c had its own collection notice a day after the case's; its
	// deadline (14 days) runs out before the case's payment demand, so it
	// joins the case at once, and the demand covers it.
	c := newClaim("inv-c", "NOK", "2000.00", kDue)
	did(c, p, "reminder", kReminderAt, nok("0"))
	did(c, p, "collection-notice", kNoticeAt.AddDate(0, 0, 1), nok("35.00"))
	f = casesFor(p, consumer("ola", "NO"), kDemandAt.Add(-time.Hour), a, c)
	f.Cases = []Case{cs}
	dec := DecideCases(f)
	if !slices.Equal(dec.Cases[0].Claims, []string{"inv-a", "inv-c"}) || dec.Recorded {
		t.Errorf("claims %v, recorded %v: want inv-c taken in, no step before the case's demand is due", dec.Cases[0].Claims, dec.Recorded)
	}
	wantTime(t, "wake at the case's demand", dec.Wake, kDemandAt)
	// Had its notice been a week later, its deadline would still run at the
	// case's demand: it stays alone.
	late := newClaim("inv-d", "NOK", "2000.00", kDue)
	did(late, p, "reminder", kReminderAt, nok("0"))
	did(late, p, "collection-notice", kNoticeAt.AddDate(0, 0, 7), nok("35.00"))
	if MayJoin(p, late, "payment-demand", kDemandAt) {
		t.Errorf("inv-d may join the payment demand %v although its notice's deadline runs to %v", kDemandAt, kNoticeAt.AddDate(0, 0, 21))
	}
	f.Now = kDemandAt.Add(time.Minute)
	dec = DecideCases(f)
	if len(dec.Cases) != 1 || !slices.Equal(dec.Cases[0].Claims, []string{"inv-a", "inv-c"}) {
		t.Fatalf("cases %+v", dec.Cases)
	}
	if rec := dec.Cases[0].History[len(dec.Cases[0].History)-1]; !dec.Recorded || rec.Step != "payment-demand" || !slices.Equal(rec.Claims, []string{"inv-a", "inv-c"}) {
		t.Errorf("recorded %v %+v: want the payment demand for both", dec.Recorded, rec)
	}

	// A claim flagged awaitingCase whose next step is the case's joins at once.
	c.State.AwaitingCase = true
	f.Now = kDemandAt.Add(-2 * time.Hour)
	if dec := DecideCases(f); !slices.Contains(dec.Cases[0].Claims, "inv-c") {
		t.Errorf("awaiting claim not taken in: %v", dec.Cases[0].Claims)
	}

	// A claim under another policy is not taken in.
	c.State.AwaitingCase = false
	f.Now = kDemandAt.Add(time.Minute)
	other := alone(collectorsPolicy())
	f.PolicyOf = func(x *Claim) (*Policy, *Problem) {
		if x.Name == "inv-c" {
			return other, nil
		}
		return p, nil
	}
	if dec := DecideCases(f); slices.Contains(dec.Cases[0].Claims, "inv-c") {
		t.Errorf("claim of another policy taken in: %v", dec.Cases[0].Claims)
	}
}

// The case records its next step only once every member took the last one.
func TestDecideCasesLagging(t *testing.T) {
	p := kraviaPolicy()
	a, b := twoReminded(p)
	cs := openCase(p, a)
	cs.Claims = []string{"inv-a", "inv-b"}
	cs.History[0].Claims = []string{"inv-a", "inv-b"}
	cs.History[0].Shares = []money.Money{nok("8.75"), nok("26.25")}
	f := casesFor(p, consumer("ola", "NO"), kDemandAt.Add(time.Hour), a, b) // inv-b has not taken the notice
	f.Cases = []Case{cs}
	dec := DecideCases(f)
	if dec.Recorded || len(dec.Cases[0].History) != 1 {
		t.Fatalf("recorded the next step while inv-b lags: %+v", dec.Cases[0].History)
	}
	if len(dec.Work) != 1 || dec.Work[0].Record.Step != "collection-notice" || len(dec.Work[0].Members) != 2 {
		t.Errorf("work %+v, want the lagging step's notices", dec.Work)
	}
	if !dec.Wake.IsZero() {
		t.Errorf("wake %v while lagging: the members bring the debtor back", dec.Wake)
	}
	// Once taken, the payment demand is recorded.
	did(b, p, "collection-notice", kNoticeAt, nok("26.25"))
	a.State.History[len(a.State.History)-1].Fee = nok("8.75")
	dec = DecideCases(f)
	if !dec.Recorded || dec.Cases[0].Step != "payment-demand" {
		t.Fatalf("not recorded: %+v", dec.Cases[0])
	}
	rec := dec.Cases[0].History[1]
	// Light salær on the case's principal 4,000 (band <= 10,000): 0.80 x 700 = 560, split 1:3.
	wantMoney(t, "case fee", rec.Fee, "560.00")
	wantShares(t, rec, "140.00", "420.00")
}

// A member whose notice failed with no fallback holds the case's next step.
func TestDecideCasesUndeliveredHolds(t *testing.T) {
	p := kraviaPolicy()
	a, b := twoReminded(p)
	cs := openCase(p, a)
	cs.Claims = []string{"inv-a", "inv-b"}
	cs.History[0].Claims = []string{"inv-a", "inv-b"}
	cs.History[0].Shares = []money.Money{nok("8.75"), nok("26.25")}
	did(b, p, "collection-notice", kNoticeAt, nok("26.25"))
	f := casesFor(p, consumer("ola", "NO"), kDemandAt.Add(time.Hour), a, b)
	f.Cases = []Case{cs}
	f.Undelivered = func(c *Claim, _ *Policy) bool { return c.Name == "inv-b" }
	dec := DecideCases(f)
	if dec.Recorded || len(dec.Cases) != 1 || len(dec.Cases[0].History) != 1 {
		t.Fatalf("recorded while a notice is undelivered: %+v", dec.Cases)
	}
	if dec.Cases[0].NextStep != "payment-demand" {
		t.Errorf("next %s", dec.Cases[0].NextStep)
	}
	// Through Undelivered and a real lookup: inv-b's notice failed, no fallback.
	failed := noticeName(cs.ID, "collection-notice", "letter")
	f.Undelivered = func(c *Claim, p *Policy) bool {
		return Undelivered(c, p, func(n string) (NoticeState, bool) {
			return NoticeState{CaseID: cs.ID, Channel: "letter", Debtor: true, Failed: n == failed}, true
		})
	}
	if dec := DecideCases(f); dec.Recorded {
		t.Errorf("recorded despite the failed notice")
	}
	p.FallbackChannel = "sms" // a fallback copy that did not fail lets the case go on
	if dec := DecideCases(f); !dec.Recorded {
		t.Errorf("not recorded although the fallback repairs the failed notice")
	}
	// A notice whose delivery is unknown holds the case whatever the
	// fallback: a copy could be a second letter, and the next step's
	// deadline would count from a letter that may never have come.
	f.Undelivered = func(c *Claim, p *Policy) bool {
		return Undelivered(c, p, func(n string) (NoticeState, bool) {
			return NoticeState{CaseID: cs.ID, Channel: "letter", Debtor: true, Unknown: n == failed}, true
		})
	}
	if dec := DecideCases(f); dec.Recorded {
		t.Errorf("recorded while a member's notice has an unknown outcome")
	}
}

// Held or ended claims leave the case; with none left it closes.
func TestDecideCasesHeldClaimsLeave(t *testing.T) {
	p := kraviaPolicy()
	for _, tc := range []struct {
		name string
		hold func(*Claim)
	}{
		{"suspended", func(c *Claim) { c.Suspend = true }},
		{"disputed", func(c *Claim) { c.Dispute = &Dispute{RaisedOn: ymd(2025, 4, 1), Resolution: ResolutionPending} }},
		{"withdrawn", func(c *Claim) { c.Withdraw = true }},
		{"paid", func(c *Claim) { c.State.Phase = PhasePaid }},
		{"plan on track", func(c *Claim) {
			c.HasPlan = true
			c.Installments = []plan.Installment{{Due: civil.New(2025, 5, 1), Amount: nok("1000")}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := twoReminded(p)
			cs := openCase(p, a)
			cs.Claims = []string{"inv-a", "inv-b"}
			cs.History[0].Claims = []string{"inv-a", "inv-b"}
			cs.History[0].Shares = []money.Money{nok("8.75"), nok("26.25")}
			did(b, p, "collection-notice", kNoticeAt, nok("26.25"))
			tc.hold(b)
			f := casesFor(p, consumer("ola", "NO"), kNoticeAt.Add(24*time.Hour), a, b)
			f.Cases = []Case{cs}
			dec := DecideCases(f)
			if len(dec.Cases) != 1 || !slices.Equal(dec.Cases[0].Claims, []string{"inv-a"}) {
				t.Fatalf("cases %+v", dec.Cases)
			}
			tc.hold(a)
			dec = DecideCases(f)
			if len(dec.Cases) != 0 {
				t.Errorf("case kept with every claim held: %+v", dec.Cases)
			}
			for _, e := range dec.Events {
				if e.Reason == "CaseCompleted" {
					t.Errorf("a case every claim left is not completed")
				}
			}
		})
	}
	// A dispute resolved for the creditor brings the claim back.
	a, b := twoReminded(p)
	b.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 20), Resolution: ResolutionCreditor}
	dec := DecideCases(casesFor(p, consumer("ola", "NO"), kNoticeAt.Add(time.Minute), a, b))
	if len(dec.Cases) != 1 || len(dec.Cases[0].Claims) != 2 {
		t.Errorf("cases %+v", dec.Cases)
	}
}

// A case closes once every step is done and taken by its claims.
func TestDecideCasesCloses(t *testing.T) {
	p := kraviaPolicy()
	a, b := twoReminded(p)
	w := newWorld(p, consumer("ola", "NO"), kNoticeAt.Add(time.Minute), a, b)
	var closed, completedEvents int
	w.run(t, local(oslo, 2025, 6, 15, 12, 0), func() {
		for _, e := range w.lastCases.Events {
			if e.Reason == "CaseCompleted" {
				completedEvents++
			}
		}
		if len(w.cases) == 0 && closed == 0 && completedEvents > 0 {
			closed++
			// Closed only once both claims took the last step.
			for _, c := range w.claims {
				if !c.HasStep("handover") {
					t.Errorf("case closed before %s took the handover", c.Name)
				}
			}
		}
	})
	if completedEvents != 1 {
		t.Fatalf("%d CaseCompleted events", completedEvents)
	}
	for _, c := range w.claims {
		if c.State.Phase != PhaseSurveillance || c.State.NextStep != RecheckStep {
			t.Errorf("%s: phase %s next %s", c.Name, c.State.Phase, c.State.NextStep)
		}
	}
	// 35 for the notice and 560 light salær on 4,000, split 1:3; the
	// handover's heavy salær belongs to the Legal branch, and both claims
	// went to Surveillance.
	wantMoney(t, "inv-a fees", feeSum(a), "148.75")
	wantMoney(t, "inv-b fees", feeSum(b), "446.25")
}

// The case's policy cannot be found, or a channel is missing: the debtor stalls.
func TestDecideCasesStalls(t *testing.T) {
	p := kraviaPolicy()
	a, b := twoReminded(p)
	cs := openCase(p, a)
	f := casesFor(p, consumer("ola", "NO"), kDemandAt.Add(time.Hour), a, b)
	f.Cases = []Case{cs}
	f.PolicyNamed = func(string) (*Policy, *Problem) { return nil, &Problem{Reason: "PolicyNotFound", Message: "gone"} }
	dec := DecideCases(f)
	if dec.Stalled == nil || dec.Stalled.Reason != "PolicyNotFound" || len(dec.Cases) != 1 {
		t.Errorf("stalled %+v cases %+v", dec.Stalled, dec.Cases)
	}
	f = casesFor(p, consumer("ola", "NO"), kDemandAt.Add(time.Hour), a)
	f.Cases = []Case{cs}
	f.ChannelExists = func(string) bool { return false }
	dec = DecideCases(f)
	if dec.Stalled == nil || dec.Stalled.Reason != "ChannelNotFound" || dec.Recorded {
		t.Errorf("stalled %+v recorded %v", dec.Stalled, dec.Recorded)
	}
	if dec.Cases[0].NextStep != "payment-demand" {
		t.Errorf("next %s", dec.Cases[0].NextStep)
	}
}

// Norway: at most two reminder-type fees per claim, over its whole life.
// A claim that paid two reminder fees on its own pays no share of the
// case's collection-notice fee; the other member pays up to its own cap.
func TestCaseCapNorwegianReminderFeesAcrossTheJoin(t *testing.T) {
	p := threeReminderPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	b := newClaim("inv-b", "NOK", "1000.00", kDue)
	did(a, p, "reminder", local(oslo, 2025, 3, 29, 9, 0), nok("35"))
	did(a, p, "second-reminder", local(oslo, 2025, 4, 12, 9, 0), nok("35"))
	did(b, p, "reminder", local(oslo, 2025, 3, 29, 9, 0), nok("0")) // the creditor waived inv-b's reminder fees
	did(b, p, "second-reminder", local(oslo, 2025, 4, 12, 9, 0), nok("0"))
	now := local(oslo, 2025, 4, 26, 9, 1) // collection notice: day 42
	dec := DecideCases(casesFor(p, consumer("ola", "NO"), now, a, b))
	if !dec.Recorded {
		t.Fatalf("not recorded: %+v %v", dec.Cases, dec.Stalled)
	}
	rec := dec.Cases[0].History[0]
	if rec.Step != "collection-notice" {
		t.Fatalf("step %s", rec.Step)
	}
	wantShares(t, rec, "0.00", "35.00")

	// The whole life, through the case's later reminder-type step (second-notice).
	w := newWorld(p, consumer("ola", "NO"), now, a, b)
	w.run(t, local(oslo, 2025, 9, 1, 12, 0), func() {
		for _, c := range w.claims {
			if n, _ := feesOfKind(p, c, fees.Reminder); n > 2 {
				t.Fatalf("%s: %d reminder-type fees at %s: %+v", c.Name, n, w.now, c.State.History)
			}
		}
	})
	if !a.HasStep("second-notice") || !b.HasStep("second-notice") {
		t.Fatalf("second-notice not reached")
	}
	for _, c := range []*Claim{a, b} {
		n, sum := feesOfKind(p, c, fees.Reminder)
		if n != 2 || sum.String() != "70.00" {
			t.Errorf("%s: %d reminder-type fees, %s NOK; want 2, 70.00", c.Name, n, sum)
		}
	}
}

// The other Norwegian path to two: a reminder and a collection notice of
// its own before the case. The case's later reminder-type fee
// (second-notice) is none of inv-a's; inv-b, whose reminder fee was
// waived, has room for one more and pays it.
func TestCaseCapNorwegianReminderAndNoticeBeforeTheCase(t *testing.T) {
	p := threeReminderPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	did(a, p, "reminder", local(oslo, 2025, 3, 29, 9, 0), nok("35"))
	did(a, p, "second-reminder", local(oslo, 2025, 4, 12, 9, 0), nok("0"))
	did(a, p, "collection-notice", local(oslo, 2025, 4, 26, 9, 0), nok("35")) // collected alone before consolidation
	did(a, p, "payment-demand", local(oslo, 2025, 5, 10, 9, 0), nok("245"))
	b := newClaim("inv-b", "NOK", "1000.00", ymd(2025, 4, 5))
	did(b, p, "reminder", local(oslo, 2025, 4, 19, 9, 0), nok("0"))
	did(b, p, "second-reminder", local(oslo, 2025, 5, 3, 9, 0), nok("0"))
	w := newWorld(p, consumer("ola", "NO"), local(oslo, 2025, 5, 17, 9, 1), a, b)
	w.run(t, local(oslo, 2025, 10, 1, 12, 0), func() {
		for _, c := range w.claims {
			if n, _ := feesOfKind(p, c, fees.Reminder); n > 2 {
				t.Fatalf("%s: %d reminder-type fees at %s: %+v", c.Name, n, w.now, c.State.History)
			}
		}
	})
	share := func(c *Claim, step string) string {
		for _, h := range c.State.History {
			if h.Step == step {
				return h.Fee.String()
			}
		}
		t.Fatalf("%s never took %s: %+v", c.Name, step, c.State.History)
		return ""
	}
	if got := share(a, "second-notice"); got != "0.00" {
		t.Errorf("inv-a, after a reminder and a collection notice, paid %s for the case's second notice; want 0.00", got)
	}
	if got := share(b, "second-notice"); got != "35.00" {
		t.Errorf("inv-b, with room for one more reminder-type fee, paid %s for the second notice; want 35.00", got)
	}
	for _, c := range []*Claim{a, b} {
		if n, sum := feesOfKind(p, c, fees.Reminder); n != 2 || sum.String() != "70.00" {
			t.Errorf("%s: %d reminder-type fees (%s), want 2 (70.00)", c.Name, n, sum)
		}
	}
}

// Sweden: the 450 SEK business compensation once per debt, even when the
// claim paid it before it joined the case.
func TestCaseCapSwedishBusinessCompensation(t *testing.T) {
	p := swedenPolicy()
	ab := business("ab", "SE")
	a := newClaim("f-a", "SEK", "5000.00", ymd(2025, 3, 14))
	b := newClaim("f-b", "SEK", "15000.00", ymd(2025, 3, 14))
	w := newWorld(p, ab, local(stockholm, 2025, 3, 15, 9, 0), a, b)
	w.run(t, local(stockholm, 2025, 6, 30, 12, 0), func() {
		for _, c := range w.claims {
			if sum := feeSum(c); sum.Amount.GreaterThan(sek("750").Amount) {
				t.Fatalf("%s at %s: fees %s above 450 compensation + 300 Kronofogden: %+v", c.Name, w.now, sum, c.State.History)
			}
		}
	})
	for _, c := range []*Claim{a, b} {
		if !c.HasStep("collection-demand") || !c.HasStep("payment-order") {
			t.Fatalf("%s did not reach the end: %+v", c.Name, c.State.History)
		}
		n, sum := feesOfKind(p, c, fees.Compensation)
		if n != 1 || sum.String() != "450.00" {
			t.Errorf("%s: compensation charged %d times, %s SEK; want once, 450.00", c.Name, n, sum)
		}
		for _, h := range c.State.History {
			if h.Step == "collection-demand" && h.Fee.IsPositive() {
				t.Errorf("%s: the case's collection demand charged %s on top of the compensation", c.Name, h.Fee)
			}
		}
	}
	// A claim that paid nothing yet carries the case's compensation alone.
	a2 := newClaim("f-a", "SEK", "5000.00", ymd(2025, 3, 14))
	b2 := newClaim("f-b", "SEK", "15000.00", ymd(2025, 3, 14))
	did(a2, p, "reminder", local(stockholm, 2025, 3, 22, 9, 0), sek("450"))
	a2.State.History[0].FeeKind = fees.Compensation
	did(b2, p, "reminder", local(stockholm, 2025, 3, 22, 9, 0), sek("0")) // not agreed: no fee
	dec := DecideCases(casesFor(p, ab, local(stockholm, 2025, 4, 5, 9, 1), a2, b2))
	if !dec.Recorded {
		t.Fatalf("not recorded: %+v %v", dec.Cases, dec.Stalled)
	}
	rec := dec.Cases[0].History[0]
	if rec.Step != "collection-demand" || rec.FeeKind != fees.Compensation {
		t.Errorf("record %+v", rec)
	}
	wantShares(t, rec, "0.00", "450.00")
}

// Finland: a consumer's 100 EUR claim never pays more than 60 EUR of
// costs (capital <= 100), alone or in a case with another claim.
func TestCaseCapFinnishConsumer(t *testing.T) {
	p := finlandManyLettersPolicy()
	a := newClaim("lasku-a", "EUR", "100.00", ymd(2025, 3, 14))
	b := newClaim("lasku-b", "EUR", "100.00", ymd(2025, 3, 14))
	w := newWorld(p, consumer("liisa", "FI"), local(helsinki, 2025, 3, 15, 9, 0), a, b)
	w.run(t, local(helsinki, 2025, 8, 1, 12, 0), func() {
		for _, c := range w.claims {
			if feeSum(c).Amount.GreaterThan(eur("60").Amount) {
				t.Fatalf("%s at %s: costs %s above the 60 EUR cap: %+v", c.Name, w.now, feeSum(c), c.State.History)
			}
		}
	})
	for _, c := range []*Claim{a, b} {
		if !c.HasStep("demand-letter-5") {
			t.Fatalf("%s did not get every letter: %+v", c.Name, c.State.History)
		}
		// 5 + 5 own reminders, then the case's letters (24 EUR on 200 EUR of
		// capital, 12 each) until each claim's cap: 12 x 4 + 2.
		wantMoney(t, c.Name+" costs", feeSum(c), "60.00")
	}
	// With a larger claim, the small one's cap holds and the large one pays its part.
	a3 := newClaim("lasku-a", "EUR", "100.00", ymd(2025, 3, 14))
	b3 := newClaim("lasku-c", "EUR", "5000.00", ymd(2025, 3, 14))
	w = newWorld(p, consumer("liisa", "FI"), local(helsinki, 2025, 3, 15, 9, 0), a3, b3)
	w.run(t, local(helsinki, 2025, 8, 1, 12, 0), nil)
	if feeSum(a3).Amount.GreaterThan(eur("60").Amount) || feeSum(b3).Amount.GreaterThan(eur("210").Amount) {
		t.Errorf("costs %s / %s above the caps 60 / 210", feeSum(a3), feeSum(b3))
	}
}

// inkassoloven § 10 and inkassoforskriften § 2-3, per claim: a payment
// demand only after the claim's own collection notice has run out (14
// days), and the heavy salær only once the demand's deadline is overrun by
// more than 28 days. A claim joining a case that is already past those
// steps must not be charged as if it had received them.
func TestCaseJoinerKeepsTheStatutorySequence(t *testing.T) {
	p := kraviaPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	// inv-b is invoiced later; its own collection notice falls due 2025-04-26,
	// after the case's payment demand (2025-04-15).
	b := newClaim("inv-b", "NOK", "3000.00", ymd(2025, 4, 12))
	w := newWorld(p, consumer("ola", "NO"), kReminderAt.Add(time.Minute), a, b)
	w.run(t, local(oslo, 2025, 8, 1, 12, 0), nil)
	var bugs []string
	at := func(c *Claim, step string) (time.Time, money.Money, bool) {
		for _, h := range c.State.History {
			if h.Step == step {
				return h.Time, h.Fee, true
			}
		}
		return time.Time{}, money.Money{}, false
	}
	for _, c := range w.claims {
		notice, _, hasNotice := at(c, "collection-notice")
		if demand, fee, ok := at(c, "payment-demand"); ok && fee.IsPositive() {
			if !hasNotice || demand.Before(notice.AddDate(0, 0, 14)) {
				bugs = append(bugs, c.Name+": light salær "+fee.String()+" at "+demand.Format(time.DateOnly)+" without a collection notice 14 days before")
			}
		}
		demand, _, hasDemand := at(c, "payment-demand")
		if heavy, fee, ok := at(c, "handover"); ok && fee.IsPositive() {
			if !hasDemand || !heavy.After(demand.AddDate(0, 0, 14+28)) {
				bugs = append(bugs, c.Name+": heavy salær "+fee.String()+" at "+heavy.Format(time.DateOnly)+" without a payment demand 42 days before")
			}
		}
	}
	if len(bugs) > 0 {
		t.Errorf("a claim that joins a case past its collection notice takes the case's later steps: %s", strings.Join(bugs, "; "))
	}
}

// Seed 004 (collectors): the creditor is warned, and the claim transfers
// no earlier than transferWarningDays (5) after the warning went out. A
// claim whose warning could not go out on time (automatic collection was
// off) is warned when collection is switched on, and the debtor's case
// must not take it in before the warning's notice period ends.
func TestCaseWaitsForTheCreditorWarningPeriod(t *testing.T) {
	p := collectorsPolicy()
	c := kClaim()
	c.AutoCollection = false
	w := newWorld(p, consumer("ola", "NO"), local(oslo, 2025, 3, 16, 10, 0), c)
	w.run(t, local(oslo, 2025, 4, 20, 9, 0), nil)
	if len(c.State.History) != 0 || len(c.State.CreditorNotices) != 0 {
		t.Fatalf("collected with automatic collection off: %+v", c.State)
	}
	c.AutoCollection = true
	w.run(t, local(oslo, 2025, 5, 10, 12, 0), nil)
	warned, ok := c.State.CreditorNotices[CreditorOverdueWarning]
	if !ok {
		t.Fatalf("the creditor was never warned: %+v", c.State)
	}
	transfer := p.Timing.At(civil.Of(warned, oslo).AddDays(5))
	if len(c.State.History) == 0 {
		t.Fatalf("never transferred")
	}
	if first := c.State.History[0]; first.Time.Before(transfer) {
		t.Errorf("creditor warned %s that the claim transfers on %s, but the debtor's case recorded %s for it at %s "+
			"(the transfer time counted the warning as sent on its scheduled day, %s)", warned.Format(time.RFC3339),
			transfer.Format(time.DateOnly), first.Step, first.Time.Format(time.RFC3339), local(oslo, 2025, 3, 16, 9, 0).Format(time.RFC3339))
	}
}

// The same claim collected alone waits out the notice period.
func TestClaimAloneWaitsForTheCreditorWarningPeriod(t *testing.T) {
	p := alone(collectorsPolicy())
	c := kClaim()
	c.AutoCollection = false
	w := newWorld(p, consumer("ola", "NO"), local(oslo, 2025, 3, 16, 10, 0), c)
	w.run(t, local(oslo, 2025, 4, 20, 9, 0), nil)
	c.AutoCollection = true
	w.run(t, local(oslo, 2025, 5, 10, 12, 0), nil)
	warned := c.State.CreditorNotices[CreditorOverdueWarning]
	if len(c.State.History) == 0 || c.State.History[0].Time.Before(p.Timing.At(civil.Of(warned, oslo).AddDays(5))) {
		t.Errorf("warned %s, history %+v", warned, c.State.History)
	}
}
