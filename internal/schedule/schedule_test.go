package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

var oslo, _ = time.LoadLocation("Europe/Oslo")

// kravia is the Norwegian 11-step process of seed 000, as in config/samples.
func kravia() Policy {
	steps := []Step{
		{Name: "reminder", Reminder: true, AfterDueDays: 1, MinGapDays: 0},
		{Name: "collection-notice", AfterDueDays: 14, MinGapDays: 7},
		{Name: "payment-demand", AfterDueDays: 31, MinGapDays: 14},
		{Name: "sms-reminder", AfterDueDays: 38, MinGapDays: 7},
		{Name: "phone-call", AfterDueDays: 41, MinGapDays: 3},
		{Name: "legal-warning", AfterDueDays: 49, MinGapDays: 8},
		{Name: "second-call", AfterDueDays: 58, MinGapDays: 9},
		{Name: "heavy-fee-sms", AfterDueDays: 69, MinGapDays: 11},
		{Name: "credit-assessment", AfterDueDays: 71, MinGapDays: 2},
		{Name: "handover", AfterDueDays: 74, MinGapDays: 3},
	}
	return Policy{Steps: steps, Location: oslo, StepTime: 9 * time.Hour, MinDaysAfterDue: 14, MinDaysAfterInvoice: 14}
}

func d(s string) civil.Date {
	x, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return x
}

// walk fires every step as soon as it is due, starting at start, and returns
// the local dates the steps fired on.
func walk(t *testing.T, p Policy, c Claim, start time.Time) []string {
	t.Helper()
	now := start
	var fired []string
	for range 100 {
		plan := Compute(p, c, now)
		if plan.Next < 0 {
			return fired
		}
		if plan.Due {
			c.Done = append(c.Done, Done{Step: p.Steps[plan.Next].Name, At: now})
			fired = append(fired, civil.Of(now, oslo).String())
			continue
		}
		if !plan.WakeAt.After(now) {
			t.Fatalf("plan does not advance: %+v at %v", plan, now)
		}
		now = plan.WakeAt
	}
	t.Fatal("schedule did not finish in 100 iterations")
	return nil
}

func TestOnTimeClaimFollowsTheSeedDays(t *testing.T) {
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15")}
	got := walk(t, kravia(), c, time.Date(2026, 1, 1, 0, 0, 0, 0, oslo))
	due := d("2026-01-15")
	want := []int{1, 14, 31, 38, 41, 49, 58, 69, 71, 74}
	if len(got) != len(want) {
		t.Fatalf("fired %d steps, want %d: %v", len(got), len(want), got)
	}
	for i, days := range want {
		if got[i] != due.AddDays(days).String() {
			t.Errorf("step %d fired %s, want due+%d = %s", i, got[i], days, due.AddDays(days))
		}
	}
}

func TestLateClaimWalksEveryStepWithGaps(t *testing.T) {
	// Created 60 days after its due date: starts at the first step now and
	// keeps every minimum gap, so the collection notice's 14 days are kept.
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15")}
	start := time.Date(2026, 3, 16, 10, 30, 0, 0, oslo)
	got := walk(t, kravia(), c, start)
	want := []string{"2026-03-16", "2026-03-23", "2026-04-06", "2026-04-13", "2026-04-16",
		"2026-04-24", "2026-05-03", "2026-05-14", "2026-05-16", "2026-05-19"}
	if len(got) != len(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d fired %s, want %s", i, got[i], want[i])
		}
	}
}

func TestEligibilityWaitsForInvoiceAge(t *testing.T) {
	// Due three days after the invoice: the collection notice waits for 14
	// days after the invoice date and 14 after due, whichever is later.
	p := kravia()
	c := Claim{InvoiceDate: d("2026-02-01"), DueDate: d("2026-02-04"), Done: []Done{{Step: "reminder", At: time.Date(2026, 2, 5, 9, 0, 0, 0, oslo)}}}
	plan := Compute(p, c, time.Date(2026, 2, 6, 0, 0, 0, 0, oslo))
	if want := time.Date(2026, 2, 18, 9, 0, 0, 0, oslo); !plan.NextAt.Equal(want) {
		t.Fatalf("collection notice at %v, want %v", plan.NextAt, want)
	}
	p.MinDaysAfterDue = 0
	p.MinDaysAfterInvoice = 20
	p.Steps[1].AfterDueDays, p.Steps[1].MinGapDays = 1, 0
	plan = Compute(p, c, time.Date(2026, 2, 6, 0, 0, 0, 0, oslo))
	if want := time.Date(2026, 2, 21, 9, 0, 0, 0, oslo); !plan.NextAt.Equal(want) {
		t.Fatalf("with minDaysAfterInvoice 20: at %v, want %v", plan.NextAt, want)
	}
}

