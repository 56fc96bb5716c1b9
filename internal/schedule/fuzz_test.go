package schedule

import "testing"

// FuzzParseDate: text is refused or read as a real calendar date whose
// YYYY-MM-DD form is the input.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-15", "2026-02-29", "2028-02-29", "2026-13-01", "0000-01-01", "2026-1-5", " 2026-01-15", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
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
