package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/contact"
	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// The archive run (-archive, issue 24): claims arrive at an even rate over
// -arrival (wall time) on a fixed pool of debtors, the manager runs with
// the claim archive on (a throw-away PostgreSQL from internal/pgtest) and
// the production notice TTL, and the bench samples etcd's database size,
// the objects in the cluster and the archive's rows. With the archive the
// cluster holds only the claims in collection and those within their grace,
// so etcd's in-use size levels off while the archive grows.

// archiveSample is one row of the time series.
type archiveSample struct {
	At       float64 `json:"t"`       // wall seconds since the manager started
	Clock    string  `json:"clock"`   // the operator's date
	Created  int     `json:"created"` // claims created so far
	Claims   int     `json:"claims"`  // in the cluster
	Done     int     `json:"claimsDone"`
	Notices  int     `json:"notices"`
	Debtors  int     `json:"debtors"`
	Events   int     `json:"events"`
	Stored   int64   `json:"storedJSONBytes"` // of the four kinds
	Archived int     `json:"archiveRows"`
	// etcd's database: in use (live keys and revisions not yet compacted)
	// and the file (it shrinks only on a defragmentation).
	EtcdInUse float64  `json:"etcdInUseBytes"`
	EtcdTotal float64  `json:"etcdTotalBytes"`
	APIServer memProbe `json:"apiserver"`
}

type archiveResult struct {
	Machine map[string]string `json:"machine"`
	Config  map[string]any    `json:"config"`
	Claims  int               `json:"claims"`
	Debtors int               `json:"debtors"`
	// Archived is the archive's rows at the end (a claim archived again
	// after a re-check keeps its row).
	Archived   int             `json:"archived"`
	RunSeconds float64         `json:"runSeconds"`
	Samples    []archiveSample `json:"samples"`
	// Quarters are the samples nearest to 25, 50, 75 and 100 % of the run.
	Quarters   []archiveSample `json:"quarters"`
	WatchCache *watchCache     `json:"watchCache,omitempty"`
	Summary    string          `json:"summary"`
	Note       string          `json:"note"`
}