// collectors is the FakturaNett/Collectors-style policy of seed 004.
func collectors() Policy {
	return Policy{Location: oslo, StepTime: 9 * time.Hour, MinDaysAfterDue: 6, MinDaysAfterInvoice: 14,
		CreditorWarning: true, WarnAfterDueDays: 1, TransferWarningDays: 5,
		Steps: []Step{
			{Name: "reminder", AfterDueDays: 11},
			{Name: "collection-notice", AfterDueDays: 25, MinGapDays: 14},
		}}
}

func TestCreditorWarningBeforeTransfer(t *testing.T) {
	tests := []struct {
		name             string
		invoice, due     string
		now              time.Time
		warnedAt         time.Time
		wantWarn, wantAt string // local date-times, "2006-01-02 15:04"
		wantWarnDue      bool
		wantNext         string
	}{
		{name: "warned the day after due", invoice: "2026-12-01", due: "2026-12-20", now: time.Date(2026, 12, 20, 12, 0, 0, 0, oslo),
			wantWarn: "2026-12-21 09:00", wantNext: "2026-12-31 09:00"},
		{name: "warning due", invoice: "2026-12-01", due: "2026-12-20", now: time.Date(2026, 12, 21, 9, 0, 0, 0, oslo),
			wantWarn: "2026-12-21 09:00", wantWarnDue: true, wantNext: "2026-12-31 09:00"},
		{name: "transfer counts from the warning actually sent", invoice: "2026-12-01", due: "2026-12-20", now: time.Date(2027, 2, 10, 15, 0, 0, 0, oslo),
			warnedAt: time.Date(2027, 2, 10, 15, 0, 0, 0, oslo), wantNext: "2027-02-15 09:00"},
		{name: "a late claim is warned at once", invoice: "2026-12-01", due: "2026-12-20", now: time.Date(2027, 2, 10, 15, 0, 0, 0, oslo),
			wantWarn: "2026-12-21 09:00", wantWarnDue: true},
		{name: "never before invoice date + 14", invoice: "2027-02-25", due: "2027-02-27", now: time.Date(2027, 2, 28, 9, 0, 0, 0, oslo),
			warnedAt: time.Date(2027, 2, 28, 9, 0, 0, 0, oslo), wantNext: "2027-03-11 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := collectors()
			p.Steps[0].Reminder = false
			c := Claim{InvoiceDate: d(tt.invoice), DueDate: d(tt.due), WarnedAt: tt.warnedAt}
			plan := Compute(p, c, tt.now)
			f := func(x time.Time) string {
				if x.IsZero() {
					return ""
				}
				return x.In(oslo).Format("2006-01-02 15:04")
			}
			if f(plan.WarnAt) != tt.wantWarn || plan.WarnDue != tt.wantWarnDue {
				t.Errorf("warning at %q (due %v), want %q (due %v)", f(plan.WarnAt), plan.WarnDue, tt.wantWarn, tt.wantWarnDue)
			}
			if tt.wantNext != "" && f(plan.NextAt) != tt.wantNext {
				t.Errorf("transfer at %s, want %s", f(plan.NextAt), tt.wantNext)
			}
			if !tt.warnedAt.IsZero() || plan.WarnDue {
				return
			}
			if !plan.WakeAt.Equal(plan.WarnAt) && plan.Overdue {
				t.Errorf("wakes at %v, not at the warning %v", plan.WakeAt, plan.WarnAt)
			}
		})
	}
	// Once transferred, the creditor is not warned again.
	p := collectors()
	c := Claim{InvoiceDate: d("2026-12-01"), DueDate: d("2026-12-20"), Done: []Done{{Step: "reminder", At: time.Date(2026, 12, 31, 9, 0, 0, 0, oslo)}}}
	if plan := Compute(p, c, time.Date(2027, 1, 2, 9, 0, 0, 0, oslo)); !plan.WarnAt.IsZero() || plan.WarnDue {
		t.Errorf("warned after transfer: %+v", plan)
	}
}

