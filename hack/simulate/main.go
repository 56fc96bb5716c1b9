// Command simulate drives the claim decider and the claim archive at
// national volume without a control plane (docs/scale.md, `make simulate`).
//
// Claims arrive every day at 08:00 Oslo time; each is decided by the real
// claim controller's decision and status shaping (controllers.DecideOffline)
// whenever the decision says it wakes, and pays, or never pays, by a fixed
// mix. A claim that finishes (or lies dormant in Surveillance) is written
// to a real PostgreSQL archive (internal/archive/postgres) after the
// archive's grace, as the archive controller would, each record written
// -archive-copies times under other names so that the archive grows at the
// national rate while the decider runs on a sample. At the end it times
// the archive's lookups. Nothing is read from or written to Kubernetes.
package main

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

type options struct {
	days, perDay, national, copies, creditors, workers, queries int
	tail                                                        int
	dsn, root                                                   string
	seed                                                        uint64
}

func main() {
	var o options
	flag.IntVar(&o.days, "days", 365, "days on which claims arrive")
	flag.IntVar(&o.tail, "tail", 300, "days the run goes on after the last arrival (the last payments come 275 days after arrival; Surveillance claims never end)")
	flag.IntVar(&o.perDay, "per-day", 270, "claims a day driven through the decider (the sample)")
	flag.IntVar(&o.national, "national", 27000, "claims a day at national volume, for the extrapolation")
	flag.IntVar(&o.copies, "archive-copies", 10, "archive records written per archived sample claim (other names): the archive grows at per-day × copies a day")
	flag.IntVar(&o.creditors, "creditors", 40, "namespaces (creditors); the first takes a third of the claims")
	flag.IntVar(&o.workers, "archive-workers", 4, "parallel archive writers (the archive controller's concurrency)")
	flag.IntVar(&o.queries, "queries", 300, "archive lookups of each kind timed at the end")
	flag.StringVar(&o.dsn, "dsn", "", "PostgreSQL DSN of an empty database (default: a throw-away server started with internal/pgtest)")
	flag.StringVar(&o.root, "root", ".", "the repository (for config/samples)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.Parse()
	if _, err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

// event is a claim's next decision, payment or archiving.
type event struct {
	at   time.Time
	id   int
	kind eventKind
	gen  int // a decide event older than the claim's latest is stale
}

type eventKind int

const (
	decide eventKind = iota
	pay
	archiveIt
)

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].id < q[j].id
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// live is a sample claim in the cluster (or dormant in the archive).
type live struct {
	claim    *inkassov1.Claim
	gen      int
	archived bool // dormant: in the archive, out of the cluster
	pays     bool
}

// stats are what the run reports.
type stats struct {
	claims, decisions, steps, notices, payments int
	decideTime                                  time.Duration
	stepsPerDay                                 []int
	decisionsByHour                             [24]int
	activeMax, active                           int
	activeByDay                                 []int
	phases                                      map[inkassov1.ClaimPhase]int
	claimJSON, claimJSONN                       int
	claimJSONMax                                int
	historyLen                                  int
	rewrites                                    int
	archived                                    atomic.Int64
	putTime                                     atomic.Int64 // ns
	putWall                                     time.Duration
}

func run(ctx context.Context, o options) (*stats, error) {
	policy, err := samplePolicy(o.root)
	if err != nil {
		return nil, err
	}
	debtor, err := sampleDebtor(o.root)
	if err != nil {
		return nil, err
	}
	dsn := o.dsn
	if dsn == "" {
		srv, err := pgtest.Start()
		if err != nil {
			return nil, fmt.Errorf("starting PostgreSQL (or pass -dsn): %w", err)
		}
		defer func() { _ = srv.Stop() }()
		dsn = srv.DSN
	}
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer store.Close()

	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.seed, 2027))
	start := time.Date(2027, 1, 4, 0, 0, 0, 0, oslo)
	st := &stats{phases: map[inkassov1.ClaimPhase]int{}}
	var claims []*live
	q := &queue{}
	ap := archive.Policy{}.WithDefaults()

	// Archive writes go to a pool of writers, as the archive controller's
	// reconciles would; the simulation waits for them at the end.
	type job struct {
		rec  archive.Record
		copy int
	}
	jobs := make(chan job, 1024)
	var wg sync.WaitGroup
	var putErr atomic.Value
	wallStart := time.Now()
	var archiveWall atomic.Int64
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := j.rec
				if j.copy > 0 {
					sfx := fmt.Sprintf("-x%d", j.copy)
					r.UID += sfx
					r.Name += sfx
					r.InvoiceNumber += sfx
				}
				t0 := time.Now()
				if err := store.Put(ctx, r); err != nil {
					putErr.Store(err)
				}
				st.putTime.Add(int64(time.Since(t0)))
				st.archived.Add(1)
				archiveWall.Store(int64(time.Since(wallStart)))
			}
		}()
	}
	sendArchive := func(rec archive.Record) {
		for c := range o.copies {
			jobs <- job{rec: rec, copy: c}
		}
	}

	debtorOf := func(name string) *inkassov1.Debtor {
		d := debtor.DeepCopy()
		d.Name = name
		return d
	}
	schedule := func(l *live, id int, at time.Time) {
		l.gen++
		heap.Push(q, event{at: at, id: id, kind: decide, gen: l.gen})
	}
	lastDay := o.days + o.tail
	for day := 0; day < lastDay; day++ {
		dayStart := time.Date(start.Year(), start.Month(), start.Day()+day, 0, 0, 0, 0, oslo)
		next := time.Date(start.Year(), start.Month(), start.Day()+day+1, 0, 0, 0, 0, oslo)
		if day < o.days {
			for range o.perDay {
				id := len(claims)
				l := &live{claim: newClaim(id, dayStart, rng, o.creditors)}
				// Who pays, and when (days after the claim arrives): a third
				// after the reminder, a quarter in collection, some after
				// the handover to Legal; a sixth never.
				var after int
				switch r := rng.Float64(); {
				case r < 0.35:
					after, l.pays = 3+rng.IntN(14), true
				case r < 0.60:
					after, l.pays = 17+rng.IntN(45), true
				case r < 0.83:
					after, l.pays = 75+rng.IntN(200), true
				}
				claims = append(claims, l)
				st.claims++
				st.active++
				schedule(l, id, dayStart.Add(8*time.Hour))
				if l.pays {
					heap.Push(q, event{at: dayStart.Add(time.Duration(after)*24*time.Hour + 13*time.Hour), id: id, kind: pay})
				}
			}
		}
		steps := 0
		for q.Len() > 0 && (*q)[0].at.Before(next) {
			e := heap.Pop(q).(event)
			l := claims[e.id]
			if l == nil {
				continue
			}
			switch e.kind {
			case pay:
				c := l.claim
				// The debtor pays what is owed today, interest included:
				// the balance of a decision now (not counted; a step is
				// at 09:00, payments come in at 13:00).
				if !c.Status.Phase.Terminal() {
					if _, err := controllers.DecideOffline(c, debtorOf(c.Spec.DebtorRef.Name), policy, e.at); err != nil {
						return nil, err
					}
				}
				if c.Status.Phase.Terminal() || c.Status.Balance == nil || c.Status.Balance.Outstanding == "" || strings.HasPrefix(c.Status.Balance.Outstanding, "0") {
					continue
				}
				c.Spec.Payments = append(c.Spec.Payments, inkassov1.Payment{ID: fmt.Sprintf("bank-%d", e.id), Amount: inkassov1.Amount(c.Status.Balance.Outstanding),
					Date: inkassov1.Date(e.at.Format(time.DateOnly))})
				c.Generation++
				st.payments++
				if l.archived { // a dormant claim paid: it is restored first
					l.archived = false
					st.active++
				}
				schedule(l, e.id, e.at)
				continue
			case archiveIt:
				plan := archive.PlanFor(l.claim, e.at, ap)
				if plan.Kind == "" || e.gen != l.gen || l.archived {
					continue
				}
				rec, err := archive.RecordOf(l.claim, plan.Kind, nil, e.at)
				if err != nil {
					return nil, err
				}
				sendArchive(rec)
				st.active--
				if plan.Kind == archive.KindFinished {
					measure(st, l.claim)
					claims[e.id] = nil
				} else {
					l.archived = true // comes back for its re-check: the decide event stays
				}
				continue
			}
			if e.gen != l.gen {
				continue
			}
			if l.archived { // a dormant claim comes back for its re-check
				l.archived = false
				st.active++
				st.rewrites++
			}
			t0 := time.Now()
			dec, err := controllers.DecideOffline(l.claim, debtorOf(l.claim.Spec.DebtorRef.Name), policy, e.at)
			st.decideTime += time.Since(t0)
			if err != nil {
				return nil, err
			}
			st.decisions++
			st.decisionsByHour[e.at.Hour()]++
			if dec.Record != nil {
				steps++
				st.steps++
				st.notices += len(dec.Record.Notices)
			}
			if dec.Stalled != nil {
				return nil, fmt.Errorf("claim %s stalled: %s: %s", l.claim.Name, dec.Stalled.Reason, dec.Stalled.Message)
			}
			if !dec.Wake.IsZero() {
				schedule(l, e.id, dec.Wake)
			}
			if plan := archive.PlanFor(l.claim, e.at, ap); plan.Kind != "" {
				heap.Push(q, event{at: plan.At, id: e.id, kind: archiveIt, gen: l.gen})
			}
		}
		st.stepsPerDay = append(st.stepsPerDay, steps)
		st.activeByDay = append(st.activeByDay, st.active)
		st.activeMax = max(st.activeMax, st.active)
		if day >= o.days && q.Len() == 0 {
			break
		}
		if day%30 == 0 {
			fmt.Fprintf(os.Stderr, "day %d: %d claims, %d in the cluster, %d decisions, %d archive writes\n", day, st.claims, st.active, st.decisions, st.archived.Load())
		}
	}
	for _, l := range claims {
		if l != nil {
			st.phases[l.claim.Status.Phase]++
		}
	}
	close(jobs)
	wg.Wait()
	st.putWall = time.Duration(archiveWall.Load())
	if err, ok := putErr.Load().(error); ok {
		return nil, fmt.Errorf("archive write: %w", err)
	}
	return st, report(ctx, o, st, store, dsn, rng, time.Since(wallStart))
}

