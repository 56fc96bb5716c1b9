package calendar

import (
	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2038: "2038-04-25", 2285: "2285-03-22", 2000: "2000-04-23", 1961: "1961-04-02",
	} {
		if got := Easter(year).String(); got != want {
			t.Errorf("Easter %d = %s, want %s", year, got, want)
		}
	}
}

func TestHolidays(t *testing.T) {
	tests := []struct {
		j, day, want string
	}{
		{"NO", "2026-04-02", "Maundy Thursday"},
		{"NO", "2026-04-03", "Good Friday"},
		{"NO", "2026-04-06", "Easter Monday"},
		{"NO", "2026-05-14", "Ascension Day"},
		{"NO", "2026-05-17", "Constitution Day"},
		{"NO", "2026-05-25", "Whit Monday"},
		{"NO", "2026-12-24", "Christmas Eve"},
		{"NO", "2024-12-31", "New Year's Eve"},
		{"SE", "2026-06-06", "National Day"},
		{"SE", "2026-06-19", "Midsummer Eve"},
		{"SE", "2026-06-20", "Midsummer Day"},
		{"SE", "2026-10-31", "All Saints' Day"},
		{"SE", "2025-11-01", "All Saints' Day"},
		{"SE", "2026-04-02", ""}, // no Maundy Thursday in Sweden
		{"FI", "2026-12-06", "Independence Day"},
		{"FI", "2024-06-21", "Midsummer Eve"},
		{"FI", "2026-05-17", ""},
	}
	for _, tt := range tests {
		c, err := New(tt.j)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := civil.Parse(tt.day)
		if got := c.Holiday(d); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.j, tt.day, got, tt.want)
		}
	}
	if _, err := New("DK"); err == nil {
		t.Error("a calendar for DK")
	}
}

func TestNextBankDay(t *testing.T) {
	no, _ := New("NO")
	se, _ := New("SE")
	tests := []struct {
		c        *Calendar
		from, to string
	}{
		{no, "2026-04-01", "2026-04-01"}, // Wednesday before Easter
		{no, "2026-04-02", "2026-04-07"}, // Maundy Thursday -> Tuesday after Easter Monday
		{no, "2026-05-16", "2026-05-18"}, // Saturday before Constitution Day (a Sunday)
		{no, "2026-12-24", "2026-12-28"}, // Christmas
		{no, "2027-12-31", "2028-01-03"}, // New Year's Eve on a Friday, across the year end
		{se, "2026-04-02", "2026-04-02"}, // Maundy Thursday is a bank day in Sweden
		{se, "2026-06-19", "2026-06-22"}, // Midsummer Eve
		{no, "2028-02-29", "2028-02-29"}, // leap day, a Tuesday
	}
	for _, tt := range tests {
		d, _ := civil.Parse(tt.from)
		if got := tt.c.NextBankDay(d).String(); got != tt.to {
			t.Errorf("%s NextBankDay(%s) = %s, want %s", tt.c.jurisdiction, tt.from, got, tt.to)
		}
	}
}
