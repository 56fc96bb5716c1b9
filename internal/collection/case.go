package collection

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// caseMember handles a claim whose steps from the transfer on belong to
// its debtor's case: a claim the case lists takes each step the case
// recorded for it (its only writer is the Claim controller: the debtor
// records intent, the claim its own entry); a claim whose transfer is due
// waits to be taken in. handled is false where the claim's own steps
// apply (reminders, a case that completed, collected alone, forwarded).
func (x *decider) caseMember(pl schedule.Plan) (handled bool) {
	st, p, c := x.st, x.p, x.f.Case
	if c != nil && c.Lists(x.c.Name) {
		if !x.takeCaseSteps(c) {
			return true
		}
		st.CaseID, st.AwaitingCase = c.ID, false
		ref, err := CaseReference(p, x.c.Namespace, c.ID)
		if err != nil {
			x.stall(ReasonInvalidReference, "payment reference: %v", err)
			return true
		}
		st.PaymentReference = ref
		x.keepReference(ref) // the claim's own earlier reference stays valid too
		if c.NextStep == "" {
			return false // every case step is done: the claim's own timers (Surveillance) go on
		}
		st.NextStep, st.NextStepAt = c.NextStep, c.NextStepAt.UTC()
		x.ready(ReasonWaiting, "collected in case "+c.ID+" of debtor "+x.f.Debtor.Name+"; next step "+c.NextStep+" at "+c.NextStepAt.UTC().Format(time.RFC3339))
		return true
	}
	if pl.Next < 0 || p.Steps[pl.Next].Reminder() {
		return false
	}
	if c != nil && c.Policy != p.Name {
		st.AwaitingCase = false
		return false // the debtor's case follows another policy: collected alone
	}
	if !transferred(p, st.History) && x.f.Debtor.Country != p.Jurisdiction {
		return false // forwarded by its own step
	}
	switch {
	case c != nil && (c.NextStep == "" || !MayJoin(p, x.c, c.NextStep, c.NextStepAt)):
		// A claim never skips a step the law requires: one that missed the
		// case's collection notice (or demand) gets its own, with its own
		// deadline, before any demand or salær (inkassoloven §§ 9-10). It
		// is collected alone until it may join the case's next step.
		st.AwaitingCase = false
		return false
	case c == nil && !pl.Due:
		return false
	}
	// Due to open a case, or free to join the open one: the debtor takes
	// the claim in; meanwhile it takes no step of its own.
	x.setNext(pl)
	// The debtor's own timer takes the claim in when its transfer is due,
	// so asking would cost a claim write per transfer. The claim says it
	// waits only when its debtor has not acted for a while (a stalled
	// Debtor controller): until then it keeps what it showed.
	waited := x.now.Sub(pl.NextAt)
	if prev := st.Ready; !st.AwaitingCase && waited < x.f.TransferGrace && prev != nil && (prev.Reason == ReasonWaiting || c != nil) {
		x.ready(prev.Reason, prev.Message)
		x.d.Wake = pl.NextAt.Add(x.f.TransferGrace)
		return true
	}
	st.AwaitingCase = true
	x.ready("AwaitingCase", "transfer to collection is due: waiting for debtor "+x.f.Debtor.Name+"'s collection case to take the claim in")
	// Normally taken in at once; look again in case the debtor's case
	// follows another policy and the claim must be collected alone.
	x.d.RecheckSoon = true
	return true
}

