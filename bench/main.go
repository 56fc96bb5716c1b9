// Command bench measures the operator against a real local control plane:
// it creates debtors and claims, runs the manager in process on an
// accelerated clock through the whole Norwegian policy, and reports step
// throughput against a raw client's write rate, apiserver writes per step,
// memory per cached claim and step lateness, as JSON, a table and a PNG.
//
//	go run . -claims 5000 -debtors 2000        (make bench)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/go-logr/logr"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

type config struct {
	claims, debtors, concurrency int
	scale                        float64
	qps                          float64
	rawWrites, rawWorkers        int
	baselineOnly, patchFields    bool
	noFsync                      bool
	profile, gogc, memLimit      string
	out                          string
	timeout                      time.Duration
	replayWrites                 int
	replayWorkers                []int
	noReplay, replayNoWatch      bool
	replayHistory                float64 // the fraction of the run's final lists the replay's objects carry (grow.go)
	ceiling, ceilingPerStep      float64 // -load-ceiling: load runs only, against a ceiling measured before
	loads                        []float64
	loadClaims                   int
	stall                        time.Duration
	exact                        bool // -replay-exact (exact.go)
	exactWorkers                 []int
	untilSteps                   int    // end the run when every claim has this many steps (0: the whole policy)
	memoryLimit                  string // run the manager under this memory limit, as the chart's pod (memlimit.go)
	// -archive (archive.go)
	archive, watchCache                bool
	arrival, archiveGrace, archiveTail time.Duration
	compaction, eventTTL, sampleEvery  time.Duration
	etcdDataDir                        string // set by -watch-cache: etcd's data outlives its control plane
}