func TestEscalationWaitsForACreditDecision(t *testing.T) {
	p := kravia()
	p.Steps[len(p.Steps)-1].DecisionWaitDays = 10 // handover, 3 days after the credit assessment
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15")}
	for _, s := range p.Steps[:len(p.Steps)-1] {
		c.Done = append(c.Done, Done{Step: s.Name, At: time.Date(2026, 3, 27, 9, 0, 0, 0, oslo)})
	}
	now := time.Date(2026, 3, 30, 9, 0, 0, 0, oslo)
	if plan := Compute(p, c, now); plan.Due || !plan.NextAt.Equal(time.Date(2026, 4, 6, 9, 0, 0, 0, oslo)) {
		t.Errorf("without a decision: due %v at %v, want 2026-04-06 09:00 (10 days after the assessment)", plan.Due, plan.NextAt)
	}
	c.Decided = true
	if plan := Compute(p, c, now); !plan.Due {
		t.Errorf("with a decision the handover is due at its own time: %+v", plan)
	}
}

func TestRecheckAtCrossesDST(t *testing.T) {
	p := kravia()
	last := time.Date(2026, 10, 1, 9, 0, 0, 0, oslo) // summer time
	got := p.RecheckAt("", last, 180)
	if want := time.Date(2027, 3, 30, 9, 0, 0, 0, oslo); !got.Equal(want) {
		t.Errorf("recheck at %v, want %v", got, want)
	}
}

func TestPendingUntilTheDayAfterDue(t *testing.T) {
	c := Claim{InvoiceDate: d("2026-03-01"), DueDate: d("2026-03-15")}
	plan := Compute(kravia(), c, time.Date(2026, 3, 15, 23, 59, 0, 0, oslo))
	if plan.Overdue || plan.Due {
		t.Fatalf("overdue on the due date itself: %+v", plan)
	}
	if want := time.Date(2026, 3, 16, 0, 0, 0, 0, oslo); !plan.WakeAt.Equal(want) {
		t.Fatalf("wake at %v, want the start of the next day %v", plan.WakeAt, want)
	}
	plan = Compute(kravia(), c, time.Date(2026, 3, 16, 0, 0, 0, 0, oslo))
	if !plan.Overdue || plan.Due || plan.Next != 0 {
		t.Fatalf("at midnight after due: %+v", plan)
	}
}

func TestStepTimeIsLocalAcrossDST(t *testing.T) {
	// Europe/Oslo moves to summer time on 2026-03-29: steps still fire at 09:00 local.
	c := Claim{InvoiceDate: d("2026-03-01"), DueDate: d("2026-03-20"), Done: []Done{{Step: "reminder", At: time.Date(2026, 3, 21, 9, 0, 0, 0, oslo)}}}
	plan := Compute(kravia(), c, time.Date(2026, 3, 22, 0, 0, 0, 0, oslo))
	if got := plan.NextAt.In(oslo); got.Hour() != 9 || got.Day() != 3 || got.Month() != 4 {
		t.Fatalf("collection notice at %v, want 2026-04-03 09:00 local", got)
	}
	if _, off := plan.NextAt.In(oslo).Zone(); off != 2*3600 {
		t.Fatalf("offset %d, want CEST", off)
	}
}

func TestFinishedAndRemovedSteps(t *testing.T) {
	p := kravia()
	var done []Done
	for _, s := range p.Steps {
		done = append(done, Done{Step: s.Name, At: time.Date(2026, 6, 1, 9, 0, 0, 0, oslo)})
	}
	plan := Compute(p, Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15"), Done: done}, time.Date(2026, 7, 1, 0, 0, 0, 0, oslo))
	if plan.Next != -1 || !plan.WakeAt.IsZero() {
		t.Fatalf("finished claim plans more: %+v", plan)
	}
	// A step that was done but is no longer in the policy does not restart it.
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15"), Done: []Done{
		{Step: "reminder", At: time.Date(2026, 1, 16, 9, 0, 0, 0, oslo)},
		{Step: "old-step", At: time.Date(2026, 1, 20, 9, 0, 0, 0, oslo)},
	}}
	plan = Compute(p, c, time.Date(2026, 1, 21, 0, 0, 0, 0, oslo))
	if plan.Next != 1 {
		t.Fatalf("next = %d, want 1", plan.Next)
	}
}