// takeCaseSteps records, in order, every step the case recorded for the
// claim that its history lacks, once the step's notices exist (the debtor
// creates them right after recording the step; until they exist the
// debtor keeps creating them, so the claim must not record the step
// first). False: the claim waits or stalled.
func (x *decider) takeCaseSteps(c *Case) bool {
	var took time.Time
	defer func() {
		if took.IsZero() {
			return
		}
		// The balance as of the case step, as the debtor previewed it for
		// its totals: the claim's write then leaves the debtor nothing to
		// rewrite (interest accrued since goes with the next real change).
		if b, err := Balance(x.c.withHistory(x.st.History), x.p, x.f.Debtor, took); err == nil {
			x.setBalance(b)
		}
	}()
	for _, rec := range c.History {
		if rec.Shares == nil || x.c.HasStep(rec.Step) {
			continue
		}
		share, ok := rec.ShareOf(x.c.Name)
		if !ok {
			continue
		}
		step, ok := x.p.StepNamed(rec.Step)
		if !ok {
			x.stall(ReasonInvalidPolicy, "case %s recorded step %q, which policy %q no longer has", c.ID, rec.Step, x.p.Name)
			return false
		}
		names := noticeNames(c.ID, step)
		for _, n := range names {
			if x.f.Notice == nil {
				break
			}
			if _, ok := x.f.Notice(n); !ok {
				// Normally a matter of milliseconds (the notice's create is
				// on its way to the cache): keep what the claim showed, so
				// the wait costs no write.
				if prev := x.st.Ready; prev != nil {
					x.ready(prev.Reason, prev.Message)
				} else {
					x.ready(ReasonWaiting, "collected in case "+c.ID+"; waiting for the notices of step "+rec.Step)
				}
				x.d.RecheckSoon = true
				return false
			}
		}
		e := caseEntry(x.c, x.p, c, rec, step, share)
		x.record(e)
		took = rec.Time
		x.event(false, "StepCompleted", "Step", "step %s done in case %s: %d notice(s), fee share %s %s",
			rec.Step, c.ID, len(names), share.String(), x.c.Currency)
	}
	return true
}

// MayJoin reports whether a claim may join a case whose next step is next,
// due at: it has had every step before it that the law requires (each
// notice that gives the debtor a deadline, and the payment demand), each
// deadline has run out by then (inkassoloven §§ 9-10), heavy salær comes
// more than 28 days after its own demand's deadline (inkassoforskriften
// § 2-3), and it has not gone past the case. Steps without legal weight
// (an SMS, a call) it may skip.
func MayJoin(p *Policy, cl *Claim, next string, at time.Time) bool {
	idx := slices.IndexFunc(p.Steps, func(s Step) bool { return s.Name == next })
	if idx < 0 {
		return false
	}
	for _, s := range p.Steps[idx:] {
		if cl.HasStep(s.Name) {
			return false // ahead of the case
		}
	}
	for _, s := range p.Steps[:idx] {
		demand := s.Fee == fees.LightSalary && s.FixedFee == ""
		if s.Reminder() || !(s.PaymentDeadlineDays > 0 || demand) {
			continue
		}
		var done *Entry
		for i := range cl.State.History {
			if cl.State.History[i].Step == s.Name {
				done = &cl.State.History[i]
			}
		}
		if done == nil || at.Before(done.Time.AddDate(0, 0, s.PaymentDeadlineDays)) {
			return false
		}
	}
	if s := p.Steps[idx]; s.Fee == fees.HeavySalary && s.FixedFee == "" && heavySalaryRefused(p, cl, fees.HeavySalary, at) != "" {
		return false // the same rule Allowance charges by
	}
	return true
}

// caseEntry is the claim's own record of a case step.
func caseEntry(cl *Claim, p *Policy, c *Case, rec CaseStep, step Step, share money.Money) Entry {
	phase, msg := stepPhase(cl, p, step)
	return Entry{Step: rec.Step, Phase: phase, Time: rec.Time, DueAt: rec.DueAt, Notices: noticeNames(c.ID, step),
		Fee: share, HasFee: true, FeeKind: rec.FeeKind, Message: strings.TrimPrefix(msg+"; case "+c.ID, "; ")}
}

// Preview is a claim as it will be once it took the steps its case
// recorded for it: what the debtor's totals and the case's notices show.
func Preview(cl *Claim, p *Policy, c *Case, d *Debtor, now time.Time) (*Claim, ledger.Result, error) {
	out := *cl
	out.State.History = slices.Clone(cl.State.History)
	asOf := now
	for _, rec := range c.History {
		share, ok := rec.ShareOf(cl.Name)
		if rec.Shares == nil || !ok || out.HasStep(rec.Step) {
			continue
		}
		step, ok := p.StepNamed(rec.Step)
		if !ok {
			continue
		}
		e := caseEntry(cl, p, c, rec, step, share)
		out.State.History = append(out.State.History, e)
		out.State.Step, out.State.Phase = e.Step, e.Phase
		asOf = rec.Time // as the claim will compute it when it takes the step
	}
	b, err := Balance(&out, p, d, asOf)
	return &out, b, err
}

