package collection

import (
	"fmt"
	"math/rand"
	"runtime/debug"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// The decider's invariants over random timelines: a debtor's claims are
// reconciled (debtor first, then every claim, as the controllers do) on an
// advancing clock with random payments, credit notes, suspensions,
// disputes, plans and withdrawals; each decision's state is applied as the
// next facts and every notice exists. After every reconcile:
//
//   - no fee cap is exceeded, over the claim's whole life (Norway: two
//     reminder-type fees, salær within the heavy maximum; Sweden: one
//     reminder fee, one demand fee, a business' 450 SEK once; Finland: a
//     consumer's total costs within the cap by capital, 40 EUR once);
//   - no step is recorded before the claim is overdue, and no step past
//     the reminders before the policy's eligibility (minDaysAfterDue,
//     minDaysAfterInvoice, the creditor warning's notice period);
//   - nothing is recorded for a claim that ended, nor while it is held,
//     nor once it is time-barred outside Legal;
//   - case records split their fee exactly over the claims they list;
//   - nothing panics.

var simPolicies = []func() *Policy{
	kraviaPolicy,
	func() *Policy { return alone(kraviaPolicy()) },
	collectorsPolicy,
	threeReminderPolicy,
	func() *Policy { return alone(threeReminderPolicy()) },
	swedenPolicy,
	func() *Policy { return alone(swedenPolicy()) },
	finlandPolicy,
	finlandManyLettersPolicy,
	func() *Policy { return alone(finlandManyLettersPolicy()) },
}

var simAmounts = map[string][]string{
	"NOK": {"100.00", "500.00", "999.99", "1000.00", "2500.00", "9000.00", "45000.00", "250000.00", "300000.00"},
	"SEK": {"80.00", "1000.00", "5000.00", "25000.00", "400000.00"},
	"EUR": {"10.00", "60.00", "100.00", "100.01", "950.00", "1000.00", "1500.00", "12000.00"},
}

var currencyOf = map[string]string{"NO": "NOK", "SE": "SEK", "FI": "EUR"}

type sim struct {
	t    testing.TB
	seed int64
	rng  *rand.Rand
	w    *world
	p    *Policy
	// what each claim looked like before the last reconcile
	before map[string]State
	log    []string
	// known collects violations of known bugs, by class, instead of
	// failing: each class has its own test that skips with "BUG:" while
	// the bug is open (TestDecideInvariantsKnownBugs).
	known map[string]map[string]bool
	// seen is what the timeline went through (phases, fee kinds, cases).
	seen map[string]bool
}

func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	tail := s.log
	if len(tail) > 25 {
		tail = tail[len(tail)-25:]
	}
	s.t.Fatalf("seed %d, policy %s, debtor %+v, at %s: %s\nlast events:\n%v", s.seed, s.p.Name, *s.w.debtor,
		s.w.now.Format(time.RFC3339), fmt.Sprintf(format, args...), tail)
}

// Classes of known bugs the timelines find.
const (
	bugWarningPeriod = "a step before the creditor warning's notice period ended (seed 004; TestCaseWaitsForTheCreditorWarningPeriod)"
	bugSequence      = "Norway: salær without the statutory sequence, inkassoloven § 10 / inkassoforskriften § 2-3 (TestCaseJoinerKeepsTheStatutorySequence)"
	bugReminderDay14 = "Norway: a reminder-type fee less than 14 days after the due date, inkassoforskriften § 1-2 (TestNorwegianReminderFeeNotBefore14DaysAfterDue)"
)

func (s *sim) knownBug(class, format string, args ...any) {
	if s.known[class] == nil {
		s.known[class] = map[string]bool{}
	}
	s.known[class][fmt.Sprintf("seed %d, policy %s: ", s.seed, s.p.Name)+fmt.Sprintf(format, args...)] = true
}

func (s *sim) note(format string, args ...any) {
	s.log = append(s.log, s.w.now.Format("2006-01-02T15:04")+" "+fmt.Sprintf(format, args...))
}

