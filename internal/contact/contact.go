// Package contact keeps debtor contact inside the allowed hours: a notice
// made outside them gets a notBefore at the start of the next allowed span,
// in the policy's time zone, never on a Sunday or public holiday.
package contact

import (
	"fmt"
	"slices"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// Window is a span of local time on some weekdays when contact is allowed.
type Window struct {
	Days       []time.Weekday
	Start, End time.Duration // offsets from local midnight
}

// Default is Norway's proposed rule (Prop. 3 L 2025-2026): 08-21 on
// weekdays, 09-15 on Saturdays, never on Sundays. Its adoption is
// unconfirmed; it is the default everywhere until a policy says otherwise.
func Default() []Window {
	return []Window{
		{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: 8 * time.Hour, End: 21 * time.Hour},
		{Days: []time.Weekday{time.Saturday}, Start: 9 * time.Hour, End: 15 * time.Hour},
	}
}

// ParseClock reads HH:MM as an offset from midnight (24:00 allowed as the end of a day).
func ParseClock(s string) (time.Duration, error) {
	// Strict HH:MM: Sscanf would accept signs, single digits and trailing text.
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %q is not HH:MM (00:00 to 24:00)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NextAllowed returns t if contact is allowed then, else the start of the
// next allowed span (within two weeks; zero if the windows allow none).
func NextAllowed(t time.Time, loc *time.Location, windows []Window, cal *calendar.Calendar) time.Time {
	local := t.In(loc)
	for i := 0; i < 15; i++ {
		day := civil.Of(local.AddDate(0, 0, i), loc)
		midnight := day.Midnight(loc)
		if cal != nil && cal.Holiday(day) != "" {
			continue
		}
		best := time.Time{}
		for _, w := range windows {
			if !has(w.Days, midnight.Weekday()) {
				continue
			}
			start := at(midnight, w.Start)
			end := at(midnight, w.End)
			switch {
			case !local.Before(end):
				continue // this window is over for today
			case local.After(start):
				return t // inside the window now
			}
			if best.IsZero() || start.Before(best) {
				best = start
			}
		}
		if !best.IsZero() {
			return best
		}
	}
	return time.Time{}
}

// at is the wall-clock time off after midnight, DST-correct.
func at(midnight time.Time, off time.Duration) time.Time {
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, midnight.Location())
}

func has(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}

// Week is the span a contact cap counts over.
const Week = 7 * 24 * time.Hour

// Capped returns the earliest time from at on when fewer than limit of the
// earlier contacts fall in the week before it (a rolling 7-day cap). A
// limit of 0 or less means no cap.
func Capped(contacts []time.Time, at time.Time, limit int) time.Time {
	if limit <= 0 {
		return at
	}
	sorted := slices.Clone(contacts)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	for {
		var in []time.Time
		for _, c := range sorted {
			if c.After(at.Add(-Week)) && !c.After(at) {
				in = append(in, c)
			}
		}
		if len(in) < limit {
			return at
		}
		// Wait until enough of the oldest contacts in the window leave it.
		at = in[len(in)-limit].Add(Week)
	}
}
