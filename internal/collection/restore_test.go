package collection

import (
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// restoredNotices is a Notice lookup holding the given notices of case inv-1
// (the claim's own case), keyed by step; each carries its step record as
// the operator annotates it.
type restoredNotice struct {
	step     string
	at       time.Time // step-at annotation (zero: an older notice without it)
	fee      string    // step-fee annotation ("": none)
	released time.Time
}

func restoredLookup(ns ...restoredNotice) func(string) (NoticeState, bool) {
	byName := map[string]NoticeState{}
	for _, n := range ns {
		st := NoticeState{CaseID: "inv-1", Channel: "letter", Debtor: true, Step: n.step, StepAt: n.at, Released: n.released}
		if n.fee != "" {
			st.Fee, st.HasFee = money.MustParse(n.fee, "NOK"), true
		}
		ch := "letter"
		for _, s := range kraviaPolicy().Steps {
			if s.Name == n.step && len(s.Channels) > 0 {
				ch = s.Channels[0]
			}
		}
		st.Channel = ch
		byName[noticeName("inv-1", n.step, ch)] = st
	}
	return func(name string) (NoticeState, bool) {
		st, ok := byName[name]
		return st, ok
	}
}

// TestDecideClaimAdoptsStepsFromExistingNotices: after an etcd or Velero
// restore a claim's record is older than its notices (or empty: Velero does
// not restore status). A due step whose notice exists was taken already: it
// is recorded as it was (time and fee from the notice), announced as
// StepAdopted, and never taken, charged or sent again.
func TestDecideClaimAdoptsStepsFromExistingNotices(t *testing.T) {
	p := func() *Policy { return alone(kraviaPolicy()) }
	later := kDemandAt.Add(3 * 24 * time.Hour) // the restore: weeks after the first steps
	runClaimRows(t, []claimRow{
		{"status wiped: the reminder is adopted at its own time", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kClaim(), later)
			f.Notice = restoredLookup(restoredNotice{step: "reminder", at: kReminderAt, fee: "0.00"})
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			if e.Step != "reminder" || !e.HasFee || !e.Fee.IsZero() {
				t.Errorf("record %+v", e)
			}
			wantTime(t, "record Time", e.Time, kReminderAt)
			wantTime(t, "CollectionStartedAt", dec.State.CollectionStartedAt, kReminderAt)
			if hasEvent(dec, ReasonStepAdopted) != 1 || hasEvent(dec, "StepCompleted") != 0 {
				t.Errorf("events %+v", dec.Events)
			}
			if dec.Observe != nil {
				t.Errorf("an adopted step is no lateness observation: %+v", dec.Observe)
			}
			// The intent stays (a channel's notice that is missing is made), at the step's time.
			if len(dec.Notices) != 1 || !dec.Notices[0].At.Equal(kReminderAt) {
				t.Errorf("notice intents %+v", dec.Notices)
			}
		}},
		{"the fee the notice told the debtor is the fee recorded", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), later)
			f.Notice = restoredLookup(restoredNotice{step: "collection-notice", at: kNoticeAt, fee: "30.00"})
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			wantTime(t, "record Time", e.Time, kNoticeAt)
			wantMoney(t, "fee", e.Fee, "30.00")
			wantMoney(t, "fees", dec.Balance.Fees, "30.00")
		}},
		{"an older notice without the record: its release time, and the policy's fee then", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), later)
			f.Notice = restoredLookup(restoredNotice{step: "collection-notice", released: kNoticeAt.Add(2 * time.Hour)})
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			wantTime(t, "record Time", e.Time, kNoticeAt.Add(2*time.Hour))
			wantMoney(t, "fee", e.Fee, "35.00") // 1/20 of the 2025 sats, as on that day
		}},
		{"a release after now is never a record in the future", func() ClaimFacts {
			now := kNoticeAt.Add(time.Minute)
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), now)
			f.Notice = restoredLookup(restoredNotice{step: "collection-notice", released: now.Add(20 * time.Hour)})
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantTime(t, "record Time", record(t, dec).Time, f.Now)
		}},
		{"no notice: the step is taken now, as always", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), later)
			f.Notice = restoredLookup(restoredNotice{step: "reminder", at: kReminderAt})
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			e := record(t, dec)
			wantTime(t, "record Time", e.Time, later)
			if hasEvent(dec, ReasonStepAdopted) != 0 || dec.Observe == nil {
				t.Errorf("events %+v observe %+v", dec.Events, dec.Observe)
			}
		}},
		{"a lookup that does not name the step proves nothing", func() ClaimFacts {
			f := facts(p(), consumer("ola", "NO"), kReminded(p()), later)
			f.Notice = allNotices
			return f
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantTime(t, "record Time", record(t, dec).Time, later)
		}},
	})
}

