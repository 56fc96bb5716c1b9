package controllers_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// exported are the metric families the manager serves (ours, and
// controller-runtime's that the dashboard and alerts use).
var exported = []string{"inkasso_claims", "inkasso_claims_outstanding", "inkasso_claims_stalled", "inkasso_notices",
	"inkasso_steps_total", "inkasso_step_lateness_seconds", "inkasso_channel_deliveries_total", "inkasso_channel_send_duration_seconds",
	"inkasso_reconcile_panics_total", "inkasso_collected_amount", "inkasso_archive_claims_total", "inkasso_archive_write_seconds", "inkasso_archive_errors_total",
	"inkasso_archive_restored_total", "inkasso_archive_woken_total",
	"controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_total", "up"}

var metricName = regexp.MustCompile(`\b(inkasso_[a-z_]+|controller_runtime_[a-z_]+|up)\b`)

func checkExpr(t *testing.T, where, expr string) {
	t.Helper()
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: %q uses no known metric", where, expr)
	}
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		found := false
		for _, e := range exported {
			found = found || n == e
		}
		if !found {
			t.Errorf("%s: %q uses %s, which the manager does not export", where, expr, n)
		}
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") {
		t.Errorf("%s: unbalanced parentheses in %q", where, expr)
	}
}

// TestMonitoringConfigUsesExportedMetrics: every dashboard panel and alert
// queries metrics the manager serves, and the families the metrics test
// sees are the ones listed here.
func TestMonitoringConfigUsesExportedMetrics(t *testing.T) {
	dir := filepath.Join("..", "config", "prometheus")
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil || dash.UID == "" || len(dash.Panels) < 6 {
		t.Fatalf("dashboard: %v, %d panels", err, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			checkExpr(t, "panel "+p.Title, target.Expr)
		}
	}
	var rule struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Alert       string            `json:"alert"`
					Expr        string            `json:"expr"`
					For         string            `json:"for"`
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &rule); err != nil || rule.Kind != "PrometheusRule" {
		t.Fatalf("prometheusrule.yaml: %v", err)
	}
	alerts := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			alerts++
			checkExpr(t, "alert "+r.Alert, r.Expr)
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s lacks a severity, summary or description", r.Alert)
			}
		}
	}
	if alerts < 5 {
		t.Errorf("%d alerts", alerts)
	}
}
