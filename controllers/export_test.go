package controllers

// AccrualOnly exposes accrualOnly to the external test package.
var AccrualOnly = accrualOnly

// StallOnPanic exposes stallOnPanic, the wrapper of the claim and debtor
// reconcilers, to TestReconcilePanicStallsTheObject.
var StallOnPanic = stallOnPanic
