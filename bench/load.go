package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// A load run measures step lateness below saturation: every claim is due on
// the same day and its policy's stepWindow (12 h from 06:00) spreads the
// next day's reminders evenly; the clock runs at the speed that makes them
// arrive at a chosen fraction of the replay ceiling (in writes/s, turned
// into steps/s by the saturated run's writes per claim step).
type loadResult struct {
	Fraction       float64            `json:"fraction"`
	Claims         int                `json:"claims"`
	TargetSteps    float64            `json:"targetStepsPerSecond"`
	Scale          float64            `json:"scale"`
	Steps          int                `json:"steps"` // first steps (reminders) recorded
	StepsPerSecond float64            `json:"stepsPerSecond"`
	Writes         int                `json:"writes"` // 2xx, events included, over the window
	WritesPerSec   float64            `json:"writesPerSecond"`
	OfCeiling      float64            `json:"ofCeiling"` // writes/s over the replay ceiling
	WritesPerStep  float64            `json:"writesPerStep"`
	Lateness       map[string]float64 `json:"latenessSeconds"`
	WindowSeconds  float64            `json:"windowSeconds"` // wall seconds of the 12 h window
	ManagerWrites  map[string]int     `json:"managerWrites"`
}

func loadRun(ctx context.Context, c config, root string, f float64, res *Result) (loadResult, error) {
	lr := loadResult{Fraction: f, Claims: c.loadClaims}
	if res.Replay == nil || res.Replay.loadCeiling() <= 0 || res.ClaimSteps == 0 {
		return lr, fmt.Errorf("no replay ceiling to load against")
	}
	writesPerStep := float64(res.UsefulWrites) / float64(res.ClaimSteps)
	lr.TargetSteps = f * res.Replay.loadCeiling() / writesPerStep
	const window = 12 * time.Hour
	lr.Scale = lr.TargetSteps * window.Seconds() / float64(c.loadClaims)
	lr.WindowSeconds = window.Seconds() / lr.Scale
	lc := c
	lc.claims = c.loadClaims
	lc.debtors = max(1, c.loadClaims*c.debtors/max(c.claims, 1))
	fmt.Fprintf(os.Stderr, "bench: load %.2f: %d claims, target %.1f steps/s, clock x%.0f (the 12 h window is %.0f s)\n", f, lc.claims, lr.TargetSteps, lr.Scale, lr.WindowSeconds)
	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return lr, err
	}
	defer env.Stop()
	if err := populate(ctx, k8s, root, lc, true); err != nil {
		return lr, err
	}
	writes := &counter{n: map[string]int{}}
	mcfg := rest.CopyConfig(cfg)
	mcfg.QPS, mcfg.Burst = float32(c.qps), int(2*c.qps)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return writes.wrap(rt) })
	// A second manager in this process: its controllers have the first's names.
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{Scheme: benchScheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: controllers.CacheOptions(nil), Client: controllers.ClientOptions(),
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr(true)}})
	if err != nil {
		return lr, err
	}
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return lr, err
	}
	// 23:00 the evening of the due date: the claims become overdue at
	// midnight (a write each) well before the window opens at 06:00.
	windowOpens := time.Date(2026, 1, 15, 6, 0, 0, 0, oslo)
	clk := simclock.New(time.Date(2026, 1, 14, 23, 0, 0, 0, oslo), lr.Scale, clock.RealClock{})
	null := &channelkit.Controller{ControllerName: nullController, MaxConcurrentSends: c.concurrency,
		Send: func(_ context.Context, r channelkit.Request) (string, error) {
			return "ok-" + r.IdempotencyKey[:8], nil
		}}
	if err := controllers.Setup(ctx, mgr, controllers.Options{Clock: clk, MaxConcurrentClaims: c.concurrency,
		MaxConcurrentDebtors: c.concurrency, Channels: []*channelkit.Controller{null}}); err != nil {
		return lr, err
	}
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = mgr.Start(mctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return lr, fmt.Errorf("cache did not sync")
	}
	var atOpen map[string]int
	var lates []float64
	var first, last time.Time
	for {
		time.Sleep(500 * time.Millisecond)
		if atOpen == nil && !clk.Now().Before(windowOpens) {
			atOpen = writes.snapshot()
		}
		var list inkassov1.ClaimList
		if err := mgr.GetCache().List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
			return lr, err
		}
		lates, first, last = lates[:0], time.Time{}, time.Time{}
		for i := range list.Items {
			h := list.Items[i].Status.History
			if len(h) == 0 || h[0].DueAt == nil {
				continue
			}
			lates = append(lates, h[0].Time.Sub(h[0].DueAt.Time).Seconds()/lr.Scale)
			if t := h[0].Time.Time; first.IsZero() || t.Before(first) {
				first = t
			}
			if t := h[0].Time.Time; t.After(last) {
				last = t
			}
		}
		if len(lates) == lc.claims {
			break
		}
		if ctx.Err() != nil {
			return lr, fmt.Errorf("timed out with %d of %d first steps", len(lates), lc.claims)
		}
	}
	end := writes.snapshot()
	stop()
	lr.ManagerWrites = map[string]int{}
	for k, n := range end {
		if d := n - atOpen[k]; d > 0 {
			lr.ManagerWrites[k] = d
			if !containsParen(k) {
				lr.Writes += d
			}
		}
	}
	wall := last.Sub(first).Seconds() / lr.Scale
	lr.Steps = len(lates)
	if wall > 0 {
		lr.StepsPerSecond = float64(lr.Steps) / wall
		lr.WritesPerSec = float64(lr.Writes) / wall
	}
	lr.OfCeiling = lr.WritesPerSec / res.Replay.loadCeiling()
	lr.WritesPerStep = float64(lr.Writes) / float64(lr.Steps)
	lr.Lateness = percentiles(lates)
	fmt.Fprintf(os.Stderr, "bench: load %.2f: %d steps at %.1f/s, %.1f writes/s (%.2f of the ceiling), lateness p50 %.2f p99 %.2f max %.2f s\n",
		f, lr.Steps, lr.StepsPerSecond, lr.WritesPerSec, lr.OfCeiling, lr.Lateness["p50"], lr.Lateness["p99"], lr.Lateness["max"])
	return lr, nil
}

