package archive_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func mt(t time.Time) *metav1.Time { return &metav1.Time{Time: t} }

// claim is a reconciled claim in phase p whose last change was at t0.
func claim(p inkassov1.ClaimPhase, mutate ...func(*inkassov1.Claim)) *inkassov1.Claim {
	c := &inkassov1.Claim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "inv-1", UID: "uid-1", Generation: 2,
			CreationTimestamp: metav1.Time{Time: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}, // the apiserver's wall clock
		Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: "INV-1",
			InvoiceDate: "2026-01-31", DueDate: "2026-02-14", Amount: "1250.00", Currency: "NOK"},
		Status: inkassov1.ClaimStatus{ObservedGeneration: 2, Phase: p,
			History:    []inkassov1.HistoryEntry{{Step: "reminder", Time: metav1.Time{Time: t0.AddDate(0, 0, -30)}, Notices: []string{"n-reminder"}}},
			Conditions: []metav1.Condition{{Type: inkassov1.ConditionReady, Status: metav1.ConditionTrue, Reason: string(p), LastTransitionTime: metav1.Time{Time: t0}}}},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func TestPlanFor(t *testing.T) {
	grace := 30 * 24 * time.Hour
	pol := archive.Policy{Grace: grace, WakeLead: 24 * time.Hour}
	surveillance := func(recheck time.Time) func(*inkassov1.Claim) {
		return func(c *inkassov1.Claim) { c.Status.NextStep, c.Status.NextStepAt = inkassov1.RecheckStep, mt(recheck) }
	}
	for _, tc := range []struct {
		name string
		c    *inkassov1.Claim
		now  time.Time
		want archive.Plan
	}{
		{"paid: finished, archived a grace after its last change", claim(inkassov1.PhasePaid), t0, archive.Plan{Kind: archive.KindFinished, At: t0.Add(grace)}},
		{"every terminal phase", claim(inkassov1.PhaseTimeBarred), t0, archive.Plan{Kind: archive.KindFinished, At: t0.Add(grace)}},
		{"forwarded", claim(inkassov1.PhaseForwarded), t0, archive.Plan{Kind: archive.KindFinished, At: t0.Add(grace)}},
		{"the creditor notice is the last change", claim(inkassov1.PhaseWithdrawn, func(c *inkassov1.Claim) {
			c.Status.CreditorNotices = []inkassov1.CreditorNoticeRecord{{Event: "Closed", Time: metav1.Time{Time: t0.Add(time.Hour)}}}
		}), t0, archive.Plan{Kind: archive.KindFinished, At: t0.Add(time.Hour + grace)}},
		{"in collection: stays", claim(inkassov1.PhaseCollection), t0, archive.Plan{}},
		{"legal without next step: stays", claim(inkassov1.PhaseLegal), t0, archive.Plan{}},
		{"new claim: stays", claim(""), t0, archive.Plan{}},
		{"spec not yet seen by the claim controller (a payment): waits", claim(inkassov1.PhasePaid, func(c *inkassov1.Claim) { c.Generation = 3 }), t0, archive.Plan{}},
		{"restored on re-apply: never again", claim(inkassov1.PhasePaid, func(c *inkassov1.Claim) {
			c.Status.Conditions = append(c.Status.Conditions, metav1.Condition{Type: inkassov1.ConditionRestored, Status: metav1.ConditionTrue, Reason: inkassov1.RestoredReapplied})
		}), t0, archive.Plan{}},
		{"back for a re-check: archived again", claim(inkassov1.PhasePaid, func(c *inkassov1.Claim) {
			c.Status.Conditions = append(c.Status.Conditions, metav1.Condition{Type: inkassov1.ConditionRestored, Status: metav1.ConditionTrue, Reason: inkassov1.RestoredRecheck})
		}), t0, archive.Plan{Kind: archive.KindFinished, At: t0.Add(grace)}},
		{"surveillance, re-check in 180 days: dormant", claim(inkassov1.PhaseSurveillance, surveillance(t0.AddDate(0, 0, 180))), t0,
			archive.Plan{Kind: archive.KindDormant, At: t0.Add(grace)}},
		{"surveillance, re-check within grace + lead: stays", claim(inkassov1.PhaseSurveillance, surveillance(t0.Add(grace+23*time.Hour))), t0, archive.Plan{}},
		{"surveillance, late archiver, re-check a lead away from now: stays", claim(inkassov1.PhaseSurveillance, surveillance(t0.AddDate(0, 0, 60))),
			t0.AddDate(0, 0, 59).Add(time.Hour), archive.Plan{}},
		{"surveillance with a policy step left: stays", claim(inkassov1.PhaseSurveillance, func(c *inkassov1.Claim) {
			c.Status.NextStep, c.Status.NextStepAt = "letter", mt(t0.AddDate(0, 0, 180))
		}), t0, archive.Plan{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := archive.PlanFor(tc.c, tc.now, pol)
			if got.Kind != tc.want.Kind || !got.At.Equal(tc.want.At) && tc.want.Kind != "" {
				t.Errorf("PlanFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPolicyDefaults(t *testing.T) {
	p := archive.Policy{}.WithDefaults()
	if p.Grace != archive.DefaultGrace || p.WakeLead != archive.DefaultWakeLead {
		t.Errorf("defaults %+v", p)
	}
}

func TestRecordOf(t *testing.T) {
	c := claim(inkassov1.PhasePaid, func(c *inkassov1.Claim) {
		c.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{...}", "erp": "x"}
		c.Labels = map[string]string{"creditor": "acme"}
		c.Status.Balance = &inkassov1.Balance{Outstanding: "0.00"}
		c.Status.CreditorNotices = []inkassov1.CreditorNoticeRecord{{Event: "Closed", Time: metav1.Time{Time: t0}, Notices: []string{"n-closed", "n-reminder"}}}
	})
	sent := &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: "n-reminder", UID: "nuid"},
		Spec: inkassov1.NoticeSpec{Step: "reminder", ChannelRef: inkassov1.LocalObjectReference{Name: "letter"}, ClaimRefs: []inkassov1.LocalObjectReference{{Name: "inv-1"}},
			Recipient: inkassov1.Recipient{Name: "Ola Nordmann", Email: "ola@example.no"}, Body: "Dear Ola"},
		Status: inkassov1.NoticeStatus{Attempts: 1, SentAt: mt(t0), DeliveryID: "d-1",
			Conditions: []metav1.Condition{{Type: inkassov1.ConditionReady, Status: metav1.ConditionTrue, Reason: inkassov1.NoticeReasonSent, Message: "sent"}}}}
	r, err := archive.RecordOf(c, archive.KindFinished, map[string]*inkassov1.Notice{"n-reminder": sent}, t0.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if r.UID != "uid-1" || r.InvoiceMonth != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) || r.Debtor != "ola" || r.Outstanding != "0.00" ||
		r.Amount != "1250.00" || !r.FinishedAt.Equal(t0) || r.WakeAt != nil {
		t.Errorf("record %+v", r)
	}
	if _, ok := r.Annotations["kubectl.kubernetes.io/last-applied-configuration"]; ok || r.Annotations["erp"] != "x" || r.Labels["creditor"] != "acme" {
		t.Errorf("annotations %v labels %v", r.Annotations, r.Labels)
	}
	if len(r.Notices) != 2 {
		t.Fatalf("notices %+v, want the reminder once and the gone creditor notice", r.Notices)
	}
	n := r.Notices[0]
	if n.Name != "n-reminder" || n.State != inkassov1.NoticeReasonSent || n.DeliveryID != "d-1" || n.Channel != "letter" || n.SentAt == nil || len(n.Claims) != 1 {
		t.Errorf("sent notice %+v", n)
	}
	if r.Notices[1].Name != "n-closed" || r.Notices[1].State != archive.NoticeGone {
		t.Errorf("gone notice %+v", r.Notices[1])
	}

	// A claim back for its re-check is archived under its first UID.
	c.Annotations[inkassov1.ArchivedUIDAnnotation] = "uid-0"
	c.Status.Phase, c.Status.NextStep, c.Status.NextStepAt = inkassov1.PhaseSurveillance, inkassov1.RecheckStep, mt(t0.AddDate(0, 6, 0))
	r, _ = archive.RecordOf(c, archive.KindDormant, nil, t0)
	if r.UID != "uid-0" || r.WakeAt == nil || !r.WakeAt.Equal(t0.AddDate(0, 6, 0)) {
		t.Errorf("dormant record uid %s wake %v", r.UID, r.WakeAt)
	}
	if _, ok := r.Annotations[inkassov1.ArchivedUIDAnnotation]; ok {
		t.Error("the archived-uid annotation is stored")
	}
	obj := archive.ObjectOf(r)
	if obj.Annotations[inkassov1.ArchivedUIDAnnotation] != "uid-0" || obj.Name != "inv-1" || obj.Spec.InvoiceNumber != "INV-1" || obj.Status.Phase != "" {
		t.Errorf("object to wake %+v", obj)
	}

	c.Spec.InvoiceDate = "31.01.2026"
	if _, err := archive.RecordOf(c, archive.KindFinished, nil, t0); err == nil {
		t.Error("a malformed invoice date archived")
	}
}

func TestRestoredStatus(t *testing.T) {
	c := claim(inkassov1.PhasePaid)
	r, _ := archive.RecordOf(c, archive.KindFinished, nil, t0)
	st := archive.RestoredStatus(r, 1, inkassov1.RestoredReapplied, t0.AddDate(0, 2, 0))
	if st.Phase != inkassov1.PhasePaid || st.ObservedGeneration != 1 || len(st.History) != 1 {
		t.Errorf("restored %+v", st)
	}
	for _, cond := range st.Conditions {
		if cond.ObservedGeneration != 1 {
			t.Errorf("condition %s at generation %d", cond.Type, cond.ObservedGeneration)
		}
	}
	var restored *metav1.Condition
	for i := range st.Conditions {
		if st.Conditions[i].Type == inkassov1.ConditionRestored {
			restored = &st.Conditions[i]
		}
	}
	if restored == nil || restored.Reason != inkassov1.RestoredReapplied || restored.Status != metav1.ConditionTrue {
		t.Errorf("Restored condition %+v", restored)
	}
	if len(r.Status.Conditions) != 1 {
		t.Error("RestoredStatus changed the record")
	}
}

func TestInvoiceMonth(t *testing.T) {
	for in, want := range map[string]string{"2026-01-31": "2026-01-01", "2024-02-29": "2024-02-01", "2026-12-01": "2026-12-01"} {
		m, err := archive.InvoiceMonth(in)
		if err != nil || m.Format(time.DateOnly) != want {
			t.Errorf("InvoiceMonth(%s) = %v, %v; want %s", in, m, err, want)
		}
	}
	if _, err := archive.InvoiceMonth("2026-13-01"); err == nil {
		t.Error("month 13 accepted")
	}
}
