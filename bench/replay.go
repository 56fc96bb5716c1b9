package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// The fair baseline: a raw client replays the manager's own request mix
// (its 2xx writes by verb and resource, their mean body sizes, merge patches
// with the resourceVersion precondition the manager's optimistic lock sends)
// on a fresh control plane, ramping its concurrency until the throughput
// stops rising. Its best rate is the ceiling the operator is measured against.

type replayLevel struct {
	Workers   int     `json:"workers"`
	Writes    int     `json:"writes"` // 2xx
	Conflicts int     `json:"conflicts"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"writesPerSecond"`
	Reads     int     `json:"reads,omitempty"` // GETs made beside the writes, in the manager's proportion
}

type replayResult struct {
	Setup       string         `json:"setup"`
	Mix         map[string]int `json:"mix"`         // the manager's 2xx writes by kind: the replay's shares
	Bodies      map[string]int `json:"bodyBytes"`   // mean body size by kind, as the manager sent them
	NotReplayed map[string]int `json:"notReplayed"` // kinds of the manager's the replay cannot make
	Levels      []replayLevel  `json:"levels"`
	Ceiling     float64        `json:"ceilingWritesPerSecond"`
	BestWorkers int            `json:"bestWorkers"`
	// ObjectBytes is the mean size of the object each kind of the replay's
	// writes met, beside the manager's (Result.ObjectBytes).
	ObjectBytes map[string]int `json:"objectBytes,omitempty"`
	// The same replay on fresh objects first: the ceiling of the load runs
	// (their writes are first steps of fresh claims). Without growth
	// (-replay-history 0) it is the only one, and Ceiling too.
	FreshLevels      []replayLevel  `json:"freshLevels,omitempty"`
	FreshCeiling     float64        `json:"freshCeilingWritesPerSecond,omitempty"`
	FreshWorkers     int            `json:"freshBestWorkers,omitempty"`
	FreshObjectBytes map[string]int `json:"freshObjectBytes,omitempty"`
	// Rising: the best rate was the last level's and 5 % above the one
	// before, so the ceiling is a lower bound (add a level to -replay-workers).
	Rising      bool `json:"stillRising"`
	FreshRising bool `json:"freshStillRising"`
	// Grown objects carry the run's final statuses with their lists cut to
	// these fractions (-replay-history); refused ones stayed fresh.
	ClaimHistory  float64 `json:"claimHistory,omitempty"`
	DebtorHistory float64 `json:"debtorHistory,omitempty"`
	Grown         int     `json:"grown,omitempty"`
	GrowRefused   int     `json:"growRefused"`
}

// loadCeiling is the ceiling the load runs are set against: the replay on
// fresh objects where there was one.
func (r *replayResult) loadCeiling() float64 {
	if r.FreshCeiling > 0 {
		return r.FreshCeiling
	}
	return r.Ceiling
}

// ramp runs the replay at every concurrency of -replay-workers and gives
// the levels, the best rate, its concurrency, and whether the rate was
// still rising at the last level (then the ceiling is a lower bound: add
// a level). Until 2026-12-01 a ramp stopped at the first level that gained
// less than 5 %; on a shared machine one noisy level ended ramps at 8
// workers whose apiserver took 376 writes/s at 32, and a rate climbing 2 to
// 4 % a level looked flat. first numbers the levels (their notices' names).
func (s *replayState) ramp(ctx context.Context, ops []string, workers []int, first int, what string) ([]replayLevel, float64, int, bool, error) {
	var levels []replayLevel
	var rates []float64
	for i, w := range workers {
		lv, err := s.level(ctx, first+i, w, ops)
		if err != nil {
			return levels, 0, 0, false, err
		}
		fmt.Fprintf(os.Stderr, "bench: fair baseline (%s): %d workers: %d writes (and %d reads) in %.1fs: %.1f writes/s (%d conflicts)\n", what, w, lv.Writes, lv.Reads, lv.Seconds, lv.PerSecond, lv.Conflicts)
		levels = append(levels, lv)
		rates = append(rates, lv.PerSecond)
	}
	if len(levels) == 0 {
		return levels, 0, 0, false, nil
	}
	best, at, rising := bestRate(rates)
	return levels, best, levels[at].Workers, rising, nil
}

