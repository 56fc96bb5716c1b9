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

// TimeBarredFrom returns the first day a claim is time-barred: the
// limitation period after the due date, restarted by each acknowledgement
// (a payment or a written acknowledgement, foreldelsesloven § 14), and
// postJudgmentYears after a judgment for the creditor (zero judgment: none;
// foreldelsesloven § 21). The latest end wins. Legal steps interrupt
// limitation; the caller does not apply it then.
func TimeBarredFrom(jurisdiction string, business bool, due civil.Date, acknowledged []civil.Date, judgment civil.Date, postJudgmentYears int) (civil.Date, string, error) {
	y, ok := limitationYears[jurisdiction]
	if !ok {
		return civil.Date{}, "", fmt.Errorf("no limitation rule for jurisdiction %q", jurisdiction)
	}
	years := y.consumer
	if business {
		years = y.business
	}
	end, why := addYears(due, years), fmt.Sprintf("%d years after the due date (%s)", years, due)
	for _, a := range acknowledged {
		if e := addYears(a, years); e.After(end) {
			end, why = e, fmt.Sprintf("%d years after the last acknowledgement (%s)", years, a)
		}
	}
	if !judgment.IsZero() && postJudgmentYears > 0 {
		if e := addYears(judgment, postJudgmentYears); e.After(end) {
			end, why = e, fmt.Sprintf("%d years after the judgment (%s)", postJudgmentYears, judgment)
		}
	}
	return end.AddDays(1), why, nil
}

// addYears is the same day n years later (28 February for 29 February).
func addYears(d civil.Date, n int) civil.Date {
	t := civil.Date{Year: d.Year + n, Month: d.Month, Day: d.Day}
	if d.Month == 2 && d.Day == 29 && !isLeap(t.Year) {
		t = civil.Date{Year: t.Year, Month: 3, Day: 1}
	}
	return t
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
