package controllers

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/guard"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
)

// This file converts API objects into the facts of internal/collection and
// its decisions back into status, once, at the controllers' edge.

// recheckStep is the history step of a periodic credit re-check in Surveillance.
const recheckStep = collection.RecheckStep

// defaultHistoryLimit applies when the policy sets none.
const defaultHistoryLimit = 50

// problemOf turns a stall error into the decider's Problem.
func problemOf(err error) *collection.Problem {
	if st, ok := err.(*stallError); ok {
		return &collection.Problem{Reason: st.reason, Message: st.msg}
	}
	return &collection.Problem{Reason: "Invalid", Message: err.Error()}
}

// policyFacts converts a CollectionPolicy and checks it against the
// statutory minimums in force at now: a policy that breaks one stalls its
// claims with reason InvalidPolicy naming the step.
func policyFacts(p *inkassov1.CollectionPolicy, now time.Time) (*collection.Policy, error) {
	out, err := convertPolicy(p)
	if err != nil {
		return nil, err
	}
	creditor := ""
	if p.Spec.Creditor != nil {
		creditor = p.Spec.Creditor.Name
	}
	if probs := collection.ValidatePolicy(out, creditor, now); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.Message
		}
		return nil, stall(collection.ReasonInvalidPolicy, "%s", strings.Join(msgs, "; "))
	}
	return out, nil
}

func convertPolicy(p *inkassov1.CollectionPolicy) (*collection.Policy, error) {
	tp, err := timing(p)
	if err != nil {
		return nil, err
	}
	s := &p.Spec
	out := &collection.Policy{
		Name: p.Name, Jurisdiction: string(s.Jurisdiction), Timing: tp,
		Consolidation:          s.Consolidation == nil || *s.Consolidation,
		CloseOnCreditorPayment: s.CreditorPayments == inkassov1.CreditorPaymentsCloseCase,
		FreeCancellationDays:   collection.DefaultFreeCancellationDays,
		CreditorNotify:         map[collection.CreditorEvent]bool{},
		FallbackChannel:        s.FallbackChannel,
		HistoryLimit:           int(s.HistoryLimit),
	}
	if cn := s.CreditorNotices; cn != nil {
		out.FreeCancellationDays = int(cn.FreeCancellationDays)
		out.CreditorChannels = cn.Channels
		for _, ev := range []inkassov1.CreditorEvent{inkassov1.CreditorOverdueWarning, inkassov1.CreditorTransferred, inkassov1.CreditorClosed} {
			out.CreditorNotify[collection.CreditorEvent(ev)] = cn.Notifies(ev)
		}
	}
	if ca := s.CreditAssessment; ca != nil {
		out.RecheckDays, out.DefaultDecision = int(ca.RecheckDays), collection.CreditDecision(ca.DefaultDecision)
	}
	if pp := s.PaymentPlans; pp != nil {
		out.PlanFee, out.PlanGraceDays = planFee(pp.Fee), int(pp.GraceDays)
	}
	if t, ok := interest.Tables[out.Jurisdiction]; ok {
		out.Money.Interest = &t
	}
	if o := s.Overrides; o != nil {
		if o.LateInterestRate != "" {
			r, err := decimal.NewFromString(string(o.LateInterestRate))
			if err != nil {
				return nil, stall(collection.ReasonInvalidPolicy, "policy %s spec.overrides.lateInterestRate: %v", p.Name, err)
			}
			out.Money.Rate = &r
		}
		out.Money.DayCount = interest.DayCount(o.DayCount)
		out.Money.Order = ledger.Order(o.PaymentOrder)
		out.Fees = collection.FeeRules{NoVAT: o.CreditorVATRegistered != nil && !*o.CreditorVATRegistered,
			Sats: string(o.FeeUnit), ReminderFee: string(o.ReminderFee)}
	}
	for _, st := range s.Steps {
		step := collection.Step{Name: st.Name, Phase: collection.Phase(st.Phase), Action: collection.Action(st.Action),
			Channels: st.Channels, Template: st.Template, PaymentDeadlineDays: int(st.PaymentDeadlineDays)}
		step.Fee, step.FixedFee = collection.FeeOf(st.Fee)
		out.Steps = append(out.Steps, step)
	}
	return out, nil
}