// bestRate is the highest rate, its index, and whether it is the last one
// and at least 5 % above the one before (the ramp had not stopped rising).
func bestRate(rates []float64) (best float64, at int, rising bool) {
	for i, r := range rates {
		if r > best {
			best, at = r, i
		}
	}
	n := len(rates)
	rising = n > 1 && at == n-1 && rates[n-1] >= 1.05*rates[n-2]
	return best, at, rising
}

// replayKinds are the writes the replay knows how to make.
var replayKinds = map[string]bool{
	"PATCH claims/status": true, "PATCH claims": true,
	"PATCH debtors/status": true, "PATCH debtors": true,
	"POST notices": true, "PATCH notices/status": true, "PATCH notices": true,
	"POST events": true,
}

// replayReads are the GETs the replay knows how to make.
var replayReads = map[string]bool{"GET notices": true, "GET claims": true, "GET debtors": true}

// baseKind drops -patch-fields' " [fields]" from a counter key.
func baseKind(k string) string {
	if i := strings.Index(k, " ["); i >= 0 {
		return k[:i]
	}
	return k
}

func replayRun(ctx context.Context, c config, root string, res *Result, sample *inkassov1.Notice, g grownStatuses) error {
	rr := &replayResult{Setup: "a fresh control plane started after the manager's run (the first one stopped), with the same namespace, policy, channels, debtors and claims",
		Mix: map[string]int{}, Bodies: map[string]int{}, NotReplayed: map[string]int{}}
	res.Replay = rr
	bytes := map[string]int64{}
	for k, n := range res.ManagerWrites {
		if strings.Contains(k, "(") {
			continue // not 2xx: only useful writes are replayed
		}
		b := baseKind(k)
		if !replayKinds[b] {
			rr.NotReplayed[b] += n
			continue
		}
		rr.Mix[b] += n
		bytes[b] += int64(res.WriteBytes[k]) * int64(n)
	}
	for k, n := range rr.Mix {
		rr.Bodies[k] = int(bytes[k] / int64(n))
	}
	// The manager's GETs by name (a channel reads the whole notice from the
	// API before it sends) are part of its mix: replayed in proportion,
	// though only writes count toward the ceiling.
	writesInMix := 0
	for _, n := range rr.Mix {
		writesInMix += n
	}
	readsInMix := 0
	for k, n := range res.ManagerReads {
		if !replayReads[k] {
			rr.NotReplayed[k] += n
			continue
		}
		rr.Mix[k] += n
		readsInMix += n
	}
	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return err
	}
	defer env.Stop()
	fmt.Fprintf(os.Stderr, "bench: fair baseline: fresh control plane, creating %d claims over %d debtors...\n", c.claims, c.debtors)
	if err := populate(ctx, k8s, root, c, false); err != nil {
		return err
	}
	if !c.replayNoWatch {
		// The manager's watches are part of its request mix: every write it
		// makes is also encoded and sent to its informers (and decoded there,
		// on the same cores). The replay keeps the same informers open.
		stop, err := watchLikeTheManager(ctx, cfg)
		if err != nil {
			return fmt.Errorf("the replay's informers: %w", err)
		}
		defer stop()
		rr.Setup += "; the manager's informers (claims, debtors, notices, policies, channels, with its cache transforms and indexes) watching throughout"
	} else {
		rr.Setup += "; no informers watching (-replay-no-watch)"
	}
	var claims inkassov1.ClaimList
	var debtors inkassov1.DebtorList
	if err := k8s.List(ctx, &claims, client.InNamespace("bench")); err != nil {
		return err
	}
	if err := k8s.List(ctx, &debtors, client.InNamespace("bench")); err != nil {
		return err
	}
	// The replay's own client counts the size of the objects its writes
	// meet, to set beside the manager's.
	measured := &counter{n: map[string]int{}}
	rcfg := rest.CopyConfig(cfg)
	rcfg.QPS, rcfg.Burst = float32(c.qps), int(2*c.qps)
	rcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return measured.wrap(rt) })
	rk8s, err := client.New(rcfg, client.Options{Scheme: benchScheme})
	if err != nil {
		return err
	}
	st := &replayState{k: rk8s, sample: sample, bodies: rr.Bodies, rv: map[string]string{}}
	for i := range claims.Items {
		st.claims = append(st.claims, claims.Items[i].Name)
		st.rv["claims/"+claims.Items[i].Name] = claims.Items[i].ResourceVersion
	}
	for i := range debtors.Items {
		st.debtors = append(st.debtors, debtors.Items[i].Name)
		st.rv["debtors/"+debtors.Items[i].Name] = debtors.Items[i].ResourceVersion
	}
	ops := mixOps(rr.Mix, c.replayWrites*(writesInMix+readsInMix)/max(writesInMix, 1))

	// First on fresh objects: the ceiling of the load runs, whose writes
	// are first steps of fresh claims.
	if rr.FreshLevels, rr.FreshCeiling, rr.FreshWorkers, rr.FreshRising, err = st.ramp(ctx, ops, c.replayWorkers, 0, "fresh objects"); err != nil {
		return err
	}
	rr.FreshObjectBytes = measured.meanObjectBytes()
	best := rr.FreshCeiling
	rr.Levels, rr.BestWorkers, rr.ObjectBytes, rr.Rising = rr.FreshLevels, rr.FreshWorkers, rr.FreshObjectBytes, rr.FreshRising
	if c.replayHistory != 0 {
		// Then on objects of the size the manager's writes met: the
		// ceiling of the saturated run.
		fc, fd := c.replayHistory, c.replayHistory
		if c.replayHistory < 0 {
			fc = matchFraction(claimSizer(claims.Items, g, rr.FreshObjectBytes["PATCH claims/status"]), res.ObjectBytes["PATCH claims/status"])
			fd = matchFraction(debtorSizer(debtors.Items, g, rr.FreshObjectBytes["PATCH debtors/status"]), res.ObjectBytes["PATCH debtors/status"])
		}
		grown, refused, first, err := grow(ctx, k8s, g, fc, fd, st)
		if err != nil {
			return fmt.Errorf("growing the replay's objects: %w", err)
		}
		rr.ClaimHistory, rr.DebtorHistory, rr.Grown, rr.GrowRefused = fc, fd, grown, refused
		rr.Setup += fmt.Sprintf("; then the claims and debtors given the run's final statuses with their lists cut to %.2f and %.2f (%d grown, %d refused)", fc, fd, grown, refused)
		fmt.Fprintf(os.Stderr, "bench: fair baseline: %d claims and debtors grown to the run's statuses, lists cut to %.2f (claims) and %.2f (debtors), %d refused\n", grown, fc, fd, refused)
		if first != nil {
			fmt.Fprintf(os.Stderr, "bench: fair baseline: first refusal: %v\n", first)
		}
		if grown == 0 {
			// A second ramp on fresh objects would pass for the grown one.
			return fmt.Errorf("growing the replay's objects: none grew (%d refused; first: %v)", refused, first)
		}
		measured.reset()
		if rr.Levels, best, rr.BestWorkers, rr.Rising, err = st.ramp(ctx, ops, c.replayWorkers, len(c.replayWorkers), "grown objects"); err != nil {
			return err
		}
		rr.ObjectBytes = measured.meanObjectBytes()
	}
	rr.Ceiling = best
	if best > 0 {
		res.FairRatio = res.UsefulPerSecond / best
		res.FairRatioBusy = res.UsefulPerSecondBusy / best
	}
	return nil
}