func newSim(t testing.TB, seed int64) *sim {
	rng := rand.New(rand.NewSource(seed))
	p := simPolicies[rng.Intn(len(simPolicies))]()
	if p.Jurisdiction == "NO" && rng.Intn(4) == 0 {
		p.Fees.NoVAT = true
	}
	p.CloseOnCreditorPayment = rng.Intn(3) == 0
	if rng.Intn(2) == 0 {
		p.DefaultDecision = Solvent
	}
	if p.Jurisdiction == "SE" && rng.Intn(2) == 0 {
		p.PlanFee = "Statutory"
	}
	p.PlanGraceDays = rng.Intn(5)
	d := &Debtor{Name: "debtor", Country: p.Jurisdiction, Business: rng.Intn(2) == 0, AutoCollection: rng.Intn(10) != 0}
	if rng.Intn(12) == 0 {
		d.Country = "DK"
	}
	cur := currencyOf[p.Jurisdiction]
	loc := p.Timing.Location
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, loc).AddDate(0, 0, rng.Intn(400))
	var claims []*Claim
	first := base
	for i, n := 0, 1+rng.Intn(3); i < n; i++ {
		due := civil.Of(base.AddDate(0, 0, rng.Intn(60)), loc)
		amounts := simAmounts[cur]
		c := newClaim(fmt.Sprintf("c%d", i), cur, amounts[rng.Intn(len(amounts))], due)
		c.InvoiceDate = due.AddDays(-rng.Intn(31))
		c.AutoCollection = rng.Intn(12) != 0
		if rng.Intn(2) == 0 {
			c.ReminderFeeAgreed = ptrTo(true) // Sweden: the reminder fee was agreed when the debt arose
		}
		claims = append(claims, c)
		if t := local(loc, due.Year, due.Month, due.Day, 0, 0); t.Before(first) {
			first = t
		}
	}
	start := first.AddDate(0, 0, -rng.Intn(5)).Add(time.Duration(rng.Intn(24*60)) * time.Minute)
	return &sim{t: t, seed: seed, rng: rng, p: p, w: newWorld(p, d, start, claims...), before: map[string]State{}, seen: map[string]bool{}, known: map[string]map[string]bool{}}
}

func (s *sim) today() civil.Date { return civil.Of(s.w.now, s.p.Timing.Location) }