func main() {
	if path := os.Getenv(restartProbeEnv); path != "" {
		logf.SetLogger(logr.Discard())
		if err := restartProbe(path); err != nil {
			fmt.Fprintln(os.Stderr, "bench: restart probe:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.IntVar(&c.claims, "claims", 5000, "claims to create")
	flag.IntVar(&c.debtors, "debtors", 2000, "debtors to spread them over (half get one claim, the rest share the others)")
	flag.IntVar(&c.concurrency, "concurrency", 8, "claim reconcilers in parallel, and the raw client's workers")
	flag.Float64Var(&c.scale, "scale", 40000, "the operator's clock runs this many times faster than real time")
	flag.Float64Var(&c.qps, "qps", 1000, "the manager's client QPS (burst twice that)")
	flag.IntVar(&c.rawWrites, "raw-writes", 5000, "writes of the raw-client baseline (at most the manager's count)")
	flag.StringVar(&c.out, "out", "results", "directory for the JSON, table and PNG")
	flag.BoolVar(&c.baselineOnly, "baseline-only", false, "create the objects and measure only the raw client (for tuning the control plane)")
	flag.IntVar(&c.rawWorkers, "raw-workers", 0, "the raw client's workers (default: -concurrency)")
	flag.BoolVar(&c.patchFields, "patch-fields", false, "split the PATCH counts by the status fields they change and events by reason (diagnosis; BENCH_DUMP=substring prints the first bodies of matching requests)")
	flag.BoolVar(&c.noFsync, "etcd-unsafe-no-fsync", false, "run etcd without fsync (throw-away data; takes the disk out of the measurement)")
	flag.StringVar(&c.profile, "apiserver-profile", "", "write a 30 s CPU profile of kube-apiserver, taken 30 s into the run, to this file, the bench process's (the manager's) over the whole run to this file.manager, and its live heap at the end to this file.heap (go tool pprof)")
	flag.StringVar(&c.gogc, "control-plane-gogc", "off", "GOGC of kube-apiserver and etcd (Go's default is 100, at which the apiserver spends a quarter of its CPU in GC here); empty leaves it")
	flag.StringVar(&c.memLimit, "control-plane-memlimit", "6GiB", "GOMEMLIMIT of kube-apiserver and etcd: with GOGC=off they collect garbage only near this heap size")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long (a safety net: the run time is a result, reported, not a limit)")
	flag.IntVar(&c.replayWrites, "replay-writes", 3000, "writes of the fair baseline at each concurrency (it replays the manager's 2xx request mix on a fresh control plane)")
	flag.Float64Var(&c.replayHistory, "replay-history", -1, "after a ramp on fresh objects (the load runs' ceiling), the fair baseline's claims and debtors take the run's final statuses with their lists (history, ledger, cases) cut to this fraction and ramp again (the saturated run's ceiling); -1: the fraction whose objects are nearest the mean size the manager's status writes met; 0: fresh objects only (before 2026-12-01)")
	flag.BoolVar(&c.replayNoWatch, "replay-no-watch", false, "the fair baseline without the manager's informers watching (before 2026-12-01 it had none)")
	workers := flag.String("replay-workers", "4,8,16,32,64", "concurrency levels of the fair baseline, every one run; the best is the ceiling, flagged as a lower bound when the last level was still 5 % above the one before")
	flag.BoolVar(&c.exact, "replay-exact", true, "the fair baseline replays the manager's own recorded requests, bodies as sent, in order per object, on a fresh control plane per level (its ceiling is the fair ratio's); false: the synthetic mix alone (before 2026-12-01)")
	exactWorkers := flag.String("exact-workers", "8,16,32,64", "concurrency levels of the exact replay, each on a fresh control plane")
	flag.BoolVar(&c.noReplay, "no-replay", false, "skip the fair baseline (and the load runs, which need its ceiling)")
	loads := flag.String("load", "", "fractions of the replay ceiling (e.g. 0.25,0.5,0.8): for each, a fresh control plane where the claims' first step falls due spread over a 12 h stepWindow at that rate; reports step lateness below saturation")
	flag.Float64Var(&c.ceiling, "load-ceiling", 0, "run only the -load runs, against this replay ceiling (writes/s) measured by an earlier run, instead of the saturated run and the replay: its replay.freshCeilingWritesPerSecond (the load runs' claims are fresh), not the grown ceilingWritesPerSecond")
	flag.Float64Var(&c.ceilingPerStep, "load-writes-per-step", 4.0, "with -load-ceiling: the useful writes per claim step (events included) of that earlier run, which turn the ceiling into steps/s")
	flag.IntVar(&c.loadClaims, "load-claims", 0, "claims of each load run (default: -claims)")
	flag.DurationVar(&c.stall, "stall", 3*time.Minute, "give up when no further claim has finished the policy for this long (a notice that missed its delivery deadline on a slow machine stalls its claim); lists the unfinished claims")
	flag.BoolVar(&c.archive, "archive", false, "the archive run instead of the throughput run: claims arrive evenly over -arrival, the manager runs with the claim archive (a throw-away PostgreSQL 15) and the 168h notice TTL, and etcd's size, the objects in the cluster, the archive's rows and kube-apiserver's memory are sampled (docs/scale.md)")
	flag.DurationVar(&c.arrival, "arrival", 8*time.Minute, "-archive: wall time over which the claims arrive")
	flag.DurationVar(&c.archiveGrace, "archive-grace", 7*24*time.Hour, "-archive: operator time a finished or dormant claim stays before it is archived (the manager's --archive-grace)")
	flag.DurationVar(&c.archiveTail, "archive-tail", time.Minute, "-archive: wall time the run goes on after every claim has been archived once")
	flag.DurationVar(&c.compaction, "etcd-compaction-interval", 0, "kube-apiserver's --etcd-compaction-interval (its default 5m when 0; -archive: 30s unless set)")
	flag.DurationVar(&c.eventTTL, "event-ttl", 0, "kube-apiserver's --event-ttl (its default 1h when 0; -archive: 1m unless set, the run being minutes of wall time)")
	flag.DurationVar(&c.sampleEvery, "sample", 5*time.Second, "-archive: how often etcd, the cluster, the archive and kube-apiserver's memory are sampled")
	flag.IntVar(&c.untilSteps, "until-steps", 0, "end the run when every claim has taken this many steps (0: when every claim has finished the policy); with a -scale low enough that no claim's next step falls due within the run, every claim is then at the same step")
	flag.StringVar(&c.memoryLimit, "memory-limit", "", "run the manager under this memory limit (a quantity, e.g. 3Gi), as the chart's pod: a memory cgroup of its own where the bench may make one, and Go's soft limit at 0.9 of it; the run fails if the kernel kills it")
	flag.BoolVar(&c.watchCache, "watch-cache", false, "after the run, copy its claims, notices and debtors into a fresh control plane and measure kube-apiserver's live heap per stored byte there, idle (docs/scale.md)")
	flag.Parse()
	if c.profile != "" {
		// A heap profile fine enough to split a few kilobytes per claim by
		// allocation site (the default samples one allocation per 512 KB).
		runtime.MemProfileRate = 4096
	}
	if c.archive {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["etcd-compaction-interval"] {
			c.compaction = 30 * time.Second
		}
		if !set["event-ttl"] {
			c.eventTTL = time.Minute
		}
		// The apiserver's memory is measured: Go's default collector, as in
		// production, not the throughput run's GOGC=off.
		if !set["control-plane-gogc"] {
			c.gogc = "100"
		}
		if !set["scale"] {
			c.scale = 100000
		}
		if !set["claims"] {
			c.claims = 1500
		}
		if !set["debtors"] {
			c.debtors = 400
		}
	}
	var err error
	if c.replayWorkers, err = intList(*workers); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -replay-workers:", err)
		os.Exit(2)
	}
	if c.exactWorkers, err = intList(*exactWorkers); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -exact-workers:", err)
		os.Exit(2)
	}
	if c.loads, err = floatList(*loads); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -load:", err)
		os.Exit(2)
	}
	if c.loadClaims == 0 {
		c.loadClaims = c.claims
	}
	logf.SetLogger(logr.Discard()) // the manager's log is not what is measured
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// counter counts the apiserver requests of one client by verb and resource.
type counter struct {
	mu    sync.Mutex
	n     map[string]int
	reads map[string]int   // GETs of one object by name ("GET notices"), 2xx; informers' lists and watches are not counted
	bytes map[string]int64 // request body bytes by kind (2xx only), for the replay's body sizes
	// objBytes are the response bytes of 2xx writes by kind (without
	// -patch-fields' split) and objN the responses they were read from: the
	// object as the apiserver stored it, which it decoded, patched,
	// validated and encoded (its cost grows with the object, not with the
	// patch).
	objBytes map[string]int64
	objN     map[string]int
	fields   bool      // split PATCHes by the status fields they change, events by reason
	rec      *recorder // -replay-exact: every 2xx write and GET by name, as sent (exact.go)
	dumped   int       // request bodies printed for BENCH_DUMP
}

var eventCodec = func() k8sruntime.Decoder {
	sch := k8sruntime.NewScheme()
	utilruntime.Must(eventsv1.AddToScheme(sch))
	return protobuf.NewSerializer(sch, sch)
}()

// eventReason names the reason of an event being created.
func eventReason(r *http.Request) string {
	body, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		return ""
	}
	// client-go sends built-in kinds as protobuf.
	obj, _, err := eventCodec.Decode(data, nil, nil)
	if e, ok := obj.(*eventsv1.Event); err == nil && ok {
		return " [" + e.Reason + "]"
	}
	var e struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal(data, &e) != nil {
		return ""
	}
	return " [" + e.Reason + "]"
}