// mixOps is n request kinds in the mix's proportions, interleaved at random
// (a fixed seed: every run replays the same sequence).
func mixOps(mix map[string]int, n int) []string {
	total := 0
	var kinds []string
	for k, v := range mix {
		total += v
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var ops []string
	for _, k := range kinds {
		for range int(float64(mix[k]) / float64(total) * float64(n)) {
			ops = append(ops, k)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	return ops
}

type replayState struct {
	k               client.Client
	sample          *inkassov1.Notice
	bodies          map[string]int
	claims, debtors []string
	mu              sync.Mutex
	rv              map[string]string // resource/name -> resourceVersion, from the replay's own responses
}

func (s *replayState) getRV(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rv[key]
}

func (s *replayState) setRV(key, rv string) {
	s.mu.Lock()
	s.rv[key] = rv
	s.mu.Unlock()
}

// level runs ops with w workers. Each worker owns every w-th claim and
// debtor and the notices it creates, so its preconditions hold: a conflict
// would be the replay's own bug, and is counted.
func (s *replayState) level(ctx context.Context, li, w int, ops []string) (replayLevel, error) {
	lv := replayLevel{Workers: w}
	// Each worker's first notice, to patch before it has created one.
	pool := make([][]string, w)
	for i := range w {
		name := fmt.Sprintf("replay-%d-%d-pool", li, i)
		if err := s.createNotice(ctx, name); err != nil {
			return lv, err
		}
		pool[i] = []string{name}
	}
	var next atomic.Int64
	var ok, conflicts, reads atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine struct{ claim, debtor, created, patched int }
			notices := pool[i]
			for {
				j := int(next.Add(1)) - 1
				if j >= len(ops) || firstErr.Load() != nil {
					return
				}
				var err error
				switch op := ops[j]; op {
				case "PATCH claims/status", "PATCH claims":
					idx := i + w*mine.claim
					if idx >= len(s.claims) {
						mine.claim, idx = 0, i
					}
					mine.claim++
					name := s.claims[idx%len(s.claims)]
					err = s.patch(ctx, &inkassov1.Claim{}, "claims", name, op, j)
				case "PATCH debtors/status", "PATCH debtors":
					idx := i + w*mine.debtor
					if idx >= len(s.debtors) {
						mine.debtor, idx = 0, i
					}
					mine.debtor++
					name := s.debtors[idx%len(s.debtors)]
					err = s.patch(ctx, &inkassov1.Debtor{}, "debtors", name, op, j)
				case "POST notices":
					name := fmt.Sprintf("replay-%d-%d-%d", li, i, mine.created)
					mine.created++
					if err = s.createNotice(ctx, name); err == nil {
						notices = append(notices, name)
					}
				case "PATCH notices/status", "PATCH notices":
					name := notices[min(mine.patched, len(notices)-1)]
					mine.patched++
					err = s.patch(ctx, &inkassov1.Notice{}, "notices", name, op, j)
				case "POST events":
					err = s.event(ctx, s.claims[(i+j)%len(s.claims)], j)
				case "GET notices":
					err = s.k.Get(ctx, client.ObjectKey{Namespace: "bench", Name: notices[j%len(notices)]}, &inkassov1.Notice{})
				case "GET claims":
					err = s.k.Get(ctx, client.ObjectKey{Namespace: "bench", Name: s.claims[j%len(s.claims)]}, &inkassov1.Claim{})
				case "GET debtors":
					err = s.k.Get(ctx, client.ObjectKey{Namespace: "bench", Name: s.debtors[j%len(s.debtors)]}, &inkassov1.Debtor{})
				}
				switch {
				case err == nil && strings.HasPrefix(ops[j], "GET "):
					reads.Add(1)
				case err == nil:
					ok.Add(1)
				case apierrors.IsConflict(err):
					conflicts.Add(1)
				default:
					firstErr.CompareAndSwap(nil, fmt.Errorf("%s: %w", ops[j], err))
					return
				}
			}
		}()
	}
	wg.Wait()
	lv.Seconds = time.Since(t0).Seconds()
	if err, isErr := firstErr.Load().(error); isErr {
		return lv, err
	}
	lv.Writes, lv.Conflicts, lv.Reads = int(ok.Load()), int(conflicts.Load()), int(reads.Load())
	lv.PerSecond = float64(lv.Writes) / lv.Seconds
	return lv, nil
}

// pad is a string that brings a body of skeleton bytes to want bytes.
func pad(want, skeleton, limit int) string {
	return strings.Repeat("x", max(0, min(want-skeleton, limit)))
}

// patch sends a merge patch with the object's resourceVersion as a
// precondition: to status, a Ready condition whose message gives the body
// the manager's mean size; to the object, an annotation of that size.
func (s *replayState) patch(ctx context.Context, obj client.Object, resource, name, op string, j int) error {
	key := resource + "/" + name
	obj.SetNamespace("bench")
	obj.SetName(name)
	status := strings.HasSuffix(op, "/status")
	var body string
	if status {
		skel := fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"status":{"conditions":[{"type":"Ready","status":"True","reason":"Replay","message":"","lastTransitionTime":"2026-01-14T00:00:00Z","observedGeneration":1}]}}`, s.getRV(key))
		msg := strconv.Itoa(j) + pad(s.bodies[op], len(skel)+len(strconv.Itoa(j)), 32000)
		body = strings.Replace(skel, `"message":""`, `"message":`+strconv.Quote(msg), 1)
	} else {
		skel := fmt.Sprintf(`{"metadata":{"resourceVersion":%q,"annotations":{"bench.inkasso.dev/replay":""}}}`, s.getRV(key))
		v := strconv.Itoa(j) + pad(s.bodies[op], len(skel)+len(strconv.Itoa(j)), 32000)
		body = strings.Replace(skel, `"bench.inkasso.dev/replay":""`, `"bench.inkasso.dev/replay":`+strconv.Quote(v), 1)
	}
	p := client.RawPatch(types.MergePatchType, []byte(body))
	var err error
	if status {
		err = s.k.Status().Patch(ctx, obj, p)
	} else {
		err = s.k.Patch(ctx, obj, p)
	}
	if err == nil {
		s.setRV(key, obj.GetResourceVersion())
	}
	return err
}

func (s *replayState) createNotice(ctx context.Context, name string) error {
	n := &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name, Labels: s.sample.Labels}, Spec: s.sample.Spec}
	if err := s.k.Create(ctx, n); err != nil {
		return err
	}
	s.setRV("notices/"+name, n.ResourceVersion)
	return nil
}

// event creates an events.k8s.io/v1 Event on a claim, as the manager's
// recorder does, its note sized to the manager's mean (at most 1 kB, the API's limit).
func (s *replayState) event(ctx context.Context, claim string, j int) error {
	e := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("replay.%d.%d", time.Now().UnixNano(), j)},
		EventTime: metav1.NewMicroTime(time.Now()), ReportingController: "inkasso.dev/replay", ReportingInstance: "bench",
		Action: "Replay", Reason: "StepCompleted", Type: "Normal",
		Regarding: corev1.ObjectReference{APIVersion: inkassov1.GroupVersion.String(), Kind: "Claim", Namespace: "bench", Name: claim}}
	e.Note = pad(s.bodies["POST events"], 350, 1000)
	return s.k.Create(ctx, e)
}

// sampleNotice is one of the manager's notices, as it created it: the
// replay creates copies of it.
func sampleNotice(ctx context.Context, k client.Client) (*inkassov1.Notice, error) {
	var list inkassov1.NoticeList
	if err := k.List(ctx, &list, client.InNamespace("bench"), client.Limit(50)); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("the run made no notice to replay")
	}
	n := list.Items[len(list.Items)-1]
	return &n, nil
}

// cachedSize is what the manager's cache holds, serialized.
type cachedSize struct {
	Objects map[string]int   `json:"objects"`
	Bytes   map[string]int64 `json:"jsonBytes"` // by kind, as cached (after the cache's transforms)
	Total   int64            `json:"totalJSONBytes"`
}

func cachedSizes(ctx context.Context, c cache.Cache) (*cachedSize, error) {
	out := &cachedSize{Objects: map[string]int{}, Bytes: map[string]int64{}}
	for kind, list := range map[string]client.ObjectList{
		"claims": &inkassov1.ClaimList{}, "debtors": &inkassov1.DebtorList{}, "notices": &inkassov1.NoticeList{},
		"policies": &inkassov1.CollectionPolicyList{}, "channels": &inkassov1.NoticeChannelList{},
	} {
		if err := c.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing cached %s: %w", kind, err)
		}
		b, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		var items struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(b, &items)
		for _, it := range items.Items {
			out.Bytes[kind] += int64(len(it))
		}
		out.Objects[kind] = len(items.Items)
		out.Total += out.Bytes[kind]
	}
	return out, nil
}

type restartResult struct {
	SyncSeconds  float64 `json:"syncSeconds"`
	HeapPerClaim float64 `json:"heapBytesPerClaim"`
	HeapBytes    int64   `json:"heapBytes"`
}

// restartCache fills a new cache, as the manager configures it (its
// transforms and indexes), with everything the run left, and measures how
// long the list takes and the heap it holds per claim. It runs in a process
// of its own (this binary again, restartProbeEnv set): in this one the
// run's manager, stopping, gives back memory while the new cache fills,
// and that was being subtracted from the new cache's heap.
func restartCache(ctx context.Context, cfg *rest.Config, claims int, heapProfile string) (*restartResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	conn, err := os.CreateTemp("", "bench-restart-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(conn.Name())
	if err := json.NewEncoder(conn).Encode(probeConn{Host: cfg.Host, CAData: cfg.CAData, CertData: cfg.CertData,
		KeyData: cfg.KeyData, BearerToken: cfg.BearerToken}); err != nil {
		return nil, err
	}
	conn.Close()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), restartProbeEnv+"="+conn.Name(), restartProbeHeapEnv+"="+heapProfile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("the restart probe: %w", err)
	}
	var p probeResult
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("the restart probe's answer %q: %w", out, err)
	}
	return &restartResult{SyncSeconds: p.SyncSeconds, HeapPerClaim: float64(p.HeapBytes) / float64(claims), HeapBytes: p.HeapBytes}, nil
}

// restartProbeEnv names the connection file of a restart probe: set, this
// binary is the probe (restartProbe), not the bench.
const restartProbeEnv = "INKASSO_BENCH_RESTART_PROBE"

// restartProbeHeapEnv, when not empty, is where the probe writes the heap
// profile of its cache (-apiserver-profile's file with .restart.heap).
const restartProbeHeapEnv = "INKASSO_BENCH_RESTART_PROBE_HEAP"

type probeConn struct {
	Host                      string
	CAData, CertData, KeyData []byte
	BearerToken               string
}

type probeResult struct {
	SyncSeconds float64 `json:"syncSeconds"`
	HeapBytes   int64   `json:"heapBytes"`
}

// restartProbe is the process restartCache starts: it fills the manager's
// cache and prints how long that took and the live heap it added.
func restartProbe(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var pc probeConn
	if err := json.Unmarshal(b, &pc); err != nil {
		return err
	}
	cfg := &rest.Config{Host: pc.Host, BearerToken: pc.BearerToken, QPS: 1000, Burst: 2000,
		TLSClientConfig: rest.TLSClientConfig{CAData: pc.CAData, CertData: pc.CertData, KeyData: pc.KeyData}}
	ctx := context.Background()
	heapFile := os.Getenv(restartProbeHeapEnv)
	if heapFile != "" {
		runtime.MemProfileRate = 4096
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	opts := controllers.CacheOptions(nil)
	opts.Scheme = benchScheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return err
	}
	// The manager's indexes too: they are part of what it caches.
	if err := controllers.SetupIndexes(ctx, c); err != nil {
		return err
	}
	for _, o := range []client.Object{&inkassov1.Claim{}, &inkassov1.Debtor{}, &inkassov1.Notice{}, &inkassov1.CollectionPolicy{}, &inkassov1.NoticeChannel{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			return err
		}
	}
	t0 := time.Now()
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the restart cache did not sync")
	}
	sync := time.Since(t0).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if heapFile != "" {
		if f, err := os.Create(heapFile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	runtime.KeepAlive(c)
	return json.NewEncoder(os.Stdout).Encode(probeResult{SyncSeconds: sync, HeapBytes: int64(after.HeapAlloc) - int64(before.HeapAlloc)})
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func floatList(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x <= 0 || x > 1 {
			return nil, fmt.Errorf("%q is not a fraction in (0, 1]", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// watchLikeTheManager starts a cache configured as the manager's, with its
// informers, and returns its stop.
func watchLikeTheManager(ctx context.Context, cfg *rest.Config) (func(), error) {
	opts := controllers.CacheOptions(nil)
	opts.Scheme = benchScheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := controllers.SetupIndexes(ctx, c); err != nil {
		return nil, err
	}
	for _, o := range []client.Object{&inkassov1.Claim{}, &inkassov1.Debtor{}, &inkassov1.Notice{}, &inkassov1.CollectionPolicy{}, &inkassov1.NoticeChannel{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { _ = c.Start(cctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, fmt.Errorf("the cache did not sync")
	}
	return cancel, nil
}
