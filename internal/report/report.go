// Package report aggregates claims for people reading the books: claims and
// outstanding amounts by phase, an aging report by days past due, and how
// many collection cases were resolved within 90 days. Amounts stay exact
// (decimal), per currency.
package report

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"k8s.io/apimachinery/pkg/api/meta"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// PhaseRow is the claims in one phase and what they still owe, per currency.
type PhaseRow struct {
	Phase       string
	Claims      int
	Outstanding map[string]decimal.Decimal
}

func outstanding(c *inkassov1.Claim) decimal.Decimal {
	if c.Status.Balance != nil {
		if d, err := decimal.NewFromString(c.Status.Balance.Outstanding); err == nil {
			return d
		}
	}
	if c.Status.Phase == "" { // not reconciled yet: the invoice amount
		if d, err := decimal.NewFromString(string(c.Spec.Amount)); err == nil {
			return d
		}
	}
	return decimal.Zero
}

// phaseOrder lists phases in the order a claim moves through them.
var phaseOrder = []inkassov1.ClaimPhase{inkassov1.PhasePending, inkassov1.PhaseOverdue, inkassov1.PhaseReminder,
	inkassov1.PhaseCollection, inkassov1.PhaseLegal, inkassov1.PhaseSurveillance, inkassov1.PhaseSuspended,
	inkassov1.PhaseDisputed, inkassov1.PhasePaymentPlan, inkassov1.PhasePaid, inkassov1.PhaseCredited, inkassov1.PhaseWithdrawn,
	inkassov1.PhaseWrittenOff, inkassov1.PhaseTimeBarred, inkassov1.PhaseForwarded}

// ByPhase counts claims and sums what they owe per phase, in process order.
func ByPhase(claims []inkassov1.Claim) []PhaseRow {
	rows := map[string]*PhaseRow{}
	for i := range claims {
		c := &claims[i]
		p := string(c.Status.Phase)
		if p == "" {
			p = "(new)"
		}
		r := rows[p]
		if r == nil {
			r = &PhaseRow{Phase: p, Outstanding: map[string]decimal.Decimal{}}
			rows[p] = r
		}
		r.Claims++
		cur := string(c.Spec.Currency)
		r.Outstanding[cur] = r.Outstanding[cur].Add(outstanding(c))
	}
	rank := func(p string) int {
		for i, q := range phaseOrder {
			if string(q) == p {
				return i
			}
		}
		return len(phaseOrder)
	}
	out := make([]PhaseRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if rank(out[i].Phase) != rank(out[j].Phase) {
			return rank(out[i].Phase) < rank(out[j].Phase)
		}
		return out[i].Phase < out[j].Phase
	})
	return out
}

// Buckets are the aging buckets in days past due.
var Buckets = []string{"not due", "1-30", "31-60", "61-90", "91-180", "181+"}

func bucket(days int) int {
	switch {
	case days <= 0:
		return 0
	case days <= 30:
		return 1
	case days <= 60:
		return 2
	case days <= 90:
		return 3
	case days <= 180:
		return 4
	}
	return 5
}

// AgingRow is one currency's open amounts by days past due.
type AgingRow struct {
	Currency string
	Amounts  []decimal.Decimal // one per bucket
	Total    decimal.Decimal
}

// Aging sums what open claims still owe by how many days past due they
// are on asOf. Terminal claims owe nothing collectable.
func Aging(claims []inkassov1.Claim, asOf civil.Date) []AgingRow {
	rows := map[string]*AgingRow{}
	for i := range claims {
		c := &claims[i]
		if c.Status.Phase.Terminal() {
			continue
		}
		due, err := civil.Parse(string(c.Spec.DueDate))
		if err != nil {
			continue
		}
		cur := string(c.Spec.Currency)
		r := rows[cur]
		if r == nil {
			r = &AgingRow{Currency: cur, Amounts: make([]decimal.Decimal, len(Buckets))}
			rows[cur] = r
		}
		o := outstanding(c)
		b := bucket(asOf.Sub(due))
		r.Amounts[b] = r.Amounts[b].Add(o)
		r.Total = r.Total.Add(o)
	}
	out := make([]AgingRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// Resolution is how many collection cases were resolved (paid or
// withdrawn) within Days of the transfer to collection, out of those that
// have had that long, or were resolved sooner.
type Resolution struct {
	Days            int
	Resolved, Total int
}

// Share is Resolved/Total, or 0 with no cases.
func (r Resolution) Share() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Resolved) / float64(r.Total)
}

