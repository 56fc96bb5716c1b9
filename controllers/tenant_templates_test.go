package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestRunawayTemplateDoesNotDelayOtherCreditors (issue 20): one creditor's
// policy overrides its texts with the templates that froze a real control
// plane — an empty loop over 10^12 and a loop writing 2*10^8 bytes. Its
// claims, more than the manager has workers, fall due at the same moment as
// another creditor's. The other creditor's claims take their step within
// seconds; the hostile policy says which text is refused and on which line,
// and its claims stall naming it.
func TestRunawayTemplateDoesNotDelayOtherCreditors(t *testing.T) {
	ctx := context.Background()
	bad, good := newNamespace(t), newNamespace(t)
	hostile := samplePolicy(t, bad)
	hostile.Spec.Templates = &inkassov1.Templates{ConfigMapName: "texts"}
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "texts", Namespace: bad}, Data: map[string]string{
		"reminder.nb":          "Subject: Påminnelse\n\nHei,\n{{range 1000000000000}}{{end}}\n",
		"collection-notice.nb": "Subject: Inkassovarsel\n\n{{range 200000000}}x{{end}}",
	}}, hostile, logChannel(bad, "letter"), logChannel(bad, "sms"), logChannel(bad, "phone"), debtor(bad, "ola", inkassov1.DebtorConsumer))
	create(t, samplePolicy(t, good), logChannel(good, "letter"), logChannel(good, "sms"), logChannel(good, "phone"), debtor(good, "kari", inkassov1.DebtorConsumer))
	var badClaims, goodClaims []string
	for i := range 8 { // twice the suite's 4 claim workers
		name := fmt.Sprintf("bad-%d", i)
		create(t, claimDue(bad, name, "ola", "1000.00", 0))
		badClaims = append(badClaims, name)
	}
	for i := range 3 {
		name := fmt.Sprintf("good-%d", i)
		create(t, claimDue(good, name, "kari", "1000.00", 0))
		goodClaims = append(goodClaims, name)
	}

	// The hostile policy is refused as soon as it is seen, naming key and line.
	eventually(t, 10*time.Second, func() error {
		var p inkassov1.CollectionPolicy
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(hostile), &p); err != nil {
			return err
		}
		if err := expectCondition(p.Status.Conditions, inkassov1.ConditionReady, metav1.ConditionFalse, "InvalidTemplate"); err != nil {
			return err
		}
		if msg := condition(p.Status.Conditions, inkassov1.ConditionReady).Message; !strings.Contains(msg, `"collection-notice.nb" line 3`) {
			return fmt.Errorf("policy condition %q does not name the template and line", msg)
		}
		return nil
	})

	// Every claim of both creditors falls due now; the hostile ones are woken first.
	var due time.Time
	eventually(t, 10*time.Second, func() error {
		for _, n := range append(append([]string{}, badClaims...), goodClaims...) {
			ns := good
			if strings.HasPrefix(n, "bad") {
				ns = bad
			}
			c := getClaim(t, ns, n)
			if c.Status.NextStepAt == nil {
				return fmt.Errorf("claim %s has no next step yet: %v %v", n, c.Status.Phase, c.Status.Conditions)
			}
			if c.Status.NextStepAt.After(due) {
				due = c.Status.NextStepAt.Time
			}
		}
		return nil
	})
	if due.After(fclock.Now()) {
		fclock.SetTime(due)
	}
	for _, n := range badClaims {
		wakeClaim(bad, n)
	}
	start := time.Now()
	for _, n := range goodClaims {
		wakeClaim(good, n)
	}
	eventually(t, 10*time.Second, func() error {
		for _, n := range goodClaims {
			if c := getClaim(t, good, n); len(c.Status.History) == 0 {
				wakeClaim(good, n)
				return fmt.Errorf("claim %s of the other creditor has not taken its step after %s: %v", n, time.Since(start), c.Status.Conditions)
			}
		}
		return nil
	})
	t.Logf("the other creditor's %d claims took their step %s after they fell due", len(goodClaims), time.Since(start).Round(time.Millisecond))

	for _, n := range badClaims {
		eventually(t, 10*time.Second, func() error {
			c := getClaim(t, bad, n)
			if len(c.Status.History) > 0 {
				return fmt.Errorf("claim %s took step %s with a refused text", n, c.Status.History[0].Step)
			}
			if err := expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "InvalidTemplate"); err != nil {
				wakeClaim(bad, n)
				return fmt.Errorf("claim %s: %w", n, err)
			}
			if msg := condition(c.Status.Conditions, inkassov1.ConditionStalled).Message; !strings.Contains(msg, "line") {
				return fmt.Errorf("claim %s: stall %q names no line", n, msg)
			}
			return nil
		})
	}
}