// TestRestoredClaimReplaysWithoutRepeats runs a claim whose status was wiped
// by a restore until it rests: every step whose notice exists is adopted at
// its time, in order, each once; the first step without one is taken now;
// the fees are exactly the recorded ones plus that step's.
func TestRestoredClaimReplaysWithoutRepeats(t *testing.T) {
	p := alone(kraviaPolicy())
	c := kClaim()
	lookup := restoredLookup(
		restoredNotice{step: "reminder", at: kReminderAt, fee: "0.00"},
		restoredNotice{step: "collection-notice", at: kNoticeAt, fee: "35.00"},
		restoredNotice{step: "payment-demand", at: kDemandAt, fee: "245.00"},
	)
	now := kDemandAt.Add(7*24*time.Hour + time.Minute) // sms-reminder is due (38 days after due)
	adopted, taken := 0, 0
	for i := 0; i < 20; i++ {
		f := facts(p, consumer("ola", "NO"), c, now)
		f.Notice = lookup
		dec := DecideClaim(f)
		if dec.Stalled != nil {
			t.Fatalf("stalled: %v", dec.Stalled)
		}
		applyDecision(c, dec)
		if dec.Record == nil {
			break
		}
		adopted += hasEvent(dec, ReasonStepAdopted)
		taken += hasEvent(dec, "StepCompleted")
	}
	var steps []string
	seen := map[string]bool{}
	for _, e := range c.State.History {
		if seen[e.Step] {
			t.Errorf("step %s recorded twice", e.Step)
		}
		seen[e.Step] = true
		steps = append(steps, e.Step)
	}
	want := []string{"reminder", "collection-notice", "payment-demand", "sms-reminder"}
	if len(steps) != len(want) {
		t.Fatalf("history %v, want %v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Fatalf("history %v, want %v", steps, want)
		}
	}
	for i, at := range []time.Time{kReminderAt, kNoticeAt, kDemandAt, now} {
		wantTime(t, "time of "+steps[i], c.State.History[i].Time, at.Truncate(time.Second))
	}
	if adopted != 3 || taken != 1 {
		t.Errorf("adopted %d, taken %d: want 3 and 1", adopted, taken)
	}
	b, err := Balance(c, p, consumer("ola", "NO"), now)
	if err != nil {
		t.Fatal(err)
	}
	wantMoney(t, "fees", b.Fees, "280.00") // 0 + 35 + 245 + the fee-free SMS
}

// TestDecideClaimForAnInvoiceAlreadyClosed: a claim created again for an
// invoice whose collection ended (the debtor remembers it) stalls before
// its first step instead of collecting a second time; the creditor can
// still withdraw it, and a claim already under way is not affected.
func TestDecideClaimForAnInvoiceAlreadyClosed(t *testing.T) {
	p := func() *Policy { return alone(kraviaPolicy()) }
	closed := func() *Debtor {
		d := consumer("ola", "NO")
		d.Closed = map[string]ClosedInvoice{"INV-1": {Phase: PhasePaid, ClosedAt: kDemandAt}}
		return d
	}
	runClaimRows(t, []claimRow{
		{"re-applied after it was paid: stalled, no step", func() ClaimFacts {
			return facts(p(), closed(), kClaim(), kReminderAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			wantStalled(t, dec, ReasonAlreadyClosed)
			noRecord(t, dec)
			if len(dec.Notices) != 0 {
				t.Errorf("notices %+v", dec.Notices)
			}
		}},
		{"another invoice of the debtor is collected", func() ClaimFacts {
			return facts(p(), closed(), newClaim("inv-2", "NOK", "1000.00", kDue), kReminderAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "reminder" {
				t.Errorf("record %+v", e)
			}
		}},
		{"withdrawn: ends as usual", func() ClaimFacts {
			c := kClaim()
			c.Withdraw = true
			return facts(p(), closed(), c, kReminderAt.Add(time.Hour))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if dec.State.Phase != PhaseWithdrawn {
				t.Errorf("phase %s, want Withdrawn", dec.State.Phase)
			}
		}},
		{"a claim under way goes on", func() ClaimFacts {
			return facts(p(), closed(), kReminded(p()), kNoticeAt.Add(time.Minute))
		}, func(t *testing.T, f ClaimFacts, dec Decision) {
			if e := record(t, dec); e.Step != "collection-notice" {
				t.Errorf("record %+v", e)
			}
		}},
	})
}