// perturb applies random facts a person or an ERP would change.
func (s *sim) perturb() {
	r := s.rng
	for _, c := range s.w.claims {
		if c.State.Phase.Terminal() {
			continue
		}
		x := r.Intn(1000)
		switch {
		case x < 40:
			frac := decimal.NewFromInt(int64(1 + r.Intn(60))).Div(decimal.NewFromInt(100))
			amt := money.FromDecimal(c.Amount.Amount.Mul(frac), c.Currency)
			if amt.IsPositive() {
				c.Payments = append(c.Payments, Payment{ID: fmt.Sprintf("p%d", len(c.Payments)), Amount: amt,
					Date: s.today().AddDays(-r.Intn(4)), ByCreditor: r.Intn(8) == 0})
				s.note("%s: payment %s", c.Name, amt)
			}
		case x < 50:
			if dec, ok := s.w.last[c.Name]; ok && dec.Balance != nil && dec.Balance.Outstanding.IsPositive() {
				amt := dec.Balance.Outstanding.Add(money.FromDecimal(decimal.NewFromInt(int64(r.Intn(3))), c.Currency))
				c.Payments = append(c.Payments, Payment{ID: fmt.Sprintf("p%d", len(c.Payments)), Amount: amt, Date: s.today()})
				s.note("%s: pays everything, %s", c.Name, amt)
			}
		case x < 65:
			amt := money.FromDecimal(c.Amount.Amount.Mul(decimal.NewFromFloat(r.Float64()*0.3)), c.Currency)
			if amt.IsPositive() {
				c.Credits = append(c.Credits, Credit{ID: fmt.Sprintf("cn%d", len(c.Credits)), Amount: amt, Date: s.today()})
				s.note("%s: credit note %s", c.Name, amt)
			}
		case x < 95:
			c.Suspend = !c.Suspend
			s.note("%s: suspend=%v", c.Name, c.Suspend)
		case x < 105:
			switch {
			case c.Dispute == nil:
				c.Dispute = &Dispute{RaisedOn: s.today(), Resolution: ResolutionPending}
			case c.Dispute.Resolution == ResolutionPending && r.Intn(3) == 0:
				c.Dispute.Resolution = ResolutionDebtor
			case c.Dispute.Resolution == ResolutionPending:
				c.Dispute.Resolution = ResolutionCreditor
			}
			s.note("%s: dispute %+v", c.Name, *c.Dispute)
		case x < 108:
			c.Withdraw = true
			s.note("%s: withdrawn", c.Name)
		case x < 118:
			if !c.HasPlan {
				half := money.FromDecimal(c.Amount.Amount.Div(decimal.NewFromInt(2)), c.Currency)
				day := func(n int) civil.Date {
					return s.today().AddDays(n)
				}
				c.HasPlan = true
				c.Installments = []plan.Installment{{Due: day(10 + r.Intn(20)), Amount: half}, {Due: day(40 + r.Intn(30)), Amount: half}}
				s.note("%s: payment plan", c.Name)
			} else if r.Intn(3) == 0 {
				c.HasPlan, c.Installments = false, nil
				s.note("%s: plan removed", c.Name)
			}
		case x < 125:
			c.CreditDecision = []CreditDecision{Solvent, Insolvent}[r.Intn(2)]
			s.note("%s: credit decision %s", c.Name, c.CreditDecision)
		}
	}
}

// advance moves the clock: to the earliest wake, by a few hours, or far.
func (s *sim) advance() {
	r := s.rng
	var wake time.Time
	for _, dec := range s.w.last {
		if dec.RecheckSoon {
			wake = Earliest(wake, s.w.now.Add(time.Minute))
		}
		if dec.Wake.After(s.w.now) {
			wake = Earliest(wake, dec.Wake)
		}
	}
	if s.w.lastCases.Wake.After(s.w.now) {
		wake = Earliest(wake, s.w.lastCases.Wake)
	}
	switch x := r.Intn(10); {
	case x < 5 && !wake.IsZero():
		s.w.now = wake.Add(time.Duration(r.Intn(120)) * time.Second)
	case x < 9:
		s.w.now = s.w.now.Add(time.Duration(1+r.Intn(72)) * time.Hour)
	default:
		s.w.now = s.w.now.AddDate(0, 0, 30+r.Intn(200))
	}
}

func (s *sim) run(iterations int) {
	defer func() {
		if r := recover(); r != nil {
			s.fail("panic: %v\n%s", r, debug.Stack())
		}
	}()
	for i := 0; i < iterations; i++ {
		for _, c := range s.w.claims {
			s.before[c.Name] = cloneState(c.State)
		}
		s.w.reconcile(s.t)
		for _, c := range s.w.claims {
			dec := s.w.last[c.Name]
			if dec.Record != nil {
				s.note("%s: %s %s fee %s (%s)", c.Name, dec.Record.Step, dec.Record.Phase, dec.Record.Fee, dec.Record.FeeKind)
			}
			s.check(c)
			s.seen["phase "+string(c.State.Phase)] = true
			if r := dec.Record; r != nil && r.Fee.IsPositive() {
				s.seen["fee "+s.p.Jurisdiction+" "+string(kindOf(s.p, nil, r.Step, r.FeeKind))] = true
			}
			if c.State.CaseID != "" && c.State.CaseID != c.Name {
				s.seen["case"] = true
			}
			s.seeCaps(c)
		}
		s.checkCases()
		done := true
		for _, c := range s.w.claims {
			done = done && c.State.Phase.Terminal()
		}
		if done {
			return
		}
		s.perturb()
		s.advance()
	}
}