func archiveRun(ctx context.Context, c config, root string) error {
	pg, err := pgtest.Start()
	if err != nil {
		return fmt.Errorf("starting PostgreSQL (internal/pgtest): %w", err)
	}
	defer pg.Stop()
	store, err := postgres.Open(ctx, pg.DSN)
	if err != nil {
		return fmt.Errorf("opening the claim archive: %w", err)
	}
	defer store.Close()

	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return err
	}
	defer env.Stop()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	etcdURL := strings.TrimSuffix(env.ControlPlane.Etcd.URL.String(), "/") + "/metrics"
	etcdSize := func() (float64, float64) {
		m, err := scrape(ctx, http.DefaultClient, etcdURL, etcdInUse, etcdTotal)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		return m[etcdInUse], m[etcdTotal]
	}

	// Namespace, policy, channels and the debtors; the claims come later.
	setup := c
	setup.claims = 0
	if err := populate(ctx, k8s, root, setup, false); err != nil {
		return err
	}
	time.Sleep(5 * time.Second) // let the apiserver settle before the quiet probe
	quiet, err := probeAPIServer(ctx, hc, cfg.Host)
	if err != nil {
		return err
	}
	quietStored, err := storedObjects(ctx, k8s, "bench")
	if err != nil {
		return err
	}
	quietInUse, _ := etcdSize()

	mcfg := rest.CopyConfig(cfg)
	mcfg.QPS, mcfg.Burst = float32(c.qps), int(2*c.qps)
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{Scheme: benchScheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: controllers.CacheOptions(nil), Client: controllers.ClientOptions()})
	if err != nil {
		return err
	}
	start := time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)
	clk := simclock.New(start, c.scale, clock.RealClock{})
	null := &channelkit.Controller{ControllerName: nullController, MaxConcurrentSends: c.concurrency,
		Send: func(_ context.Context, r channelkit.Request) (string, error) {
			return "ok-" + r.IdempotencyKey[:8], nil
		}}
	if err := controllers.Setup(ctx, mgr, controllers.Options{
		Clock: clk, MaxConcurrentClaims: c.concurrency, MaxConcurrentDebtors: c.concurrency,
		Channels: []*channelkit.Controller{null},
		// The production default: sent notices leave after the contact
		// cap's week, else they would grow etcd without bound.
		NoticeTTL: contact.Week,
		Archive: controllers.ArchiveOptions{Store: store, Policy: archive.Policy{Grace: c.archiveGrace},
			WakeInterval: 2 * time.Second},
	}); err != nil {
		return err
	}
	mctx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	wallStart := time.Now()
	go func() { _ = mgr.Start(mctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("cache did not sync")
	}

	// Arrivals: claim i is created at i/rate seconds, due on the
	// operator's date of its creation, owed by a debtor of the fixed pool
	// (the first half of the pool owe one claim each, the rest share).
	var mu sync.Mutex
	created := 0
	arrivalErr := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		single := c.debtors / 2
		every := c.arrival / time.Duration(c.claims)
		for i := 0; i < c.claims; i++ {
			if d := time.Until(wallStart.Add(time.Duration(i) * every)); d > 0 {
				select {
				case <-mctx.Done():
					return
				case <-time.After(d):
				}
			}
			d := i
			if i >= single {
				d = single + rng.IntN(max(c.debtors-single, 1))
			}
			due := clk.Now().UTC().Truncate(24 * time.Hour)
			cl := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("c-%05d", i)},
				Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: fmt.Sprintf("d-%05d", d)},
					InvoiceNumber: fmt.Sprint(100000 + i), InvoiceDate: inkassov1.Date(due.AddDate(0, 0, -14).Format(time.DateOnly)),
					DueDate: inkassov1.Date(due.Format(time.DateOnly)), Amount: inkassov1.Amount(fmt.Sprintf("%d.00", 500+rng.IntN(20000))), Currency: "NOK"}}
			if err := k8s.Create(mctx, cl); err != nil {
				if mctx.Err() == nil {
					arrivalErr <- fmt.Errorf("creating claim %s: %w", cl.Name, err)
				}
				return
			}
			mu.Lock()
			created++
			mu.Unlock()
		}
	}()

	res := archiveResult{Claims: c.claims, Debtors: c.debtors, Machine: machine(), Config: map[string]any{
		"concurrency": c.concurrency, "scale": c.scale, "qps": c.qps, "policy": "kravia-11",
		"controlPlaneGOGC": c.gogc, "controlPlaneGOMEMLIMIT": c.memLimit,
		"arrivalSeconds": c.arrival.Seconds(), "archiveGrace": c.archiveGrace.String(), "sentNoticeTTL": contact.Week.String(),
		"etcdCompactionInterval": c.compaction.String(), "eventTTL": c.eventTTL.String(), "sampleSeconds": c.sampleEvery.Seconds(),
	}}
	var peak stored
	var peakProbe memProbe
	var peakInUse float64
	var lastArchived int
	archivedSince := time.Now()
	var tailFrom time.Time
	for {
		select {
		case err := <-arrivalErr:
			return err
		case <-time.After(c.sampleEvery):
		}
		mu.Lock()
		n := created
		mu.Unlock()
		s, st, err := sampleArchive(ctx, k8s, store, hc, cfg.Host, etcdSize)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(os.Stderr, "bench: stopping at the timeout (%v) with %d of %d claims archived\n", c.timeout, lastArchived, c.claims)
				break
			}
			return err
		}
		s.At, s.Clock, s.Created = time.Since(wallStart).Seconds(), clk.Now().Format(time.DateOnly), n
		res.Samples = append(res.Samples, s)
		if s.Stored > peak.total() {
			peak, peakProbe, peakInUse = st, s.APIServer, s.EtcdInUse
		}
		fmt.Fprintf(os.Stderr, "bench: %5.0fs  clock %s  created %4d  in cluster %4d claims (%4d done) %5d notices %4d events  archive %4d  etcd in use %6.1f MB of %6.1f MB  apiserver heap %5.1f MB\n",
			s.At, s.Clock, s.Created, s.Claims, s.Done, s.Notices, s.Events, s.Archived, s.EtcdInUse/1e6, s.EtcdTotal/1e6, s.APIServer.HeapInuse/1e6)
		if s.Archived != lastArchived {
			lastArchived, archivedSince = s.Archived, time.Now()
		}
		if tailFrom.IsZero() && n == c.claims && s.Archived >= c.claims {
			tailFrom = time.Now() // every claim archived at least once: watch the level a little longer
		}
		if !tailFrom.IsZero() && time.Since(tailFrom) >= c.archiveTail {
			break
		}
		if tailFrom.IsZero() && n == c.claims && time.Since(archivedSince) > c.stall {
			fmt.Fprintf(os.Stderr, "bench: stopping with %d of %d claims archived (none archived for %v)\n", s.Archived, c.claims, c.stall)
			break
		}
	}
	res.RunSeconds = time.Since(wallStart).Seconds()
	res.Archived = lastArchived
	stopMgr()
	res.WatchCache = newWatchCache(quiet, peakProbe, quietStored, peak, peakInUse-quietInUse)
	return archiveReport(c, res)
}

