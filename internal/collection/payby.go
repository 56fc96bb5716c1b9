package collection

import (
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
)

// PayBy is the deadline a step's notice states (ok false: the step gives
// none). It counts from when the notice is released to its channel (a
// contact window, the weekly cap or a fallback channel may hold it past
// the step), never gives fewer days than the jurisdiction's minimum
// (inkassoloven §§ 9-10: 14 days for a notice after the reminders and for
// a demand; inkassolagen 5 §: 8 days for an inkassokrav), and moves to the
// next bank day when it lands on a weekend or public holiday.
//
// skew is how far the clock that read stepAt and release may be off real
// time (schedule.Policy.SkewAllowance): the count starts from the latest real
// moment they can stand for, so a clock running behind near midnight never
// dates the notice a day early and takes a day from the debtor.
func PayBy(jurisdiction string, s Step, stepAt, release time.Time, loc *time.Location, cal *calendar.Calendar, skew time.Duration) (civil.Date, bool) {
	days := s.PaymentDeadlineDays
	if days <= 0 {
		return civil.Date{}, false
	}
	from := stepAt
	if release.After(from) {
		from = release
	}
	from = from.Add(max(skew, 0))
	if !s.Reminder() {
		m := MinimumsOn(jurisdiction, civil.Of(from, loc).Midnight(time.UTC)) // the local day, as the table names days
		days = max(days, m.NoticeDeadlineDays)
		if s.Fee == fees.LightSalary && s.FixedFee == "" {
			days = max(days, m.DemandDeadlineDays)
		}
	}
	return cal.NextBankDay(civil.Of(from, loc).AddDays(days)), true
}
