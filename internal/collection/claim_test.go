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

// The kravia-11 timeline of a 1,000 NOK claim invoiced 2025-03-01, due
// 2025-03-15 (Oslo: CET until 2025-03-30, CEST after):
//
//	reminder           2025-03-16 09:00 CET  (afterDueDays 1)
//	collection-notice  2025-03-29 09:00 CET  (afterDueDays 14 = minDaysAfterDue 14)
//	payment-demand     2025-04-15 09:00 CEST (afterDueDays 31; 14 days after the notice)
var (
	kDue        = ymd(2025, 3, 15)
	kOverdueAt  = local(oslo, 2025, 3, 16, 0, 0)
	kReminderAt = local(oslo, 2025, 3, 16, 9, 0)
	kNoticeAt   = local(oslo, 2025, 3, 29, 9, 0)
	kDemandAt   = local(oslo, 2025, 4, 15, 9, 0)
)

// kClaim is the 1,000 NOK claim inv-1 of consumer ola under kravia-11.
func kClaim() *Claim { return newClaim("inv-1", "NOK", "1000.00", kDue) }

// kReminded is kClaim after its fee-free reminder.
func kReminded(p *Policy) *Claim {
	c := kClaim()
	did(c, p, "reminder", kReminderAt, nok("0"))
	return c
}

// caseTookTransfer is kClaim, warned at warnedAt, seconds after its
// debtor's case recorded policy p's first step past the reminders for it
// (2025-03-26 09:00, the transfer); hasNext: the case has steps left.
func caseTookTransfer(p *Policy, warnedAt time.Time, hasNext bool) ClaimFacts {
	c := kClaim()
	c.State.CreditorNotices[CreditorOverdueWarning] = warnedAt
	at := local(oslo, 2025, 3, 26, 9, 0)
	f := facts(p, consumer("ola", "NO"), c, at.Add(5*time.Second))
	f.Case = &Case{ID: CaseID("ola", "inv-1"), Policy: p.Name, Currency: "NOK", DueDate: kDue, Claims: []string{"inv-1"}, OpenedAt: at,
		History: []CaseStep{{Step: p.Steps[0].Name, Time: at, DueAt: at.UTC(), Claims: []string{"inv-1"}, Shares: []money.Money{nok("0.00")}, Fee: nok("0.00"), FeeKind: fees.Reminder}},
		Step:    p.Steps[0].Name}
	if hasNext {
		f.Case.NextStep, f.Case.NextStepAt = p.Steps[1].Name, at.AddDate(0, 0, 14).UTC()
	}
	f.Notice = allNotices
	return f
}

func record(t *testing.T, dec Decision) *Entry {
	t.Helper()
	if dec.Stalled != nil {
		t.Fatalf("stalled: %v", dec.Stalled)
	}
	if dec.Record == nil {
		t.Fatalf("no record; ready %+v", dec.Ready)
	}
	if last := dec.State.History[len(dec.State.History)-1]; last.Step != dec.Record.Step {
		t.Fatalf("Record %s is not the last history entry %s", dec.Record.Step, last.Step)
	}
	return dec.Record
}

func noRecord(t *testing.T, dec Decision) {
	t.Helper()
	if dec.Record != nil {
		t.Fatalf("unexpected record %+v", *dec.Record)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantReady(t *testing.T, dec Decision, reason string, msgContains ...string) {
	t.Helper()
	if dec.Stalled != nil {
		t.Fatalf("stalled %v, want Ready %s", dec.Stalled, reason)
	}
	if dec.Ready.Reason != reason {
		t.Errorf("Ready reason %q (%s), want %q", dec.Ready.Reason, dec.Ready.Message, reason)
	}
	for _, s := range msgContains {
		if !strings.Contains(dec.Ready.Message, s) {
			t.Errorf("Ready message %q lacks %q", dec.Ready.Message, s)
		}
	}
}

func wantStalled(t *testing.T, dec Decision, reason string) {
	t.Helper()
	if dec.Stalled == nil {
		t.Fatalf("not stalled (Ready %+v), want %s", dec.Ready, reason)
	}
	if dec.Stalled.Reason != reason {
		t.Errorf("Stalled %q (%s), want %q", dec.Stalled.Reason, dec.Stalled.Message, reason)
	}
}

type claimRow struct {
	name  string
	facts func() ClaimFacts
	check func(t *testing.T, f ClaimFacts, dec Decision)
}

func runClaimRows(t *testing.T, rows []claimRow) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := r.facts()
			before := cloneState(f.Claim.State)
			dec := DecideClaim(f)
			// The decider never writes into its input.
			if len(f.Claim.State.History) != len(before.History) || f.Claim.State.Phase != before.Phase ||
				len(f.Claim.State.CreditorNotices) != len(before.CreditorNotices) ||
				(len(before.History) > 0 && len(f.Claim.State.History[0].Notices) != len(before.History[0].Notices)) {
				t.Errorf("DecideClaim changed its input claim's state")
			}
			r.check(t, f, dec)
		})
	}
}

// Rule 1: a terminal claim stays as it ended; the creditor is told once.
func TestDecideClaimTerminal(t *testing.T) {
	ended := func(p *Policy, started bool) ClaimFacts {
		c := kClaim()
		if started {
			did(c, p, "reminder", local(oslo, 2025, 3, 26, 9, 0), nok("35"))
		}
		c.Payments = []Payment{{ID: "all", Amount: nok("2000.00"), Date: ymd(2025, 3, 30)}}
		c.State.Phase = PhasePaid
		c.State.Ready = &Condition{Reason: "Paid", Message: "the claim is paid in full"}
		return facts(p, consumer("ola", "NO"), c, local(oslo, 2025, 4, 2, 12, 0))
	}
	runClaimRows(t, []claimRow{
		{"keeps Ready and tells the creditor once", func() ClaimFacts { return ended(collectorsPolicy(), true) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				wantReady(t, dec, "Paid", "paid in full")
				noRecord(t, dec)
				if dec.State.Phase != PhasePaid || !dec.Wake.IsZero() {
					t.Errorf("phase %s wake %v, want Paid and no wake", dec.State.Phase, dec.Wake)
				}
				if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorClosed || dec.Creditor[0].Data.Result != "Paid" {
					t.Fatalf("creditor intents %+v, want one Closed (Paid)", dec.Creditor)
				}
				wantTime(t, "CreditorNotices[Closed]", dec.State.CreditorNotices[CreditorClosed], f.Now)
				if hasEvent(dec, "CreditorNotified") != 1 {
					t.Errorf("events %+v, want CreditorNotified", dec.Events)
				}
				// Once: the next reconcile tells nobody.
				applyDecision(f.Claim, dec)
				f.Now = f.Now.Add(time.Hour)
				again := DecideClaim(f)
				if len(again.Creditor) != 0 || hasEvent(again, "CreditorNotified") != 0 {
					t.Errorf("creditor told twice: %+v", again.Creditor)
				}
				wantReady(t, again, "Paid")
			}},
		{"no creditor notice when collection never started", func() ClaimFacts { return ended(collectorsPolicy(), false) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				wantReady(t, dec, "Paid")
				if len(dec.Creditor) != 0 {
					t.Errorf("creditor intents %+v, want none", dec.Creditor)
				}
			}},
		{"no creditor notice when the policy does not notify Closed", func() ClaimFacts { return ended(kraviaPolicy(), true) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				wantReady(t, dec, "Paid")
				if len(dec.Creditor) != 0 {
					t.Errorf("creditor intents %+v, want none", dec.Creditor)
				}
			}},
		{"without a Ready the phase is the reason", func() ClaimFacts {
			f := ended(kraviaPolicy(), true)
			f.Claim.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 28), Resolution: ResolutionDebtor}
			f.Claim.State.Phase, f.Claim.State.Ready = PhaseWrittenOff, nil
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "WrittenOff") }},
		// Issue 20: status is writable by whoever may write claims/status;
		// a phase the record does not support is put back, with an event.
		{"a Paid phase with money outstanding is put back", func() ClaimFacts {
			f := ended(kraviaPolicy(), true)
			f.Claim.Payments = nil
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase.Terminal() || hasEvent(dec, ReasonStatusRestored) != 1 || len(dec.Creditor) != 0 {
				t.Errorf("phase %s events %+v creditor %+v: want collection going on, one StatusRestored and no Closed notice",
					dec.State.Phase, dec.Events, dec.Creditor)
			}
		}},
		{"a forged step phase is put back", func() ClaimFacts {
			f := ended(kraviaPolicy(), true)
			f.Claim.Payments = nil
			f.Claim.State.Phase = PhaseLegal
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase == PhaseLegal || hasEvent(dec, ReasonStatusRestored) != 1 {
				t.Errorf("phase %s events %+v: want the phase of the reminder back and one StatusRestored", dec.State.Phase, dec.Events)
			}
		}},
		{"forged endings are put back", func() ClaimFacts { return ended(kraviaPolicy(), true) }, func(t *testing.T, f ClaimFacts, _ Decision) {
			for _, ph := range []Phase{PhaseWithdrawn, PhaseCredited, PhaseWrittenOff, PhaseForwarded, PhaseTimeBarred} {
				g := ended(kraviaPolicy(), true)
				g.Claim.Payments = nil
				g.Claim.State.Phase = ph
				if dec := DecideClaim(g); dec.State.Phase == ph || hasEvent(dec, ReasonStatusRestored) != 1 {
					t.Errorf("forged %s: phase %s events %+v", ph, dec.State.Phase, dec.Events)
				}
			}
		}},
		{"ending needs neither debtor nor policy", func() ClaimFacts {
			f := ended(kraviaPolicy(), true)
			f.Debtor, f.Policy = nil, nil
			f.DebtorProblem = &Problem{Reason: "DebtorNotFound", Message: "gone"}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "Paid") }},
	})
}

