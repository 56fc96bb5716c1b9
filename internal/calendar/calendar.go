// Package calendar knows the public holidays and bank days of Norway, Sweden
// and Finland for any year, Easter-based ones computed, so that statutory
// deadlines falling on a weekend or holiday move to the next bank day and
// debtors are not contacted on holidays.
package calendar

import (
	"fmt"
	"sync"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// Easter returns Easter Sunday of year (Gregorian; anonymous algorithm).
func Easter(year int) civil.Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return civil.New(year, time.Month(month), day)
}

// weekdayBetween returns the day of the given weekday from first to first+6.
func weekdayBetween(year int, month time.Month, first int, wd time.Weekday) civil.Date {
	d := civil.New(year, month, first)
	return d.AddDays((int(wd) - int(d.Weekday()) + 7) % 7)
}

// Holidays returns the days banks are closed in the jurisdiction in year,
// besides weekends, with their names: public holidays, and the eves on which
// Nordic banks do not settle (Christmas Eve, New Year's Eve, and Midsummer
// Eve in Sweden and Finland).
func Holidays(jurisdiction string, year int) (map[civil.Date]string, error) {
	e := Easter(year)
	h := map[civil.Date]string{
		civil.New(year, 1, 1):   "New Year's Day",
		e.AddDays(-2):           "Good Friday",
		e:                       "Easter Sunday",
		e.AddDays(1):            "Easter Monday",
		civil.New(year, 5, 1):   "Labour Day",
		e.AddDays(39):           "Ascension Day",
		e.AddDays(49):           "Whit Sunday",
		civil.New(year, 12, 24): "Christmas Eve",
		civil.New(year, 12, 25): "Christmas Day",
		civil.New(year, 12, 26): "Boxing Day",
	}
	switch jurisdiction {
	case "NO":
		h[e.AddDays(-3)] = "Maundy Thursday"
		h[civil.New(year, 5, 17)] = "Constitution Day"
		h[e.AddDays(50)] = "Whit Monday"
		h[civil.New(year, 12, 31)] = "New Year's Eve"
	case "SE":
		h[civil.New(year, 1, 6)] = "Epiphany"
		h[civil.New(year, 6, 6)] = "National Day"
		h[weekdayBetween(year, 6, 19, time.Friday)] = "Midsummer Eve"
		h[weekdayBetween(year, 6, 20, time.Saturday)] = "Midsummer Day"
		h[weekdayBetween(year, 10, 31, time.Saturday)] = "All Saints' Day"
		h[civil.New(year, 12, 31)] = "New Year's Eve"
	case "FI":
		h[civil.New(year, 1, 6)] = "Epiphany"
		h[weekdayBetween(year, 6, 19, time.Friday)] = "Midsummer Eve"
		h[weekdayBetween(year, 6, 20, time.Saturday)] = "Midsummer Day"
		h[weekdayBetween(year, 10, 31, time.Saturday)] = "All Saints' Day"
		h[civil.New(year, 12, 6)] = "Independence Day"
	default:
		return nil, fmt.Errorf("no holiday calendar for jurisdiction %q", jurisdiction)
	}
	return h, nil
}

// Calendar answers bank-day questions for one jurisdiction, caching years.
type Calendar struct {
	jurisdiction string
	mu           sync.Mutex // reconciles share calendars
	years        map[int]map[civil.Date]string
}

// New returns the calendar of a jurisdiction (NO, SE or FI).
func New(jurisdiction string) (*Calendar, error) {
	if _, err := Holidays(jurisdiction, 2000); err != nil {
		return nil, err
	}
	return &Calendar{jurisdiction: jurisdiction, years: map[int]map[civil.Date]string{}}, nil
}

func (c *Calendar) holidays(year int) map[civil.Date]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.years[year]
	if !ok {
		h, _ = Holidays(c.jurisdiction, year)
		c.years[year] = h
	}
	return h
}

// Holiday returns the name of the holiday on d, or "".
func (c *Calendar) Holiday(d civil.Date) string { return c.holidays(d.Year)[d] }

// IsBankDay reports whether d is neither a weekend day nor a holiday.
func (c *Calendar) IsBankDay(d civil.Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return c.Holiday(d) == ""
}

// NextBankDay returns d if it is a bank day, else the first bank day after
// it: where a statutory deadline lands on a weekend or holiday, it moves there.
func (c *Calendar) NextBankDay(d civil.Date) civil.Date {
	for !c.IsBankDay(d) {
		d = d.AddDays(1)
	}
	return d
}

var (
	sharedMu sync.Mutex
	shared   = map[string]*Calendar{}
)

// For returns the shared calendar of a jurisdiction.
func For(jurisdiction string) (*Calendar, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if c, ok := shared[jurisdiction]; ok {
		return c, nil
	}
	c, err := New(jurisdiction)
	if err != nil {
		return nil, err
	}
	shared[jurisdiction] = c
	return c, nil
}