// checkCases: every case record splits its fee exactly over its claims.
func (s *sim) checkCases() {
	for _, c := range s.w.cases {
		for _, h := range c.History {
			if h.Shares == nil {
				continue
			}
			if len(h.Shares) != len(h.Claims) {
				s.fail("case %s step %s: %d shares for %d claims", c.ID, h.Step, len(h.Shares), len(h.Claims))
			}
			sum := money.Zero(c.Currency)
			for _, sh := range h.Shares {
				if sh.Amount.IsNegative() || (sh.Currency != c.Currency && !sh.IsZero()) {
					s.fail("case %s step %s: share %s %s", c.ID, h.Step, sh, sh.Currency)
				}
				sum = sum.Add(sh)
			}
			if sum.Cmp(h.Fee) != 0 {
				s.fail("case %s step %s: shares %v sum %s, fee %s", c.ID, h.Step, h.Shares, sum, h.Fee)
			}
		}
	}
}

func (s *sim) check(c *Claim) {
	p, d, dec, was := s.p, s.w.debtor, s.w.last[c.Name], s.before[c.Name]
	// Nothing after the end.
	if was.Phase.Terminal() {
		if len(c.State.History) != len(was.History) || feeSum(c).Cmp(feeSumOf(c.Currency, was.History)) != 0 || c.State.Phase != was.Phase {
			s.fail("%s ended %s but changed: %+v", c.Name, was.Phase, c.State.History[len(was.History):])
		}
	}
	if dec.Record != nil && c.State.Phase.Held() {
		s.fail("%s recorded %s while held in %s", c.Name, dec.Record.Step, c.State.Phase)
	}
	// Limitation: nothing recorded once time-barred, outside Legal.
	if dec.Record != nil && was.Phase != PhaseLegal && dec.Record.Step != RecheckStep {
		var acks []civil.Date
		for _, py := range c.Payments {
			acks = append(acks, py.Date)
		}
		from, _, _ := schedule.TimeBarredFrom(p.Jurisdiction, d.Business, c.DueDate, acks, civil.Date{}, 0)
		if barred := local(p.Timing.Location, from.Year, from.Month, from.Day, 0, 0); !s.w.now.Before(barred) {
			s.fail("%s recorded %s at %s, time-barred from %s", c.Name, dec.Record.Step, s.w.now, from)
		}
	}
	// Eligibility of every record.
	tp := p.Timing
	overdue := local(tp.Location, c.DueDate.Year, c.DueDate.Month, c.DueDate.Day, 0, 0).AddDate(0, 0, 1)
	for _, h := range c.State.History {
		if h.Step == RecheckStep {
			continue
		}
		if h.Time.Before(overdue) {
			s.fail("%s: step %s at %s before the claim was overdue (%s)", c.Name, h.Step, h.Time, overdue)
		}
		st, ok := p.StepNamed(h.Step)
		if !ok || st.Reminder() {
			continue
		}
		minDue, minInv := tp.At(c.DueDate.AddDays(tp.MinDaysAfterDue)), tp.At(c.InvoiceDate.AddDays(tp.MinDaysAfterInvoice))
		if h.Time.Before(minDue) || h.Time.Before(minInv) {
			s.fail("%s: step %s at %s before eligibility (%d days after due: %s; %d after invoice: %s)",
				c.Name, h.Step, h.Time, tp.MinDaysAfterDue, minDue, tp.MinDaysAfterInvoice, minInv)
		}
		if tp.CreditorWarning {
			warned, ok := c.State.CreditorNotices[CreditorOverdueWarning]
			if !ok {
				s.fail("%s: step %s at %s, the creditor was never warned", c.Name, h.Step, h.Time)
			}
			if transfer := tp.At(civil.Of(warned, tp.Location).AddDays(tp.TransferWarningDays)); h.Time.Before(transfer) {
				s.knownBug(bugWarningPeriod, "%s: step %s at %s, before the warning's notice period ended (%s)", c.Name, h.Step, h.Time, transfer)
			}
		}
	}
	// Fees in the claim's currency, never negative.
	for _, h := range c.State.History {
		if h.Fee.Amount.IsNegative() || (h.Fee.Currency != c.Currency && !h.Fee.IsZero()) {
			s.fail("%s: step %s fee %s %s", c.Name, h.Step, h.Fee, h.Fee.Currency)
		}
	}
	s.checkCaps(c)
}