// planFee converts spec.paymentPlans.fee: None, Statutory or a fixed amount.
func planFee(fee string) string {
	switch fee {
	case inkassov1.PlanFeeNone:
		return collection.PlanFeeNone
	case inkassov1.PlanFeeStatutory:
		return collection.PlanFeeStatutory
	}
	return fee
}

// debtorGuard stalls a debtor (and its claims) that the API's guards
// refuse, naming the field but not the value (personal data): a name too
// long for the label on its notices made every notice creation fail and
// retry forever; a line break in its name or address went into letters.
func debtorGuard(d *inkassov1.Debtor) error {
	if len(d.Name) > guard.MaxLabelValue {
		return stall(reasonInvalidReference, "the Debtor's metadata.name has %d characters; at most %d fit the label on its notices: re-create it under a shorter name",
			len(d.Name), guard.MaxLabelValue)
	}
	text := map[string]string{"spec.displayName": d.Spec.DisplayName}
	if a := d.Spec.Address; a != nil {
		text["spec.address.city"] = a.City
		for i, l := range a.Lines {
			text[fmt.Sprintf("spec.address.lines[%d]", i)] = l
		}
	}
	for _, field := range slices.Sorted(maps.Keys(text)) {
		if err := guard.Line(text[field]); err != nil {
			return stall(reasonInvalidText, "Debtor %s: %v", field, err)
		}
	}
	return nil
}

func debtorFacts(d *inkassov1.Debtor) *collection.Debtor {
	out := &collection.Debtor{Name: d.Name, Business: d.Spec.Type == inkassov1.DebtorBusiness, Country: string(d.Spec.Country),
		AutoCollection: d.AutoCollectionEnabled(), ReminderFeeAgreed: d.Spec.ReminderFeeAgreed != nil && *d.Spec.ReminderFeeAgreed}
	if len(d.Status.ClosedInvoices) > 0 {
		out.Closed = make(map[string]collection.ClosedInvoice, len(d.Status.ClosedInvoices))
		for _, ci := range d.Status.ClosedInvoices {
			out.Closed[ci.InvoiceNumber] = collection.ClosedInvoice{Phase: collection.Phase(ci.Phase), ClosedAt: ci.ClosedAt.Time}
		}
	}
	return out
}