// Rules 2 and 3: the balance, the creditor's ending, paid.
func TestDecideClaimBalanceAndEnding(t *testing.T) {
	p := kraviaPolicy
	at := local(oslo, 2025, 3, 20, 12, 0)
	runClaimRows(t, []claimRow{
		{"a payment in another currency stalls InvalidAmount", func() ClaimFacts {
			c := kReminded(p())
			c.Payments = []Payment{{ID: "p1", Amount: eur("10.00"), Date: ymd(2025, 3, 18)}}
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, "InvalidAmount")
			noRecord(t, dec)
		}},
		{"withdrawn before collection started: free", func() ClaimFacts {
			c := kClaim()
			c.Withdraw = true
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Withdrawn", "no cost to the creditor")
			if dec.State.Phase != PhaseWithdrawn {
				t.Errorf("phase %s", dec.State.Phase)
			}
			wantMoney(t, "creditor charge", dec.Balance.CreditorCharge, "0.00")
		}},
		{"withdrawn inside the free-cancellation window: no charge", func() ClaimFacts {
			pc := collectorsPolicy()
			c := kClaim()
			did(c, pc, "reminder", local(oslo, 2025, 3, 26, 9, 0), nok("35"))
			c.Withdraw = true
			return facts(pc, consumer("ola", "NO"), c, local(oslo, 2025, 4, 4, 12, 0)) // 9 days later
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Withdrawn", "no cost to the creditor")
			wantMoney(t, "creditor charge", dec.Balance.CreditorCharge, "0.00")
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorClosed || dec.Creditor[0].Data.Result != "Withdrawn" {
				t.Errorf("creditor intents %+v, want Closed (Withdrawn)", dec.Creditor)
			}
		}},
		{"withdrawn after the window: the unpaid fees go to the creditor", func() ClaimFacts {
			pc := collectorsPolicy()
			c := kClaim()
			did(c, pc, "reminder", local(oslo, 2025, 3, 26, 9, 0), nok("35"))
			c.Withdraw = true
			return facts(pc, consumer("ola", "NO"), c, local(oslo, 2025, 4, 10, 12, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Withdrawn", "fees of 35.00 NOK are charged to the creditor")
			wantMoney(t, "creditor charge", dec.Balance.CreditorCharge, "35.00")
		}},
		{"paid to the creditor under CloseOnCreditorPayment", func() ClaimFacts {
			pc := p()
			pc.CloseOnCreditorPayment = true
			c := kReminded(pc)
			c.Payments = []Payment{{ID: "p1", Amount: nok("400.00"), Date: ymd(2025, 3, 19), ByCreditor: true}}
			return facts(pc, consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "ClosedByCreditor")
			if dec.State.Phase != PhaseWithdrawn {
				t.Errorf("phase %s, want Withdrawn", dec.State.Phase)
			}
		}},
		{"paid to the creditor without CloseOnCreditorPayment: collection goes on", func() ClaimFacts {
			c := kReminded(p())
			c.Payments = []Payment{{ID: "p1", Amount: nok("400.00"), Date: ymd(2025, 3, 19), ByCreditor: true}}
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Waiting")
			if dec.State.Phase.Terminal() {
				t.Errorf("phase %s", dec.State.Phase)
			}
		}},
		{"paid in full", func() ClaimFacts {
			pc := p()
			pc.Money.Interest = nil
			c := kReminded(pc)
			c.Payments = []Payment{{ID: "p1", Amount: nok("1000.00"), Date: ymd(2025, 3, 19)}}
			return facts(pc, consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Paid")
			if dec.State.Phase != PhasePaid {
				t.Errorf("phase %s", dec.State.Phase)
			}
			if fl, ok := flagOf(dec, "Settled"); !ok || !fl.On {
				t.Errorf("Settled flag %+v", fl)
			}
			if hasEvent(dec, "Overpaid") != 0 {
				t.Errorf("Overpaid event on an exact payment")
			}
		}},
		{"credited to zero: Credited, nothing owed", func() ClaimFacts {
			c := kReminded(p())
			c.Credits = []Credit{{ID: "cn1", Amount: nok("1000.00"), Date: ymd(2025, 3, 15)}}
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Credited")
			if dec.State.Phase != PhaseCredited || !dec.Balance.Outstanding.IsZero() {
				t.Errorf("phase %s, outstanding %s: want Credited and nothing owed", dec.State.Phase, dec.Balance.Outstanding)
			}
		}},
		{"over-paid: Paid with a Warning event", func() ClaimFacts {
			pc := p()
			pc.Money.Interest = nil
			c := kReminded(pc)
			c.Payments = []Payment{{ID: "p1", Amount: nok("1200.00"), Date: ymd(2025, 3, 19)}}
			return facts(pc, consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "Paid")
			var ev *Event
			for i := range dec.Events {
				if dec.Events[i].Reason == "Overpaid" {
					ev = &dec.Events[i]
				}
			}
			if ev == nil || !ev.Warning || !strings.Contains(ev.Message, "200.00 NOK") {
				t.Errorf("Overpaid event %+v, want a Warning naming 200.00 NOK", ev)
			}
		}},
		{"paid in part, then credited to zero: Credited, the payment reported for refund", func() ClaimFacts {
			pc := p()
			pc.Money.Interest = nil
			c := kReminded(pc)
			c.Payments = []Payment{{ID: "p1", Amount: nok("400.00"), Date: ymd(2025, 3, 17)}}
			c.Credits = []Credit{{ID: "cn1", Amount: nok("1000.00"), Date: ymd(2025, 3, 18)}}
			return facts(pc, consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase != PhaseCredited {
				t.Errorf("phase %s, want Credited", dec.State.Phase)
			}
			if dec.Balance.Overpaid.String() != "400.00" {
				t.Errorf("overpaid %s, want the 400.00 paid before the credit note", dec.Balance.Overpaid)
			}
			if !slices.ContainsFunc(dec.Events, func(e Event) bool { return e.Reason == "Overpaid" && strings.Contains(e.Message, "400.00 NOK") }) {
				t.Errorf("events %+v, want an Overpaid warning naming 400.00 NOK", dec.Events)
			}
		}},
		{"outstanding: Settled off", func() ClaimFacts { return facts(p(), consumer("ola", "NO"), kReminded(p()), at) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				if fl, ok := flagOf(dec, "Settled"); !ok || fl.On {
					t.Errorf("Settled flag %+v, want off", fl)
				}
			}},
	})
}

// Rules 4 and 5: disputes and spec.suspend hold or end the claim.
func TestDecideClaimDisputeAndSuspend(t *testing.T) {
	p := kraviaPolicy
	at := local(oslo, 2025, 3, 20, 12, 0)
	held := func(t *testing.T, dec Decision, phase Phase, reason string, now time.Time) {
		t.Helper()
		wantReady(t, dec, reason)
		noRecord(t, dec)
		if dec.State.Phase != phase {
			t.Errorf("phase %s, want %s", dec.State.Phase, phase)
		}
		wantTime(t, "HeldSince", dec.State.HeldSince, now.Truncate(time.Second))
		if !dec.State.NextStepAt.IsZero() || !dec.Wake.IsZero() {
			t.Errorf("held claim has next step at %v / wake %v", dec.State.NextStepAt, dec.Wake)
		}
	}
	runClaimRows(t, []claimRow{
		{"dispute won by the debtor: written off", func() ClaimFacts {
			c := kReminded(p())
			c.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 18), Resolution: ResolutionDebtor}
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "ResolvedForDebtor")
			if dec.State.Phase != PhaseWrittenOff {
				t.Errorf("phase %s", dec.State.Phase)
			}
		}},
		{"pending dispute holds the claim", func() ClaimFacts {
			c := kReminded(p())
			c.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 18), Resolution: ResolutionPending}
			return facts(p(), consumer("ola", "NO"), c, at)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			held(t, dec, PhaseDisputed, "Disputed", f.Now)
			if fl, ok := flagOf(dec, "Disputed"); !ok || !fl.On {
				t.Errorf("Disputed flag %+v", fl)
			}
			// Still held a week later, still held since the first day.
			applyDecision(f.Claim, dec)
			f.Now = f.Now.AddDate(0, 0, 7)
			again := DecideClaim(f)
			wantTime(t, "HeldSince after a week", again.State.HeldSince, at)
			noRecord(t, again)
		}},
		{"pending dispute holds even when the step is due", func() ClaimFacts {
			c := kReminded(p())
			c.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 18)}
			return facts(alone(p()), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) { held(t, dec, PhaseDisputed, "Disputed", f.Now) }},
		{"dispute resolved for the creditor: collection resumes", func() ClaimFacts {
			c := kReminded(p())
			c.Dispute = &Dispute{RaisedOn: ymd(2025, 3, 18), Resolution: ResolutionCreditor}
			return facts(alone(p()), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "collection-notice" {
				t.Errorf("step %s", e.Step)
			}
			if fl, ok := flagOf(dec, "Disputed"); !ok || fl.On || fl.Reason != "ResolvedForCreditor" {
				t.Errorf("Disputed flag %+v", fl)
			}
		}},
		{"spec.suspend holds the claim", func() ClaimFacts {
			c := kReminded(p())
			c.Suspend = true
			return facts(alone(p()), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			held(t, dec, PhaseSuspended, "Suspended", f.Now)
			if fl, ok := flagOf(dec, "Suspended"); !ok || !fl.On {
				t.Errorf("Suspended flag %+v", fl)
			}
		}},
		{"leaving a hold shifts the schedule by the whole days held", func() ClaimFacts {
			c := kReminded(p())
			c.State.Phase = PhaseSuspended
			c.State.HeldSince = local(oslo, 2025, 3, 20, 10, 0)
			return facts(p(), consumer("ola", "NO"), c, local(oslo, 2025, 3, 30, 9, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			// Held from 03-20 10:00 CET to 03-30 09:00 CEST: 9 days 22 hours, counted as 10.
			if dec.State.PausedDays != 10 {
				t.Errorf("PausedDays %d, want 10", dec.State.PausedDays)
			}
			if !dec.State.HeldSince.IsZero() {
				t.Errorf("HeldSince %v not cleared", dec.State.HeldSince)
			}
			if dec.State.Phase != PhaseReminder {
				t.Errorf("phase %s, want back to Reminder", dec.State.Phase)
			}
			// The collection notice moves from day 14 to day 24: 2025-04-08 09:00.
			want := local(oslo, 2025, 4, 8, 9, 0)
			if dec.State.NextStep != "collection-notice" {
				t.Errorf("next step %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, want)
			wantTime(t, "Wake", dec.Wake, want)
			wantReady(t, dec, "Waiting")
		}},
	})
}

// Rule 6: payment plans.
func TestDecideClaimPaymentPlan(t *testing.T) {
	p := kraviaPolicy
	withPlan := func(pc *Policy) *Claim {
		c := kReminded(pc)
		c.HasPlan = true
		c.Installments = []plan.Installment{
			{Due: civil.New(2025, 4, 1), Amount: nok("500.00")},
			{Due: civil.New(2025, 5, 1), Amount: nok("500.00")},
		}
		return c
	}
	agreed := local(oslo, 2025, 3, 25, 10, 0)
	onTrack := func(pc *Policy) *Claim {
		c := withPlan(pc)
		c.State.Phase, c.State.HeldSince = PhasePaymentPlan, agreed
		c.State.Plan = &PlanStatus{AgreedAt: agreed, Fee: nok("0"), HasFee: true, State: plan.OnTrack, Installment: 0}
		return c
	}
	runClaimRows(t, []claimRow{
		{"on track: held until the installment's check day", func() ClaimFacts {
			return facts(alone(p()), consumer("ola", "NO"), withPlan(p()), agreed)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "PaymentPlan")
			noRecord(t, dec)
			if dec.State.Phase != PhasePaymentPlan || dec.State.NextStep != "" {
				t.Errorf("phase %s next %q", dec.State.Phase, dec.State.NextStep)
			}
			wantTime(t, "HeldSince", dec.State.HeldSince, agreed)
			// Installment 1 due 2025-04-01, no grace: missed from 2025-04-02.
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 4, 2, 0, 0))
			if pl := dec.State.Plan; pl == nil || pl.State != plan.OnTrack || pl.Installment != 0 {
				t.Errorf("plan %+v", pl)
			}
			if hasEvent(dec, "PaymentPlanAgreed") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			if fl, ok := flagOf(dec, "PaymentPlan"); !ok || !fl.On {
				t.Errorf("PaymentPlan flag %+v", fl)
			}
		}},
		{"on track even past the collection notice's time", func() ClaimFacts {
			c := onTrack(p())
			return facts(alone(p()), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			wantReady(t, dec, "PaymentPlan")
			if hasEvent(dec, "PaymentPlanAgreed") != 0 {
				t.Errorf("plan agreed twice")
			}
		}},
		{"missed: broken once, collection resumes", func() ClaimFacts {
			return facts(alone(p()), consumer("ola", "NO"), onTrack(p()), local(oslo, 2025, 4, 3, 10, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Plan.State != plan.Missed {
				t.Fatalf("plan %+v", dec.State.Plan)
			}
			if n := hasEvent(dec, "PaymentPlanBroken"); n != 1 {
				t.Errorf("%d PaymentPlanBroken events", n)
			}
			for _, e := range dec.Events {
				if e.Reason == "PaymentPlanBroken" && !e.Warning {
					t.Errorf("PaymentPlanBroken is not a Warning")
				}
			}
			if dec.State.Phase.Held() || !dec.State.HeldSince.IsZero() {
				t.Errorf("still held: %s since %v", dec.State.Phase, dec.State.HeldSince)
			}
			// Held 2025-03-25 10:00 CET to 2025-04-03 10:00 CEST: 8 days 23 hours, counted as 9.
			if dec.State.PausedDays != 9 {
				t.Errorf("PausedDays %d, want 9", dec.State.PausedDays)
			}
			// The collection notice (day 14 + 9 = 2025-04-07) is next.
			wantTime(t, "NextStepAt", dec.State.NextStepAt, local(oslo, 2025, 4, 7, 9, 0))
			applyDecision(f.Claim, dec)
			f.Now = f.Now.Add(2 * time.Hour)
			if again := DecideClaim(f); hasEvent(again, "PaymentPlanBroken") != 0 {
				t.Errorf("PaymentPlanBroken announced twice")
			}
		}},
		{"completed: collection goes on for what remains", func() ClaimFacts {
			c := onTrack(p())
			c.Payments = []Payment{{ID: "i1", Amount: nok("500.00"), Date: ymd(2025, 4, 1)}, {ID: "i2", Amount: nok("500.00"), Date: ymd(2025, 5, 1)}}
			return facts(alone(p()), consumer("ola", "NO"), c, local(oslo, 2025, 5, 2, 10, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Plan.State != plan.Completed {
				t.Fatalf("plan %+v", dec.State.Plan)
			}
			if fl, ok := flagOf(dec, "PaymentPlan"); !ok || fl.On || fl.Reason != "Completed" {
				t.Errorf("PaymentPlan flag %+v", fl)
			}
			if dec.State.Phase.Held() {
				t.Errorf("still held: %s", dec.State.Phase)
			}
			// Late interest remains after the principal was paid: the claim stays open.
			if !dec.Balance.Outstanding.IsPositive() || dec.State.Phase.Terminal() {
				t.Errorf("outstanding %s phase %s", dec.Balance.Outstanding, dec.State.Phase)
			}
		}},
		{"removed while on track: collection resumes", func() ClaimFacts {
			c := onTrack(p())
			c.HasPlan, c.Installments = false, nil
			return facts(alone(p()), consumer("ola", "NO"), c, local(oslo, 2025, 3, 27, 10, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Plan.State != PlanRemoved || dec.State.Plan.Installment != -1 {
				t.Errorf("plan %+v", dec.State.Plan)
			}
			if hasEvent(dec, "PaymentPlanRemoved") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			if dec.State.Phase.Held() {
				t.Errorf("still held")
			}
		}},
		{"an empty plan stalls InvalidPaymentPlan", func() ClaimFacts {
			c := kReminded(p())
			c.HasPlan = true
			return facts(p(), consumer("ola", "NO"), c, agreed)
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "InvalidPaymentPlan") }},
	})
}

// The Swedish statutory plan fee (170 SEK, domain.md) is charged once, when
// the plan is agreed on a debt in collection.
func TestDecideClaimPlanFeeOnce(t *testing.T) {
	p := swedenPolicy()
	p.PlanFee = "Statutory"
	c := newClaim("f-1", "SEK", "5000.00", ymd(2025, 3, 14))
	did(c, p, "collection-demand", local(stockholm, 2025, 3, 18, 9, 0), sek("180"))
	c.HasPlan = true
	c.Installments = []plan.Installment{
		{Due: civil.New(2025, 5, 1), Amount: sek("2500.00")},
		{Due: civil.New(2025, 6, 1), Amount: sek("2500.00")},
	}
	f := facts(p, consumer("sven", "SE"), c, local(stockholm, 2025, 3, 20, 10, 0))
	dec := DecideClaim(f)
	if dec.State.Plan == nil || dec.State.Plan.Fee.String() != "170.00" {
		t.Fatalf("plan %+v, want fee 170.00", dec.State.Plan)
	}
	wantMoney(t, "fees in the balance", dec.Balance.Fees, "350.00") // the demand's 180 and the plan's 170
	for i := 0; i < 3; i++ {
		applyDecision(c, dec)
		f.Now = f.Now.AddDate(0, 0, 5)
		dec = DecideClaim(f)
		if hasEvent(dec, "PaymentPlanAgreed") != 0 {
			t.Errorf("plan agreed again on reconcile %d", i+2)
		}
		wantMoney(t, "plan fee", dec.State.Plan.Fee, "170.00")
		wantMoney(t, "fees in the balance", dec.Balance.Fees, "350.00")
	}
}

// Rule 8: without its debtor or policy the claim stalls with the problem.
func TestDecideClaimMissingFacts(t *testing.T) {
	at := local(oslo, 2025, 3, 20, 12, 0)
	runClaimRows(t, []claimRow{
		{"debtor problem", func() ClaimFacts {
			f := facts(kraviaPolicy(), nil, kClaim(), at)
			f.DebtorProblem = &Problem{Reason: "DebtorNotFound", Message: "debtor ola not found"}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, "DebtorNotFound")
			if dec.Stalled.Message != "debtor ola not found" {
				t.Errorf("message %q", dec.Stalled.Message)
			}
		}},
		{"policy problem", func() ClaimFacts {
			f := facts(nil, consumer("ola", "NO"), kClaim(), at)
			f.PolicyProblem = &Problem{Reason: "PolicyNotFound", Message: "no policy"}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "PolicyNotFound") }},
		{"neither problem nor facts", func() ClaimFacts { return facts(nil, nil, kClaim(), at) },
			func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "InvalidFacts") }},
		{"withdrawal works without the policy", func() ClaimFacts {
			c := kClaim()
			c.Withdraw = true
			f := facts(nil, nil, c, at)
			f.PolicyProblem = &Problem{Reason: "PolicyNotFound", Message: "no policy"}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "Withdrawn") }},
	})
}

// Rule 9: limitation. Norway: 3 years from the due date, restarted by an
// acknowledgement such as a payment; legal steps interrupt it (domain.md).
func TestDecideClaimLimitation(t *testing.T) {
	p := kraviaPolicy
	old := func() *Claim { return newClaim("old-1", "NOK", "1000.00", ymd(2022, 3, 10)) }
	runClaimRows(t, []claimRow{
		{"the last day of the three years is not barred", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), old(), local(oslo, 2025, 3, 10, 23, 59))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase == PhaseTimeBarred {
				t.Errorf("barred on 2025-03-10")
			}
			// A step is done now, and the claim wakes for the bar before its next step.
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 3, 11, 0, 0))
		}},
		{"barred from the day after three years", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), old(), local(oslo, 2025, 3, 11, 0, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "TimeBarred", "2025-03-11")
			noRecord(t, dec)
			if dec.State.Phase != PhaseTimeBarred || !dec.Wake.IsZero() {
				t.Errorf("phase %s wake %v", dec.State.Phase, dec.Wake)
			}
		}},
		{"a payment restarts the period", func() ClaimFacts {
			c := old()
			c.Payments = []Payment{{ID: "p1", Amount: nok("100.00"), Date: ymd(2023, 6, 1)}}
			return facts(p(), consumer("ola", "NO"), c, local(oslo, 2025, 3, 12, 12, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase == PhaseTimeBarred {
				t.Errorf("barred despite the acknowledgement of 2023-06-01")
			}
		}},
		{"an acknowledged claim is barred three years after the acknowledgement", func() ClaimFacts {
			c := old()
			c.Payments = []Payment{{ID: "p1", Amount: nok("100.00"), Date: ymd(2023, 6, 1)}}
			return facts(p(), consumer("ola", "NO"), c, local(oslo, 2026, 6, 2, 0, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "TimeBarred", "2026-06-02") }},
		{"not applied in Legal", func() ClaimFacts {
			c := old()
			c.State.Phase = PhaseLegal
			did(c, p(), "reminder", local(oslo, 2022, 3, 11, 9, 0), nok("0"))
			c.CreditDecision = Solvent
			for _, s := range []string{"collection-notice", "payment-demand", "sms-reminder", "phone-call", "legal-warning",
				"second-call", "heavy-fee-sms", "credit-assessment", "handover"} {
				did(c, p(), s, local(oslo, 2022, 6, 1, 9, 0), nok("0"))
			}
			return facts(p(), consumer("ola", "NO"), c, local(oslo, 2025, 6, 1, 12, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase != PhaseLegal {
				t.Errorf("phase %s, want Legal", dec.State.Phase)
			}
		}},
		{"wake is the bar when it comes before the next step", func() ClaimFacts {
			c := old()
			did(c, p(), "reminder", local(oslo, 2025, 3, 5, 9, 0), nok("0"))
			return facts(p(), consumer("ola", "NO"), c, local(oslo, 2025, 3, 6, 12, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			// The collection notice waits 7 days after the reminder (2025-03-12);
			// the claim is barred from 2025-03-11.
			if dec.State.NextStep != "collection-notice" {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, local(oslo, 2025, 3, 12, 9, 0))
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 3, 11, 0, 0))
		}},
	})
}

// Rule 10: not due yet, or automatic collection off.
func TestDecideClaimPendingAndAutoCollection(t *testing.T) {
	p := kraviaPolicy
	runClaimRows(t, []claimRow{
		{"pending before the due date", func() ClaimFacts { return facts(p(), consumer("ola", "NO"), kClaim(), local(oslo, 2025, 3, 10, 12, 0)) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				wantReady(t, dec, "Pending")
				noRecord(t, dec)
				if dec.State.Phase != PhasePending || dec.State.NextStep != "reminder" {
					t.Errorf("phase %s next %s", dec.State.Phase, dec.State.NextStep)
				}
				wantTime(t, "Wake", dec.Wake, kOverdueAt)
				wantTime(t, "NextStepAt", dec.State.NextStepAt, kReminderAt)
			}},
		{"pending on the due date itself", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), kClaim(), local(oslo, 2025, 3, 15, 23, 59))
		},
			func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "Pending") }},
		{"claim's automatic collection off: waits in Overdue", func() ClaimFacts {
			c := kClaim()
			c.AutoCollection = false
			return facts(p(), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "AutoCollectionDisabled", "of the claim")
			noRecord(t, dec)
			if dec.State.Phase != PhaseOverdue || dec.State.NextStep != "" || !dec.Wake.IsZero() {
				t.Errorf("phase %s next %q wake %v", dec.State.Phase, dec.State.NextStep, dec.Wake)
			}
		}},
		{"debtor's automatic collection off", func() ClaimFacts {
			d := consumer("ola", "NO")
			d.AutoCollection = false
			return facts(p(), d, kClaim(), kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantReady(t, dec, "AutoCollectionDisabled", "debtor ola")
		}},
		{"automatic collection off does not stop a claim already started", func() ClaimFacts {
			c := kReminded(p())
			c.AutoCollection = false
			return facts(alone(p()), consumer("ola", "NO"), c, kNoticeAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "collection-notice" {
				t.Errorf("step %s", e.Step)
			}
		}},
	})
}