// patchedFields names the top-level status fields a merge patch changes,
// to find which part of the status is written more often than it should.
func patchedFields(r *http.Request) string {
	body, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer body.Close()
	var p struct {
		Status map[string]json.RawMessage `json:"status"`
	}
	if json.NewDecoder(body).Decode(&p) != nil || len(p.Status) == 0 {
		return ""
	}
	var keys []string
	for k := range p.Status {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return " [" + strings.Join(keys, ",") + "]"
}

func (c *counter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var fields string
		if c.fields && r.GetBody != nil {
			switch {
			case r.Method == "PATCH":
				fields = patchedFields(r)
			case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/events"):
				fields = eventReason(r)
			}
			if dump := os.Getenv("BENCH_DUMP"); dump != "" && strings.Contains(r.Method+" "+resourceOf(r.URL.Path)+fields, dump) {
				c.mu.Lock()
				if c.dumped < dumpMax() {
					c.dumped++
					if b, err := r.GetBody(); err == nil {
						body, _ := io.ReadAll(b)
						fmt.Fprintf(os.Stderr, "bench: %s %s\n%s\n", r.Method, r.URL.Path, body)
					}
				}
				c.mu.Unlock()
			}
		}
		var recBody []byte
		_, named := namedResource(r.URL.Path)
		recording := c.rec != nil && (r.Method != "GET" || named)
		if recording {
			recBody = requestBody(r)
		}
		resp, err := rt.RoundTrip(r)
		if recording && err == nil && resp.StatusCode < 300 {
			rec := record{method: r.Method, path: r.URL.RequestURI(), contentType: r.Header.Get("Content-Type"), accept: r.Header.Get("Accept"), body: recBody}
			resp.Body = &rvBody{ReadCloser: resp.Body, proto: isProtobuf(resp.Header.Get("Content-Type")), done: func(rv uint64) {
				rec.rv = rv
				c.rec.add(rec)
			}}
		}
		if r.Method == "GET" {
			if res, named := namedResource(r.URL.Path); named && err == nil && resp.StatusCode < 300 {
				c.mu.Lock()
				if c.reads == nil {
					c.reads = map[string]int{}
				}
				c.reads["GET "+res]++
				c.mu.Unlock()
			}
		} else {
			key := r.Method + " " + resourceOf(r.URL.Path) + fields
			if err == nil && resp.StatusCode >= 400 {
				key += fmt.Sprintf(" (%d)", resp.StatusCode)
			}
			c.mu.Lock()
			c.n[key]++
			if err == nil && resp.StatusCode < 300 && r.ContentLength > 0 {
				if c.bytes == nil {
					c.bytes = map[string]int64{}
				}
				c.bytes[key] += r.ContentLength
			}
			c.mu.Unlock()
			// A metadata-only answer (the status writes, pkg/statuspatch)
			// says nothing of the object's size.
			if err == nil && resp.StatusCode < 300 && !metadataOnly(r.Header.Get("Accept")) {
				resp.Body = &countingBody{ReadCloser: resp.Body, done: func(n int64) {
					c.mu.Lock()
					if c.objBytes == nil {
						c.objBytes, c.objN = map[string]int64{}, map[string]int{}
					}
					c.objBytes[baseKind(key)] += n
					c.objN[baseKind(key)]++
					c.mu.Unlock()
				}}
			}
		}
		return resp, err
	})
}

// countingBody counts a response body's bytes as they are read and reports
// them once, when it is closed.
type countingBody struct {
	io.ReadCloser
	n    int64
	done func(int64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error {
	if b.done != nil {
		b.done(b.n)
		b.done = nil
	}
	return b.ReadCloser.Close()
}

// meanObjectBytes is the mean response size of each kind of 2xx write: the
// size of the object the write met.
func (c *counter) meanObjectBytes() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return meanOf(c.objBytes, c.objN)
}

// meanBytes is the mean body size of each request kind's 2xx requests.
func (c *counter) meanBytes() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return meanOf(c.bytes, c.n)
}

// meanOf divides each kind's byte total by its count.
func meanOf(bytes map[string]int64, n map[string]int) map[string]int {
	out := map[string]int{}
	for k, b := range bytes {
		if n[k] > 0 {
			out[k] = int(b / int64(n[k]))
		}
	}
	return out
}

// reset forgets what was counted, to measure a new phase with the same client.
func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.reads, c.bytes, c.objBytes, c.objN = map[string]int{}, nil, nil, nil, nil
}

// useful is the count of 2xx writes so far.
func (c *counter) useful() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.n {
		if !strings.Contains(k, "(") {
			n += v
		}
	}
	return n
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// namedResource is the resource of a request for one named object in a
// namespace (/apis/g/v/namespaces/ns/notices/x: notices, true); a list or
// watch of a collection is not named.
func namedResource(path string) (string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if p == "namespaces" && i+3 < len(parts) {
			return parts[i+2], true
		}
	}
	return "", false
}

func (c *counter) readSnapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.reads {
		out[k] = v
	}
	return out
}

// resourceOf turns /apis/g/v/namespaces/ns/claims/x/status into claims/status.
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if p == "namespaces" && i+2 < len(parts) {
			rest := parts[i+2:]
			if len(rest) >= 3 {
				return rest[0] + "/" + rest[2]
			}
			return rest[0]
		}
	}
	if len(parts) > 0 {
		return parts[len(parts)-1]
	}
	return path
}

type sample struct {
	At      float64 `json:"t"`       // seconds since the manager started
	Steps   int     `json:"steps"`   // claim steps recorded so far
	LateP50 float64 `json:"lateP50"` // lateness (s) of steps recorded in this interval
	LateMax float64 `json:"lateMax"`
	Useful  int     `json:"useful"` // the manager's 2xx writes so far, events included
}

