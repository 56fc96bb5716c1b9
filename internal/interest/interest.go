// Package interest computes statutory late-payment interest: simple interest
// on the outstanding principal from the day after the due date, at a yearly
// rate fixed per half-year, never on interest. Rates are dated data per
// jurisdiction; a policy may override the rate.
package interest

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// DayCount is how a day's share of the yearly rate is computed.
type DayCount string

// Day-count conventions.
const (
	// Actual365 divides by 365 in every year.
	Actual365 DayCount = "Actual365"
	// ActualActual divides by 366 for days of leap years (Finland).
	ActualActual DayCount = "ActualActual"
)

// Period is a yearly rate in percent in force from a date on.
type Period struct {
	From        civil.Date
	Rate        decimal.Decimal
	Unconfirmed bool // not confirmed by a public source: override in a policy when known
}

// Table is a jurisdiction's late-interest rule.
type Table struct {
	Jurisdiction string
	DayCount     DayCount
	// Periods sorted by From; for Sweden and Finland the reference rate, to
	// which Margin is added.
	Periods []Period
	// Margin in percentage points added to each period's rate (consumer).
	Margin decimal.Decimal
	// BusinessMargin, when set, replaces Margin for business debtors.
	BusinessMargin *decimal.Decimal
}

func d(y int, m time.Month) civil.Date { return civil.New(y, m, 1) }
func dec(s string) decimal.Decimal     { return decimal.RequireFromString(s) }

// Tables by jurisdiction (shared/domain.md). Norway's figures are the full
// forsinkelsesrente (policy rate + 8); Sweden's and Finland's are the
// reference rates, the margin added by Rate.
var Tables = map[string]Table{
	"NO": {Jurisdiction: "NO", DayCount: Actual365, Margin: decimal.Zero, Periods: []Period{
		{From: d(2023, 1), Rate: dec("10.75")},
		{From: d(2023, 7), Rate: dec("11.75")},
		{From: d(2024, 1), Rate: dec("12.50")},
		{From: d(2024, 7), Rate: dec("12.50"), Unconfirmed: true},
		{From: d(2025, 1), Rate: dec("12.50")},
		{From: d(2025, 7), Rate: dec("12.25"), Unconfirmed: true},
		{From: d(2026, 1), Rate: dec("12.00")},
	}},
	"SE": {Jurisdiction: "SE", DayCount: Actual365, Margin: dec("8"), Periods: []Period{
		{From: d(2024, 1), Rate: dec("4.00")},
	}},
	"FI": {Jurisdiction: "FI", DayCount: ActualActual, Margin: dec("7"), BusinessMargin: ptr(dec("8")), Periods: []Period{
		{From: d(2024, 1), Rate: dec("4.50")},
		{From: d(2024, 7), Rate: dec("4.50")},
		{From: d(2025, 1), Rate: dec("3.50")},
		{From: d(2025, 7), Rate: dec("3.50"), Unconfirmed: true},
		{From: d(2026, 1), Rate: dec("2.50")},
	}},
}

func ptr(x decimal.Decimal) *decimal.Decimal { return &x }

// Rate returns the yearly rate in percent in force on day, and whether it is
// unconfirmed: a day past the last known half-year carries the last rate
// forward, marked unconfirmed.
func (t Table) Rate(day civil.Date, business bool) (decimal.Decimal, bool, error) {
	if len(t.Periods) == 0 {
		return decimal.Zero, false, fmt.Errorf("no %s late-interest rates", t.Jurisdiction)
	}
	i := sort.Search(len(t.Periods), func(i int) bool { return t.Periods[i].From.After(day) }) - 1
	// A day before the first known half-year uses the earliest rate, and one
	// after the last known half-year the latest: both marked unconfirmed, so
	// that old or future claims are still computed (override in a policy).
	unconfirmed := i < 0
	if i < 0 {
		i = 0
	}
	p := t.Periods[i]
	unconfirmed = unconfirmed || p.Unconfirmed || !day.Before(halfYearAfter(p.From))
	margin := t.Margin
	if business && t.BusinessMargin != nil {
		margin = *t.BusinessMargin
	}
	return p.Rate.Add(margin), unconfirmed, nil
}

func halfYearAfter(d civil.Date) civil.Date {
	if d.Month < 7 {
		return civil.New(d.Year, 7, 1)
	}
	return civil.New(d.Year+1, 1, 1)
}

// Change is a change of the interest-bearing principal on a date: negative
// for a payment or credit note reaching the principal.
type Change struct {
	Date  civil.Date
	Delta decimal.Decimal
}

// Input is what interest is computed on.
type Input struct {
	Table     Table
	Business  bool
	Principal decimal.Decimal // at the due date
	DueDate   civil.Date
	AsOf      civil.Date // interest accrues for every day after DueDate up to and including AsOf
	Changes   []Change   // applied at the start of their day
	// Override replaces the table's rate (percent a year) when set.
	Override *decimal.Decimal
	// DayCount replaces the table's convention when set.
	DayCount DayCount
}

// Result is the unrounded interest and whether an unconfirmed rate was used.
type Result struct {
	Interest    decimal.Decimal
	Unconfirmed bool
}

// Accrue computes the interest exactly (unrounded), summing principal x rate
// x days / basis over spans where all three are constant: spans end at rate
// periods, principal changes and, for ActualActual, year ends.
func Accrue(in Input) (Result, error) {
	var res Result
	start := in.DueDate.AddDays(1)
	end := in.AsOf.AddDays(1) // exclusive
	if !start.Before(end) {
		return res, nil
	}
	dc := in.DayCount
	if dc == "" {
		dc = in.Table.DayCount
	}
	changes := append([]Change(nil), in.Changes...)
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Date.Before(changes[j].Date) })

	principal := in.Principal
	ci := 0
	for ; ci < len(changes) && !changes[ci].Date.After(start); ci++ {
		principal = principal.Add(changes[ci].Delta)
	}
	hundred := decimal.NewFromInt(100)
	for day := start; day.Before(end); {
		next := end
		if ci < len(changes) && changes[ci].Date.Before(next) {
			next = changes[ci].Date
		}
		if h := halfYearAfter(day); h.Before(next) {
			next = h // rates change on 1 January and 1 July; years end on 1 January
		}
		rate := decimal.Zero
		if in.Override != nil {
			rate = *in.Override
		} else {
			r, unconfirmed, err := in.Table.Rate(day, in.Business)
			if err != nil {
				return res, err
			}
			rate, res.Unconfirmed = r, res.Unconfirmed || unconfirmed
		}
		days := decimal.NewFromInt(int64(day.DaysUntil(next)))
		basis := decimal.NewFromInt(365)
		if dc == ActualActual && isLeap(day.Year) {
			basis = decimal.NewFromInt(366)
		}
		if principal.IsPositive() {
			res.Interest = res.Interest.Add(principal.Mul(rate).Mul(days).Div(hundred.Mul(basis)))
		}
		day = next
		for ; ci < len(changes) && !changes[ci].Date.After(day); ci++ {
			principal = principal.Add(changes[ci].Delta)
		}
	}
	return res, nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