// Rule 11: deliveries.
func TestDecideClaimDeliveries(t *testing.T) {
	p := kraviaPolicy
	n := noticeName("inv-1", "reminder", "letter")
	failed := func(name string) (NoticeState, bool) {
		if name == n {
			return NoticeState{CaseID: "inv-1", Channel: "letter", Debtor: true, Failed: true, Why: "address unknown"}, true
		}
		return NoticeState{Debtor: true}, true
	}
	at := local(oslo, 2025, 3, 20, 12, 0)
	runClaimRows(t, []claimRow{
		{"failed notice without fallback stalls NoticeFailed", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), at)
			f.Notice = failed
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, "NoticeFailed")
			if !strings.Contains(dec.Stalled.Message, n) || !strings.Contains(dec.Stalled.Message, "address unknown") {
				t.Errorf("message %q", dec.Stalled.Message)
			}
			if len(dec.Fallbacks) != 0 {
				t.Errorf("fallbacks %+v", dec.Fallbacks)
			}
		}},
		{"failed notice holds the next step even when it is due", func() ClaimFacts {
			f := facts(alone(p()), consumer("ola", "NO"), kReminded(p()), kNoticeAt.Add(time.Hour))
			f.Notice = failed
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, "NoticeFailed")
			noRecord(t, dec)
		}},
		{"a failed creditor notice never holds the process", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), at)
			f.Notice = func(string) (NoticeState, bool) {
				return NoticeState{CaseID: "inv-1", Channel: "letter", Failed: true, Why: "bounced"}, true
			}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantReady(t, dec, "Waiting") }},
		{"with a fallback channel: copied once", func() ClaimFacts {
			pc := p()
			pc.FallbackChannel = "sms"
			f := facts(pc, consumer("ola", "NO"), kReminded(pc), at)
			f.Notice = failed
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			cp := noticeName("inv-1", "reminder", "sms")
			if len(dec.Fallbacks) != 1 || dec.Fallbacks[0] != (Fallback{Of: n, Copy: cp, Channel: "sms", Why: "address unknown"}) {
				t.Fatalf("fallbacks %+v", dec.Fallbacks)
			}
			if got := dec.State.History[0].Notices; len(got) != 2 || got[1] != cp {
				t.Errorf("record's notices %v, want the copy appended", got)
			}
			var warned bool
			for _, e := range dec.Events {
				warned = warned || (e.Reason == "NoticeFallback" && e.Warning)
			}
			if !warned {
				t.Errorf("no NoticeFallback warning: %+v", dec.Events)
			}
			wantReady(t, dec, "Waiting")
			applyDecision(f.Claim, dec)
			again := DecideClaim(f)
			if len(again.Fallbacks) != 0 || len(again.State.History[0].Notices) != 2 {
				t.Errorf("copied twice: %+v, notices %v", again.Fallbacks, again.State.History[0].Notices)
			}
		}},
		{"the fallback copy failing too stalls", func() ClaimFacts {
			pc := p()
			pc.FallbackChannel = "sms"
			c := kReminded(pc)
			cp := noticeName("inv-1", "reminder", "sms")
			c.State.History[0].Notices = append(c.State.History[0].Notices, cp)
			f := facts(pc, consumer("ola", "NO"), c, at)
			f.Notice = func(name string) (NoticeState, bool) {
				if name == cp {
					return NoticeState{CaseID: "inv-1", Channel: "sms", Debtor: true, Failed: true, Why: "no number"}, true
				}
				return failed(name)
			}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "NoticeFailed") }},
		{"a missing fallback channel stalls ChannelNotFound", func() ClaimFacts {
			pc := p()
			pc.FallbackChannel = "sms"
			f := facts(pc, consumer("ola", "NO"), kReminded(pc), at)
			f.Notice = failed
			f.ChannelExists = func(name string) bool { return name != "sms" }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "ChannelNotFound") }},
		{"a deleted notice lets the claim go on", func() ClaimFacts {
			f := facts(alone(p()), consumer("ola", "NO"), kReminded(p()), kNoticeAt.Add(time.Hour))
			f.Notice = func(string) (NoticeState, bool) { return NoticeState{}, false }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { record(t, dec) }},
	})
}