// Result is what a run reports.
type Result struct {
	Machine        map[string]string  `json:"machine"`
	Config         map[string]any     `json:"config"`
	Claims         int                `json:"claims"`
	Debtors        int                `json:"debtors"`
	ClaimSteps     int                `json:"claimSteps"`
	CaseSteps      int                `json:"caseSteps"`
	Notices        int                `json:"notices"`
	FinalPhases    map[string]int     `json:"finalPhases"`
	RunSeconds     float64            `json:"runSeconds"`
	StepsPerSecond float64            `json:"claimStepsPerSecond"`
	ManagerWrites  map[string]int     `json:"managerWrites"`
	ManagerReads   map[string]int     `json:"managerReads"` // GETs by name (2xx): the API reads beside the cache
	WritesTotal    int                `json:"managerWritesTotal"`
	WritesPerStep  float64            `json:"writesPerClaimStep"`
	Events         int                `json:"events"`
	EventsPerStep  float64            `json:"eventsPerClaimStep"`
	IdealWrites    int                `json:"idealWrites"`
	WriteOverhead  float64            `json:"writesOverIdeal"`
	WritesPerSec   float64            `json:"managerWritesPerSecond"`
	RawWrites      int                `json:"rawWrites"`
	RawPerSecond   float64            `json:"rawWritesPerSecond"`
	Ratio          float64            `json:"ratio"`
	Lateness       map[string]float64 `json:"latenessSeconds"`
	// LatenessByStep splits it by step name (n, p50, p99, max).
	LatenessByStep map[string]map[string]float64 `json:"latenessByStep,omitempty"`
	HeapPerClaim   float64                       `json:"heapBytesPerClaim"`
	RSSPerClaim    float64                       `json:"rssBytesPerClaim"`
	ClaimJSONBytes float64                       `json:"claimJSONBytes"`
	// UntilSteps is -until-steps: the run ended when every claim had this
	// many steps (0: the whole policy).
	UntilSteps int `json:"untilSteps,omitempty"`
	// Memory is -memory-limit's outcome: the manager under a pod's limit.
	Memory  *memoryResult `json:"memory,omitempty"`
	Samples []sample      `json:"samples"`

	// The startup list: seconds from the manager's start to its caches'
	// sync, with the claims and debtors the run starts from (Restart has
	// the list with everything the run made).
	CacheSyncSeconds float64 `json:"cacheSyncSeconds"`
	// Cached is what the manager's cache holds at the end, as the cache
	// holds it (after its transforms), serialized as JSON.
	Cached *cachedSize `json:"cached,omitempty"`
	// Restart is a fresh cache filled after the run, every object present:
	// what a restarted manager lists before its first reconcile.
	Restart *restartResult `json:"restart,omitempty"`
	// WriteBytes is the mean body size of each kind of the manager's 2xx writes.
	WriteBytes map[string]int `json:"managerWriteBytes,omitempty"`
	// ObjectBytes is the mean size of the object each kind of the manager's
	// 2xx writes met (the response: the object as stored after the write).
	ObjectBytes map[string]int `json:"managerObjectBytes,omitempty"`
	// The fair figures (docs/performance.md).
	UsefulWrites    int     `json:"usefulWrites"`          // the manager's 2xx writes, events included
	UsefulPerSecond float64 `json:"usefulWritesPerSecond"` // while saturated (below), else over the busy part of the run
	// UsefulPerSecondBusy is over the whole busy part of the run, the
	// ramp-up and the tail included, where the manager waits on its timers
	// rather than on the apiserver; SaturatedSeconds is the part where the
	// steps recorded were at least a second late (a backlog), the rate of
	// which is the operator's throughput against the ceiling.
	UsefulPerSecondBusy float64       `json:"usefulWritesPerSecondBusy"`
	SaturatedSeconds    float64       `json:"saturatedSeconds"`
	RequestsPerStep     float64       `json:"requestsPerClaimStep"` // every write request, 409s and events included; reads are the cache's
	RequestKinds        []string      `json:"requestKinds"`
	Replay              *replayResult `json:"replay,omitempty"`
	FairRatio           float64       `json:"fairRatio"` // useful writes/s (saturated) over the replay ceiling
	FairRatioBusy       float64       `json:"fairRatioBusy"`
	// Exact is the replay of the manager's own recorded requests; when it
	// ran, FairRatio is against its ceiling and the synthetic replay's
	// ratios move here.
	Exact                  *exactResult `json:"exact,omitempty"`
	FairRatioSynthetic     float64      `json:"fairRatioSynthetic,omitempty"`
	FairRatioSyntheticBusy float64      `json:"fairRatioSyntheticBusy,omitempty"`
	Loads                  []loadResult `json:"loads,omitempty"`
	// WatchCache is kube-apiserver's live heap per byte of stored objects,
	// from the empty namespace to the end of the run (docs/scale.md).
	WatchCache *watchCache `json:"watchCache,omitempty"`
	// WatchCacheIdle is the same with the run's objects copied into a
	// fresh, idle control plane (-watch-cache): the watch cache without
	// the busy run's recent-event buffer and other traffic-driven memory.
	WatchCacheIdle *watchCache `json:"watchCacheIdle,omitempty"`
}

// fairFigures derives the useful writes and requests per step from the counts.
func (r *Result) fairFigures(busy float64) {
	total := 0
	for k, n := range r.ManagerWrites {
		total += n
		if !strings.Contains(k, "(") { // "(409)": not 2xx
			r.UsefulWrites += n
		}
		r.RequestKinds = append(r.RequestKinds, k)
	}
	sort.Strings(r.RequestKinds)
	r.UsefulPerSecondBusy = float64(r.UsefulWrites) / busy
	r.UsefulPerSecond = r.UsefulPerSecondBusy
	if secs, n := saturated(r.Samples); secs >= minSaturated {
		r.SaturatedSeconds, r.UsefulPerSecond = secs, float64(n)/secs
	}
	if r.ClaimSteps > 0 {
		r.RequestsPerStep = float64(total) / float64(r.ClaimSteps)
	}
}