func containsParen(k string) bool {
	for i := range len(k) {
		if k[i] == '(' {
			return true
		}
	}
	return false
}

// loadOnlyResult is what a -load-ceiling run reports: the load runs alone,
// against a ceiling and writes per step measured by an earlier full run.
type loadOnlyResult struct {
	Machine       map[string]string `json:"machine"`
	Config        map[string]any    `json:"config"`
	Ceiling       float64           `json:"ceilingWritesPerSecond"`
	WritesPerStep float64           `json:"writesPerClaimStep"`
	Loads         []loadResult      `json:"loads"`
}

// loadOnly runs the -load runs without the saturated run and the replay
// before them: a few minutes instead of a quarter of an hour, for working
// on lateness. The ceiling is the earlier run's, so the load fractions are
// only as good as that run's machine was like this one.
func loadOnly(ctx context.Context, c config, root string) error {
	if len(c.loads) == 0 {
		return fmt.Errorf("-load-ceiling needs -load")
	}
	res := Result{Replay: &replayResult{Setup: "given by -load-ceiling", Ceiling: c.ceiling},
		ClaimSteps: 1000, UsefulWrites: int(c.ceilingPerStep * 1000)}
	out := loadOnlyResult{Machine: machine(), Ceiling: c.ceiling, WritesPerStep: c.ceilingPerStep,
		Config: map[string]any{"loadClaims": c.loadClaims, "debtors": c.debtors, "claims": c.claims, "concurrency": c.concurrency, "qps": c.qps}}
	for _, f := range c.loads {
		lr, err := loadRun(ctx, c, root, f, &res)
		if err != nil {
			return fmt.Errorf("load %.2f: %w", f, err)
		}
		out.Loads = append(out.Loads, lr)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(c.out, fmt.Sprintf("%s-load-%dclaims.json", out.Machine["date"], c.loadClaims))
	fmt.Fprintf(os.Stderr, "bench: load runs in %s\n", path)
	return os.WriteFile(path, b, 0o644)
}

// percentiles sorts l and gives its count, p50, p99 and maximum; nil for
// no values.
func percentiles(l []float64) map[string]float64 {
	n := len(l)
	if n == 0 {
		return nil
	}
	sort.Float64s(l)
	return map[string]float64{"n": float64(n), "p50": l[n/2], "p99": l[n*99/100], "max": l[n-1]}
}
