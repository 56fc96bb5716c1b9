package controllers_test

import (
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// metric finds a sample of the manager's registry by name and labels.
func metric(t *testing.T, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// TestMetricsDescribeClaimsNoticesAndSteps: the scrape reports the claims
// by phase with what they owe, the notices by channel and state, and each
// fired step with how late it fired.
func TestMetricsDescribeClaimsNoticesAndSteps(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "m", inkassov1.DebtorConsumer), claimDue(ns, "mc", "m", "900.00", -1))
	c := driveToStep(t, ns, "mc", "reminder")
	release(t, ns, lastNotice(t, c), getChannel(t, ns, "letter"))
	waitNotice(t, ns, lastNotice(t, c), func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	eventually(t, 10*time.Second, func() error {
		phase := string(getClaim(t, ns, "mc").Status.Phase)
		if m := metric(t, "inkasso_claims", map[string]string{"namespace": ns, "phase": phase}); m.GetGauge().GetValue() != 1 {
			return fmt.Errorf("inkasso_claims{phase=%s} = %v, want 1", phase, m.GetGauge().GetValue())
		}
		if m := metric(t, "inkasso_claims_outstanding", map[string]string{"namespace": ns, "phase": phase, "currency": "NOK"}); m.GetGauge().GetValue() < 900 {
			return fmt.Errorf("inkasso_claims_outstanding = %v, want at least the principal", m.GetGauge().GetValue())
		}
		if m := metric(t, "inkasso_notices", map[string]string{"namespace": ns, "channel": "letter", "state": "Sent"}); m.GetGauge().GetValue() != 1 {
			return fmt.Errorf("inkasso_notices{letter,Sent} = %v, want 1", m.GetGauge().GetValue())
		}
		return nil
	})
	if m := metric(t, "inkasso_steps_total", map[string]string{"namespace": ns, "policy": "kravia-11", "step": "reminder"}); m.GetCounter().GetValue() < 1 {
		t.Errorf("inkasso_steps_total{reminder} = %v", m.GetCounter().GetValue())
	}
	if m := metric(t, "inkasso_step_lateness_seconds", map[string]string{"namespace": ns, "policy": "kravia-11", "step": "reminder"}); m.GetHistogram().GetSampleCount() < 1 {
		t.Errorf("no step lateness observed for the reminder")
	}
}