// quarters picks the samples nearest to 25, 50, 75 and 100 % of the run.
func quarters(s []archiveSample) []archiveSample {
	if len(s) == 0 {
		return nil
	}
	end := s[len(s)-1].At
	var out []archiveSample
	for _, q := range []float64{0.25, 0.5, 0.75, 1} {
		best := s[0]
		for _, x := range s {
			if abs(x.At-q*end) < abs(best.At-q*end) {
				best = x
			}
		}
		out = append(out, best)
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func archiveReport(c config, r archiveResult) error {
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	r.Quarters = quarters(r.Samples)
	var parts []string
	for i, q := range r.Quarters {
		parts = append(parts, fmt.Sprintf("%d%% (%.0f s): %d created, %d claims in the cluster, %d archived, etcd in use %.1f MB",
			25*(i+1), q.At, q.Created, q.Claims, q.Archived, q.EtcdInUse/1e6))
	}
	r.Summary = strings.Join(parts, "; ")
	r.Note = fmt.Sprintf("kube-apiserver compacts etcd every %v here (default 5m) and keeps events %v (default 1h), so etcd's in-use size reflects deletions within the run; etcd's file size (total) shrinks only on a defragmentation, which nothing runs here", c.compaction, c.eventTTL)
	base := filepath.Join(c.out, fmt.Sprintf("%s-archive-%dclaims", r.Machine["date"], r.Claims))
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", b, 0o644); err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("t,clock,created,claims,claimsDone,notices,debtors,events,storedJSONBytes,archiveRows,etcdInUseBytes,etcdTotalBytes,apiserverHeapInuseBytes,apiserverRSSBytes\n")
	for _, s := range r.Samples {
		fmt.Fprintf(&csv, "%.1f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%.0f,%.0f,%.0f,%.0f\n", s.At, s.Clock, s.Created, s.Claims, s.Done, s.Notices, s.Debtors, s.Events,
			s.Stored, s.Archived, s.EtcdInUse, s.EtcdTotal, s.APIServer.HeapInuse, s.APIServer.RSS)
	}
	if err := os.WriteFile(base+".csv", []byte(csv.String()), 0o644); err != nil {
		return err
	}
	txt := fmt.Sprintf("archive run: %d claims over %d debtors arriving over %v, clock x%.0f, archive grace %v, %d archived, %.0f s\n%s\nwatch cache: %s\nnote: %s\n",
		r.Claims, r.Debtors, c.arrival, c.scale, c.archiveGrace, r.Archived, r.RunSeconds, r.Summary, r.WatchCache, r.Note)
	if err := os.WriteFile(base+".txt", []byte(txt), 0o644); err != nil {
		return err
	}
	fmt.Print(txt)
	fmt.Fprintf(os.Stderr, "bench: results in %s.{json,csv,txt}\n", base)
	return nil
}

// sampleArchive reads the cluster's objects, the archive's rows, etcd's
// size and the apiserver's memory.
func sampleArchive(ctx context.Context, k8s client.Client, store *postgres.Store, hc *http.Client, host string, etcdSize func() (float64, float64)) (archiveSample, stored, error) {
	st, err := storedObjects(ctx, k8s, "bench")
	if err != nil {
		return archiveSample{}, st, err
	}
	rows, err := store.Count(ctx, "bench")
	if err != nil {
		return archiveSample{}, st, fmt.Errorf("counting the archive: %w", err)
	}
	inUse, total := etcdSize()
	probe, err := probeAPIServer(ctx, hc, host)
	if err != nil {
		return archiveSample{}, st, err
	}
	return archiveSample{Claims: st.Objects["claims"], Done: st.Done, Notices: st.Objects["notices"], Debtors: st.Objects["debtors"], Events: st.Objects["events"],
		Stored: st.total(), Archived: rows, EtcdInUse: inUse, EtcdTotal: total, APIServer: probe}, st, nil
}
