// Package civil is the operator's one calendar-date type: a day without a
// time of day or a zone, as invoices, due dates, payments, holidays, ledger
// lines and payment-plan installments are dated. A moment becomes a date in
// a location (Of), and a date becomes a moment in one (Midnight, At), so the
// zone a day is counted in is always explicit.
package civil

import (
	"fmt"
	"time"
)

// Date is a calendar day. It is comparable, so it can key maps, and its zero
// value (IsZero) means "no date". Build one with New, Parse or Of: those
// normalise it (New(2026, 2, 29) is 1 March 2026); a literal Date{} with
// out-of-range fields is not normalised.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// New returns the date y-m-d, normalised as time.Date does (day 0 is the
// last day of the month before, month 13 January of the next year).
func New(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Parse reads YYYY-MM-DD; the error names the input.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD: %w", s, err)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// Of returns the calendar date of t in loc.
func Of(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// IsZero reports the zero Date, which stands for no date.
func (d Date) IsZero() bool { return d == Date{} }

// String is YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return New(d.Year, d.Month, d.Day+n) }

// Compare returns -1 if d is before o, 0 if they are the same day and +1 if
// d is after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp(int(d.Month), int(o.Month))
	}
	return cmp(d.Day, o.Day)
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Equal reports whether d and o are the same day (d == o for normalised dates).
func (d Date) Equal(o Date) bool { return d.Compare(o) == 0 }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Sub returns the number of days from o to d: positive when d is after o.
func (d Date) Sub(o Date) int {
	// Both at UTC midnight: every UTC day has exactly 86,400 seconds.
	return int((d.utc().Unix() - o.utc().Unix()) / 86400)
}

// DaysUntil returns the number of days from d to o: o.Sub(d).
func (d Date) DaysUntil(o Date) int { return o.Sub(d) }

// Midnight returns the start of d in loc.
func (d Date) Midnight(loc *time.Location) time.Time { return d.At(loc, 0) }

// At returns the moment the wall clock in loc shows clock (an offset from
// midnight: 9*time.Hour is 09:00) on d. The clock is a wall-clock time, not
// a duration since midnight: on a day the clocks change, 09:00 is still
// 09:00 local time.
func (d Date) At(loc *time.Location, clock time.Duration) time.Time {
	h := clock / time.Hour
	m := clock % time.Hour / time.Minute
	s := clock % time.Minute / time.Second
	ns := clock % time.Second
	return time.Date(d.Year, d.Month, d.Day, int(h), int(m), int(s), int(ns), loc)
}

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