// Rule 12 and the Transferred notice: seed 004 (collectors).
func TestDecideClaimCreditorNotices(t *testing.T) {
	warnedAt := local(oslo, 2025, 3, 16, 10, 0)
	runClaimRows(t, []claimRow{
		{"warned the day after due; transfer 5 days later", func() ClaimFacts {
			return facts(collectorsPolicy(), consumer("ola", "NO"), kClaim(), warnedAt)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorOverdueWarning {
				t.Fatalf("creditor intents %+v", dec.Creditor)
			}
			// Warned 2025-03-16: transfer 5 days later (03-21), which is after
			// the due date + minDaysAfterDue 6 (03-21) and the invoice date + 14 (03-15).
			if got := dec.Creditor[0].Data.TransferOn; got != "2025-03-21" {
				t.Errorf("TransferOn %s, want 2025-03-21", got)
			}
			wantTime(t, "CreditorNotices[OverdueWarning]", dec.State.CreditorNotices[CreditorOverdueWarning], warnedAt)
			if hasEvent(dec, "CreditorWarned") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			// The first step (a Collection-phase reminder) is at day 11: 2025-03-26 09:00.
			if dec.State.NextStep != "reminder" {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, local(oslo, 2025, 3, 26, 9, 0))
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 3, 26, 9, 0))
			applyDecision(f.Claim, dec)
			f.Now = f.Now.Add(time.Hour)
			if again := DecideClaim(f); len(again.Creditor) != 0 {
				t.Errorf("warned twice: %+v", again.Creditor)
			}
		}},
		{"never transferred before 14 days after the invoice date", func() ClaimFacts {
			c := kClaim()
			c.InvoiceDate = ymd(2025, 3, 14) // due one day after the invoice
			return facts(collectorsPolicy(), consumer("ola", "NO"), c, warnedAt)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if len(dec.Creditor) != 1 || dec.Creditor[0].Data.TransferOn != "2025-03-28" {
				t.Fatalf("creditor intents %+v, want transfer on 2025-03-28", dec.Creditor)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, local(oslo, 2025, 3, 28, 9, 0))
		}},
		{"not warned before the warning day", func() ClaimFacts {
			return facts(collectorsPolicy(), consumer("ola", "NO"), kClaim(), local(oslo, 2025, 3, 16, 8, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if len(dec.Creditor) != 0 {
				t.Errorf("warned early: %+v", dec.Creditor)
			}
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 3, 16, 9, 0))
		}},
		{"transferred: the creditor learns the free-cancellation window", func() ClaimFacts {
			c := kClaim()
			c.State.CreditorNotices[CreditorOverdueWarning] = warnedAt
			return facts(alone(collectorsPolicy()), consumer("ola", "NO"), c, local(oslo, 2025, 3, 26, 9, 30))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "reminder" {
				t.Errorf("step %s", e.Step)
			}
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorTransferred {
				t.Fatalf("creditor intents %+v", dec.Creditor)
			}
			// Started 2025-03-26; the creditor may stop at no cost for 10 days.
			if got := dec.Creditor[0].Data.FreeUntil; got != "2025-04-05" && got != "2025-04-04" {
				t.Errorf("FreeUntil %s, want the tenth day after the transfer", got)
			}
			applyDecision(f.Claim, dec)
			f.Now = f.Now.Add(time.Hour)
			if again := DecideClaim(f); len(again.Creditor) != 0 {
				t.Errorf("told twice: %+v", again.Creditor)
			}
		}},
		{"a case member taking its case's transfer step tells the creditor in the same decision", func() ClaimFacts {
			return caseTookTransfer(collectorsPolicy(), warnedAt, true)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" {
				t.Errorf("step %s, want the case's reminder", e.Step)
			}
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorTransferred {
				t.Fatalf("creditor intents %+v, want the Transferred notice with the step", dec.Creditor)
			}
			// Transferred 2025-03-26: ten days, that day included (seed 004).
			if got := dec.Creditor[0].Data.FreeUntil; got != "2025-04-04" {
				t.Errorf("FreeUntil %s, want 2025-04-04", got)
			}
			applyDecision(f.Claim, dec)
			f.Now = f.Now.Add(time.Hour)
			if again := DecideClaim(f); len(again.Creditor) != 0 {
				t.Errorf("told twice: %+v", again.Creditor)
			}
		}},
		{"the transfer step that completes its case tells the creditor in the same decision", func() ClaimFacts {
			return caseTookTransfer(collectorsPolicy(), warnedAt, false) // the case is complete
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" {
				t.Errorf("step %s, want the case's reminder", e.Step)
			}
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorTransferred || dec.Creditor[0].Data.FreeUntil != "2025-04-04" {
				t.Fatalf("creditor intents %+v, want Transferred, free until 2025-04-04, with the step", dec.Creditor)
			}
		}},
		{"a case step that forwards the claim ends it and tells the creditor in the same decision", func() ClaimFacts {
			p := collectorsPolicy()
			p.Steps[0].Action = ActionForward
			return caseTookTransfer(p, warnedAt, true)
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Phase != PhaseForwarded {
				t.Errorf("recorded %+v, want the case's step in phase Forwarded", e)
			}
			if dec.State.Phase != PhaseForwarded || dec.State.NextStep != "" {
				t.Errorf("phase %s next %q, want Forwarded and no next step", dec.State.Phase, dec.State.NextStep)
			}
			wantReady(t, dec, "Forwarded", "collection has ended")
			if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorClosed {
				t.Fatalf("creditor intents %+v, want the Closed notice with the step", dec.Creditor)
			}
		}},
		{"a missing creditor channel stalls", func() ClaimFacts {
			f := facts(collectorsPolicy(), consumer("ola", "NO"), kClaim(), warnedAt)
			f.ChannelExists = func(string) bool { return false }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "ChannelNotFound") }},
	})
}

