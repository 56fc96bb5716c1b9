package civil

import (
	"strings"
	"testing"
	"time"
)

var oslo, _ = time.LoadLocation("Europe/Oslo")

func mustParse(t *testing.T, s string) Date {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-01-15", Date{2026, time.January, 15}, true},
		{"2028-02-29", Date{2028, time.February, 29}, true},
		{"0001-01-01", Date{1, time.January, 1}, true},
		{"9999-12-31", Date{9999, time.December, 31}, true},
		{"2026-02-29", Date{}, false}, // not a leap year
		{"2026-02-30", Date{}, false},
		{"2026-13-01", Date{}, false},
		{"2026-1-5", Date{}, false},
		{" 2026-01-15", Date{}, false},
		{"2026-01-15T00:00:00Z", Date{}, false},
		{"15.01.2026", Date{}, false},
		{"", Date{}, false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("Parse(%q): error %q does not name the input", tt.in, err)
		}
	}
}

func TestNewNormalises(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		d    int
		want string
	}{
		{2026, 1, 15, "2026-01-15"},
		{2026, 2, 29, "2026-03-01"},
		{2028, 2, 29, "2028-02-29"},
		{2026, 3, 0, "2026-02-28"},
		{2026, 13, 1, "2027-01-01"},
		{2026, 1, -1, "2025-12-30"},
	}
	for _, tt := range tests {
		if got := New(tt.y, tt.m, tt.d).String(); got != tt.want {
			t.Errorf("New(%d, %d, %d) = %s, want %s", tt.y, tt.m, tt.d, got, tt.want)
		}
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC), time.UTC, "2026-03-15"},
		{time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC), oslo, "2026-03-16"}, // 00:30 in Oslo (CET)
		{time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC), oslo, "2026-07-01"},  // midnight in Oslo (CEST)
		{time.Date(2026, 6, 30, 21, 59, 59, 0, time.UTC), oslo, "2026-06-30"},
		{time.Date(2026, 1, 1, 0, 30, 0, 0, oslo), time.UTC, "2025-12-31"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, oslo), oslo, "2026-01-01"},
	}
	for _, tt := range tests {
		if got := Of(tt.t, tt.loc).String(); got != tt.want {
			t.Errorf("Of(%v, %v) = %s, want %s", tt.t, tt.loc, got, tt.want)
		}
	}
}

func TestAddDays(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-15", 0, "2026-01-15"},
		{"2026-01-15", 1, "2026-01-16"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2027-01-01", -1, "2026-12-31"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2027-02-28", 1, "2027-03-01"},
		{"2026-03-28", 2, "2026-03-30"}, // across the spring clock change (no zone: no effect)
		{"2026-01-31", 365, "2027-01-31"},
		{"2028-01-31", 366, "2029-01-31"},
		{"2026-03-01", -29, "2026-01-31"},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.from).AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s + %d days = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-01-15", "2026-01-15", 0},
		{"2026-01-15", "2026-01-16", -1},
		{"2026-01-16", "2026-01-15", 1},
		{"2026-02-01", "2026-01-31", 1},
		{"2025-12-31", "2026-01-01", -1},
		{"2027-01-01", "2026-12-31", 1},
	}
	for _, tt := range tests {
		a, b := mustParse(t, tt.a), mustParse(t, tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, tt.want)
		}
		if a.Before(b) != (tt.want < 0) || a.After(b) != (tt.want > 0) || a.Equal(b) != (tt.want == 0) || (a == b) != (tt.want == 0) {
			t.Errorf("%s vs %s: Before %v After %v Equal %v", a, b, a.Before(b), a.After(b), a.Equal(b))
		}
	}
}

