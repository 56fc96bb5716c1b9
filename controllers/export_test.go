package controllers

// AccrualOnly exposes accrualOnly to the external test package.
var AccrualOnly = accrualOnly