// claimFacts converts a Claim; a value that does not parse, or that the
// API's guards refuse (a claim written before a rule existed), stalls it
// naming the field.
func claimFacts(c *inkassov1.Claim) (*collection.Claim, error) {
	cur := string(c.Spec.Currency)
	out := &collection.Claim{Name: c.Name, Namespace: c.Namespace, InvoiceNumber: c.Spec.InvoiceNumber, Currency: cur,
		Withdraw: c.Spec.Withdraw, Suspend: c.Spec.Suspend, AutoCollection: c.AutoCollectionEnabled(),
		CreditDecision: collection.CreditDecision(c.Spec.CreditDecision), ReminderFeeAgreed: c.Spec.ReminderFeeAgreed}
	var err error
	if err := guard.LabelValueName(c.Spec.DebtorRef.Name); err != nil {
		return nil, stall(reasonInvalidReference, "spec.debtorRef.name: %v", err)
	}
	if err := guard.Line(c.Spec.InvoiceNumber); err != nil {
		return nil, stall(reasonInvalidText, "spec.invoiceNumber: %v", err)
	}
	if out.Amount, err = money.Parse(string(c.Spec.Amount), cur); err != nil {
		return nil, stall(collection.ReasonInvalidAmount, "spec.amount: %v", err)
	}
	if out.InvoiceDate, err = dateField("spec.invoiceDate", c.Spec.InvoiceDate); err != nil {
		return nil, err
	}
	if out.DueDate, err = dateField("spec.dueDate", c.Spec.DueDate); err != nil {
		return nil, err
	}
	payments, credits, err := unreversed(c)
	if err != nil {
		return nil, err
	}
	for _, i := range payments {
		p := c.Spec.Payments[i]
		amt, err := money.Parse(string(p.Amount), cur)
		if err != nil {
			return nil, stall(collection.ReasonInvalidAmount, "spec.payments[%d]: %v", i, err)
		}
		day, err := dateField(fmt.Sprintf("spec.payments[%d].date", i), p.Date)
		if err != nil {
			return nil, err
		}
		out.Payments = append(out.Payments, collection.Payment{ID: p.ID, Amount: amt, Date: day, ByCreditor: p.ReceivedBy == inkassov1.ReceivedByCreditor})
	}
	for i, a := range c.Spec.Acknowledgements {
		day, err := dateField(fmt.Sprintf("spec.acknowledgements[%d].date", i), a.Date)
		if err != nil {
			return nil, err
		}
		out.Acknowledgements = append(out.Acknowledgements, day)
	}
	for _, i := range credits {
		cr := c.Spec.Credits[i]
		amt, err := money.Parse(string(cr.Amount), cur)
		if err != nil {
			return nil, stall(collection.ReasonInvalidAmount, "spec.credits[%d]: %v", i, err)
		}
		day, err := dateField(fmt.Sprintf("spec.credits[%d].date", i), cr.Date)
		if err != nil {
			return nil, err
		}
		out.Credits = append(out.Credits, collection.Credit{ID: cr.ID, Amount: amt, Date: day})
	}
	if err := recordedMoneyKept(c); err != nil {
		return nil, err
	}
	if dp := c.Spec.Dispute; dp != nil {
		raised, err := dateField("spec.dispute.raisedOn", dp.RaisedOn)
		if err != nil {
			return nil, err
		}
		out.Dispute = &collection.Dispute{RaisedOn: raised, Resolution: collection.Resolution(dp.Resolution)}
		if dp.JudgmentDate != nil {
			if out.Dispute.JudgmentDate, err = dateField("spec.dispute.judgmentDate", *dp.JudgmentDate); err != nil {
				return nil, err
			}
		}
	}
	if pp := c.Spec.PaymentPlan; pp != nil {
		out.HasPlan = true
		for i, in := range pp.Installments {
			amt, err := money.Parse(string(in.Amount), cur)
			if err != nil {
				return nil, stall(collection.ReasonInvalidPaymentPlan, "spec.paymentPlan.installments[%d].amount: %v", i, err)
			}
			due, err := civil.Parse(string(in.DueDate))
			if err == nil {
				err = guard.Date(due)
			}
			if err != nil {
				return nil, stall(collection.ReasonInvalidPaymentPlan, "spec.paymentPlan.installments[%d].dueDate: %v", i, err)
			}
			out.Installments = append(out.Installments, plan.Installment{Due: due, Amount: amt})
		}
	}
	out.State = stateFacts(c)
	return out, nil
}

// dateField parses a date of the spec within the API's range: a step in
// year 9999 cannot be written as a timestamp.
func dateField(field string, d inkassov1.Date) (civil.Date, error) {
	day, err := civil.Parse(string(d))
	if err == nil {
		err = guard.Date(day)
	}
	if err != nil {
		return day, stall(reasonInvalidDate, "%s: %v", field, err)
	}
	return day, nil
}

// unreversed returns the indexes of the payments and credit notes that
// count: one named by spec.reversals stays in the spec and counts for
// nothing. A reversal that names no entry stalls the claim.
func unreversed(c *inkassov1.Claim) (payments, credits []int, err error) {
	reversed := map[inkassov1.ReversalKind]map[string]bool{inkassov1.ReversalPayment: {}, inkassov1.ReversalCredit: {}}
	for i, r := range c.Spec.Reversals {
		found := false
		switch r.Kind {
		case inkassov1.ReversalPayment:
			found = slices.ContainsFunc(c.Spec.Payments, func(p inkassov1.Payment) bool { return p.ID == r.Of })
		case inkassov1.ReversalCredit:
			found = slices.ContainsFunc(c.Spec.Credits, func(cr inkassov1.Credit) bool { return cr.ID == r.Of })
		}
		if !found || reversed[r.Kind] == nil {
			return nil, nil, stall(collection.ReasonInvalidAmount, "spec.reversals[%d].of: names no %s of this claim", i, r.Kind)
		}
		if _, err := dateField(fmt.Sprintf("spec.reversals[%d].date", i), r.Date); err != nil {
			return nil, nil, err
		}
		reversed[r.Kind][r.Of] = true
	}
	for i, p := range c.Spec.Payments {
		if !reversed[inkassov1.ReversalPayment][p.ID] {
			payments = append(payments, i)
		}
	}
	for i, cr := range c.Spec.Credits {
		if !reversed[inkassov1.ReversalCredit][cr.ID] {
			credits = append(credits, i)
		}
	}
	return payments, credits, nil
}

