package collection

// Test helpers: facts built by hand, as the controllers' convert.go would
// build them from config/samples (kravia-11, collectors, sweden, finland).
// Expected figures in the tests come from /work/shared/domain.md and the
// law's wording, never from what the code prints.

import (
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

var (
	oslo      = mustLoc("Europe/Oslo")
	stockholm = mustLoc("Europe/Stockholm")
	helsinki  = mustLoc("Europe/Helsinki")
)

func nok(s string) money.Money { return money.MustParse(s, "NOK") }
func sek(s string) money.Money { return money.MustParse(s, "SEK") }
func eur(s string) money.Money { return money.MustParse(s, "EUR") }

func ymd(y int, m time.Month, d int) civil.Date { return civil.Date{Year: y, Month: m, Day: d} }

// local is a wall-clock moment in loc.
func local(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

// stepDef is one step of a policy as written in a CollectionPolicy's spec.steps.
type stepDef struct {
	name     string
	phase    Phase
	after    int // afterDueDays
	gap      int // minGapDays
	channels []string
	fee      string // "", a fee kind, or a fixed amount
	action   Action
	deadline int
}

// newPolicy builds a policy the way controllers/convert.go does: steps and
// their timing side by side, stepTime 09:00, consolidation on (the API's
// default), free cancellation 10 days, the jurisdiction's interest table.
func newPolicy(name, jurisdiction string, loc *time.Location, minDue, minInvoice int, defs ...stepDef) *Policy {
	p := &Policy{
		Name: name, Jurisdiction: jurisdiction,
		Timing:               schedule.Policy{Location: loc, StepTime: 9 * time.Hour, MinDaysAfterDue: minDue, MinDaysAfterInvoice: minInvoice},
		Consolidation:        true,
		FreeCancellationDays: DefaultFreeCancellationDays,
		CreditorNotify:       map[CreditorEvent]bool{},
	}
	if t, ok := interest.Tables[jurisdiction]; ok {
		p.Money.Interest = &t
	}
	for _, d := range defs {
		s := Step{Name: d.name, Phase: d.phase, Action: d.action, Channels: d.channels, PaymentDeadlineDays: d.deadline}
		s.Fee, s.FixedFee = FeeOf(d.fee)
		p.Steps = append(p.Steps, s)
		p.Timing.Steps = append(p.Timing.Steps, schedule.Step{Name: d.name, Reminder: d.phase == PhaseReminder, AfterDueDays: d.after, MinGapDays: d.gap})
	}
	return p
}

var letter = []string{"letter"}

// kraviaPolicy is config/samples' kravia-11 (seed 000): Norway, 11 steps over 74 days.
func kraviaPolicy() *Policy {
	p := newPolicy("kravia-11", "NO", oslo, 14, 14,
		stepDef{name: "reminder", phase: PhaseReminder, after: 1, channels: letter, fee: "None", deadline: 10},
		stepDef{name: "collection-notice", phase: PhaseCollection, after: 14, gap: 7, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "payment-demand", phase: PhaseCollection, after: 31, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "sms-reminder", phase: PhaseCollection, after: 38, gap: 7, channels: []string{"sms"}},
		stepDef{name: "phone-call", phase: PhaseCollection, after: 41, gap: 3, channels: []string{"phone"}},
		stepDef{name: "legal-warning", phase: PhaseCollection, after: 49, gap: 8, channels: letter, deadline: 14},
		stepDef{name: "second-call", phase: PhaseCollection, after: 58, gap: 9, channels: []string{"phone"}},
		stepDef{name: "heavy-fee-sms", phase: PhaseCollection, after: 69, gap: 11, channels: []string{"sms"}},
		stepDef{name: "credit-assessment", phase: PhaseCollection, after: 71, gap: 2, action: ActionCreditCheck},
		stepDef{name: "handover", phase: PhaseLegal, after: 74, gap: 3, action: ActionEscalate, fee: "HeavySalary"},
	)
	p.DefaultDecision = Insolvent
	return p
}

// collectorsPolicy is config/samples' collectors (seed 004): the creditor is
// warned the day after due, the transfer waits 5 days and 14 days after the
// invoice date, free cancellation for 10 days.
func collectorsPolicy() *Policy {
	p := newPolicy("collectors", "NO", oslo, 6, 14,
		stepDef{name: "reminder", phase: PhaseCollection, after: 11, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "collection-notice", phase: PhaseCollection, after: 25, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "payment-demand", phase: PhaseCollection, after: 39, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "credit-assessment", phase: PhaseCollection, after: 81, gap: 42, action: ActionCreditCheck},
		stepDef{name: "handover", phase: PhaseLegal, after: 84, gap: 3, action: ActionEscalate, fee: "HeavySalary"},
	)
	p.Timing.CreditorWarning, p.Timing.WarnAfterDueDays, p.Timing.TransferWarningDays = true, 1, 5
	p.CreditorChannels = letter
	for _, ev := range []CreditorEvent{CreditorOverdueWarning, CreditorTransferred, CreditorClosed} {
		p.CreditorNotify[ev] = true
	}
	p.FreeCancellationDays = 10
	return p
}

// swedenPolicy is config/samples' sweden.
func swedenPolicy() *Policy {
	return newPolicy("sweden", "SE", stockholm, 0, 0,
		stepDef{name: "reminder", phase: PhaseReminder, after: 8, channels: letter, fee: "Reminder", deadline: 10},
		stepDef{name: "collection-demand", phase: PhaseCollection, after: 22, gap: 10, channels: letter, fee: "LightSalary", deadline: 8},
		stepDef{name: "sms-reminder", phase: PhaseCollection, after: 32, gap: 8, channels: []string{"sms"}},
		stepDef{name: "credit-assessment", phase: PhaseCollection, after: 45, gap: 5, action: ActionCreditCheck},
		stepDef{name: "payment-order", phase: PhaseLegal, after: 50, gap: 5, action: ActionEscalate, fee: "300.00"},
	)
}

// finlandPolicy is config/samples' finland.
func finlandPolicy() *Policy {
	return newPolicy("finland", "FI", helsinki, 0, 0,
		stepDef{name: "reminder", phase: PhaseReminder, after: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "second-reminder", phase: PhaseReminder, after: 28, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "demand-letter", phase: PhaseCollection, after: 42, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "credit-assessment", phase: PhaseCollection, after: 70, gap: 14, action: ActionCreditCheck},
		stepDef{name: "legal-collection", phase: PhaseLegal, after: 77, gap: 7, action: ActionEscalate},
	)
}

// finlandManyLettersPolicy is a Finnish policy sending more demand letters
// than the consumer cap can pay for: the cap must stop the fees.
func finlandManyLettersPolicy() *Policy {
	p := newPolicy("finland-letters", "FI", helsinki, 0, 0,
		stepDef{name: "reminder", phase: PhaseReminder, after: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "second-reminder", phase: PhaseReminder, after: 28, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "demand-letter", phase: PhaseCollection, after: 42, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "demand-letter-2", phase: PhaseCollection, after: 56, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "demand-letter-3", phase: PhaseCollection, after: 70, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "demand-letter-4", phase: PhaseCollection, after: 84, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "demand-letter-5", phase: PhaseCollection, after: 98, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "legal-collection", phase: PhaseLegal, after: 112, gap: 7, action: ActionEscalate},
	)
	return p
}

// threeReminderPolicy is a Norwegian policy whose steps would charge three
// reminder-type fees (two reminders and a collection notice): the law
// allows two per claim (inkassoforskriften § 1-2, domain.md).
func threeReminderPolicy() *Policy {
	return newPolicy("three-reminders", "NO", oslo, 14, 14,
		stepDef{name: "reminder", phase: PhaseReminder, after: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "second-reminder", phase: PhaseReminder, after: 28, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "collection-notice", phase: PhaseCollection, after: 42, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "payment-demand", phase: PhaseCollection, after: 56, gap: 14, channels: letter, fee: "LightSalary", deadline: 14},
		stepDef{name: "second-notice", phase: PhaseCollection, after: 70, gap: 14, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "handover", phase: PhaseLegal, after: 112, gap: 29, action: ActionEscalate, fee: "HeavySalary"}, // 14 + 29 days after the demand: its deadline overrun by more than 28
	)
}

// alone is p with consolidation off: every claim is collected by itself.
func alone(p *Policy) *Policy {
	p.Consolidation = false
	return p
}

func consumer(name, country string) *Debtor {
	return &Debtor{Name: name, Country: country, AutoCollection: true}
}

func business(name, country string) *Debtor {
	return &Debtor{Name: name, Country: country, Business: true, AutoCollection: true}
}

// newClaim is an invoice of amount in currency, invoiced 14 days before its due date.
func newClaim(name, currency, amount string, due civil.Date) *Claim {
	return &Claim{Name: name, Namespace: "acme", InvoiceNumber: strings.ToUpper(name), Currency: currency,
		Amount: money.MustParse(amount, currency), InvoiceDate: due.AddDays(-14), DueDate: due, AutoCollection: true,
		State: State{CreditorNotices: map[CreditorEvent]time.Time{}}}
}

// did appends a record of step done at t with fee (kind from the policy step).
func did(c *Claim, p *Policy, step string, t time.Time, fee money.Money) {
	s, ok := p.StepNamed(step)
	if !ok {
		panic("no step " + step + " in policy " + p.Name)
	}
	phase, _ := stepPhase(c, p, s)
	caseID := c.State.CaseID
	if caseID == "" {
		caseID = c.Name
	}
	e := Entry{Step: step, Phase: phase, Time: t, DueAt: t.UTC(), Notices: noticeNames(caseID, s), Fee: fee, HasFee: true, FeeKind: stepKind(s)}
	c.State.History = append(c.State.History, e)
	c.State.Step, c.State.Phase = step, phase
	if c.State.CollectionStartedAt.IsZero() {
		c.State.CollectionStartedAt = t
	}
}

// stepKind is the fee kind a step names (none for a fixed fee).
func stepKind(s Step) fees.Kind {
	if s.FixedFee != "" {
		return ""
	}
	return s.Fee
}

func facts(p *Policy, d *Debtor, c *Claim, now time.Time) ClaimFacts {
	return ClaimFacts{Claim: c, Debtor: d, Policy: p, Now: now, TransferGrace: 10 * time.Minute}
}

// applyDecision writes a decision back into the claim, as the Claim
// controller does: the state, and the Ready condition when it is True.
func applyDecision(c *Claim, dec Decision) {
	c.State = dec.State
	if dec.Stalled == nil {
		r := dec.Ready
		c.State.Ready = &r
	} else {
		c.State.Ready = nil
	}
}

// feeSum is what the claim's history charged (own steps and case shares).
func feeSum(c *Claim) money.Money {
	sum := money.Zero(c.Currency)
	for _, h := range c.State.History {
		if h.HasFee && h.Fee.Currency == c.Currency {
			sum = sum.Add(h.Fee)
		}
	}
	return sum
}

// feesOfKind counts the positive fees of a kind in the claim's history and sums them.
func feesOfKind(p *Policy, c *Claim, kind fees.Kind) (int, money.Money) {
	n, sum := 0, money.Zero(c.Currency)
	for _, h := range c.State.History {
		if h.HasFee && h.Fee.IsPositive() && kindOf(p, nil, h.Step, h.FeeKind) == kind {
			n++
			sum = sum.Add(h.Fee)
		}
	}
	return n, sum
}

func hasEvent(dec Decision, reason string) int {
	n := 0
	for _, e := range dec.Events {
		if e.Reason == reason {
			n++
		}
	}
	return n
}

func flagOf(dec Decision, typ ConditionType) (Flag, bool) {
	for _, f := range dec.Flags {
		if f.Type == typ {
			return f, true
		}
	}
	return Flag{}, false
}

func noticeName(caseID, step, channel string) string { return notice.Name(caseID, step, channel) }

// allNotices is a Notice lookup in which every notice exists and is fine.
func allNotices(name string) (NoticeState, bool) { return NoticeState{Debtor: true}, true }

func wantMoney(t *testing.T, what string, got money.Money, want string) {
	t.Helper()
	if got.String() != want {
		t.Errorf("%s = %s %s, want %s", what, got.String(), got.Currency, want)
	}
}

// world is one debtor's claims, cases and notices reconciled together the
// way the controllers do: the Debtor controller decides the cases (and
// creates the notices of every recorded step), then each Claim controller
// decides its claim against the case that lists it, or the open case in
// its currency.
type world struct {
	debtor   *Debtor
	policies map[string]*Policy // by claim name; nil entry: policyOf's default
	policy   *Policy            // the default policy
	claims   []*Claim
	cases    []Case
	notices  map[string]bool
	now      time.Time
	// decisions of the last reconcile, by claim name
	last      map[string]Decision
	lastCases CasesDecision
}

func newWorld(p *Policy, d *Debtor, now time.Time, claims ...*Claim) *world {
	return &world{debtor: d, policy: p, policies: map[string]*Policy{}, claims: claims, notices: map[string]bool{}, now: now}
}

func (w *world) policyOf(c *Claim) *Policy {
	if p := w.policies[c.Name]; p != nil {
		return p
	}
	return w.policy
}

func (w *world) policyNamed(name string) (*Policy, *Problem) {
	if w.policy.Name == name {
		return w.policy, nil
	}
	for _, p := range w.policies {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, &Problem{Reason: "PolicyNotFound", Message: "no policy " + name}
}

func (w *world) lookup(name string) (NoticeState, bool) {
	return NoticeState{Debtor: true}, w.notices[name]
}

func (w *world) caseFacts() CaseFacts {
	return CaseFacts{Debtor: w.debtor, Namespace: "acme", Cases: w.cases, Claims: w.claims, Now: w.now,
		PolicyOf:    func(c *Claim) (*Policy, *Problem) { return w.policyOf(c), nil },
		PolicyNamed: w.policyNamed,
		Undelivered: func(c *Claim, p *Policy) bool { return Undelivered(c, p, w.lookup) },
	}
}

// caseOf is the case that lists the claim, or else the open case in its currency.
func (w *world) caseOf(c *Claim) *Case {
	var same *Case
	for i := range w.cases {
		if w.cases[i].Lists(c.Name) {
			cs := w.cases[i]
			return &cs
		}
		if w.cases[i].Currency == c.Currency {
			cs := w.cases[i]
			same = &cs
		}
	}
	return same
}

// reconcile runs the debtor, then every claim, once at w.now.
func (w *world) reconcile(t testing.TB) {
	t.Helper()
	cd := DecideCases(w.caseFacts())
	w.lastCases = cd
	w.cases = cd.Cases
	for _, wk := range cd.Work {
		for _, n := range noticeNames(wk.Case.ID, wk.Step) {
			w.notices[n] = true
		}
	}
	w.last = map[string]Decision{}
	for _, c := range w.claims {
		dec := DecideClaim(ClaimFacts{Claim: c, Debtor: w.debtor, Policy: w.policyOf(c), Case: w.caseOf(c),
			Notice: w.lookup, Now: w.now, TransferGrace: 10 * time.Minute})
		for _, ni := range dec.Notices {
			for _, n := range ni.Names {
				w.notices[n] = true
			}
		}
		applyDecision(c, dec)
		w.last[c.Name] = dec
	}
}

// run reconciles every hour until until, calling each after every reconcile.
func (w *world) run(t testing.TB, until time.Time, each func()) {
	t.Helper()
	for ; !w.now.After(until); w.now = w.now.Add(time.Hour) {
		w.reconcile(t)
		if each != nil {
			each()
		}
	}
}

func (w *world) claim(name string) *Claim {
	for _, c := range w.claims {
		if c.Name == name {
			return c
		}
	}
	panic("no claim " + name)
}