func TestParseDate(t *testing.T) {
	if _, err := civil.Parse("2026-02-30"); err == nil {
		t.Fatal("2026-02-30 parsed")
	}
	if got := d("2026-12-31").AddDays(1).String(); got != "2027-01-01" {
		t.Fatalf("AddDays across the year = %s", got)
	}
}

func TestResumeShiftsTheRemainingSchedule(t *testing.T) {
	c := Claim{InvoiceDate: d("2026-01-01"), DueDate: d("2026-01-15"), ShiftDays: 30,
		Done: []Done{{Step: "reminder", At: time.Date(2026, 1, 16, 9, 0, 0, 0, oslo)}}}
	plan := Compute(kravia(), c, time.Date(2026, 1, 20, 0, 0, 0, 0, oslo))
	if want := time.Date(2026, 2, 28, 9, 0, 0, 0, oslo); !plan.NextAt.Equal(want) { // due + 14 + 30
		t.Fatalf("after a 30-day pause the notice is at %v, want %v", plan.NextAt, want)
	}
}

func TestTimeBarred(t *testing.T) {
	tests := []struct {
		j        string
		business bool
		due      string
		acks     []string
		judgment string
		want     string
	}{
		{"NO", false, "2026-01-15", nil, "", "2029-01-16"},
		{"NO", false, "2026-01-15", []string{"2027-06-01", "2026-03-01"}, "", "2030-06-02"},
		{"SE", false, "2026-01-15", nil, "", "2029-01-16"},
		{"SE", true, "2026-01-15", nil, "", "2036-01-16"},
		{"FI", false, "2024-02-29", nil, "", "2027-03-02"}, // leap day: 3 years later is 1 March
		// foreldelsesloven § 21: 10 years after a judgment.
		{"NO", false, "2026-01-15", nil, "2027-05-10", "2037-05-11"},
		// an acknowledgement after the judgment's 10 years does not shorten them
		{"NO", false, "2026-01-15", []string{"2030-01-01"}, "2027-05-10", "2037-05-11"},
	}
	for _, tt := range tests {
		var acks []civil.Date
		for _, a := range tt.acks {
			acks = append(acks, d(a))
		}
		var judgment civil.Date
		if tt.judgment != "" {
			judgment = d(tt.judgment)
		}
		got, why, err := TimeBarredFrom(tt.j, tt.business, d(tt.due), acks, judgment, 10)
		if err != nil || got.String() != tt.want || why == "" {
			t.Errorf("%s business=%v due %s acks %v: %s (%s) %v, want %s", tt.j, tt.business, tt.due, tt.acks, got, why, err, tt.want)
		}
	}
	if _, _, err := TimeBarredFrom("DK", false, d("2026-01-01"), nil, civil.Date{}, 0); err == nil {
		t.Error("DK accepted")
	}
}

