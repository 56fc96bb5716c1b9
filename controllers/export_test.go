package controllers

import (
	"context"

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