// minSaturated is the least saturated time whose rate is taken as the
// operator's throughput; a shorter backlog is noise, and the busy span's
// rate stands.
const minSaturated = 20.0

// saturated sums the seconds and useful writes of the sampling intervals
// whose recorded steps were at least a second late at the median: the
// manager had a backlog, so its rate was its own, not its timers'.
func saturated(samples []sample) (secs float64, useful int) {
	for i := 1; i < len(samples); i++ {
		if samples[i].LateP50 >= 1 {
			secs += samples[i].At - samples[i-1].At
			useful += samples[i].Useful - samples[i-1].Useful
		}
	}
	return secs, useful
}

// nullController is the bench's channel controller: it accepts every notice at once.
const nullController = "bench.inkasso.dev/null"

func run(c config) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	// Ctrl-C or SIGTERM stops the control plane (and an -archive run
	// writes what it sampled) instead of leaving kube-apiserver and etcd behind.
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	root, _ := filepath.Abs("..")
	// The control plane's processes inherit the environment: tune the
	// garbage collector of kube-apiserver and etcd, not the bench's own.
	for k, v := range map[string]string{"GOGC": c.gogc, "GOMEMLIMIT": c.memLimit} {
		if v == "" {
			continue
		}
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}
	if c.archive {
		return archiveRun(ctx, c, root)
	}
	if c.ceiling > 0 {
		return loadOnly(ctx, c, root)
	}
	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = env.Stop()
		}
	}()
	start := time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)
	// The watch cache's quiet point: the control plane up, the namespace empty.
	wc, err := startWatchCacheProbe(ctx, env, cfg, k8s)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: creating %d claims over %d debtors...\n", c.claims, c.debtors)
	t0 := time.Now()
	if err := populate(ctx, k8s, root, c, false); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: created in %.1fs\n", time.Since(t0).Seconds())

	if c.rawWorkers == 0 {
		c.rawWorkers = c.concurrency
	}
	if c.baselineOnly {
		var list inkassov1.ClaimList
		if err := k8s.List(ctx, &list, client.InNamespace("bench")); err != nil {
			return err
		}
		secs, err := rawBaseline(ctx, k8s, list.Items, c.rawWrites, c.rawWorkers)
		if err != nil {
			return err
		}
		fmt.Printf("raw client: %d writes with %d workers in %.1fs: %.1f writes/s\n", c.rawWrites, c.rawWorkers, secs, float64(c.rawWrites)/secs)
		return nil
	}
	var fence *memoryFence
	var memory memoryResult
	if c.memoryLimit != "" {
		limit, err := parseBytes(c.memoryLimit)
		if err != nil {
			return err
		}
		fence, memory.Before = enterMemoryFence(limit)
		if fence.dir != "" {
			fmt.Fprintf(os.Stderr, "bench: the manager runs in memory cgroup %s, limit %s less the bench's %d MB before it\n", fence.dir, c.memoryLimit, memory.Before>>20)
		} else {
			fmt.Fprintf(os.Stderr, "bench: %s\n", fence.reason)
		}
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := rss()

	// The manager, in process, its writes counted.
	writes := &counter{n: map[string]int{}, fields: c.patchFields}
	if c.exact && !c.noReplay {
		if writes.rec, err = newRecorder(os.TempDir()); err != nil {
			return fmt.Errorf("recording the manager's requests: %w", err)
		}
		defer writes.rec.remove()
	}
	mcfg := rest.CopyConfig(cfg)
	mcfg.QPS, mcfg.Burst = float32(c.qps), int(2*c.qps)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return writes.wrap(rt) })
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{Scheme: benchScheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:  controllers.CacheOptions(nil),
		Client: controllers.ClientOptions()})
	if err != nil {
		return err
	}
	clk := simclock.New(start, c.scale, clock.RealClock{})
	// A provider that accepts at once: what is measured is the operator.
	null := &channelkit.Controller{ControllerName: nullController, MaxConcurrentSends: c.concurrency,
		Send: func(_ context.Context, r channelkit.Request) (string, error) {
			return "ok-" + r.IdempotencyKey[:8], nil
		}}
	if err := controllers.Setup(ctx, mgr, controllers.Options{
		Clock:                clk,
		MaxConcurrentClaims:  c.concurrency,
		MaxConcurrentDebtors: c.concurrency,
		Channels:             []*channelkit.Controller{null},
	}); err != nil {
		return err
	}
	mctx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	stopProfile := func() {}
	defer func() { stopProfile() }()
	wallStart := time.Now()
	if c.profile != "" {
		go profileAPIServer(ctx, cfg, c.profile)
		// The manager's own profile over the same run, next to it.
		if f, err := os.Create(c.profile + ".manager"); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				// Stopped at the end of the run, before the heap is read:
				// the profiler's own tables are not the manager's.
				stopProfile = pprof.StopCPUProfile
			}
		}
	}
	mgrDone := make(chan struct{})
	go func() { _ = mgr.Start(mctx); close(mgrDone) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("cache did not sync")
	}
	// The startup list: every object is present, so this is how long a
	// (re)started manager waits before its first reconcile.
	cacheSync := time.Since(wallStart).Seconds()

	// Sample progress from the manager's cache once a second until every
	// claim has finished the policy.
	var samples []sample
	var last int
	seen := map[string]int{} // claim -> history entries counted
	var lates []float64
	byStep := map[string][]float64{} // lateness by step name: which steps a tail is made of
	lastDone, doneSince := -1, time.Now()
	for {
		time.Sleep(time.Second)
		var list inkassov1.ClaimList
		// Read-only and without copies: the sampler must not take the CPU
		// it measures (a deep copy of 5,000 full claims every second did).
		if err := mgr.GetCache().List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
			return err
		}
		memory.PeakRSS = max(memory.PeakRSS, rss())
		done, steps := 0, 0
		var interval []float64
		for i := range list.Items {
			cl := &list.Items[i]
			h := cl.Status.History
			for _, e := range h[min(seen[cl.Name], len(h)):] {
				if e.DueAt != nil {
					late := e.Time.Sub(e.DueAt.Time).Seconds() / c.scale
					interval = append(interval, late)
					lates = append(lates, late)
					byStep[e.Step] = append(byStep[e.Step], late)
				}
			}
			seen[cl.Name] = len(h)
			steps += len(h)
			if cl.Status.PolicyDone() || (c.untilSteps > 0 && len(h) >= c.untilSteps) {
				done++
			}
		}
		s := sample{At: time.Since(wallStart).Seconds(), Steps: steps, Useful: writes.useful()}
		if len(interval) > 0 {
			sort.Float64s(interval)
			s.LateP50, s.LateMax = interval[len(interval)/2], interval[len(interval)-1]
		}
		samples = append(samples, s)
		if steps != last || done == len(list.Items) {
			fmt.Fprintf(os.Stderr, "bench: %5.0fs  %6d claim steps  %5d/%d claims done  clock %s\n", s.At, steps, done, len(list.Items), clk.Now().Format(time.DateOnly))
		}
		last = steps
		if done == len(list.Items) && len(list.Items) == c.claims {
			break
		}
		if done != lastDone {
			lastDone, doneSince = done, time.Now()
		}
		if ctx.Err() != nil || time.Since(doneSince) > c.stall {
			printUnfinished(list.Items)
			return fmt.Errorf("gave up with %d of %d claims done (timeout %v, or none finished for %v)", done, len(list.Items), c.timeout, c.stall)
		}
	}
	runSeconds := time.Since(wallStart).Seconds()
	// The heap growth is the manager's: the sampler's own records (a
	// lateness per step, a count per claim) and the CPU profiler's tables
	// are summarised or released first (at 5,000 claims they were about
	// 800 B per claim of the growth).
	stopProfile()
	stopProfile = func() {}
	lateness := percentiles(lates)
	latenessByStep := map[string]map[string]float64{}
	for step, l := range byStep {
		latenessByStep[step] = percentiles(l)
	}
	lates, byStep, seen = nil, nil, nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	rssAfter := rss()
	if fence != nil {
		memory.PeakRSS = max(memory.PeakRSS, rssAfter)
		fence.leave(&memory)
	}
	if c.profile != "" {
		// What the cache holds: the live heap by allocation site.
		if f, err := os.Create(c.profile + ".heap"); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	mw := writes.snapshot()
	// The watch cache's full point: every object of the run present.
	watch, err := wc.finish(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: watch cache: %s\n", watch)
	cached, err := cachedSizes(ctx, mgr.GetCache())
	if err != nil {
		return err
	}
	stopMgr()
	select {
	case <-mgrDone:
	case <-time.After(time.Minute):
	}
	restartHeap := ""
	if c.profile != "" {
		restartHeap = c.profile + ".restart.heap"
	}
	restart, err := restartCache(ctx, cfg, c.claims, restartHeap)
	if err != nil {
		return err
	}

	res := Result{Claims: c.claims, Debtors: c.debtors, RunSeconds: runSeconds, ManagerWrites: mw, ManagerReads: writes.readSnapshot(), Samples: samples,
		CacheSyncSeconds: cacheSync, Cached: cached, WatchCache: watch, WriteBytes: writes.meanBytes(), ObjectBytes: writes.meanObjectBytes(), Restart: restart,
		Machine: machine(), Config: map[string]any{"concurrency": c.concurrency, "scale": c.scale, "qps": c.qps, "policy": "kravia-11", "controlPlaneGOGC": c.gogc, "controlPlaneGOMEMLIMIT": c.memLimit, "profiled": c.profile != ""},
		FinalPhases: map[string]int{}}
	var list inkassov1.ClaimList
	if err := listAll(ctx, k8s, &list); err != nil {
		return fmt.Errorf("listing the claims after the run: %w", err)
	}
	var jsonBytes int
	caseSteps := map[string]bool{} // a case step's entries share its notices
	for i := range list.Items {
		cl := &list.Items[i]
		res.ClaimSteps += len(cl.Status.History)
		for _, h := range cl.Status.History {
			if len(h.Notices) > 0 && strings.Contains(h.Message, "case ") {
				caseSteps[strings.Join(h.Notices, ",")] = true
			}
		}
		res.FinalPhases[string(cl.Status.Phase)]++
		cl.ManagedFields = nil
		b, _ := json.Marshal(cl)
		jsonBytes += len(b)
	}
	res.ClaimJSONBytes = float64(jsonBytes) / float64(len(list.Items))
	var notices inkassov1.NoticeList
	if err := listAll(ctx, k8s, &notices); err != nil {
		return fmt.Errorf("listing the notices after the run: %w", err)
	}
	res.Notices = len(notices.Items)
	var debtors inkassov1.DebtorList
	_ = listAll(ctx, k8s, &debtors)
	for _, n := range mw {
		res.WritesTotal += n
	}
	res.StepsPerSecond = float64(res.ClaimSteps) / busySeconds(samples)
	res.CaseSteps = len(caseSteps)
	for k, n := range mw {
		if strings.HasPrefix(k, "POST events") {
			res.Events += n
		}
	}
	res.WritesPerStep = float64(res.WritesTotal-res.Events) / float64(res.ClaimSteps)
	res.EventsPerStep = float64(res.Events) / float64(res.ClaimSteps)
	// The floor: one status write per claim step and per case step (the
	// debtor), and per notice its creation and its delivery status.
	res.IdealWrites = res.ClaimSteps + res.CaseSteps + 2*res.Notices
	res.WriteOverhead = float64(res.WritesTotal-res.Events) / float64(res.IdealWrites)
	res.WritesPerSec = float64(res.WritesTotal) / busySeconds(samples)
	res.HeapPerClaim = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(c.claims)
	res.RSSPerClaim = float64(rssAfter-rssBefore) / float64(c.claims)
	res.Lateness, res.LatenessByStep = lateness, latenessByStep
	res.UntilSteps = c.untilSteps
	if fence != nil {
		res.Memory = &memory
	}

	// The baseline: the same kind of writes by a raw client, same concurrency.
	n := min(c.rawWrites, res.WritesTotal)
	fmt.Fprintf(os.Stderr, "bench: raw client baseline: %d writes with %d workers...\n", n, c.rawWorkers)
	rawSecs, err := rawBaseline(ctx, k8s, list.Items, n, c.rawWorkers)
	if err != nil {
		return err
	}
	res.RawWrites, res.RawPerSecond = n, float64(n)/rawSecs
	res.Ratio = res.WritesPerSec / res.RawPerSecond
	res.fairFigures(busySeconds(samples))
	var sample *inkassov1.Notice
	if !c.noReplay {
		if sample, err = sampleNotice(ctx, k8s); err != nil {
			return err
		}
	}
	if c.watchCache {
		// The run's objects, loaded into an idle apiserver of its own.
		objs, err := snapshotObjects(ctx, k8s)
		if err != nil {
			return err
		}
		stopped = true
		if err := env.Stop(); err != nil {
			return fmt.Errorf("stopping the first control plane: %w", err)
		}
		if res.WatchCacheIdle, err = watchCacheRun(ctx, c, root, objs); err != nil {
			return fmt.Errorf("watch cache: %w", err)
		}
	}
	if c.noReplay {
		return report(c, res)
	}
	// The fair baseline and the load runs each get a control plane of their
	// own, started after this one is stopped: fresh (no garbage, no 100,000
	// expired events), and alone on the machine's cores.
	if !stopped {
		stopped = true
		if err := env.Stop(); err != nil {
			return fmt.Errorf("stopping the first control plane: %w", err)
		}
	}
	if err := replayRun(ctx, c, root, &res, sample, grownFrom(list.Items, debtors.Items)); err != nil {
		return fmt.Errorf("fair baseline: %w", err)
	}
	if writes.rec != nil {
		recs, err := writes.rec.records()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: exact replay: %d recorded requests, each level on a fresh control plane...\n", len(recs))
		ex, err := exactReplay(ctx, c, root, recs)
		if err != nil {
			return fmt.Errorf("exact replay: %w", err)
		}
		res.Exact = ex
		res.FairRatioSynthetic, res.FairRatioSyntheticBusy = res.FairRatio, res.FairRatioBusy
		if ex.Ceiling > 0 {
			res.FairRatio = res.UsefulPerSecond / ex.Ceiling
			res.FairRatioBusy = res.UsefulPerSecondBusy / ex.Ceiling
		}
	}
	for _, f := range c.loads {
		lr, err := loadRun(ctx, c, root, f, &res)
		if err != nil {
			return fmt.Errorf("load %.2f: %w", f, err)
		}
		res.Loads = append(res.Loads, lr)
	}
	return report(c, res)
}

// printUnfinished lists up to ten claims that did not finish the policy, with
// what their Ready condition says, so a timed-out run tells why.
func printUnfinished(claims []inkassov1.Claim) {
	n := 0
	for i := range claims {
		st := &claims[i].Status
		if st.PolicyDone() {
			continue
		}
		if n++; n > 10 {
			fmt.Fprintln(os.Stderr, "bench: ...")
			return
		}
		why := ""
		if c := meta.FindStatusCondition(st.Conditions, inkassov1.ConditionReady); c != nil {
			why = c.Reason + ": " + c.Message
		}
		fmt.Fprintf(os.Stderr, "bench: unfinished %s: phase %s, step %q, next %q at %v; %s\n",
			claims[i].Name, st.Phase, st.Step, st.NextStep, st.NextStepAt, why)
	}
}

// busySeconds is the span from the first to the last sample that saw new steps.
func busySeconds(s []sample) float64 {
	first, last := -1.0, 0.0
	prev := 0
	for _, x := range s {
		if x.Steps > prev {
			if first < 0 {
				first = x.At - 1
			}
			last = x.At
		}
		prev = x.Steps
	}
	if first < 0 || last <= first {
		return 1
	}
	return last - first
}

// startControlPlane starts kube-apiserver and etcd with the bench's CRDs and
// returns a client with the bench's QPS.
func startControlPlane(c config, root string) (*envtest.Environment, *rest.Config, client.Client, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets, ErrorIfCRDPathMissing: true,
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}}
	if c.noFsync || c.etcdDataDir != "" {
		env.ControlPlane.Etcd = &envtest.Etcd{DataDir: c.etcdDataDir}
		if c.noFsync {
			env.ControlPlane.Etcd.Configure().Set("unsafe-no-fsync", "true")
		}
	}
	if c.compaction > 0 || c.eventTTL > 0 {
		env.ControlPlane.APIServer = &envtest.APIServer{}
		if c.compaction > 0 {
			env.ControlPlane.APIServer.Configure().Set("etcd-compaction-interval", c.compaction.String())
		}
		if c.eventTTL > 0 {
			env.ControlPlane.APIServer.Configure().Set("event-ttl", c.eventTTL.String())
		}
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting the control plane (make control-plane-tools): %w", err)
	}
	raw := rest.CopyConfig(cfg)
	raw.QPS, raw.Burst = float32(c.qps), int(2*c.qps)
	k8s, err := client.New(raw, client.Options{Scheme: benchScheme})
	if err != nil {
		_ = env.Stop()
		return nil, nil, nil, err
	}
	return env, cfg, k8s, nil
}

