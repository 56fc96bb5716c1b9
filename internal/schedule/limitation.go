package schedule

import (
	"fmt"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

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
func TimeBarredFrom(jurisdiction string, business bool, due civil.Date, acknowledged []civil.Date) (civil.Date, string, error) {
	y, ok := limitationYears[jurisdiction]
	if !ok {
		return civil.Date{}, "", fmt.Errorf("no limitation rule for jurisdiction %q", jurisdiction)
	}
	years := y.consumer
	if business {
		years = y.business
	}
	from, why := due, "the due date"
	for _, a := range acknowledged {
		if a.After(from) {
			from, why = a, "the last acknowledgement"
		}
	}
	t := civil.Date{Year: from.Year + years, Month: from.Month, Day: from.Day}
	if from.Month == 2 && from.Day == 29 && !isLeap(t.Year) {
		t = civil.Date{Year: t.Year, Month: 3, Day: 1}
	}
	return t.AddDays(1), fmt.Sprintf("%d years after %s (%s)", years, why, from), nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