// CaseReference is the payment reference of a case.
func CaseReference(p *Policy, namespace, caseID string) (string, error) {
	return reference.Generate(reference.ForJurisdiction(p.Jurisdiction), namespace+"/"+caseID)
}

// CaseID names the case a claim opens: stable, so a retry opens the same one.
func CaseID(debtor, opener string) string {
	sum := sha256.Sum256([]byte(debtor + "\x00" + opener))
	prefix := debtor
	if len(prefix) > 40 {
		prefix = strings.TrimRight(prefix[:40], "-.")
	}
	return prefix + "-" + hex.EncodeToString(sum[:])[:8]
}

// HeldFromCase reports a claim that takes no part in case steps now.
func HeldFromCase(c *Claim) bool {
	return c.State.Phase.Terminal() || c.Withdraw || c.Suspend ||
		(c.Dispute != nil && c.Dispute.Resolution != ResolutionCreditor) ||
		c.State.Phase.Held() ||
		(c.HasPlan && (c.State.Plan == nil || c.State.Plan.State == plan.OnTrack))
}

// timeBarred reports a claim past its limitation date (outside Legal,
// where the court case interrupts it): the case collects it no more, even
// before the claim's own write says TimeBarred.
func timeBarred(f CaseFacts, cl *Claim) bool {
	if cl.State.Phase == PhaseLegal || f.PolicyOf == nil {
		return false
	}
	p, prob := f.PolicyOf(cl)
	if prob != nil || p == nil {
		return false
	}
	x := decider{f: ClaimFacts{Debtor: f.Debtor}, c: cl, p: p, st: &cl.State, now: f.Now}
	from, _, err := x.limitation()
	return err == nil && !f.Now.Before(from.Midnight(p.Timing.Location))
}

// CaseFacts is everything a debtor's cases depend on.
type CaseFacts struct {
	Debtor    *Debtor
	Namespace string
	// Cases are the debtor's open cases, at most one per currency.
	Cases []Case
	// Claims are all of the debtor's claims.
	Claims []*Claim
	// PolicyOf resolves a claim's policy; PolicyNamed a case's.
	PolicyOf    func(*Claim) (*Policy, *Problem)
	PolicyNamed func(name string) (*Policy, *Problem)
	// ChannelExists tells whether a NoticeChannel exists (nil: all do).
	ChannelExists func(name string) bool
	// Undelivered reports a member holding the case with a failed notice.
	Undelivered func(*Claim, *Policy) bool
	Now         time.Time
}

// StepWork is a recorded case step whose notices must exist: one recorded
// now (persist the record first, then create them) or an earlier one some
// member has not taken yet (a crash may have left them missing).
type StepWork struct {
	Case     Case
	Policy   *Policy
	Step     Step
	Record   CaseStep
	Members  []*Claim // previews of the claims the step covers
	Balances []ledger.Result
}

// CasesDecision is what happens to a debtor's cases now.
type CasesDecision struct {
	Cases []Case
	// Recorded is true when a step was recorded: the cases must be
	// written (intent first) before Work's notices are created.
	Recorded bool
	Work     []StepWork
	// Previews are the debtor's claims as they will be once they took
	// their recorded steps (for the debtor's totals).
	Previews map[string]*Claim
	Balances map[string]ledger.Result
	Wake     time.Time
	Events   []Event
	Stalled  *Problem
	Observe  []Observation
}