var benchScheme = func() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(inkassov1.AddToScheme(s))
	return s
}()

// rawBaseline writes n annotation updates to the claims with workers
// goroutines and returns the seconds it took.
func rawBaseline(ctx context.Context, k client.Client, claims []inkassov1.Claim, n, workers int) (float64, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				cl := &claims[i%len(claims)]
				patch := fmt.Sprintf(`{"metadata":{"annotations":{"bench.inkasso.dev/raw":"%d"}}}`, i)
				obj := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: cl.Namespace, Name: cl.Name}}
				if err := k.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// populate creates the namespace, the policy, the channels, the debtors and
// claims: half the debtors owe one claim, the other half share the rest, so
// many claims are collected as multi-claim cases. For a load run (spread)
// every claim is due on 2026-01-14 and the policy spreads its steps over
// 06:00 to 18:00 (stepWindow 12h), so the reminders of 2026-01-15 arrive at
// an even rate.
func populate(ctx context.Context, k client.Client, root string, c config, spread bool) error {
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "collection_v1alpha1_collectionpolicy_kravia.yaml"))
	if err != nil {
		return err
	}
	var p inkassov1.CollectionPolicy
	if err := yaml.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Namespace = "bench"
	// The bench measures the operator, not the contact rules: notices may go out at once.
	p.Spec.ContactWindows = &inkassov1.ContactWindows{Enabled: ptr(false)}
	// The 72-hour default delivery deadline is 6.5 wall seconds at 40,000x
	// and 1.3 at 200,000x: a saturated channel queue misses it and the claim
	// stalls with NoticeFailed, which measures the clock's speed, not the
	// operator. The longest deadline the API allows, as the reliability tests.
	p.Spec.DeliveryDeadlineHours = 720
	if spread {
		p.Spec.StepTime = "06:00"
		p.Spec.StepWindow = &metav1.Duration{Duration: 12 * time.Hour}
	}
	objs := []client.Object{&p}
	for _, ch := range []string{"letter", "sms", "phone"} {
		objs = append(objs, &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: ch},
			Spec: inkassov1.NoticeChannelSpec{ControllerName: nullController,
				// The bench's provider accepts at once and de-duplicates by
				// key, like an SMS gateway (docs/performance.md, What a
				// delivery costs).
				Redelivery: inkassov1.AtLeastOnce}})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for d := 0; d < c.debtors; d++ {
		objs = append(objs, &inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("d-%05d", d)},
			Spec: inkassov1.DebtorSpec{DisplayName: fmt.Sprintf("Debtor %d", d), Type: inkassov1.DebtorConsumer, Country: "NO", Language: "nb",
				Address: &inkassov1.Address{Lines: []string{"Storgata 1"}, PostalCode: "0155", City: "Oslo", Country: "NO"}}})
	}
	single := c.debtors / 2
	for i := 0; i < c.claims; i++ {
		d := i
		if i >= single {
			d = single + rng.IntN(max(c.debtors-single, 1))
		}
		due := time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(d % 3))
		if spread {
			due = time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)
		}
		objs = append(objs, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("c-%05d", i)},
			Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: fmt.Sprintf("d-%05d", d)},
				InvoiceNumber: fmt.Sprint(100000 + i), InvoiceDate: inkassov1.Date(due.AddDate(0, 0, -14).Format(time.DateOnly)),
				DueDate: inkassov1.Date(due.Format(time.DateOnly)), Amount: inkassov1.Amount(fmt.Sprintf("%d.00", 500+rng.IntN(20000))), Currency: "NOK"}})
	}
	jobs := make([]func() error, len(objs))
	for i, o := range objs {
		jobs[i] = func() error {
			if err := k.Create(ctx, o); err != nil {
				return fmt.Errorf("creating %s: %w", o.GetName(), err)
			}
			return nil
		}
	}
	return runJobs(jobs)
}

