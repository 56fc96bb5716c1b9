package controllers

import (
	"context"
	"time"

	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// AccrualOnly exposes accrualOnly to the external test package.
var AccrualOnly = accrualOnly

// StallOnPanic exposes stallOnPanic, the wrapper of the claim and debtor
// reconcilers, to TestReconcilePanicStallsTheObject.
var StallOnPanic = stallOnPanic

// WatchMappers returns the functions that map a watched object to the
// claims or debtors to reconcile, reading through c.
func WatchMappers(c client.Client) map[string]func(context.Context, client.Object) []reconcile.Request {
	claims, debtors := &ClaimReconciler{Client: c}, &DebtorReconciler{Client: c}
	return map[string]func(context.Context, client.Object) []reconcile.Request{
		"stalledClaims":  claims.stalledClaims,
		"claimsOfPolicy": claims.claimsOfPolicy,
		"stalledDebtors": debtors.stalledDebtors,
	}
}

// StatementRows and LinesToAPI expose the statement's rows from status, so
// a test can hold them to internal/settlement's own rows.
var (
	StatementRows = statementRows
	LinesToAPI    = linesToAPI
	TotalsToAPI   = totalsToAPI
)

// CreatedMemory drives the memory of created case notices: remember an
// entry at a time, prune as a case step at a time would, count what is left.
type CreatedMemory struct{ r DebtorReconciler }

func (m *CreatedMemory) Remember(ns, caseID, step string, at time.Time) {
	m.r.created.remember(createdKey{namespace: ns, caseID: caseID, step: step}, at, createdFresh)
}

func (m *CreatedMemory) Prune(now time.Time) { m.r.created.prune(now) }

func (m *CreatedMemory) Len() int { return m.r.created.len() }

// NewDebtorReconciler is a Debtor reconciler of its own on c, outside the
// manager, with an empty memory of its writes.
func NewDebtorReconciler(c client.Client, clk clock.PassiveClock) reconcile.Reconciler {
	return &DebtorReconciler{Client: c, Clock: clk, Recorder: &events.FakeRecorder{}}
}

// DebtorFinalizer is the finalizer the Debtor controller keeps on a debtor
// with open claims.
const DebtorFinalizer = debtorFinalizer