// Earliest is the sooner of two moments, a zero one meaning none.
func Earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// DecideCases runs a debtor's collection cases, one per currency (claims
// in different currencies are never summed): it takes in claims whose
// transfer is due, lets go of claims that are held or ended, records a due
// case step for every claim in it at once (its fee on the case total,
// split without any claim exceeding its own fee ledger's allowance), and
// closes a case once every step is done and taken by its claims.
func DecideCases(f CaseFacts) CasesDecision {
	out := CasesDecision{Previews: map[string]*Claim{}, Balances: map[string]ledger.Result{}}
	byCur := map[string][]*Claim{}
	for _, cl := range f.Claims {
		byCur[cl.Currency] = append(byCur[cl.Currency], cl)
	}
	open := map[string]*Case{}
	var currencies []string
	for i := range f.Cases {
		c := f.Cases[i]
		c.Claims = slices.Clone(c.Claims)
		c.History = slices.Clone(c.History)
		open[c.Currency] = &c
		currencies = append(currencies, c.Currency)
	}
	for cur := range byCur {
		if open[cur] == nil {
			currencies = append(currencies, cur)
		}
	}
	sort.Strings(currencies)
	for _, cur := range currencies {
		c := decideCase(f, cur, open[cur], byCur[cur], &out)
		if c != nil {
			out.Cases = append(out.Cases, *c)
		}
	}
	return out
}