// The day the creditor is told is the last free one must be free all day:
// the Transferred notice and the withdrawal agree.
func TestFreeCancellationDayAgreesWithWithdrawal(t *testing.T) {
	p := alone(collectorsPolicy())
	// Due 16 days before the transfer, so its reminder may charge a fee
	// (inkassoforskriften § 1-2: at least 14 days after the due date).
	c := newClaim("inv-1", "NOK", "1000.00", ymd(2025, 3, 10))
	c.State.CreditorNotices[CreditorOverdueWarning] = local(oslo, 2025, 3, 16, 10, 0)
	dec := DecideClaim(facts(p, consumer("ola", "NO"), c, local(oslo, 2025, 3, 26, 9, 30)))
	if len(dec.Creditor) != 1 || dec.Creditor[0].Event != CreditorTransferred {
		t.Fatalf("creditor intents %+v", dec.Creditor)
	}
	applyDecision(c, dec)
	last, err := civil.Parse(dec.Creditor[0].Data.FreeUntil)
	if err != nil {
		t.Fatal(err)
	}
	c.Withdraw = true
	// The day after the last free day, the fees go to the creditor.
	after := local(oslo, last.Year, last.Month, last.Day, 0, 30).AddDate(0, 0, 1)
	if w := DecideClaim(facts(p, consumer("ola", "NO"), c, after)); w.Balance.CreditorCharge.String() != "35.00" {
		t.Errorf("withdrawn %s, the day after the free window: creditor charge %s, want 35.00", after.Format(time.RFC3339), w.Balance.CreditorCharge)
	}
	lateOnLastDay := local(oslo, last.Year, last.Month, last.Day, 23, 0)
	if w := DecideClaim(facts(p, consumer("ola", "NO"), c, lateOnLastDay)); !w.Balance.CreditorCharge.IsZero() {
		t.Errorf("the creditor was told it may stop free until %s, but withdrawing at %s is charged %s NOK "+
			"(freeToEnd counts 10 days from the transfer's time of day, FreeUntil names the calendar day)",
			last, lateOnLastDay.Format(time.RFC3339), w.Balance.CreditorCharge)
	}
}

