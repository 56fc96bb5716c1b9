package notice

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestValidateRefusesUnboundedTemplates: the texts found on a real control
// plane (an empty loop over 10^12 that froze every creditor's claims for
// 45 s, and a loop that allocated 2.6 GB) and their relatives are refused
// before they run, naming the key and the line.
func TestValidateRefusesUnboundedTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		line             int
	}{
		{"empty loop over 10^12", "Subject: x\n\nHei\n{{range 1000000000000}}{{end}}", "{{range}} may only loop over a field", 4},
		{"writing loop over 2*10^8", "Subject: x\n\n{{range 200000000}}x{{end}}", "{{range}} may only loop over a field", 3},
		{"loop in the subject", "Subject: {{range 5}}x{{end}}\n\nbody", "{{range}}", 1},
		{"loop over a variable", "Subject: x\n\n{{$n := 100000000}}\n{{range $n}}x{{end}}", "{{range}}", 4},
		{"loop over dot set by with", "Subject: x\n\n{{with 100000000}}{{range .}}x{{end}}{{end}}", "{{range}}", 3},
		{"loop over a function result", "Subject: x\n\n{{range (slice .Claims 0)}}x{{end}}", "{{range}}", 3},
		{"loops nested three deep", "Subject: x\n\n{{range .Claims}}{{range $.Claims}}{{range $.Claims}}x{{end}}{{end}}{{end}}", "nested more than 2", 3},
		{"recursion", "Subject: x\n\n{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}", "{{define}}", 0},
		{"template call", "Subject: x\n\n{{template \"body\" .}}", "{{template}}", 3},
		{"huge printf width", "Subject: x\n\n{{printf \"%01000000000d\" 1}}", "printf width", 3},
		{"printf width from an argument", "Subject: x\n\n{{printf \"%*d\" 1000000000 1}}", "printf widths from arguments", 3},
		{"call", "Subject: x\n\n{{call .Nope}}", `function "call" is not allowed`, 3},
		{"syntax error", "Subject: x\n\nline 3\n{{if .PayBy}}unclosed", "unexpected EOF", 4},
		{"no subject", "Dear debtor", "Subject:", 1},
		{"too long", "Subject: x\n\n" + strings.Repeat("a", MaxOverrideBytes), "more than the 32 KiB", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := Validate(Overrides{"collection-notice.nb": tc.text})
			var te *TemplateError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || te.Key != "collection-notice.nb" {
				t.Fatalf("error %v, want a TemplateError for collection-notice.nb containing %q", err, tc.want)
			}
			if te.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", te.Line, tc.line, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("validation took %s", d)
			}
		})
	}
	// What the docs show passes.
	if err := Validate(Overrides{"collection-notice.nb": "Subject: Inkassovarsel {{money .Outstanding}}\n\n{{range $i, $c := .Claims}}{{$i}} {{printf \"%-12s\" $c.InvoiceNumber}}{{range $.Claims}}.{{end}}\n{{end}}{{.Legal}}"}); err != nil {
		t.Errorf("a bounded text was refused: %v", err)
	}
}

// TestRenderStopsRunawayTemplatesQuickly: even a text that reaches execution
// (rendered without Validate's blessing, e.g. by an older policy) is
// stopped by the output cap or the budget, and quarantined: the second
// render of the same text costs nothing.
func TestRenderStopsRunawayTemplatesQuickly(t *testing.T) {
	d := fullData()
	d.Step, d.Template = "custom", "custom"
	d.Claims = make([]Line, 3000)
	// Nested twice over 3,000 claims (allowed: bounded by the data), each
	// iteration writing 100 bytes: 900 MB unless capped.
	text := "Subject: x\n\n{{range .Claims}}{{range $.Claims}}" + strings.Repeat("y", 100) + "{{end}}{{end}}"
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, _, err := RenderContext(context.Background(), d, Overrides{"custom.nb": text})
	if took := time.Since(start); err == nil || took > RenderBudget+time.Second {
		t.Fatalf("render returned %v after %s, want a refusal within the budget", err, took)
	}
	if !strings.Contains(err.Error(), "longer than") || !strings.Contains(err.Error(), "custom.nb") {
		t.Errorf("error %v, want the cap or budget named with the key", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("rendering allocated %d MiB, want the output cap to hold it under 64", grew>>20)
	}
	start = time.Now()
	if _, _, err := RenderContext(context.Background(), d, Overrides{"custom.nb": text}); err == nil || time.Since(start) > 50*time.Millisecond {
		t.Errorf("second render: %v after %s, want the quarantined refusal at once", err, time.Since(start))
	}
}

// TestRenderHonoursTheCallersContext: a reconcile being shut down does not
// wait for a template.
func TestRenderHonoursTheCallersContext(t *testing.T) {
	d := fullData()
	d.Step, d.Template = "custom", "custom"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := RenderContext(ctx, d, Overrides{"custom.nb": "Subject: x\n\nbody"}); !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "longer than")) {
		t.Errorf("render under a cancelled context: %v", err)
	}
}
