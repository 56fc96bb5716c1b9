package v1alpha1

import "testing"

func TestPolicyDone(t *testing.T) {
	for _, tc := range []struct {
		phase ClaimPhase
		next  string
		want  bool
	}{
		{PhasePending, "", false},
		{PhaseCollection, "payment-demand", false},
		{PhaseLegal, "enforcement", false},
		{PhaseLegal, "", true},
		{PhaseSurveillance, RecheckStep, true},
		{PhaseSurveillance, "", true},
		{PhaseSurveillance, "legal-handover", false},
		{PhasePaid, "", true},
		{PhaseForwarded, "", true},
		{PhaseSuspended, "", false},
	} {
		st := ClaimStatus{Phase: tc.phase, NextStep: tc.next}
		if got := st.PolicyDone(); got != tc.want {
			t.Errorf("phase %s, next step %q: PolicyDone() = %v, want %v", tc.phase, tc.next, got, tc.want)
		}
	}
}