// seeCaps notes the timelines that press against a cap, so the caps'
// invariants are known to be exercised.
func (s *sim) seeCaps(c *Claim) {
	p, d := s.p, s.w.debtor
	switch p.Jurisdiction {
	case "FI":
		if !d.Business && !c.Amount.Amount.GreaterThan(dm("100")) && feeSum(c).String() == "60.00" {
			s.seen["FI consumer cap of 60 reached"] = true
		}
	case "NO":
		if n, _ := feesOfKind(p, c, fees.Reminder); n == 2 {
			for _, h := range c.State.History[1:] {
				if kindOf(p, nil, h.Step, h.FeeKind) == fees.Reminder && h.Fee.IsZero() {
					s.seen["NO third reminder-type fee refused"] = true
				}
			}
		}
	case "SE":
		if n, _ := feesOfKind(p, c, fees.Compensation); n == 1 && d.Business && c.HasStep("collection-demand") {
			s.seen["SE compensation once through the demand"] = true
		}
	}
	for _, h := range c.State.History {
		if h.HasFee && h.Fee.IsZero() && c.State.CaseID != c.Name && kindOf(p, nil, h.Step, h.FeeKind) != "" && kindOf(p, nil, h.Step, h.FeeKind) != fees.None {
			s.seen["a case share capped to zero"] = true
		}
	}
}

func feeSumOf(cur string, h []Entry) money.Money {
	sum := money.Zero(cur)
	for _, e := range h {
		if e.HasFee && e.Fee.Currency == cur {
			sum = sum.Add(e.Fee)
		}
	}
	return sum
}