// measure records the size of a finished claim as the cluster would hold
// it (JSON, without managedFields: those are measured on a real apiserver).
func measure(st *stats, c *inkassov1.Claim) {
	st.phases[c.Status.Phase]++
	b, _ := json.Marshal(c)
	st.claimJSON += len(b)
	st.claimJSONN++
	st.claimJSONMax = max(st.claimJSONMax, len(b))
	st.historyLen += len(c.Status.History)
}

// newClaim is claim id, handed over on day's morning: invoiced 24 days
// before, due 10 days before, of 300 to 30,000 NOK.
func newClaim(id int, day time.Time, rng *rand.Rand, creditors int) *inkassov1.Claim {
	ns := 0
	if rng.IntN(3) > 0 {
		ns = 1 + rng.IntN(max(creditors-1, 1))
	}
	return &inkassov1.Claim{
		TypeMeta: metav1.TypeMeta{APIVersion: inkassov1.GroupVersion.String(), Kind: "Claim"},
		ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("creditor-%02d", ns), Name: fmt.Sprintf("inv-%08d", id),
			UID: types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", id)), Generation: 1, CreationTimestamp: metav1.Time{Time: day.Add(8 * time.Hour)}},
		Spec: inkassov1.ClaimSpec{
			DebtorRef:     inkassov1.LocalObjectReference{Name: fmt.Sprintf("d-%08d", id)},
			InvoiceNumber: fmt.Sprintf("%d", 10000000+id),
			InvoiceDate:   inkassov1.Date(day.AddDate(0, 0, -24).Format(time.DateOnly)),
			DueDate:       inkassov1.Date(day.AddDate(0, 0, -10).Format(time.DateOnly)),
			Amount:        inkassov1.Amount(fmt.Sprintf("%d.%02d", 300+rng.IntN(29700), rng.IntN(100))),
			Currency:      "NOK",
		},
	}
}