// FuzzSchedule walks random policies and claims and checks the engine's
// promises: every step fires once and in order, never before its offset from
// the due date, never before eligibility (after the reminder phase), never
// closer than its minimum gap to the previous step, always at the step time;
// and the same input always gives the same plan.
func FuzzSchedule(f *testing.F) {
	f.Add(uint64(1), uint16(14), uint16(3), uint16(0), uint8(14), uint8(14), uint8(5))
	f.Add(uint64(99), uint16(0), uint16(0), uint16(400), uint8(0), uint8(30), uint8(11))
	f.Fuzz(func(t *testing.T, seed uint64, invoiceAgo, dueAfterInvoice, createdAfterDue uint16, minDue, minInvoice, nsteps uint8) {
		r := seed
		next := func(n int) int { // xorshift: deterministic from the seed
			r ^= r << 13
			r ^= r >> 7
			r ^= r << 17
			return int(r % uint64(n))
		}
		p := Policy{Location: oslo, StepTime: time.Duration(next(24))*time.Hour + time.Duration(next(60))*time.Minute,
			MinDaysAfterDue: int(minDue % 60), MinDaysAfterInvoice: int(minInvoice % 60)}
		offset := 0
		for i := 0; i < int(nsteps%12)+1; i++ {
			offset += next(20)
			p.Steps = append(p.Steps, Step{Name: fmt.Sprintf("s%d", i), Reminder: i == 0 && next(2) == 0, AfterDueDays: offset, MinGapDays: next(15)})
		}
		invoice := d("2025-01-01").AddDays(int(invoiceAgo % 1500))
		c := Claim{InvoiceDate: invoice, DueDate: invoice.AddDays(int(dueAfterInvoice % 90))}
		now := p.At(c.DueDate.AddDays(int(createdAfterDue % 800))).Add(time.Duration(next(86400)) * time.Second)

		if next(2) == 0 {
			p.CreditorWarning, p.WarnAfterDueDays, p.TransferWarningDays = true, next(5), next(10)
		}
		// Half the runs spread the step time over a window of up to 12 h:
		// every rule then holds from stepTime plus the claim's offset, on
		// the day the step was due at stepTime.
		if next(2) == 0 {
			p.StepWindow = time.Duration(next(12*3600+1)) * time.Second
			c.Key = fmt.Sprintf("ns/c-%d", next(1000000))
		}
		off := Offset(c.Key, p.StepWindow)
		day := func(t time.Time) civil.Date { return civil.Of(t.Add(-off), oslo) }

		at := func(dd civil.Date, days int) time.Time { return p.At(dd.AddDays(days)).Add(off) }
		for i := 0; i < 3*len(p.Steps)+3; i++ {
			plan := Compute(p, c, now)
			if again := Compute(p, c, now); again != plan {
				t.Fatalf("not deterministic: %+v vs %+v", plan, again)
			}
			if off > 0 {
				// The window only adds the offset: the same claim without
				// it, every time taken back by the offset, plans the same.
				if q := nominal(p, c, now, off); q.Next != plan.Next || (plan.Next >= 0 && !q.NextAt.Add(off).Equal(plan.NextAt)) {
					t.Fatalf("window %v, offset %v: plan %+v, without the window %+v", p.StepWindow, off, plan, q)
				}
			}
			if plan.WarnDue {
				if !p.CreditorWarning || !c.WarnedAt.IsZero() {
					t.Fatalf("creditor warning due twice or without a policy: %+v", plan)
				}
				if now.Before(at(c.DueDate, p.WarnAfterDueDays)) || now.Before(c.DueDate.AddDays(1).Midnight(oslo)) {
					t.Fatalf("creditor warned %v, before due+%d", now, p.WarnAfterDueDays)
				}
				c.WarnedAt = now
				continue
			}
			if plan.Next < 0 {
				if len(c.Done) != len(p.Steps) {
					t.Fatalf("finished after %d of %d steps", len(c.Done), len(p.Steps))
				}
				return
			}
			if plan.Next != len(c.Done) {
				t.Fatalf("next step %d after %d done: a step was skipped or repeated", plan.Next, len(c.Done))
			}
			if !plan.Due {
				if !plan.WakeAt.After(now) {
					t.Fatalf("plan does not advance at %v: %+v", now, plan)
				}
				now = plan.WakeAt
				continue
			}
			s := p.Steps[plan.Next]
			fired := now
			if fired.Before(at(c.DueDate, s.AfterDueDays)) {
				t.Fatalf("step %s fired %v before due+%d", s.Name, fired, s.AfterDueDays)
			}
			if !s.Reminder && (fired.Before(at(c.DueDate, p.MinDaysAfterDue)) || fired.Before(at(c.InvoiceDate, p.MinDaysAfterInvoice))) {
				t.Fatalf("step %s fired %v before eligibility", s.Name, fired)
			}
			if !s.Reminder && p.CreditorWarning {
				if c.WarnedAt.IsZero() {
					t.Fatalf("transfer step %s fired before the creditor was warned", s.Name)
				}
				if fired.Before(at(day(c.WarnedAt), p.TransferWarningDays)) {
					t.Fatalf("transfer step %s fired %v, within %d days of the creditor warning at %v", s.Name, fired, p.TransferWarningDays, c.WarnedAt)
				}
			}
			if n := len(c.Done); n > 0 {
				prev := c.Done[n-1].At
				if fired.Before(prev) || fired.Before(at(day(prev), s.MinGapDays)) {
					t.Fatalf("step %s fired %v, within %d days of the previous step at %v", s.Name, fired, s.MinGapDays, prev)
				}
			}
			c.Done = append(c.Done, Done{Step: s.Name, At: fired})
			now = fired.Add(time.Duration(next(3600)) * time.Second) // the controller takes a moment
		}
		t.Fatalf("more plans than steps")
	})
}