func dm(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// checkCaps checks the law's caps (domain.md) on the claim's whole history.
func (s *sim) checkCaps(c *Claim) {
	p, d := s.p, s.w.debtor
	count := func(kind fees.Kind) (int, decimal.Decimal, decimal.Decimal) {
		n, sum, max := 0, decimal.Zero, decimal.Zero
		for _, h := range c.State.History {
			if h.HasFee && h.Fee.IsPositive() && kindOf(p, nil, h.Step, h.FeeKind) == kind {
				n++
				sum = sum.Add(h.Fee.Amount)
				max = decimal.Max(max, h.Fee.Amount)
			}
		}
		return n, sum, max
	}
	amount := c.Amount.Amount
	switch p.Jurisdiction {
	case "NO":
		if n, _, max := count(fees.Reminder); n > 2 || max.GreaterThan(dm("37.50")) {
			s.fail("%s: %d reminder-type fees (largest %s); the law allows two of 1/20 of the sats", c.Name, n, max)
		}
		s.checkNorwegianSequence(c)
		_, light, _ := count(fees.LightSalary)
		_, heavy, _ := count(fees.HeavySalary)
		_, comp, _ := count(fees.Compensation)
		// The heavy maximum for the claim's band at the largest sats (750), business 1.5x, no VAT +25 %.
		var mult decimal.Decimal
		for _, b := range []struct{ upTo, m string }{{"500", "0.25"}, {"1000", "0.35"}, {"2500", "0.40"}, {"10000", "0.80"}, {"50000", "1.60"}, {"250000", "3.60"}} {
			if amount.LessThanOrEqual(dm(b.upTo)) {
				mult = dm(b.m)
				break
			}
		}
		if mult.IsZero() {
			mult = dm("7.20")
		}
		max := mult.Mul(dm("750")).Mul(dm("2"))
		if d.Business {
			max = max.Mul(dm("1.5"))
		}
		if p.Fees.NoVAT {
			max = max.Mul(dm("1.25"))
		}
		max = max.Round(2) // the tables round to the øre (half away from zero)
		if total := light.Add(heavy).Add(comp); total.GreaterThan(max) {
			s.fail("%s (%s NOK): salær %s above the heavy maximum %s", c.Name, amount, total, max)
		}
	case "SE":
		nr, _, maxr := count(fees.Reminder)
		nd, _, maxd := count(fees.LightSalary)
		nc, _, maxc := count(fees.Compensation)
		if d.Business {
			if nr+nd > 0 || nc > 1 || maxc.GreaterThan(dm("450")) {
				s.fail("%s: business debtor charged %d reminder, %d demand, %d compensation fees (largest %s); the law allows the 450 SEK compensation once",
					c.Name, nr, nd, nc, maxc)
			}
		} else if nr > 1 || nd > 1 || maxr.GreaterThan(dm("60")) || maxd.GreaterThan(dm("180")) {
			s.fail("%s: %d reminder fees (largest %s), %d demand fees (largest %s); the law allows one of 60 and one of 180",
				c.Name, nr, maxr, nd, maxd)
		}
	case "FI":
		if d.Business {
			if n, _, max := count(fees.Compensation); n > 1 || max.GreaterThan(dm("40")) {
				s.fail("%s: %d compensations (largest %s); 40 EUR once", c.Name, n, max)
			}
			if _, _, max := count(fees.Reminder); max.GreaterThan(dm("12")) {
				s.fail("%s: reminder fee %s above 12 EUR", c.Name, max)
			}
			break
		}
		cap := dm("210")
		if amount.LessThanOrEqual(dm("100")) {
			cap = dm("60")
		} else if amount.LessThanOrEqual(dm("1000")) {
			cap = dm("120")
		}
		if total := feeSum(c).Amount; total.GreaterThan(cap) {
			s.fail("%s (capital %s EUR): consumer costs %s above the cap %s: %+v", c.Name, amount, total, cap, c.State.History)
		}
		if _, _, max := count(fees.Reminder); max.GreaterThan(dm("5")) {
			s.fail("%s: consumer reminder fee %s above 5 EUR", c.Name, max)
		}
	}
}

// checkNorwegianSequence: a reminder-type fee only 14 days after the due
// date; a light salær only once a collection notice (a reminder-type step
// past the reminders) was sent 14 days before; a heavy salær only once the
// payment demand's deadline (14 days) is overrun by more than 28 days.
func (s *sim) checkNorwegianSequence(c *Claim) {
	p := s.p
	loc := p.Timing.Location
	days := func(from, to time.Time) int { // calendar days from one moment to another, in the policy's zone
		return civil.Of(to, loc).Sub(civil.Of(from, loc))
	}
	dueDay := local(loc, c.DueDate.Year, c.DueDate.Month, c.DueDate.Day, 12, 0)
	var notice, demand time.Time
	for _, h := range c.State.History {
		kind := kindOf(p, nil, h.Step, h.FeeKind)
		st, _ := p.StepNamed(h.Step)
		switch {
		case kind == fees.Reminder && h.Fee.IsPositive() && days(dueDay, h.Time) < 14:
			s.knownBug(bugReminderDay14, "%s: %s fee %s on %s, due %s", c.Name, h.Step, h.Fee, h.Time.Format(time.DateOnly), c.DueDate)
		case kind == fees.LightSalary && h.Fee.IsPositive() && (notice.IsZero() || days(notice, h.Time) < 14):
			s.knownBug(bugSequence, "%s: light salær %s on %s, collection notice on %s", c.Name, h.Fee, h.Time.Format(time.DateOnly), dateOrNone(notice))
		case kind == fees.HeavySalary && h.Fee.IsPositive() && (demand.IsZero() || days(demand, h.Time) <= 14+28):
			s.knownBug(bugSequence, "%s: heavy salær %s on %s, payment demand on %s", c.Name, h.Fee, h.Time.Format(time.DateOnly), dateOrNone(demand))
		}
		if kind == fees.Reminder && !st.Reminder() && notice.IsZero() {
			notice = h.Time
		}
		if kind == fees.LightSalary && demand.IsZero() {
			demand = h.Time
		}
	}
}

func dateOrNone(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.DateOnly)
}

