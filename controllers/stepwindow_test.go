package controllers_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// A policy's stepWindow reaches the schedule: the claim's steps are due at
// 09:00 plus the offset of its namespace/name, on the days they were due.
func TestStepWindowOffsetsTheClaimsSteps(t *testing.T) {
	ns := newNamespace(t)
	p := samplePolicy(t, ns)
	p.Spec.StepWindow = &metav1.Duration{Duration: 6 * time.Hour}
	create(t, p, logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "spread", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "old", "spread", "900.00", -60))
	off := schedule.Offset(ns+"/old", 6*time.Hour)

	atNine := func(what string, at time.Time) error {
		if l := at.Add(-off).In(oslo); l.Hour() != 9 || l.Minute() != 0 || l.Second() != 0 {
			return fmt.Errorf("%s at %v: minus the offset %v that is %v, not 09:00", what, at.In(oslo), off, l)
		}
		return nil
	}
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "old")
		if len(c.Status.History) != 1 || c.Status.History[0].DueAt == nil || c.Status.NextStepAt == nil {
			return fmt.Errorf("history %v, next %v: want the reminder done and a next step", c.Status.History, c.Status.NextStepAt)
		}
		if err := atNine("reminder due", c.Status.History[0].DueAt.Time); err != nil {
			return err
		}
		if err := atNine("collection notice", c.Status.NextStepAt.Time); err != nil {
			return err
		}
		// A week after the day the reminder was due (minGapDays 7).
		reminderDay := c.Status.History[0].Time.Add(-off).In(oslo)
		if got, want := c.Status.NextStepAt.Add(-off).In(oslo).Format(time.DateOnly), reminderDay.AddDate(0, 0, 7).Format(time.DateOnly); got != want {
			return fmt.Errorf("collection notice on %s, want %s", got, want)
		}
		return nil
	})
}