// recordedMoneyKept stalls a claim in collection whose ledger records a
// payment or credit note its spec no longer has: removing one made the
// balance jump back. The CRD refuses the removal; this catches a claim
// changed before that rule.
func recordedMoneyKept(c *inkassov1.Claim) error {
	if c.Status.CollectionStartedAt == nil {
		return nil
	}
	for _, e := range c.Status.Ledger {
		switch ledger.Kind(e.Kind) {
		case ledger.KindPayment:
			if e.Ref != "" && !slices.ContainsFunc(c.Spec.Payments, func(p inkassov1.Payment) bool { return p.ID == e.Ref }) {
				return stall(reasonRecordRemoved, "payment %s is recorded in status.ledger but no longer in spec.payments: recorded money is reversed (spec.reversals), never removed; put it back", e.Ref)
			}
		case ledger.KindCredit:
			if e.Ref != "" && !slices.ContainsFunc(c.Spec.Credits, func(cr inkassov1.Credit) bool { return cr.ID == e.Ref }) {
				return stall(reasonRecordRemoved, "credit note %s is recorded in status.ledger but no longer in spec.credits: recorded money is reversed (spec.reversals), never removed; put it back", e.Ref)
			}
		}
	}
	return nil
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func metaTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	return &metav1.Time{Time: t}
}

// stateFacts converts a claim's status.
func stateFacts(c *inkassov1.Claim) collection.State {
	st := &c.Status
	cur := string(c.Spec.Currency)
	out := collection.State{Phase: collection.Phase(st.Phase), Step: st.Step, NextStep: st.NextStep, NextStepAt: timeOf(st.NextStepAt),
		HeldSince: timeOf(st.HeldSince), PausedDays: int(st.PausedDays), CollectionStartedAt: timeOf(st.CollectionStartedAt),
		CaseID: st.CaseID, PaymentReference: st.PaymentReference, PaymentReferences: slices.Clone(st.PaymentReferences), AwaitingCase: st.AwaitingCase,
		CreditorNotices: map[collection.CreditorEvent]time.Time{}}
	for _, h := range st.History {
		out.History = append(out.History, entryFacts(h, cur))
	}
	if r := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionRestored); r != nil && r.Status == metav1.ConditionTrue && r.Reason == inkassov1.RestoredReapplied {
		out.RestoredFromArchive = true
	}
	if pp := st.PaymentPlan; pp != nil {
		ps := &collection.PlanStatus{AgreedAt: pp.AgreedAt.Time, State: plan.State(pp.State), Installment: -1, Message: pp.Message}
		if pp.Installment != nil {
			ps.Installment = int(*pp.Installment)
		}
		if fee, err := money.Parse(pp.Fee, cur); pp.Fee != "" && err == nil {
			ps.Fee, ps.HasFee = fee, true
		}
		out.Plan = ps
	}
	for _, r := range st.CreditorNotices {
		out.CreditorNotices[collection.CreditorEvent(r.Event)] = r.Time.Time
	}
	if r := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); r != nil && r.Status == metav1.ConditionTrue {
		out.Ready = &collection.Condition{Reason: r.Reason, Message: r.Message}
	}
	return out
}