// TestDecideInvariants runs the invariants over many random timelines.
func TestDecideInvariants(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 60
	}
	steps := 0
	for seed := int64(1); seed <= int64(n); seed++ {
		s := newSim(t, seed)
		s.run(400)
		for _, c := range s.w.claims {
			steps += len(c.State.History)
		}
	}
	if steps < n*3 {
		t.Errorf("the timelines recorded only %d steps in all: the simulation does not reach collection", steps)
	}
}

// TestDecideInvariantsKnownBugs runs the random timelines for the
// invariants that bugs found by hostile testing broke (a transfer before
// the creditor warning's period, a joiner skipping the statutory sequence,
// a reminder fee before day 14); each fails if its bug comes back.
func TestDecideInvariantsKnownBugs(t *testing.T) {
	known := map[string]map[string]bool{}
	for seed := int64(1); seed <= 400; seed++ {
		s := newSim(t, seed)
		s.run(400)
		for class, msgs := range s.known {
			if known[class] == nil {
				known[class] = map[string]bool{}
			}
			for m := range msgs {
				known[class][m] = true
			}
		}
	}
	for _, class := range []string{bugWarningPeriod, bugSequence, bugReminderDay14} {
		t.Run(class, func(t *testing.T) {
			if n := len(known[class]); n > 0 {
				var first string
				for m := range known[class] {
					if first == "" || m < first {
						first = m
					}
				}
				if testing.Verbose() {
					for m := range known[class] {
						t.Log(m)
					}
				}
				t.Errorf("%d violations over 400 timelines, e.g. %s", n, first)
			}
		})
	}
}

// TestDecideInvariantsReachEveryOutcome makes sure the random timelines
// exercise what the invariants are about: fees of every kind, cases,
// holds and every way collection ends.
func TestDecideInvariantsReachEveryOutcome(t *testing.T) {
	seen := map[string]bool{}
	for seed := int64(1); seed <= 400; seed++ {
		s := newSim(t, seed)
		s.run(400)
		for k := range s.seen {
			seen[k] = true
		}
	}
	for _, want := range []string{"phase Paid", "phase Withdrawn", "phase WrittenOff", "phase TimeBarred", "phase Forwarded",
		"phase Surveillance", "phase Legal", "fee NO Reminder", "fee NO LightSalary", "fee NO HeavySalary", "fee SE Compensation",
		"fee SE Reminder", "fee SE LightSalary", "fee FI Reminder", "fee FI LightSalary", "case",
		"FI consumer cap of 60 reached", "NO third reminder-type fee refused", "SE compensation once through the demand",
		"a case share capped to zero", "phase Suspended", "phase Disputed", "phase PaymentPlan", "phase Pending", "phase Overdue"} {
		if !seen[want] {
			t.Errorf("no timeline reached %q", want)
		}
	}
}

// FuzzDecideClaim drives a random timeline from a fuzzed seed
// (go test -fuzz FuzzDecideClaim ./internal/collection/).
func FuzzDecideClaim(f *testing.F) {
	for _, seed := range []int64{1, 7, 42, 1234, 99991} {
		f.Add(seed, uint16(300))
	}
	f.Fuzz(func(t *testing.T, seed int64, iterations uint16) {
		s := newSim(t, seed)
		s.run(int(iterations%600) + 1)
	})
}
