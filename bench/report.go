package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"image/color"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rss is the process's resident set size in bytes (Linux).
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func machine() map[string]string {
	m := map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "cpus": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version(),
		"date": time.Now().UTC().Format(time.DateOnly)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m["cpu"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			m["memory"] = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
		}
	}
	return m
}

func report(c config, r Result) error {
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	base := filepath.Join(c.out, fmt.Sprintf("%s-%dclaims", r.Machine["date"], r.Claims))
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", b, 0o644); err != nil {
		return err
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
	row := func(k, v, goal string) { fmt.Fprintf(w, "%s\t%s\t%s\n", k, v, goal) }
	row("measure", "value", "goal")
	row("claims / debtors", fmt.Sprintf("%d / %d (%d notices)", r.Claims, r.Debtors, r.Notices), "")
	row("claim steps", fmt.Sprint(r.ClaimSteps), "")
	row("claim steps per second", fmt.Sprintf("%.1f", r.StepsPerSecond), "")
	row("manager writes per second", fmt.Sprintf("%.1f", r.WritesPerSec), "")
	row("useful writes per second", fmt.Sprintf("%.1f while saturated (%.0f s with a backlog), %.1f over the busy span (2xx, events included: %d)", r.UsefulPerSecond, r.SaturatedSeconds, r.UsefulPerSecondBusy, r.UsefulWrites), "")
	if rp := r.Replay; rp != nil {
		if rp.FreshCeiling > 0 && rp.Grown > 0 {
			row("replay ceiling, fresh objects (load runs)", fmt.Sprintf("%.1f writes/s at %d workers (%s)%s; objects met: %s", rp.FreshCeiling, rp.FreshWorkers, levels(rp.FreshLevels), stillRising(rp.FreshRising), objectSizes(nil, rp.FreshObjectBytes)), "")
			row("replay ceiling (fair baseline)", fmt.Sprintf("%.1f writes/s at %d workers (%s)%s, lists cut to %.2f (claims) and %.2f (debtors), %d objects grown, %d refused", rp.Ceiling, rp.BestWorkers, levels(rp.Levels), stillRising(rp.Rising), rp.ClaimHistory, rp.DebtorHistory, rp.Grown, rp.GrowRefused), "")
		} else {
			row("replay ceiling (fair baseline)", fmt.Sprintf("%.1f writes/s at %d workers (%s)%s", rp.Ceiling, rp.BestWorkers, levels(rp.Levels), stillRising(rp.Rising)), "")
		}
		if len(rp.ObjectBytes) > 0 {
			sizes := objectSizes(r.ObjectBytes, rp.ObjectBytes) + sizeWarning(r.ObjectBytes, rp.ObjectBytes)
			if strings.Contains(sizes, "–") {
				sizes += " (–: the manager's answer was metadata only)"
			}
			row("object size a write met (manager / replay)", sizes, "alike")
		}
		if ex := r.Exact; ex != nil {
			var lv []string
			for _, l := range ex.Levels {
				lv = append(lv, fmt.Sprintf("%d: %.1f", l.Workers, l.PerSecond))
			}
			row("exact replay ceiling (fair baseline)", fmt.Sprintf("%.1f writes/s at %d workers (%s)%s: the manager's %d recorded requests about %d objects, bodies as sent", ex.Ceiling, ex.Best, strings.Join(lv, ", "), stillRising(ex.Rising), ex.Requests, ex.Objects), "")
			row("object size a write met (manager / exact replay)", cmp.Or(objectSizes(r.ObjectBytes, ex.ObjectBytes)+sizeWarning(r.ObjectBytes, ex.ObjectBytes),
				"not measured: status writes are answered with metadata only; the replayed bodies are the manager's, so are the objects"), "alike")
			row("ratio useful/synthetic ceiling", fmt.Sprintf("%.2f saturated, %.2f over the busy span (the grown synthetic replay, before 2026-12-01 the fair ratio)", r.FairRatioSynthetic, r.FairRatioSyntheticBusy), "")
		}
		ratio := fmt.Sprintf("%.2f saturated, %.2f over the busy span", r.FairRatio, r.FairRatioBusy)
		if r.Config["profiled"] == true {
			// The heap profile samples every 4 KB the manager allocates:
			// about 15 % of its CPU, taken from the cores the apiserver needs.
			ratio += " (profiled: the manager slowed by its heap profile; measure without -apiserver-profile)"
		}
		row("ratio useful/ceiling", ratio, ">= 0.8")
	}
	row("old ratio (annotation patches, 8 workers)", fmt.Sprintf("%.2f (raw %.1f writes/s)", r.Ratio, r.RawPerSecond), "not like for like")
	row("apiserver requests per claim step", fmt.Sprintf("%.2f (writes, 409s and events included)", r.RequestsPerStep), "")
	reads := 0
	for _, n := range r.ManagerReads {
		reads += n
	}
	if r.ClaimSteps > 0 {
		row("apiserver reads per claim step", fmt.Sprintf("%.2f (GETs by name, beside the cache: %v)", float64(reads)/float64(r.ClaimSteps), r.ManagerReads), "")
	}
	row("apiserver writes per claim step", fmt.Sprintf("%.2f (without events)", r.WritesPerStep), "")
	row("writes over the floor", fmt.Sprintf("%.2f (%d writes, floor %d)", r.WriteOverhead, r.WritesTotal-r.Events, r.IdealWrites), "1.00: a status write per claim and case step, a create and a delivery per notice")
	row("events per claim step", fmt.Sprintf("%.2f", r.EventsPerStep), "")
	row("heap per cached claim", fmt.Sprintf("%.0f B (claim JSON %.0f B): the manager's heap growth over the run, its fixed costs included", r.HeapPerClaim, r.ClaimJSONBytes), "")
	row("RSS per cached claim", fmt.Sprintf("%.0f B", r.RSSPerClaim), "")
	if m := r.Memory; m != nil {
		how := "enforced by a memory cgroup"
		if !m.Enforced {
			how = "not enforced: " + m.NotEnforce
		}
		peak := fmt.Sprintf("peak RSS %d MiB (sampled each second)", m.PeakRSS>>20)
		if m.CgroupPeak > 0 {
			peak += fmt.Sprintf(", the cgroup's high-water mark %d MiB (page cache included, %d times at its limit)", m.CgroupPeak>>20, m.Failcnt)
		}
		row("the manager under a pod's memory limit", fmt.Sprintf("%s of a %d MiB limit (%s; Go's soft limit %d MiB); completed", peak, m.Limit>>20, how, m.GoLimit>>20), "within the chart's limit")
	}
	if cs := r.Cached; cs != nil && r.Claims > 0 {
		row("cached JSON per claim", fmt.Sprintf("%.0f B (claims %.0f, notices %.0f, debtors %.0f)", float64(cs.Total)/float64(r.Claims),
			float64(cs.Bytes["claims"])/float64(r.Claims), float64(cs.Bytes["notices"])/float64(r.Claims), float64(cs.Bytes["debtors"])/float64(r.Claims)), "")
	}
	row("startup list (caches synced)", fmt.Sprintf("%.2f s at the start (claims and debtors only)", r.CacheSyncSeconds), "")
	if rs := r.Restart; rs != nil {
		ratio := ""
		if cs := r.Cached; cs != nil && cs.Total > 0 {
			ratio = fmt.Sprintf(", %.2f x the cached JSON", rs.HeapPerClaim*float64(r.Claims)/float64(cs.Total))
		}
		row("restart list, every object present", fmt.Sprintf("%.2f s; a fresh cache (the manager's transforms and indexes, a process of its own) holds %.0f B of heap per claim%s", rs.SyncSeconds, rs.HeapPerClaim, ratio), "<= 2 x the cached JSON")
	}
	if w := r.WatchCache; w != nil {
		row("apiserver heap per stored byte (busy)", fmt.Sprintf("%.1f (RSS %.1f): heap %.0f -> %.0f MB after a forced GC, %.1f MB of stored JSON", w.HeapFactor, w.RSSFactor, w.Quiet.HeapInuse/1e6, w.Peak.HeapInuse/1e6, float64(w.PeakStored-w.QuietStored)/1e6), "docs/scale.md assumed 4")
	}
	if w := r.WatchCacheIdle; w != nil {
		row("apiserver heap per stored byte (idle copy)", fmt.Sprintf("%.1f (RSS %.1f): heap %.0f -> %.0f MB after a forced GC, %.1f MB of stored JSON, %d objects", w.HeapFactor, w.RSSFactor, w.Quiet.HeapInuse/1e6, w.Peak.HeapInuse/1e6, float64(w.PeakStored-w.QuietStored)/1e6, w.PeakObjects)+w.midString(), "docs/scale.md assumed 4")
	}
	row("step lateness p50/p99/max", fmt.Sprintf("%.1f / %.1f / %.1f s", r.Lateness["p50"], r.Lateness["p99"], r.Lateness["max"]), "")
	for _, l := range r.Loads {
		row(fmt.Sprintf("load %.2f: lateness p50/p99/max", l.Fraction), fmt.Sprintf("%.2f / %.2f / %.2f s (%d first steps at %.1f/s, %.1f writes/s = %.2f of the fresh ceiling, x%.0f)",
			l.Lateness["p50"], l.Lateness["p99"], l.Lateness["max"], l.Steps, l.StepsPerSecond, l.WritesPerSec, l.OfCeiling, l.Scale), "p99 < 1 s")
	}
	row("run", fmt.Sprintf("%.0f s", r.RunSeconds), "")
	_ = w.Flush()
	var keys []string
	for k := range r.ManagerWrites {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sb.WriteString("\nmanager writes by request:\n")
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %-40s %d\n", k, r.ManagerWrites[k])
	}
	if rp := r.Replay; rp != nil {
		fmt.Fprintf(&sb, "\nreplayed mix (the manager's 2xx writes; mean body bytes):\n")
		var kinds []string
		for k := range rp.Mix {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(&sb, "  %-40s %d (%d B)\n", k, rp.Mix[k], rp.Bodies[k])
		}
		if len(rp.NotReplayed) > 0 {
			fmt.Fprintf(&sb, "  not replayed: %v\n", rp.NotReplayed)
		}
	}
	if len(r.LatenessByStep) > 0 {
		var steps []string
		for k := range r.LatenessByStep {
			steps = append(steps, k)
		}
		sort.Strings(steps)
		sb.WriteString("\nstep lateness by step (n, p50 / p99 / max s):\n")
		for _, k := range steps {
			l := r.LatenessByStep[k]
			fmt.Fprintf(&sb, "  %-24s %6.0f  %.1f / %.1f / %.1f\n", k, l["n"], l["p50"], l["p99"], l["max"])
		}
	}
	fmt.Fprintf(&sb, "\nfinal phases: %v\nmachine: %v\n", r.FinalPhases, r.Machine)
	if err := os.WriteFile(base+".txt", []byte(sb.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(sb.String())
	return plotRun(base+".png", r)
}

// plotRun draws claim steps per second and step lateness over the run.
func plotRun(path string, r Result) error {
	rate, late, lateMax := plotter.XYs{}, plotter.XYs{}, plotter.XYs{}
	prev := sample{}
	for _, s := range r.Samples {
		dt := s.At - prev.At
		if dt > 0 {
			rate = append(rate, plotter.XY{X: s.At, Y: float64(s.Steps-prev.Steps) / dt})
		}
		if s.Steps > prev.Steps {
			late = append(late, plotter.XY{X: s.At, Y: s.LateP50})
			lateMax = append(lateMax, plotter.XY{X: s.At, Y: s.LateMax})
		}
		prev = s
	}
	top := plot.New()
	top.Title.Text = fmt.Sprintf("inkasso-operator: %d claims, %d debtors — claim steps per second", r.Claims, r.Debtors)
	top.X.Label.Text, top.Y.Label.Text = "seconds", "steps/s"
	l1, err := plotter.NewLine(rate)
	if err != nil {
		return err
	}
	l1.Color = color.RGBA{R: 30, G: 90, B: 200, A: 255}
	top.Add(l1, plotter.NewGrid())
	bottom := plot.New()
	bottom.Title.Text = "step lateness (wall seconds after due): p50 and max per second"
	bottom.X.Label.Text, bottom.Y.Label.Text = "seconds", "lateness s"
	l2, err := plotter.NewLine(late)
	if err != nil {
		return err
	}
	l2.Color = color.RGBA{R: 200, G: 90, B: 30, A: 255}
	l3, err := plotter.NewLine(lateMax)
	if err != nil {
		return err
	}
	l3.Color = color.RGBA{R: 160, G: 160, B: 160, A: 255}
	bottom.Add(l2, l3, plotter.NewGrid())
	bottom.Legend.Add("p50", l2)
	bottom.Legend.Add("max", l3)
	img := vg.Length(1)
	c := vgimgCanvas(10*vg.Inch*img, 7*vg.Inch)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6), PadY: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, draw.New(c))
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return savePNG(c, path)
}