// Rule 13: Surveillance re-checks.
func TestDecideClaimSurveillance(t *testing.T) {
	p := kraviaPolicy
	// Every kravia step done, the last (handover, day 74: 2025-05-28) with
	// the default decision Insolvent: Surveillance.
	surveilled := func(pc *Policy) *Claim {
		c := kClaim()
		for i, s := range pc.Steps {
			d := kDue.AddDays(pc.Timing.Steps[i].AfterDueDays)
			did(c, pc, s.Name, local(oslo, d.Year, d.Month, d.Day, 9, 0), nok("0"))
		}
		if c.State.Phase != PhaseSurveillance {
			panic("not in surveillance: " + string(c.State.Phase))
		}
		return c
	}
	handover := local(oslo, 2025, 5, 28, 9, 0)
	recheck := local(oslo, 2025, 11, 24, 9, 0) // 180 days later
	runClaimRows(t, []claimRow{
		{"waits for the re-check", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), surveilled(p()), handover.AddDate(0, 1, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			wantReady(t, dec, "Surveillance")
			if dec.State.NextStep != RecheckStep {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, recheck)
			wantTime(t, "Wake", dec.Wake, recheck)
		}},
		{"insolvent: stays, next re-check 180 days on", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), surveilled(p()), recheck.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != RecheckStep || e.Phase != PhaseSurveillance || e.HasFee && e.Fee.IsPositive() {
				t.Errorf("record %+v", e)
			}
			if hasEvent(dec, "CreditRechecked") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			next := local(oslo, 2026, 5, 23, 9, 0)
			wantTime(t, "NextStepAt", dec.State.NextStepAt, next)
			wantTime(t, "Wake", dec.Wake, next)
			wantReady(t, dec, "Surveillance")
		}},
		{"solvent: handed to Legal", func() ClaimFacts {
			c := surveilled(p())
			c.CreditDecision = Solvent
			return facts(p(), consumer("ola", "NO"), c, recheck.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != RecheckStep || e.Phase != PhaseLegal {
				t.Errorf("record %+v", e)
			}
			wantReady(t, dec, "Legal")
			if dec.State.Phase != PhaseLegal || dec.State.NextStep != "" {
				t.Errorf("phase %s next %q", dec.State.Phase, dec.State.NextStep)
			}
		}},
		{"wake at the time bar when it comes first", func() ClaimFacts {
			c := surveilled(p())
			c.DueDate = ymd(2022, 12, 1) // barred from 2025-12-02, before the re-check after 2025-11-24
			return facts(p(), consumer("ola", "NO"), c, recheck.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantTime(t, "Wake", dec.Wake, local(oslo, 2025, 12, 2, 0, 0))
		}},
	})
}

