package controllers

// AccrualOnly exposes accrualOnly to the external test package.
var AccrualOnly = accrualOnly

// StallOnPanic exposes stallOnPanic, the wrapper of the claim and debtor
// reconcilers, to TestReconcilePanicStallsTheObject.
var StallOnPanic = stallOnPanic

// StatementRows and LinesToAPI expose the statement's rows from status, so
// a test can hold them to internal/settlement's own rows.
var (
	StatementRows = statementRows
	LinesToAPI    = linesToAPI
	TotalsToAPI   = totalsToAPI
)