func ptr[T any](v T) *T { return &v }

// listAll is every object of the bench namespace, in pages (listPaged).
func listAll(ctx context.Context, k client.Client, into client.ObjectList) error {
	items, err := listPaged(ctx, k, "bench", func() client.ObjectList {
		return reflect.New(reflect.TypeOf(into).Elem()).Interface().(client.ObjectList)
	})
	if err != nil {
		return err
	}
	return meta.SetList(into, items)
}

// profileAPIServer saves a CPU profile of kube-apiserver (its /debug/pprof,
// on by default) from 30 to 60 s into the run: where the apiserver's time
// goes when it is the bottleneck.
func profileAPIServer(ctx context.Context, cfg *rest.Config, path string) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(30 * time.Second):
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return
	}
	hc.Timeout = 2 * time.Minute
	resp, err := hc.Get(strings.TrimSuffix(cfg.Host, "/") + "/debug/pprof/profile?seconds=30")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return
	}
	fmt.Fprintf(os.Stderr, "bench: kube-apiserver CPU profile in %s (%s)\n", path, resp.Status)
}

// dumpMax is how many request bodies BENCH_DUMP prints (BENCH_DUMP_MAX, default 3).
func dumpMax() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_DUMP_MAX")); err == nil {
		return n
	}
	return 3
}