// Rule 14: the debtor's case.
func TestDecideClaimCaseMember(t *testing.T) {
	p := kraviaPolicy
	caseID := CaseID("ola", "inv-1")
	caseNotice := noticeName(caseID, "collection-notice", "letter")
	withCase := func() *Case {
		return &Case{ID: caseID, Policy: "kravia-11", Currency: "NOK", DueDate: kDue, Claims: []string{"inv-1"}, OpenedAt: kNoticeAt,
			History: []CaseStep{{Step: "collection-notice", Time: kNoticeAt, DueAt: kNoticeAt.UTC(), Claims: []string{"inv-1"}, Shares: []money.Money{nok("35.00")}, Fee: nok("35.00"), FeeKind: fees.Reminder}},
			Step:    "collection-notice", NextStep: "payment-demand", NextStepAt: kDemandAt.UTC()}
	}
	at := kNoticeAt.Add(5 * time.Second)
	runClaimRows(t, []claimRow{
		{"takes the case's recorded step once its notices exist", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), at)
			f.Case = withCase()
			f.Notice = func(name string) (NoticeState, bool) { return NoticeState{Debtor: true}, name == caseNotice }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "collection-notice" || e.Phase != PhaseCollection || e.FeeKind != fees.Reminder {
				t.Errorf("record %+v", e)
			}
			wantMoney(t, "share", e.Fee, "35.00")
			wantTime(t, "record time", e.Time, kNoticeAt)
			if len(e.Notices) != 1 || e.Notices[0] != caseNotice {
				t.Errorf("notices %v, want [%s]", e.Notices, caseNotice)
			}
			if dec.State.CaseID != caseID {
				t.Errorf("CaseID %s", dec.State.CaseID)
			}
			ref, _ := CaseReference(f.Policy, "acme", caseID)
			if dec.State.PaymentReference != ref {
				t.Errorf("reference %s, want the case's %s", dec.State.PaymentReference, ref)
			}
			if dec.State.NextStep != "payment-demand" {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, kDemandAt)
			wantReady(t, dec, "Waiting", "collected in case "+caseID)
			if hasEvent(dec, "StepCompleted") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			if len(dec.Notices) != 0 {
				t.Errorf("a case member creates notices itself: %+v", dec.Notices)
			}
			wantMoney(t, "fees", dec.Balance.Fees, "35.00")
			// Taken once.
			applyDecision(f.Claim, dec)
			f.Now = f.Now.Add(time.Minute)
			noRecord(t, DecideClaim(f))
		}},
		{"waits while the step's notices do not exist", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), at)
			f.Case = withCase()
			f.Notice = func(string) (NoticeState, bool) { return NoticeState{}, false }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			wantReady(t, dec, "Waiting", "waiting for the notices of step collection-notice")
			if !dec.RecheckSoon {
				t.Errorf("RecheckSoon not set")
			}
		}},
		{"a case step the policy no longer has stalls", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), at)
			f.Case = withCase()
			f.Case.History[0].Step = "gone"
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantStalled(t, dec, "InvalidPolicy") }},
		{"transfer due, within the grace: keeps showing Waiting", func() ClaimFacts {
			c := kReminded(p())
			c.State.Ready = &Condition{Reason: "Waiting", Message: "next step collection-notice at 2025-03-29T08:00:00Z"}
			return facts(p(), consumer("ola", "NO"), c, kNoticeAt.Add(5*time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			wantReady(t, dec, "Waiting", "next step collection-notice")
			if dec.State.AwaitingCase || dec.RecheckSoon {
				t.Errorf("AwaitingCase %v RecheckSoon %v within the grace", dec.State.AwaitingCase, dec.RecheckSoon)
			}
			wantTime(t, "Wake", dec.Wake, kNoticeAt.Add(10*time.Minute))
		}},
		{"transfer due, past the grace: flags AwaitingCase", func() ClaimFacts {
			c := kReminded(p())
			c.State.Ready = &Condition{Reason: "Waiting", Message: "next step collection-notice at 2025-03-29T08:00:00Z"}
			return facts(p(), consumer("ola", "NO"), c, kNoticeAt.Add(11*time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			noRecord(t, dec)
			wantReady(t, dec, "AwaitingCase", "debtor ola")
			if !dec.State.AwaitingCase || !dec.RecheckSoon {
				t.Errorf("AwaitingCase %v RecheckSoon %v", dec.State.AwaitingCase, dec.RecheckSoon)
			}
			if dec.State.NextStep != "collection-notice" {
				t.Errorf("next %s", dec.State.NextStep)
			}
		}},
		{"the debtor's case follows another policy: collected alone", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), kNoticeAt.Add(time.Hour))
			f.Case = &Case{ID: "ola-other", Policy: "collectors", Currency: "NOK", Claims: []string{"inv-9"}}
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "collection-notice" {
				t.Errorf("step %s", e.Step)
			}
			wantMoney(t, "fee", e.Fee, "35.00")
		}},
		{"reminders stay the claim's own under consolidation", func() ClaimFacts {
			return facts(p(), consumer("ola", "NO"), kClaim(), kReminderAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" {
				t.Errorf("step %s", e.Step)
			}
		}},
	})
}

// A member of a case that completed every step goes on to its own
// Surveillance timer.
func TestDecideClaimCompletedCaseMember(t *testing.T) {
	p := kraviaPolicy()
	caseID := CaseID("ola", "inv-1")
	c := kReminded(p)
	cs := &Case{ID: caseID, Policy: p.Name, Currency: "NOK", DueDate: kDue, Claims: []string{"inv-1"}}
	var last time.Time
	for i, s := range p.Steps {
		if !p.IsCaseStep(s.Name) {
			continue
		}
		d := kDue.AddDays(p.Timing.Steps[i].AfterDueDays)
		last = local(oslo, d.Year, d.Month, d.Day, 9, 0)
		cs.History = append(cs.History, CaseStep{Step: s.Name, Time: last, DueAt: last.UTC(), Claims: []string{"inv-1"},
			Shares: []money.Money{nok("0")}, Fee: nok("0")})
		cs.Step = s.Name
	}
	f := facts(p, consumer("ola", "NO"), c, last.Add(time.Minute))
	f.Case = cs
	f.Notice = allNotices
	dec := DecideClaim(f)
	if dec.Stalled != nil {
		t.Fatal(dec.Stalled)
	}
	if got := len(dec.State.History); got != len(p.Steps) {
		t.Fatalf("history has %d records, want every step (%d)", got, len(p.Steps))
	}
	if dec.State.Phase != PhaseSurveillance {
		t.Fatalf("phase %s", dec.State.Phase)
	}
	wantReady(t, dec, "Surveillance", "collected in case "+caseID)
	recheck := p.Timing.RecheckAt("", last, DefaultRecheckDays)
	if dec.State.NextStep != RecheckStep {
		t.Errorf("next %s", dec.State.NextStep)
	}
	wantTime(t, "NextStepAt", dec.State.NextStepAt, recheck)
	wantTime(t, "Wake", dec.Wake, recheck)
}