// ResolvedWithin counts, per collection case, whether all its claims were
// paid or withdrawn within days of the case's transfer to collection.
func ResolvedWithin(claims []inkassov1.Claim, days int, asOf time.Time) Resolution {
	type caseState struct {
		start      time.Time
		end        time.Time
		open, fail bool
	}
	cases := map[string]*caseState{}
	for i := range claims {
		c := &claims[i]
		if c.Status.CollectionStartedAt == nil {
			continue
		}
		id := c.Namespace + "/" + c.Status.CaseID
		cs := cases[id]
		if cs == nil {
			cs = &caseState{start: c.Status.CollectionStartedAt.Time}
			cases[id] = cs
		}
		if t := c.Status.CollectionStartedAt.Time; t.Before(cs.start) {
			cs.start = t
		}
		switch c.Status.Phase {
		case inkassov1.PhasePaid, inkassov1.PhaseCredited, inkassov1.PhaseWithdrawn:
			end := c.Status.CollectionStartedAt.Time
			if r := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionReady); r != nil {
				end = r.LastTransitionTime.Time
			}
			if end.After(cs.end) {
				cs.end = end
			}
		case inkassov1.PhaseWrittenOff, inkassov1.PhaseTimeBarred, inkassov1.PhaseForwarded:
			cs.fail = true
		default:
			cs.open = true
		}
	}
	res := Resolution{Days: days}
	window := time.Duration(days) * 24 * time.Hour
	for _, cs := range cases {
		resolved := !cs.open && !cs.fail && cs.end.Sub(cs.start) <= window
		if resolved || asOf.Sub(cs.start) >= window {
			res.Total++
			if resolved {
				res.Resolved++
			}
		}
	}
	return res
}

// SettledRow is one currency's payments on claims, settled (a Settlement
// holds them) or not yet.
type SettledRow struct {
	Currency                     string
	Settled, Unsettled           decimal.Decimal
	SettledCount, UnsettledCount int
}

// SettledBy maps each settled payment ("<namespace>/<claim>/Payment/<id>",
// the Settlement line key with its namespace) to the Settlement holding it.
func SettledBy(settlements []inkassov1.Settlement) map[string]string {
	out := map[string]string{}
	for i := range settlements {
		s := &settlements[i]
		for _, l := range s.Status.Lines {
			out[s.Namespace+"/"+l.Key] = s.Name
		}
	}
	return out
}

// PaymentKey is a claim's payment's key in SettledBy.
func PaymentKey(c *inkassov1.Claim, paymentID string) string {
	return c.Namespace + "/" + c.Name + "/Payment/" + paymentID
}

// Settlement sums the payment entries of the claims' ledgers per currency,
// settled or not.
func Settlement(claims []inkassov1.Claim, settlements []inkassov1.Settlement) []SettledRow {
	by := SettledBy(settlements)
	rows := map[string]*SettledRow{}
	for i := range claims {
		c := &claims[i]
		for _, e := range c.Status.Ledger {
			if e.Kind != "Payment" {
				continue
			}
			d, err := decimal.NewFromString(e.Amount)
			if err != nil {
				continue
			}
			cur := string(c.Spec.Currency)
			r := rows[cur]
			if r == nil {
				r = &SettledRow{Currency: cur}
				rows[cur] = r
			}
			if by[PaymentKey(c, e.Ref)] != "" {
				r.Settled, r.SettledCount = r.Settled.Add(d), r.SettledCount+1
			} else {
				r.Unsettled, r.UnsettledCount = r.Unsettled.Add(d), r.UnsettledCount+1
			}
		}
	}
	out := make([]SettledRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}