func levels(ls []replayLevel) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, fmt.Sprintf("%d: %.1f", l.Workers, l.PerSecond))
	}
	return strings.Join(parts, ", ")
}

// objectSizes sets the mean object size each status write met in the
// manager's run beside the replay's, for the kinds whose cost grows with
// the object.
func objectSizes(manager, replay map[string]int) string {
	var parts []string
	for _, k := range []string{"PATCH claims/status", "PATCH debtors/status", "PATCH notices/status"} {
		switch {
		case manager == nil && replay[k] > 0:
			parts = append(parts, fmt.Sprintf("%s %d B", strings.TrimPrefix(k, "PATCH "), replay[k]))
		case manager[k] == 0 && replay[k] > 0:
			// The manager's status writes are answered with metadata
			// only (pkg/statuspatch): no object to measure.
			parts = append(parts, fmt.Sprintf("%s – / %d B", strings.TrimPrefix(k, "PATCH "), replay[k]))
		case manager[k] > 0 || replay[k] > 0:
			parts = append(parts, fmt.Sprintf("%s %d / %d B", strings.TrimPrefix(k, "PATCH "), manager[k], replay[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func stillRising(rising bool) string {
	if rising {
		return " (still rising at the last level: a lower bound)"
	}
	return ""
}

// sizeWarning names the status kinds whose replayed objects are more than
// a tenth off the manager's: the ceiling is then not for objects like the
// manager's.
func sizeWarning(manager, replay map[string]int) string {
	var off []string
	for _, k := range []string{"PATCH claims/status", "PATCH debtors/status"} {
		m, r := manager[k], replay[k]
		if m > 0 && r > 0 && (float64(r) > 1.1*float64(m) || float64(r) < 0.9*float64(m)) {
			off = append(off, fmt.Sprintf("%s %+.0f %%", strings.TrimPrefix(k, "PATCH "), 100*(float64(r)/float64(m)-1)))
		}
	}
	if len(off) == 0 {
		return ""
	}
	return " (more than a tenth off: " + strings.Join(off, ", ") + ")"
}