// decideCase runs the debtor's case in one currency; it returns the case
// to keep (nil: none or closed).
func decideCase(f CaseFacts, cur string, c *Case, claims []*Claim, out *CasesDecision) *Case {
	now := f.Now
	var active []*Claim
	for _, cl := range claims {
		if !HeldFromCase(cl) && !timeBarred(f, cl) {
			active = append(active, cl)
		}
	}
	if len(active) == 0 {
		return nil // every claim left: the case is closed
	}
	// A case follows one policy: the open case's, or else the policy of the
	// claim that opens it. Claims under another policy are collected alone.
	var policy *Policy
	if c != nil {
		p, prob := f.PolicyNamed(c.Policy)
		if prob != nil {
			out.Stalled = &Problem{Reason: prob.Reason, Message: fmt.Sprintf("policy %s of case %s: %s", c.Policy, c.ID, prob.Message)}
			return c
		}
		policy = p
	} else {
		sort.SliceStable(active, func(i, j int) bool {
			if c := active[i].DueDate.Compare(active[j].DueDate); c != 0 {
				return c < 0
			}
			return active[i].Name < active[j].Name
		})
		// The opener is the earliest-due claim whose transfer is due now;
		// the case follows its policy. Claims that will not transfer (every
		// step done, automatic collection off, a policy that does not
		// consolidate, one that cannot be found: the claim says why) open
		// nothing.
		for _, cl := range active {
			q, prob := f.PolicyOf(cl)
			if prob != nil || !q.Consolidation {
				continue
			}
			_, at, ok := nextCaseStep(cl, f.Debtor, q, now)
			switch {
			case !ok:
			case !now.Add(-q.Timing.SkewAllowance).Before(at) || cl.State.AwaitingCase:
				policy = q
			default:
				out.Wake = Earliest(out.Wake, at.Add(q.Timing.SkewAllowance))
			}
			if policy != nil {
				break
			}
		}
		if policy == nil {
			return nil
		}
	}
	if !policy.Consolidation {
		return c
	}
	// Members stay; a claim joins when its own transfer is due. The debtor
	// keeps the timer for that, so a claim writes nothing to ask and claims
	// due together are taken in together.
	var members, awaiting []*Claim
	var joinAt time.Time
	for _, cl := range active {
		switch {
		case c != nil && c.Lists(cl.Name):
			members = append(members, cl)
		case !samePolicy(f, cl, policy):
			// Collected alone while this case is open; once it closes, the
			// claim's transfer may open a case of its own policy, so the
			// debtor wakes then too.
			if q, prob := f.PolicyOf(cl); prob == nil && q.Consolidation {
				if _, at, ok := nextCaseStep(cl, f.Debtor, q, now); ok && at.After(now) {
					joinAt = Earliest(joinAt, at)
				}
			}
		default:
			_, at, ok := nextCaseStep(cl, f.Debtor, policy, now)
			switch {
			case !ok:
			case c != nil && transfersEarly(policy, cl, c, at, now):
				// The case would transfer it before its own transfer day:
				// the case does not bring that forward (its reminder's
				// deadline, minDaysAfterDue and seed 004's notice period
				// run as they would alone); the debtor looks again then.
				joinAt = Earliest(joinAt, at.Add(policy.Timing.SkewAllowance))
			case c != nil:
				// Joins the open case as soon as it may without skipping a
				// step the law requires; until then collected alone.
				if c.NextStep != "" && MayJoin(policy, cl, c.NextStep, c.NextStepAt) {
					awaiting = append(awaiting, cl)
				}
			case !now.Add(-policy.Timing.SkewAllowance).Before(at) || cl.State.AwaitingCase:
				awaiting = append(awaiting, cl)
			default:
				joinAt = Earliest(joinAt, at.Add(policy.Timing.SkewAllowance))
			}
		}
	}
	out.Wake = Earliest(out.Wake, joinAt)
	if c == nil && len(awaiting) == 0 {
		return nil
	}
	if len(members)+len(awaiting) == 0 {
		return nil
	}
	if c == nil {
		opener := awaiting[0] // active, and so awaiting, is sorted by due date when no case is open
		// Claims open a case together only where none skips a required step.
		openerStep, _, _ := nextCaseStep(opener, f.Debtor, policy, now)
		awaiting = slices.DeleteFunc(awaiting, func(cl *Claim) bool {
			return cl != opener && !MayJoin(policy, cl, openerStep, now)
		})
		c = &Case{ID: CaseID(f.Debtor.Name, opener.Name), Policy: policy.Name, Currency: cur, DueDate: opener.DueDate, OpenedAt: now.Truncate(time.Second)}
		// The case goes on from where its opener is: steps it already had count as done.
		for _, h := range opener.State.History {
			if policy.IsCaseStep(h.Step) {
				c.History = append(c.History, CaseStep{Step: h.Step, Time: h.Time, Claims: []string{opener.Name}, Fee: h.Fee, FeeKind: h.FeeKind})
				c.Step = h.Step
			}
		}
		out.Events = append(out.Events, Event{Reason: "CaseOpened", Action: "OpenCase", Message: fmt.Sprintf("collection case %s (%s) opened with claim %s", c.ID, cur, opener.Name)})
	}
	members = append(members, awaiting...)
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	c.Claims = nil
	for _, m := range members {
		c.Claims = append(c.Claims, m.Name)
	}

	// Previews: each member as it will be once it took the recorded steps.
	previews := make([]*Claim, len(members))
	balances := make([]ledger.Result, len(members))
	for i, m := range members {
		pv, b, err := Preview(m, policy, c, f.Debtor, now)
		if err != nil {
			out.Stalled = &Problem{Reason: ReasonInvalidAmount, Message: err.Error()}
			return c
		}
		previews[i], balances[i] = pv, b
		out.Previews[m.Name], out.Balances[m.Name] = pv, b
	}
	// The last recorded step is finished when every member it covers took
	// it; until then its notices must exist (a crash may have lost them).
	lagging := false
	if rec := c.LastRecorded(); rec != nil {
		for _, m := range members {
			if slices.Contains(rec.Claims, m.Name) && !m.HasStep(rec.Step) {
				lagging = true
			}
		}
		if lagging {
			out.Work = append(out.Work, stepWork(c, policy, *rec, members, previews, balances))
		}
	}

	ctp := caseTiming(policy)
	// A case's steps are spread by its debtor: one offset for all its claims.
	facts := schedule.Claim{Key: f.Namespace + "/" + f.Debtor.Name, InvoiceDate: c.DueDate, DueDate: c.DueDate, Decided: !slices.ContainsFunc(members, func(m *Claim) bool { return m.CreditDecision == "" })}
	for _, h := range c.History {
		facts.Done = append(facts.Done, schedule.Done{Step: h.Step, At: h.Time})
	}
	pl := schedule.Compute(ctp, facts, now)
	if pl.Due && !lagging {
		// A member's failed notice holds the case's next step; the notice
		// watch brings the debtor back when it is retried or deleted.
		if f.Undelivered != nil && slices.ContainsFunc(members, func(m *Claim) bool { return f.Undelivered(m, policy) }) {
			setCaseNext(c, ctp, pl)
			return c
		}
		step, _ := policy.StepNamed(ctp.Steps[pl.Next].Name)
		rec, prob := recordCaseStep(f, c, policy, step, members, balances, pl)
		if prob != nil {
			out.Stalled = prob
			setCaseNext(c, ctp, pl)
			return c
		}
		c.History = append(c.History, rec)
		c.Step = step.Name
		out.Recorded = true
		out.Observe = append(out.Observe, Observation{Policy: policy.Name, Step: step.Name, Due: rec.DueAt})
		for i, m := range members {
			pv, b, err := Preview(m, policy, c, f.Debtor, now)
			if err == nil {
				previews[i], balances[i] = pv, b
				out.Previews[m.Name], out.Balances[m.Name] = pv, b
			}
		}
		out.Work = append(out.Work, stepWork(c, policy, rec, members, previews, balances))
		facts.Done = append(facts.Done, schedule.Done{Step: step.Name, At: rec.Time})
		pl = schedule.Compute(ctp, facts, now)
		lagging = true
	}
	setCaseNext(c, ctp, pl)
	if pl.Next < 0 {
		if lagging {
			return c // closed once every member took the last step
		}
		// Every step is done and taken: the case is complete. Claims arriving later open a new one.
		out.Events = append(out.Events, Event{Reason: "CaseCompleted", Action: "CloseCase",
			Message: fmt.Sprintf("collection case %s completed every step of policy %s", c.ID, policy.Name)})
		return nil
	}
	if !lagging {
		out.Wake = Earliest(out.Wake, pl.NextAt)
	}
	return c
}

