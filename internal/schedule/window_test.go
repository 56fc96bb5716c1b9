package schedule

import (
	"fmt"
	"testing"
	"time"
)

// nominal is the plan of c without p's window, every recorded time taken
// back by off: what the windowed plan must equal, plus off.
func nominal(p Policy, c Claim, now time.Time, off time.Duration) Plan {
	p.StepWindow = 0
	c.Done = append([]Done(nil), c.Done...)
	for i := range c.Done {
		c.Done[i].At = c.Done[i].At.Add(-off)
	}
	if !c.WarnedAt.IsZero() {
		c.WarnedAt = c.WarnedAt.Add(-off)
	}
	return Compute(p, c, now.Add(-off))
}

func TestOffsetIsStableAndInsideTheWindow(t *testing.T) {
	for _, tc := range []struct {
		key    string
		window time.Duration
		want   time.Duration // pinned: a restart or another replica must compute the same
	}{
		{"bench/c-00001", 0, 0},
		{"bench/c-00001", 999 * time.Millisecond, 0},
		{"bench/c-00001", time.Hour, 1681 * time.Second},
		{"bench/c-00002", time.Hour, 1048 * time.Second},
		{"acme/inv-1001", 12 * time.Hour, 13744 * time.Second},
		{"acme/inv-2002", 2 * time.Hour, 2870 * time.Second},
		{"", time.Hour, 437 * time.Second},
	} {
		got := Offset(tc.key, tc.window)
		if got != tc.want {
			t.Errorf("Offset(%q, %v) = %v, want %v", tc.key, tc.window, got, tc.want)
		}
		if got < 0 || (tc.window >= time.Second && got >= tc.window) {
			t.Errorf("Offset(%q, %v) = %v, outside [0, window)", tc.key, tc.window, got)
		}
		if again := Offset(tc.key, tc.window); again != got {
			t.Errorf("Offset(%q) not deterministic: %v then %v", tc.key, got, again)
		}
	}
}

func TestOffsetsSpreadOverTheWindow(t *testing.T) {
	// 60,000 claims over a 1 h window: about 1,000 per minute, none empty.
	perMinute := make([]int, 60)
	for i := range 60000 {
		perMinute[Offset(fmt.Sprintf("bench/c-%06d", i), time.Hour)/time.Minute]++
	}
	for m, n := range perMinute {
		if n < 850 || n > 1150 {
			t.Errorf("minute %d has %d of 60,000 claims, want about 1,000", m, n)
		}
	}
}

func TestWindowShiftsEveryStepByTheClaimsOffset(t *testing.T) {
	c := Claim{Key: "acme/inv-1001", InvoiceDate: d("2026-03-01"), DueDate: d("2026-03-15")}
	start := time.Date(2026, 3, 16, 0, 0, 0, 0, oslo)
	for _, tc := range []struct {
		name     string
		stepTime time.Duration
		window   time.Duration
	}{
		{"no window", 9 * time.Hour, 0},
		{"30 minutes", 9 * time.Hour, 30 * time.Minute},
		{"12 hours", 9 * time.Hour, 12 * time.Hour},
		// 20:00 plus up to 12 h runs past midnight: the step still belongs
		// to the day it was due, and the next step's gap counts from that day.
		{"past midnight", 20 * time.Hour, 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := kravia()
			p.StepTime, p.StepWindow = tc.stepTime, tc.window
			off := Offset(c.Key, tc.window)
			q := p
			q.StepWindow = 0
			want := walkTimes(t, q, c, start)
			got := walkTimes(t, p, c, start)
			if len(got) != len(want) {
				t.Fatalf("%d steps with the window, %d without", len(got), len(want))
			}
			for i := range got {
				if !got[i].Equal(want[i].Add(off)) {
					t.Errorf("step %d at %v, want %v plus the offset %v", i, got[i].In(oslo), want[i].In(oslo), off)
				}
				if got[i].Before(want[i]) {
					t.Errorf("step %d at %v, before its stepTime %v", i, got[i].In(oslo), want[i].In(oslo))
				}
			}
		})
	}
}

// walkTimes fires every step as soon as it is due and returns when.
func walkTimes(t *testing.T, p Policy, c Claim, now time.Time) []time.Time {
	t.Helper()
	var fired []time.Time
	for range 100 {
		plan := Compute(p, c, now)
		if plan.Next < 0 {
			return fired
		}
		if plan.Due {
			c.Done = append(c.Done, Done{Step: p.Steps[plan.Next].Name, At: now})
			fired = append(fired, now)
			continue
		}
		now = plan.WakeAt
	}
	t.Fatal("schedule did not finish in 100 iterations")
	return nil
}

func TestLateStepKeepsTheGapFromWhenItFired(t *testing.T) {
	// The collection notice fired three hours after its windowed time (an
	// outage): the next step waits its gap from the day it was due, and
	// never fires before the late step.
	p := kravia()
	p.StepWindow = 2 * time.Hour
	c := Claim{Key: "acme/inv-1001", InvoiceDate: d("2026-03-01"), DueDate: d("2026-03-15")}
	off := Offset(c.Key, p.StepWindow)
	c.Done = []Done{
		{Step: "reminder", At: p.At(d("2026-03-16")).Add(off)},
		{Step: "collection-notice", At: p.At(d("2026-03-29")).Add(off + 3*time.Hour)},
	}
	plan := Compute(p, c, time.Date(2026, 3, 30, 0, 0, 0, 0, oslo))
	// payment-demand: due+31 = 2026-04-15, gap 14 from 2026-03-29 = 2026-04-12.
	if want := p.At(d("2026-04-15")).Add(off); !plan.NextAt.Equal(want) {
		t.Fatalf("payment demand at %v, want %v", plan.NextAt.In(oslo), want.In(oslo))
	}
}

func TestRecheckKeepsTheOffset(t *testing.T) {
	p := kravia()
	p.StepTime, p.StepWindow = 20*time.Hour, 12*time.Hour
	key := "acme/inv-1001"
	off := Offset(key, p.StepWindow)
	last := p.At(d("2026-10-01")).Add(off) // may be 2026-10-02 local
	if want := p.At(d("2027-03-30")).Add(off); !p.RecheckAt(key, last, 180).Equal(want) {
		t.Fatalf("recheck at %v, want %v", p.RecheckAt(key, last, 180).In(oslo), want.In(oslo))
	}
}

func TestCreditorWarningSpreadAndTransferCountsFromIt(t *testing.T) {
	p := collectors()
	p.StepWindow = 6 * time.Hour
	c := Claim{Key: "acme/inv-7", InvoiceDate: d("2026-03-01"), DueDate: d("2026-03-15")}
	off := Offset(c.Key, p.StepWindow)
	q := p
	q.StepWindow = 0
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, oslo)
	if got, want := Compute(p, c, now).WarnAt, Compute(q, c, now).WarnAt.Add(off); !got.Equal(want) {
		t.Fatalf("warning at %v, want %v", got, want)
	}
}