func entryFacts(h inkassov1.HistoryEntry, cur string) collection.Entry {
	e := collection.Entry{Step: h.Step, Phase: collection.Phase(h.Phase), Time: h.Time.Time, DueAt: timeOf(h.DueAt),
		Notices: slices.Clone(h.Notices), FeeKind: fees.Kind(h.FeeKind), Message: h.Message, Fee: money.Zero(cur)}
	if fee, err := money.Parse(h.Fee, cur); h.Fee != "" && err == nil {
		e.Fee, e.HasFee = fee, true
	}
	return e
}

func entryToAPI(e collection.Entry) inkassov1.HistoryEntry {
	h := inkassov1.HistoryEntry{Step: e.Step, Phase: inkassov1.ClaimPhase(e.Phase), Time: metav1.Time{Time: e.Time},
		DueAt: metaTime(e.DueAt), Notices: e.Notices, FeeKind: string(e.FeeKind), Message: e.Message}
	if e.HasFee {
		h.Fee = e.Fee.String()
	}
	return h
}

// caseFacts converts a debtor's case; a case recorded before cases had a
// currency takes its claims' currency.
func caseFacts(c inkassov1.CollectionCase, currencyOf func(claim string) string) collection.Case {
	cur := c.Currency
	if cur == "" {
		for _, n := range c.Claims {
			if cur = currencyOf(n); cur != "" {
				break
			}
		}
	}
	due, _ := civil.Parse(c.DueDate)
	out := collection.Case{ID: c.ID, Policy: c.Policy, Currency: cur, DueDate: due, Claims: slices.Clone(c.Claims), Step: c.Step,
		NextStep: c.NextStep, NextStepAt: timeOf(c.NextStepAt), OpenedAt: timeOf(c.OpenedAt)}
	for _, h := range c.History {
		cs := collection.CaseStep{Step: h.Step, Time: h.Time.Time, DueAt: timeOf(h.DueAt), Claims: slices.Clone(h.Claims), FeeKind: fees.Kind(h.FeeKind),
			Fee: money.Zero(cur)}
		if fee, err := money.Parse(h.Fee, cur); h.Fee != "" && err == nil {
			cs.Fee = fee
		}
		if h.Shares != nil {
			cs.Shares = []money.Money{}
			for _, s := range h.Shares {
				m, err := money.Parse(s, cur)
				if err != nil {
					m = money.Zero(cur)
				}
				cs.Shares = append(cs.Shares, m)
			}
		}
		out.History = append(out.History, cs)
	}
	return out
}

// caseToAPI converts a case back; a record it had is kept as written.
func caseToAPI(c collection.Case, was []inkassov1.CollectionCase) inkassov1.CollectionCase {
	out := inkassov1.CollectionCase{ID: c.ID, Policy: c.Policy, Currency: c.Currency, DueDate: c.DueDate.String(), Claims: c.Claims,
		Step: c.Step, NextStep: c.NextStep, NextStepAt: metaTime(c.NextStepAt), OpenedAt: metaTime(c.OpenedAt)}
	var old *inkassov1.CollectionCase
	for i := range was {
		if was[i].ID == c.ID {
			old = &was[i]
		}
	}
	if old != nil {
		out.OpenedAt, out.DueDate = old.OpenedAt.DeepCopy(), old.DueDate
	}
	for i, h := range c.History {
		if old != nil && i < len(old.History) && old.History[i].Step == h.Step {
			out.History = append(out.History, *old.History[i].DeepCopy())
			continue
		}
		cs := inkassov1.CaseStep{Step: h.Step, Time: metav1.Time{Time: h.Time}, Claims: h.Claims, Fee: h.Fee.String(),
			DueAt: metaTime(h.DueAt), FeeKind: string(h.FeeKind)}
		if h.Shares != nil {
			cs.Shares = []string{}
			for _, s := range h.Shares {
				cs.Shares = append(cs.Shares, s.String())
			}
		}
		out.History = append(out.History, cs)
	}
	return out
}