// Rule 15: a step of the claim's own.
func TestDecideClaimOwnStep(t *testing.T) {
	p := kraviaPolicy
	runClaimRows(t, []claimRow{
		{"fee-free reminder", func() ClaimFacts { return facts(p(), consumer("ola", "NO"), kClaim(), kReminderAt.Add(time.Minute)) },
			func(t *testing.T, f ClaimFacts, dec Decision) {
				e := record(t, dec)
				if e.Step != "reminder" || e.Phase != PhaseReminder || !e.HasFee || !e.Fee.IsZero() || e.Fee.Currency != "NOK" {
					t.Errorf("record %+v", e)
				}
				wantTime(t, "DueAt", e.DueAt, kReminderAt)
				wantTime(t, "CollectionStartedAt", dec.State.CollectionStartedAt, f.Now)
				if dec.State.PaymentReference == "" {
					t.Errorf("no payment reference")
				}
				wantTime(t, "NextStepAt", dec.State.NextStepAt, kNoticeAt)
				wantTime(t, "Wake", dec.Wake, kNoticeAt)
				wantReady(t, dec, "Waiting", "collection-notice")
			}},
		{"collection notice: 1/20 of the 2025 sats (700) = 35 NOK", func() ClaimFacts {
			return facts(alone(p()), consumer("ola", "NO"), kReminded(p()), kNoticeAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "collection-notice" || e.Phase != PhaseCollection || e.FeeKind != fees.Reminder {
				t.Errorf("record %+v", e)
			}
			wantMoney(t, "fee", e.Fee, "35.00")
			wantMoney(t, "fees", dec.Balance.Fees, "35.00")
			name := noticeName("inv-1", "collection-notice", "letter")
			if len(e.Notices) != 1 || e.Notices[0] != name {
				t.Errorf("notices %v", e.Notices)
			}
			if len(dec.Notices) != 1 || len(dec.Notices[0].Names) != 1 || dec.Notices[0].Names[0] != name ||
				dec.Notices[0].CaseID != "inv-1" || dec.Notices[0].Fee.String() != "35.00" || dec.Notices[0].Step.Name != "collection-notice" {
				t.Errorf("notice intents %+v", dec.Notices)
			}
			if o := dec.Observe; o == nil || o.Policy != "kravia-11" || o.Step != "collection-notice" || !o.Due.Equal(kNoticeAt) {
				t.Errorf("observation %+v", dec.Observe)
			}
			if hasEvent(dec, "StepCompleted") != 1 {
				t.Errorf("events %+v", dec.Events)
			}
			if dec.State.NextStep != "payment-demand" {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantTime(t, "NextStepAt", dec.State.NextStepAt, kDemandAt)
			wantTime(t, "Wake", dec.Wake, kDemandAt)
			wantReady(t, dec, "Waiting", "payment-demand")
		}},
		{"collection notice in 2026: 1/20 of 750 = 37.50 NOK", func() ClaimFacts {
			c := newClaim("inv-26", "NOK", "1000.00", ymd(2026, 1, 15))
			did(c, p(), "reminder", local(oslo, 2026, 1, 16, 9, 0), nok("0"))
			return facts(alone(p()), consumer("ola", "NO"), c, local(oslo, 2026, 1, 29, 9, 1))
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantMoney(t, "fee", record(t, dec).Fee, "37.50") }},
		{"payment demand: light salær, consumer, principal 1,000: 0.35 x 700 = 245 NOK", func() ClaimFacts {
			c := kReminded(p())
			did(c, p(), "collection-notice", kNoticeAt, nok("35"))
			return facts(alone(p()), consumer("ola", "NO"), c, kDemandAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.FeeKind != fees.LightSalary {
				t.Errorf("kind %s", e.FeeKind)
			}
			wantMoney(t, "fee", e.Fee, "245.00")
		}},
		{"payment demand, business debtor: 1.5 x 245 = 367.50 NOK", func() ClaimFacts {
			c := kReminded(p())
			did(c, p(), "collection-notice", kNoticeAt, nok("35"))
			return facts(alone(p()), business("ola-as", "NO"), c, kDemandAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantMoney(t, "fee", record(t, dec).Fee, "367.50") }},
		{"payment demand, creditor not VAT-registered: 1.25 x 245 = 306.25 NOK", func() ClaimFacts {
			pc := alone(p())
			pc.Fees.NoVAT = true
			c := kReminded(pc)
			did(c, pc, "collection-notice", kNoticeAt, nok("35"))
			return facts(pc, consumer("ola", "NO"), c, kDemandAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) { wantMoney(t, "fee", record(t, dec).Fee, "306.25") }},
		{"a missing channel stalls ChannelNotFound", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kClaim(), kReminderAt.Add(time.Minute))
			f.ChannelExists = func(name string) bool { return name != "letter" }
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, "ChannelNotFound")
			noRecord(t, dec)
		}},
		{"a debtor abroad is forwarded at transfer", func() ClaimFacts {
			return facts(p(), consumer("sven", "SE"), kReminded(p()), kNoticeAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Phase != PhaseForwarded || e.Fee.IsPositive() {
				t.Errorf("record %+v", e)
			}
			if dec.State.Phase != PhaseForwarded || !dec.Wake.IsZero() || dec.State.NextStep != "" {
				t.Errorf("phase %s wake %v next %q", dec.State.Phase, dec.Wake, dec.State.NextStep)
			}
			wantReady(t, dec, "Forwarded")
			if hasEvent(dec, "Forwarded") != 1 || len(dec.Notices) != 0 {
				t.Errorf("events %+v notices %+v", dec.Events, dec.Notices)
			}
		}},
		{"a debtor abroad still gets the reminders", func() ClaimFacts {
			return facts(p(), consumer("sven", "SE"), kClaim(), kReminderAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" || e.Phase != PhaseReminder {
				t.Errorf("record %+v", e)
			}
		}},
		{"one step per reconcile: a late claim is not burst through its steps", func() ClaimFacts {
			return facts(alone(p()), consumer("ola", "NO"), kClaim(), local(oslo, 2025, 9, 1, 12, 0))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" {
				t.Errorf("step %s", e.Step)
			}
			// The collection notice waits minGapDays 7 after the reminder.
			wantTime(t, "NextStepAt", dec.State.NextStepAt, local(oslo, 2025, 9, 8, 9, 0))
		}},
		{"escalation with the default decision: Surveillance, no heavy salær (branch fees only on the branch taken)", func() ClaimFacts {
			pc := alone(p())
			c := kReminded(pc)
			did(c, pc, "collection-notice", kNoticeAt, nok("35"))
			did(c, pc, "payment-demand", kDemandAt, nok("245"))
			for _, s := range []string{"sms-reminder", "phone-call", "legal-warning", "second-call", "heavy-fee-sms", "credit-assessment"} {
				did(c, pc, s, local(oslo, 2025, 5, 25, 9, 0), nok("0"))
			}
			return facts(pc, consumer("ola", "NO"), c, local(oslo, 2025, 5, 28, 9, 1))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "handover" || e.Phase != PhaseSurveillance {
				t.Errorf("record %+v", e)
			}
			// The handover's heavy salær belongs to the Legal branch: nothing
			// when the assessment sends the claim to Surveillance.
			wantMoney(t, "fee", e.Fee, "0.00")
			// The first re-check is written with the step.
			if dec.State.NextStep != RecheckStep {
				t.Errorf("next %s", dec.State.NextStep)
			}
			wantReady(t, dec, "Surveillance")
		}},
	})
}
