package collection

import (
	"slices"
	"testing"
	"time"
)

// The rules below hold for a claim collected alone by its own steps; these
// tests hold them on the case's path too (found by a review, 2026-12-01).

// Heavy salær only once the deadline of the claim's own payment demand is
// overrun by more than 28 days (inkassoforskriften § 2-3), also for a
// claim that joined its debtor's case after its own demand and then
// follows the case's timetable.
func TestCaseHeavySalærWaitsForTheJoinersOwnDemand(t *testing.T) {
	p := kraviaPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	b := newClaim("inv-b", "NOK", "3000.00", ymd(2025, 3, 19))
	a.CreditDecision, b.CreditDecision = Solvent, Solvent
	w := newWorld(p, consumer("ola", "NO"), local(oslo, 2025, 3, 16, 0, 0), a, b)
	w.run(t, local(oslo, 2025, 7, 1, 0, 0), nil)
	heavy := 0
	for _, c := range []*Claim{a, b} {
		var demand *Entry
		for i, e := range c.State.History {
			s, _ := p.StepNamed(e.Step)
			switch {
			case e.FeeKind == "LightSalary" && s.FixedFee == "":
				demand = &c.State.History[i]
			case e.FeeKind == "HeavySalary" && e.Fee.IsPositive():
				heavy++
				if demand == nil {
					t.Fatalf("claim %s: heavy salær %s on %s without a payment demand of its own", c.Name, e.Fee, e.Time)
				}
				ds, _ := p.StepNamed(demand.Step)
				earliest := demand.Time.In(oslo).AddDate(0, 0, ds.PaymentDeadlineDays+28+1)
				if day(e.Time).Before(day(earliest)) {
					t.Errorf("claim %s: heavy salær %s on %s, demand of %s: not before %s", c.Name, e.Fee,
						e.Time.In(oslo).Format(time.DateOnly), demand.Time.In(oslo).Format(time.DateOnly), earliest.Format(time.DateOnly))
				}
			}
		}
	}
	if heavy == 0 {
		t.Fatalf("no heavy salær charged at all: the test shows nothing (histories %+v / %+v)", a.State.History, b.State.History)
	}
}

func day(t time.Time) time.Time {
	y, m, d := t.In(oslo).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, oslo)
}

// A claim time-barred by limitation is collected no more, also in a case:
// its own decision wakes it at the limitation date (the case's timers do
// not), and the case takes no step for it past that date even before the
// claim's own write says TimeBarred.
func TestCaseMemberEndsAtItsLimitationDate(t *testing.T) {
	p := kraviaPolicy()
	b := newClaim("inv-b", "NOK", "3000.00", ymd(2022, 3, 31)) // three years: barred from 2025-04-01 (foreldelsesloven § 2)
	w := newWorld(p, consumer("ola", "NO"), local(oslo, 2025, 3, 16, 0, 0), b)
	w.run(t, local(oslo, 2025, 3, 30, 0, 0), nil)
	if b.State.CaseID == "" || len(w.cases) == 0 || !w.cases[0].Lists("inv-b") {
		t.Fatalf("inv-b is not in a case by 2025-03-30 (case %q, cases %+v): the test shows nothing", b.State.CaseID, w.cases)
	}
	barred := local(oslo, 2025, 4, 1, 0, 0)
	if wake := w.last["inv-b"].Wake; wake.IsZero() || wake.After(barred) {
		t.Errorf("the member's decision wakes it at %v, want by its limitation date %v", wake, barred)
	}
	// The claim as it was on 2025-03-30, the case a week after the date.
	f := w.caseFacts()
	f.Now = local(oslo, 2025, 4, 6, 9, 1)
	dec := DecideCases(f)
	for _, c := range dec.Cases {
		for _, rec := range c.History {
			if slices.Contains(rec.Claims, "inv-b") && !rec.Time.Before(barred) {
				t.Errorf("case %s recorded %s on %s for inv-b, time-barred since %s", c.ID, rec.Step, rec.Time, barred)
			}
		}
	}
}

// A claim that has had only its reminder is not transferred by its
// debtor's case before its own transfer day (kravia: 14 days after its due
// date), also when the case's step is held past due and goes out once the
// hold lifts; from that day on it joins.
func TestCaseDoesNotTransferAJoinerEarly(t *testing.T) {
	p := kraviaPolicy()
	a := newClaim("inv-a", "NOK", "1000.00", kDue)
	did(a, p, "reminder", kReminderAt, nok("0"))
	b := newClaim("inv-b", "NOK", "3000.00", ymd(2025, 3, 25))
	did(b, p, "reminder", local(oslo, 2025, 3, 26, 9, 0), nok("0"))
	// The case's collection notice has been held since 2025-03-29 (a
	// member's failed notice); the hold lifts at each moment below.
	held := Case{ID: CaseID("ola", "inv-a"), Policy: p.Name, Currency: "NOK", DueDate: kDue, Claims: []string{"inv-a"}, OpenedAt: kNoticeAt,
		NextStep: "collection-notice", NextStepAt: kNoticeAt.UTC()}
	a.State.CaseID = held.ID
	for _, at := range []time.Time{local(oslo, 2025, 3, 29, 10, 0), local(oslo, 2025, 3, 30, 10, 0), local(oslo, 2025, 4, 7, 23, 0)} {
		f := casesFor(p, consumer("ola", "NO"), at, a, b)
		f.Cases = []Case{held}
		for _, c := range DecideCases(f).Cases {
			if c.Lists("inv-b") {
				t.Errorf("%s: inv-b taken into case %s (next %s), before its own transfer day 2025-04-08", at.Format(time.DateTime), c.ID, c.NextStep)
			}
		}
	}
	f := casesFor(p, consumer("ola", "NO"), local(oslo, 2025, 4, 8, 10, 0), a, b)
	f.Cases = []Case{held}
	dec := DecideCases(f)
	if len(dec.Cases) != 1 || !dec.Cases[0].Lists("inv-b") {
		t.Errorf("on its own transfer day inv-b is not taken in: %+v", dec.Cases)
	}
}

// An invoice whose collection already ended is not collected again (rule
// 8b): not by a case either, whichever step comes first.
func TestCaseLeavesAnInvoiceWhoseCollectionEnded(t *testing.T) {
	p := collectorsPolicy()
	p.Timing.CreditorWarning = false
	d := consumer("ola", "NO")
	d.Closed = map[string]ClosedInvoice{"INV-1": {Phase: PhasePaid, ClosedAt: local(oslo, 2025, 3, 20, 12, 0)}}
	c := kClaim()
	now := local(oslo, 2025, 3, 27, 9, 1)
	if dec := DecideClaim(facts(p, d, c, now)); dec.Stalled == nil || dec.Stalled.Reason != ReasonAlreadyClosed {
		t.Fatalf("alone: %+v, want stalled AlreadyClosed", dec.Stalled)
	}
	dec := DecideCases(casesFor(p, d, now, c))
	if dec.Recorded || len(dec.Cases) != 0 || len(dec.Work) != 0 {
		t.Errorf("the case collects INV-1 again: recorded %v, cases %+v", dec.Recorded, dec.Cases)
	}
}
