package contact

import (
	"fmt"
	"testing"
	"time"
)

// FuzzParseClock: text is refused or read as a time of day from 00:00 to
// 24:00 that prints back as the same HH:MM.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"08:00", "24:00", "24:01", "23:59", "-1:00", "8:00", "08:00x", "", "99:99", "0８:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseClock(s)
		if err != nil {
			return
		}
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("%q -> %v: outside the day", s, d)
		}
		back := fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
		if back != s {
			t.Fatalf("%q -> %v prints as %q", s, d, back)
		}
	})
}