func noticeState(n *inkassov1.Notice) collection.NoticeState {
	why, failed := noticeFailed(n)
	st := collection.NoticeState{CaseID: n.Spec.CaseID, Channel: n.Spec.ChannelRef.Name, Debtor: n.Spec.DebtorRef != nil, Failed: failed, Why: why,
		Step: n.Spec.Step, Released: n.CreationTimestamp.Time}
	if n.Spec.NotBefore != nil {
		st.Released = n.Spec.NotBefore.Time
	}
	// The step's record as the notice carries it; a value that does not
	// parse is left out (the rules then fall back to the release time and
	// the policy's fee), never guessed.
	if at, err := time.Parse(time.RFC3339, n.Annotations[stepAtAnnotation]); err == nil {
		st.StepAt = at
	}
	if amount, currency, ok := strings.Cut(n.Annotations[stepFeeAnnotation], " "); ok {
		if fee, err := money.Parse(amount, currency); err == nil {
			st.Fee, st.HasFee = fee, true
		}
	}
	if c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady); c != nil && c.Status == metav1.ConditionFalse && c.Reason == inkassov1.NoticeReasonDeliveryUnknown {
		st.Unknown, st.Why = true, c.Message
	}
	return st
}

// applyState writes the decided state into the claim's status (history
// records are appended; an existing record only gains fallback notices).
func applyState(claim *inkassov1.Claim, s collection.State, historyLimit int) {
	st := &claim.Status
	st.Phase, st.Step, st.NextStep = inkassov1.ClaimPhase(s.Phase), s.Step, s.NextStep
	st.NextStepAt = metaTime(s.NextStepAt)
	st.HeldSince, st.CollectionStartedAt = metaTime(s.HeldSince), metaTime(s.CollectionStartedAt)
	st.PausedDays = int32(s.PausedDays)
	st.CaseID, st.PaymentReference, st.AwaitingCase = s.CaseID, s.PaymentReference, s.AwaitingCase
	if !slices.Equal(st.PaymentReferences, s.PaymentReferences) {
		st.PaymentReferences = slices.Clone(s.PaymentReferences)
	}
	for i, e := range s.History {
		if i < len(st.History) {
			if !slices.Equal(st.History[i].Notices, e.Notices) {
				st.History[i].Notices = slices.Clone(e.Notices)
			}
			continue
		}
		st.History = append(st.History, entryToAPI(e))
	}
	if p := s.Plan; p != nil {
		ps := &inkassov1.PaymentPlanStatus{AgreedAt: metav1.Time{Time: p.AgreedAt}, State: string(p.State), Message: p.Message}
		if st.PaymentPlan != nil {
			ps.Fee = st.PaymentPlan.Fee
		} else if p.HasFee {
			ps.Fee = p.Fee.String()
		}
		if p.Installment >= 0 {
			ps.Installment = ptr.To(int32(p.Installment))
		}
		st.PaymentPlan = ps
	}
	foldHistory(claim, historyLimit)
}

// foldHistory keeps status.history within the limit by folding the oldest
// credit re-checks into status.historySummary. Policy steps and fees are
// never folded: the schedule and the ledger replay them.
func foldHistory(claim *inkassov1.Claim, limit int) {
	if limit <= 0 {
		limit = defaultHistoryLimit
	}
	st := &claim.Status
	for len(st.History) > limit {
		i := -1
		for j := range st.History[:len(st.History)-1] { // the latest re-check anchors the next one
			if st.History[j].Step == recheckStep && (st.History[j].Fee == "" || st.History[j].Fee == "0") {
				i = j
				break
			}
		}
		if i < 0 {
			return
		}
		h := st.History[i]
		if st.HistorySummary == nil {
			st.HistorySummary = &inkassov1.HistorySummary{First: h.Time}
		}
		st.HistorySummary.Folded++
		st.HistorySummary.Last = h.Time
		st.History = append(st.History[:i], st.History[i+1:]...)
	}
}

// policyStep is the API step of a policy by name.
func policyStep(p *inkassov1.CollectionPolicy, name string) (inkassov1.PolicyStep, error) {
	for _, s := range p.Spec.Steps {
		if s.Name == name {
			return s, nil
		}
	}
	return inkassov1.PolicyStep{}, fmt.Errorf("policy %s has no step %q", p.Name, name)
}
