package contact

import (
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
)

func TestNextAllowed(t *testing.T) {
	oslo, _ := time.LoadLocation("Europe/Oslo")
	no, _ := calendar.New("NO")
	at := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, oslo)
		if err != nil {
			panic(err)
		}
		return x
	}
	tests := []struct{ name, in, want string }{
		{"weekday inside", "2026-03-10 09:00", "2026-03-10 09:00"},
		{"weekday before 08", "2026-03-10 06:30", "2026-03-10 08:00"},
		{"weekday after 21", "2026-03-10 21:00", "2026-03-11 08:00"},
		{"Saturday inside", "2026-03-14 10:00", "2026-03-14 10:00"},
		{"Saturday after 15", "2026-03-14 15:30", "2026-03-16 08:00"},
		{"Sunday", "2026-03-15 12:00", "2026-03-16 08:00"},
		{"Maundy Thursday to Saturday", "2026-04-02 09:00", "2026-04-04 09:00"},
		{"Easter Monday to Tuesday", "2026-04-06 09:00", "2026-04-07 08:00"},
		{"Christmas", "2026-12-24 09:00", "2026-12-28 08:00"},
		{"DST change night", "2026-03-29 03:00", "2026-03-30 08:00"},
	}
	for _, tt := range tests {
		got := NextAllowed(at(tt.in), oslo, Default(), no)
		if !got.Equal(at(tt.want)) {
			t.Errorf("%s: NextAllowed(%s) = %s, want %s", tt.name, tt.in, got.In(oslo).Format("2006-01-02 15:04 Mon"), tt.want)
		}
	}
	if got := NextAllowed(at("2026-03-10 09:00"), oslo, nil, no); !got.IsZero() {
		t.Errorf("no windows allowed contact at %v", got)
	}
	if _, err := ParseClock("25:00"); err == nil {
		t.Error("25:00 parsed")
	}
	if d, err := ParseClock("24:00"); err != nil || d != 24*time.Hour {
		t.Errorf("24:00 = %v, %v", d, err)
	}
}

func TestCappedKeepsARollingWeeklyLimit(t *testing.T) {
	day := func(d int, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	sent := []time.Time{day(2, 9), day(4, 9), day(6, 9)}
	for _, tc := range []struct {
		name  string
		at    time.Time
		limit int
		want  time.Time
	}{
		{"no cap", day(6, 10), 0, day(6, 10)},
		{"under the cap", day(6, 10), 4, day(6, 10)},
		{"at the cap: wait for the oldest to leave the week", day(6, 10), 3, day(9, 9)},
		{"cap of one: a week after the latest", day(6, 10), 1, day(13, 9)},
		{"contacts older than a week do not count", day(12, 10), 2, day(12, 10)},
		{"no earlier contacts", day(1, 8), 1, day(1, 8)},
	} {
		if got := Capped(sent, tc.at, tc.limit); !got.Equal(tc.want) {
			t.Errorf("%s: Capped(%v, %d) = %v, want %v", tc.name, tc.at, tc.limit, got, tc.want)
		}
	}
}