func stepWork(c *Case, p *Policy, rec CaseStep, members, previews []*Claim, balances []ledger.Result) StepWork {
	w := StepWork{Case: *c, Policy: p, Record: rec}
	w.Step, _ = p.StepNamed(rec.Step)
	for i, m := range members {
		if slices.Contains(rec.Claims, m.Name) {
			w.Members = append(w.Members, previews[i])
			w.Balances = append(w.Balances, balances[i])
		}
	}
	return w
}

func samePolicy(f CaseFacts, cl *Claim, p *Policy) bool {
	q, prob := f.PolicyOf(cl)
	return prob == nil && q.Name == p.Name
}

// nextCaseStep is the claim's own next step when it is a case step, and
// when it is due; ok is false when no time alone brings one.
func nextCaseStep(cl *Claim, d *Debtor, p *Policy, now time.Time) (string, time.Time, bool) {
	if !(cl.AutoCollection && d.AutoCollection) && len(cl.State.History) == 0 {
		return "", time.Time{}, false
	}
	if _, closed := closedBefore(cl, d); closed {
		return "", time.Time{}, false // stalls AlreadyClosed on its own (rule 8b)
	}
	if !transferred(p, cl.State.History) && d.Country != p.Jurisdiction {
		return "", time.Time{}, false
	}
	if _, warned := cl.State.CreditorNotices[CreditorOverdueWarning]; p.Timing.CreditorWarning && !warned && !transferred(p, cl.State.History) {
		// The claim warns the creditor itself, and the transfer waits the
		// warning's notice period from when it actually went out (seed 004):
		// the claim's write of the warning brings the debtor back.
		return "", time.Time{}, false
	}
	x := decider{c: cl, p: p, st: &cl.State}
	pl := schedule.Compute(p.Timing, x.scheduleFacts(), now)
	if pl.Next < 0 || !p.IsCaseStep(p.Steps[pl.Next].Name) {
		return "", time.Time{}, false
	}
	return p.Steps[pl.Next].Name, pl.NextAt, true
}