func TestSubAndDaysUntil(t *testing.T) {
	tests := []struct {
		from, to string
		want     int
	}{
		{"2026-01-15", "2026-01-15", 0},
		{"2026-01-15", "2026-01-16", 1},
		{"2026-01-16", "2026-01-15", -1},
		{"2026-03-28", "2026-03-30", 2}, // across the spring clock change in Europe
		{"2026-10-24", "2026-10-26", 2}, // and the autumn one
		{"2026-01-01", "2027-01-01", 365},
		{"2028-01-01", "2029-01-01", 366},
		{"2026-01-31", "2026-03-02", 30},
		{"1900-01-01", "2100-01-01", 73049},
	}
	for _, tt := range tests {
		from, to := mustParse(t, tt.from), mustParse(t, tt.to)
		if got := from.DaysUntil(to); got != tt.want {
			t.Errorf("%s.DaysUntil(%s) = %d, want %d", from, to, got, tt.want)
		}
		if got := to.Sub(from); got != tt.want {
			t.Errorf("%s.Sub(%s) = %d, want %d", to, from, got, tt.want)
		}
		if got := from.AddDays(tt.want); got != to {
			t.Errorf("%s + %d days = %s, want %s", from, tt.want, got, to)
		}
	}
}

func TestWeekday(t *testing.T) {
	tests := []struct {
		d    string
		want time.Weekday
	}{
		{"2026-01-01", time.Thursday},
		{"2026-04-05", time.Sunday}, // Easter Sunday
		{"2028-02-29", time.Tuesday},
		{"2000-01-01", time.Saturday},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.d).Weekday(); got != tt.want {
			t.Errorf("%s is a %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestMidnightAndAt(t *testing.T) {
	tests := []struct {
		d     string
		loc   *time.Location
		clock time.Duration
		want  time.Time
	}{
		{"2026-01-15", time.UTC, 0, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)},
		{"2026-01-15", oslo, 0, time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC)},
		{"2026-07-15", oslo, 0, time.Date(2026, 7, 14, 22, 0, 0, 0, time.UTC)},
		{"2026-01-15", oslo, 9 * time.Hour, time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)},
		{"2026-01-15", oslo, 9*time.Hour + 30*time.Minute + 15*time.Second, time.Date(2026, 1, 15, 8, 30, 15, 0, time.UTC)},
		// The clock is the wall clock: 09:00 on the days the clocks change.
		{"2026-03-29", oslo, 9 * time.Hour, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"2026-10-25", oslo, 9 * time.Hour, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		d := mustParse(t, tt.d)
		got := d.At(tt.loc, tt.clock)
		if !got.Equal(tt.want) || got.Location() != tt.loc {
			t.Errorf("%s.At(%v, %v) = %v, want %v", d, tt.loc, tt.clock, got, tt.want)
		}
		if Of(got, tt.loc) != d {
			t.Errorf("%s.At(%v, %v) is on %s", d, tt.loc, tt.clock, Of(got, tt.loc))
		}
		if tt.clock == 0 && !d.Midnight(tt.loc).Equal(tt.want) {
			t.Errorf("%s.Midnight(%v) = %v, want %v", d, tt.loc, d.Midnight(tt.loc), tt.want)
		}
	}
}

func TestZeroAndMapKey(t *testing.T) {
	var z Date
	if !z.IsZero() || mustParse(t, "0001-01-01").IsZero() || New(2026, 1, 1).IsZero() {
		t.Error("IsZero")
	}
	m := map[Date]string{New(2026, 12, 24): "Christmas Eve"}
	if m[mustParse(t, "2026-12-24")] != "Christmas Eve" || m[Of(time.Date(2026, 12, 24, 18, 0, 0, 0, oslo), oslo)] != "Christmas Eve" {
		t.Error("a date parsed or taken from a moment does not find its map key")
	}
	if _, ok := m[New(2026, 12, 25)]; ok {
		t.Error("another day found the key")
	}
}

// FuzzParse: text is refused or read as a real calendar date whose
// YYYY-MM-DD form is the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-01-15", "2026-02-29", "2028-02-29", "2026-13-01", "0000-01-01", "2026-1-5", " 2026-01-15", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", s)
			}
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("%q -> %q", s, got)
		}
	})
}
