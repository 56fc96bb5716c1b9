package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// Condition reasons the controllers set in more than one place (those of
// the decider are collection.Reason*).
const (
	reasonRetrying               = "Retrying"        // Reconciling: a transient error, retried
	reasonDeletionBlocked        = "DeletionBlocked" // Ready False: a debtor with open claims is being deleted
	reasonPolicyNotFound         = "PolicyNotFound"
	reasonAmbiguousDefaultPolicy = "AmbiguousDefaultPolicy"
	reasonInvalidDate            = "InvalidDate"
	reasonInvalidText            = "InvalidText"      // Stalled: a control character in text printed on notices
	reasonInvalidReference       = "InvalidReference" // Stalled: a reference that is not an object name, or too long
	reasonRecordRemoved          = "RecordRemoved"    // Stalled: a recorded payment or credit note was removed
	reasonTemplateError          = "TemplateError"
)

// conditionSetter writes conditions of one object at one generation and time,
// following kstatus: Ready is always present; Reconciling and Stalled exist
// only while True.
type conditionSetter struct {
	conds *[]metav1.Condition
	gen   int64
	now   metav1.Time
}

func (c conditionSetter) set(t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(c.conds, metav1.Condition{
		Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: c.gen, LastTransitionTime: c.now,
	})
}

// ready marks the object handled: Ready True, no Reconciling, no Stalled.
func (c conditionSetter) ready(reason, msg string) {
	c.set(inkassov1.ConditionReady, metav1.ConditionTrue, reason, msg)
	meta.RemoveStatusCondition(c.conds, inkassov1.ConditionReconciling)
	meta.RemoveStatusCondition(c.conds, inkassov1.ConditionStalled)
}

// stalled marks a condition no retry fixes until something changes.
func (c conditionSetter) stalled(reason, msg string) {
	c.set(inkassov1.ConditionReady, metav1.ConditionFalse, reason, msg)
	c.set(inkassov1.ConditionStalled, metav1.ConditionTrue, reason, msg)
	meta.RemoveStatusCondition(c.conds, inkassov1.ConditionReconciling)
}

// reconciling marks work in progress, e.g. a retry after a transient error.
func (c conditionSetter) reconciling(reason, msg string) {
	c.set(inkassov1.ConditionReady, metav1.ConditionFalse, reason, msg)
	c.set(inkassov1.ConditionReconciling, metav1.ConditionTrue, reason, msg)
	meta.RemoveStatusCondition(c.conds, inkassov1.ConditionStalled)
}

// flag sets a True/False condition such as Suspended or Settled.
func (c conditionSetter) flag(t string, on bool, reason, msg string) {
	status := metav1.ConditionFalse
	if on {
		status = metav1.ConditionTrue
	}
	c.set(t, status, reason, msg)
}