// transfersEarly reports a claim not yet transferred whose own transfer
// day (at: its first case step, alone) comes after the day the case's next
// step would take it: the case's step is due, or held past due, before the
// claim may be transferred. Days, not moments: a step window's offsets
// spread claims due the same day within it, and they still go together.
func transfersEarly(p *Policy, cl *Claim, c *Case, at, now time.Time) bool {
	if transferred(p, cl.State.History) || cl.State.AwaitingCase {
		return false
	}
	step := c.NextStepAt
	if step.Before(now) {
		step = now // a held step goes out when the hold lifts
	}
	loc := location(p)
	return civil.Of(step, loc).Before(civil.Of(at, loc))
}

// caseTiming is the policy's timing for case steps: those after the
// reminder phase, anchored on the case's due date. Eligibility was checked
// per claim before it joined.
func caseTiming(p *Policy) schedule.Policy {
	out := p.Timing
	out.Steps = nil
	out.MinDaysAfterDue, out.MinDaysAfterInvoice = 0, 0
	for _, s := range p.Timing.Steps {
		if p.IsCaseStep(s.Name) {
			out.Steps = append(out.Steps, s)
		}
	}
	return out
}

func setCaseNext(c *Case, ctp schedule.Policy, pl schedule.Plan) {
	c.NextStep, c.NextStepAt = "", time.Time{}
	if pl.Next >= 0 {
		c.NextStep = ctp.Steps[pl.Next].Name
		c.NextStepAt = pl.NextAt.UTC()
	}
}

// recordCaseStep decides one step for every claim of the case: the fee on
// the case's total principal, counting what the case charged before, split
// in proportion to the claims' principals and capped per claim by what its
// own fee ledger (its whole history, before and in the case) still allows.
func recordCaseStep(f CaseFacts, c *Case, p *Policy, step Step, members []*Claim, balances []ledger.Result, pl schedule.Plan) (CaseStep, *Problem) {
	if f.ChannelExists != nil {
		for _, ch := range step.Channels {
			if !f.ChannelExists(ch) {
				return CaseStep{}, &Problem{Reason: ReasonChannelNotFound,
					Message: fmt.Sprintf("NoticeChannel %q used by step %q of policy %q does not exist in namespace %q", ch, step.Name, p.Name, f.Namespace)}
			}
		}
	}
	principals := make([]money.Money, len(members))
	caps := make([]money.Money, len(members))
	total := money.Zero(c.Currency)
	for i, m := range members {
		principals[i] = balances[i].Principal
		total = total.Add(principals[i])
		a, err := Allowance(p, f.Debtor, m, step, principals[i], f.Now)
		if err != nil {
			return CaseStep{}, &Problem{Reason: ReasonFeeUnavailable, Message: fmt.Sprintf("case %s step %q, claim %s: %v", c.ID, step.Name, m.Name, err)}
		}
		caps[i] = a.Amount
		if phase, _ := stepPhase(m, p, step); !branchCharges(step, phase) {
			caps[i] = money.Zero(c.Currency) // this claim takes the branch without the fee
		}
	}
	in, err := feeInput(p, f.Debtor, step, c.Currency, total, f.Now)
	if err != nil {
		return CaseStep{}, &Problem{Reason: ReasonFeeUnavailable, Message: fmt.Sprintf("case %s step %q: %v", c.ID, step.Name, err)}
	}
	in.Charged = caseCharged(p, f.Debtor, c)
	fee, err := fees.Compute(in)
	if err != nil {
		return CaseStep{}, &Problem{Reason: ReasonFeeUnavailable, Message: fmt.Sprintf("case %s step %q: %v", c.ID, step.Name, err)}
	}
	shares, err := SplitCapped(fee, principals, caps)
	if err != nil {
		return CaseStep{}, &Problem{Reason: ReasonFeeUnavailable, Message: fmt.Sprintf("case %s: %v", c.ID, err)}
	}
	rec := CaseStep{Step: step.Name, Time: f.Now.Truncate(time.Second), DueAt: pl.NextAt.UTC(), Shares: []money.Money{},
		Fee: money.Zero(c.Currency), FeeKind: fees.CountedAs(in)}
	for i, m := range members {
		rec.Claims = append(rec.Claims, m.Name)
		rec.Shares = append(rec.Shares, shares[i])
		rec.Fee = rec.Fee.Add(shares[i])
	}
	return rec, nil
}
