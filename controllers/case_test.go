package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestThreeClaimCase: two overdue claims of one debtor open a collection
// case together; a third, due three days later, misses the case's
// collection notice, so it gets its own with its own 14 days to pay
// (inkassoloven § 9) and joins the case at its payment demand, once that
// deadline has run out. Each case step sends one notice per channel listing
// the claims in the case, and its fee is computed on the case's total
// principal and split over the claims in proportion.
func TestThreeClaimCase(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "trio", inkassov1.DebtorConsumer))
	create(t, claimDue(ns, "a", "trio", "1000.00", -2), claimDue(ns, "b", "trio", "3000.00", -2), claimDue(ns, "c", "trio", "6000.00", 1))
	driveAllToEnd(t, ns, "a", "b", "c")

	a, b, c := getClaim(t, ns, "a"), getClaim(t, ns, "b"), getClaim(t, ns, "c")
	if a.Status.CaseID == "" || a.Status.CaseID != b.Status.CaseID || a.Status.CaseID != c.Status.CaseID {
		t.Fatalf("case ids %q %q %q: want one case", a.Status.CaseID, b.Status.CaseID, c.Status.CaseID)
	}
	if a.Status.PaymentReference == "" || a.Status.PaymentReference != c.Status.PaymentReference {
		t.Errorf("payment references %q %q: want the case's", a.Status.PaymentReference, c.Status.PaymentReference)
	}
	steps := func(cl *inkassov1.Claim) string {
		var s []string
		for _, h := range cl.Status.History {
			s = append(s, h.Step+"="+h.Fee)
		}
		return strings.Join(s, " ")
	}
	// Collection notice (reminder fee 37.50 on 4,000: 9.38 + 28.12, the odd
	// øre to the larger remainder, ties to the first); c's own notice alone
	// (37.50); then the payment demand with light salær on the 10,000
	// total: 0.80 x 750 = 600 split 1:3:6.
	wantA := "reminder=0.00 collection-notice=9.38 payment-demand=60.00"
	wantB := "reminder=0.00 collection-notice=28.12 payment-demand=180.00"
	wantC := "reminder=0.00 collection-notice=37.50 payment-demand=360.00"
	for _, x := range []struct {
		cl   *inkassov1.Claim
		want string
	}{{a, wantA}, {b, wantB}, {c, wantC}} {
		if got := steps(x.cl); !strings.HasPrefix(got, x.want+" ") {
			t.Errorf("claim %s history %s, want it to start %s", x.cl.Name, got, x.want)
		}
	}
	// Once the case has done every step, each claim runs its own
	// Surveillance timer: the periodic credit re-check.
	eventually(t, 10*time.Second, func() error {
		for _, n := range []string{"a", "b", "c"} {
			if cl := getClaim(t, ns, n); cl.Status.Phase != inkassov1.PhaseSurveillance || cl.Status.NextStep != "credit-recheck" {
				return fmt.Errorf("claim %s ended in %s (next %q)", cl.Name, cl.Status.Phase, cl.Status.NextStep)
			}
		}
		return nil
	})

	var notices inkassov1.NoticeList
	if err := k8s.List(ctx, &notices, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	byStep := map[string][]string{}
	for _, n := range notices.Items {
		var claims []string
		for _, r := range n.Spec.ClaimRefs {
			claims = append(claims, r.Name)
		}
		byStep[n.Spec.Step] = append(byStep[n.Spec.Step], strings.Join(claims, ","))
	}
	for step, want := range map[string]string{
		"reminder":          "[a b c]", // one per claim, before transfer
		"collection-notice": "[a,b c]", // the case's, and c's own

		"payment-demand": "[a,b,c]",
		"heavy-fee-sms":  "[a,b,c]",
	} {
		got := byStep[step]
		if step == "reminder" || step == "collection-notice" {
			got = sortedCopy(got)
		}
		if fmt.Sprint(got) != want {
			t.Errorf("notices of step %s list %v, want %s", step, got, want)
		}
	}
	// The debtor closes the case in a reconcile of its own, after the
	// claims' last writes.
	eventually(t, 10*time.Second, func() error {
		var d inkassov1.Debtor
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "trio"}, &d); err != nil {
			return err
		}
		if len(d.Status.Cases) != 0 {
			return fmt.Errorf("the completed case is still open: %+v", d.Status.Cases)
		}
		return nil
	})
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestCaseStalledOnMissingChannelRecovers: a case step whose channel does
// not exist stalls the debtor with a reason naming it, records nothing, and
// goes on by itself once the channel is created.
func TestCaseStalledOnMissingChannelRecovers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	p := samplePolicy(t, ns)
	p.Spec.Steps[1].Channels = []string{"courier"} // the collection notice, the first case step
	create(t, p, logChannel(ns, "letter"), debtor(ns, "d", inkassov1.DebtorConsumer), claimDue(ns, "late", "d", "500.00", -30))
	var reminded time.Time
	eventually(t, 10*time.Second, func() error {
		h := getClaim(t, ns, "late").Status.History
		if len(h) != 1 {
			return fmt.Errorf("history %v, want the reminder", h)
		}
		reminded = h[0].Time.Time
		return nil
	})
	// Deliver the reminder first: a jump past its deadline would fail it,
	// and the failed letter, not the missing channel, would hold the case.
	waitNoticesDelivered(t, ns, reminded.AddDate(0, 0, 8))
	fclock.SetTime(reminded.AddDate(0, 0, 8)) // past the collection notice's gap after the reminder
	eventually(t, 30*time.Second, func() error {
		wakeClaim(ns, "late")
		var d inkassov1.Debtor
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "d"}, &d); err != nil {
			return err
		}
		if err := expectCondition(d.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "ChannelNotFound"); err != nil {
			return err
		}
		if msg := condition(d.Status.Conditions, inkassov1.ConditionStalled).Message; !strings.Contains(msg, `"courier"`) {
			return fmt.Errorf("message %q does not name the channel", msg)
		}
		return nil
	})
	if h := getClaim(t, ns, "late").Status.History; len(h) != 1 {
		t.Fatalf("history %v: only the reminder may be recorded while the case is stalled", h)
	}
	create(t, logChannel(ns, "courier"))
	eventually(t, 10*time.Second, func() error {
		if h := getClaim(t, ns, "late").Status.History; len(h) != 2 || h[1].Step != "collection-notice" {
			return fmt.Errorf("history %v; %s", h, debtorsState(ns))
		}
		return nil
	})
}
