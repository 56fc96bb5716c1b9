package schedule

import "fmt"

// limitationYears is how long a claim can be collected after its due date or
// the debtor's last acknowledgement (a payment counts): Norway 3 years
// (foreldelsesloven), Sweden 3 years for consumers and 10 otherwise
// (preskriptionslagen), Finland 3 years (vanhentumislaki).
var limitationYears = map[string]struct{ consumer, business int }{
	"NO": {3, 3},
	"SE": {3, 10},
	"FI": {3, 3},
}

// TimeBarredFrom returns the first day a claim is time-barred: the limitation
// period after the due date, restarted by the latest acknowledgement.
// Legal steps interrupt limitation; the caller does not apply it then.
func TimeBarredFrom(jurisdiction string, business bool, due Date, acknowledged []Date) (Date, string, error) {
	y, ok := limitationYears[jurisdiction]
	if !ok {
		return Date{}, "", fmt.Errorf("no limitation rule for jurisdiction %q", jurisdiction)
	}
	years := y.consumer
	if business {
		years = y.business
	}
	from, why := due, "the due date"
	for _, a := range acknowledged {
		if a.after(from) {
			from, why = a, "the last acknowledgement"
		}
	}
	t := Date{from.Year + years, from.Month, from.Day}
	if from.Month == 2 && from.Day == 29 && !isLeap(t.Year) {
		t = Date{t.Year, 3, 1}
	}
	return t.AddDays(1), fmt.Sprintf("%d years after %s (%s)", years, why, from), nil
}

func (d Date) after(o Date) bool {
	if d.Year != o.Year {
		return d.Year > o.Year
	}
	if d.Month != o.Month {
		return d.Month > o.Month
	}
	return d.Day > o.Day
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.after(o) }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return o.after(d) }