// samplePolicy is config/samples' kravia-11 without consolidation (a
// claim is collected alone: the debtor controller's cases are not run).
func samplePolicy(root string) (*inkassov1.CollectionPolicy, error) {
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"))
	if err != nil {
		return nil, err
	}
	var p inkassov1.CollectionPolicy
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("the kravia sample policy: %w", err)
	}
	off := false
	p.Spec.Consolidation = &off
	return &p, nil
}

// sampleDebtor is the first Debtor of config/samples (a consumer in Oslo).
func sampleDebtor(root string) (*inkassov1.Debtor, error) {
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "collection_v1alpha1_debtor.yaml"))
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(b), "\n---")
	var d inkassov1.Debtor
	if err := yaml.Unmarshal([]byte(first), &d); err != nil {
		return nil, fmt.Errorf("the sample debtor: %w", err)
	}
	return &d, nil
}

// report prints the figures docs/scale.md quotes.
func report(ctx context.Context, o options, st *stats, store *postgres.Store, dsn string, rng *rand.Rand, wall time.Duration) error {
	p := func(format string, a ...any) { fmt.Printf(format+"\n", a...) }
	factor := float64(o.national) / float64(o.perDay)
	p("# simulate: %d days of %d claims a day through the decider (national %d: × %.0f); archive records × %d", o.days, o.perDay, o.national, factor, o.copies)
	p("wall time %s", wall.Round(time.Second))
	p("claims %d, decisions %d (%.1f per claim), steps %d (%.1f per claim), notices %d, payments %d",
		st.claims, st.decisions, float64(st.decisions)/float64(st.claims), st.steps, float64(st.steps)/float64(st.claims), st.notices, st.payments)
	p("decider: %s for %d decisions = %.0f µs each, %.0f decisions/s on one core",
		st.decideTime.Round(time.Millisecond), st.decisions, float64(st.decideTime.Microseconds())/float64(st.decisions), float64(st.decisions)/st.decideTime.Seconds())
	from := min(180, o.days/2)
	steady := st.stepsPerDay[from:min(len(st.stepsPerDay), o.days)]
	if len(steady) > 0 {
		maxS, sum := 0, 0
		for _, s := range steady {
			maxS, sum = max(maxS, s), sum+s
		}
		p("steps a day from day %d to %d (sample): mean %.0f, max %d → national mean %.0f, max %.0f", from, o.days,
			float64(sum)/float64(len(steady)), maxS, float64(sum)/float64(len(steady))*factor, float64(maxS)*factor)
	}
	p("decisions by hour of day (Oslo): %v", st.decisionsByHour)
	p("claims in the cluster: max %d (sample) → national %.0f; at day %d: %d → %.0f",
		st.activeMax, float64(st.activeMax)*factor, min(o.days, len(st.activeByDay))-1, st.activeByDay[min(o.days, len(st.activeByDay))-1], float64(st.activeByDay[min(o.days, len(st.activeByDay))-1])*factor)
	phases := slices.SortedFunc(func(yield func(inkassov1.ClaimPhase) bool) {
		for k := range st.phases {
			if !yield(k) {
				return
			}
		}
	}, func(a, b inkassov1.ClaimPhase) int { return cmp.Compare(a, b) })
	var ph []string
	for _, k := range phases {
		ph = append(ph, fmt.Sprintf("%s %d", k, st.phases[k]))
	}
	p("end phases (archived as finished, or left at the end): %s", strings.Join(ph, ", "))
	if st.claimJSONN > 0 {
		p("finished claim as JSON without managedFields: mean %d bytes, largest %d, mean history %.1f entries",
			st.claimJSON/st.claimJSONN, st.claimJSONMax, float64(st.historyLen)/float64(st.claimJSONN))
	}
	n := st.archived.Load()
	p("archive writes %d (%d dormant claims woken and written again) in %s of wall time: %.0f writes/s with %d writers, %.2f ms per write",
		n, st.rewrites, st.putWall.Round(time.Second), float64(n)/st.putWall.Seconds(), o.workers, float64(st.putTime.Load())/float64(n)/1e6)

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var rows, bytes, heapBytes int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+postgres.Table).Scan(&rows); err != nil {
		return err
	}
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0), coalesce(sum(pg_relation_size(inhrelid)), 0)
		FROM pg_inherits WHERE inhparent = $1::regclass`, postgres.Table).Scan(&bytes, &heapBytes); err != nil {
		return err
	}
	parts, err := store.Partitions(ctx)
	if err != nil {
		return err
	}
	p("archive: %d rows in %d monthly partitions, %.1f MiB with indexes and TOAST (%.0f bytes a row; table alone %.1f MiB)",
		rows, len(parts), float64(bytes)/(1<<20), float64(bytes)/float64(max(rows, 1)), float64(heapBytes)/(1<<20))

	// Lookups: a sample of the rows, by invoice (what restore does), by
	// name (kubectl inkasso archive get) and a namespace's newest 50
	// (archive list).
	type key struct{ ns, name, inv, debtor string }
	var ks []key
	// A 1 % page sample keeps a national archive's lookup sample cheap; a
	// small archive's sample can come back empty (it samples pages, not
	// rows), and then the first rows do.
	for _, sample := range []string{` TABLESAMPLE SYSTEM (1)`, ``} {
		keys, err := conn.Query(ctx, `SELECT namespace, name, invoice_number, debtor FROM `+postgres.Table+sample+` LIMIT $1`, o.queries)
		if err != nil {
			return err
		}
		for keys.Next() {
			var k key
			if err := keys.Scan(&k.ns, &k.name, &k.inv, &k.debtor); err != nil {
				keys.Close()
				return err
			}
			ks = append(ks, k)
		}
		keys.Close()
		if err := keys.Err(); err != nil {
			return err
		}
		if len(ks) > 0 {
			break
		}
	}
	if len(ks) == 0 {
		return fmt.Errorf("no archive rows to query")
	}
	timeIt := func(what string, f func(k key) error) error {
		var ds []time.Duration
		for i := range o.queries {
			k := ks[i%len(ks)]
			t0 := time.Now()
			if err := f(k); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		p("query %-34s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms (%d)", what, ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]), ms(ds[len(ds)-1]), len(ds))
		return nil
	}
	_ = rng
	if err := timeIt("Find (namespace, invoice, debtor)", func(k key) error {
		r, err := store.Find(ctx, k.ns, k.inv, k.debtor)
		if err == nil && r == nil {
			err = fmt.Errorf("%s/%s not found", k.ns, k.inv)
		}
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("GetByName (namespace, name)", func(k key) error {
		r, err := store.GetByName(ctx, k.ns, k.name)
		if err == nil && r == nil {
			err = fmt.Errorf("%s/%s not found", k.ns, k.name)
		}
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("List (namespace, newest 50)", func(k key) error {
		_, err := store.List(ctx, postgres.ListOptions{Namespace: k.ns, Limit: 50})
		return err
	}); err != nil {
		return err
	}
	return timeIt("Count (namespace)", func(k key) error {
		_, err := store.Count(ctx, k.ns)
		return err
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
