package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// An excerpt of etcd's and kube-apiserver's /metrics as they expose them.
const exposition = `# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.
# TYPE etcd_mvcc_db_total_size_in_bytes gauge
etcd_mvcc_db_total_size_in_bytes 2.4576e+07
# HELP etcd_mvcc_db_total_size_in_use_in_bytes Total size of the underlying database logically in use in bytes.
# TYPE etcd_mvcc_db_total_size_in_use_in_bytes gauge
etcd_mvcc_db_total_size_in_use_in_bytes 1.2345678e+07
# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 1.8e+08
# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind.
# TYPE apiserver_storage_objects gauge
apiserver_storage_objects{resource="claims.collection.inkasso.dev"} 1500
apiserver_storage_objects{resource="notices.collection.inkasso.dev"} 250
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 3.2e+08
# HELP etcd_server_proposals_committed_total The total number of consensus proposals committed.
# TYPE etcd_server_proposals_committed_total counter
etcd_server_proposals_committed_total 42
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(exposition), etcdInUse, etcdTotal, goHeapInuse, processRSS,
		"apiserver_storage_objects", "etcd_server_proposals_committed_total", "absent_metric")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{etcdInUse: 12345678, etcdTotal: 24576000, goHeapInuse: 1.8e8, processRSS: 3.2e8,
		"apiserver_storage_objects": 1750, "etcd_server_proposals_committed_total": 42}
	if len(m) != len(want) {
		t.Errorf("got %d metrics %v, want %d (an absent one must stay absent)", len(m), m, len(want))
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
}

func TestParseMetricsMalformed(t *testing.T) {
	if _, err := parseMetrics(strings.NewReader("etcd_mvcc_db_total_size_in_bytes not-a-number\n"), etcdTotal); err == nil {
		t.Fatal("a malformed exposition must be an error, not a zero")
	}
}

func TestWatchCacheFactor(t *testing.T) {
	quiet := stored{Bytes: map[string]int64{"debtors": 1_000_000}}
	peak := stored{Objects: map[string]int{"claims": 100, "debtors": 10}, Bytes: map[string]int64{"claims": 3_000_000, "debtors": 1_000_000}}
	w := newWatchCache(memProbe{HeapInuse: 100e6, RSS: 200e6}, memProbe{HeapInuse: 112e6, RSS: 230e6}, quiet, peak, 4e6)
	if w.HeapFactor != 4 || w.RSSFactor != 10 || w.PeakObjects != 110 {
		t.Errorf("factor heap %v rss %v objects %d, want 4, 10, 110", w.HeapFactor, w.RSSFactor, w.PeakObjects)
	}
	// Half-way: 2 MB stored and 110 MB of heap; to the peak 2 MB more for 2 MB of heap.
	w.setMid(memProbe{HeapInuse: 110e6}, stored{Bytes: map[string]int64{"claims": 2_000_000}})
	if w.MarginalFactor != 1 {
		t.Errorf("marginal factor %v, want 1", w.MarginalFactor)
	}
	if w := newWatchCache(memProbe{}, memProbe{HeapInuse: 1}, peak, peak, 0); w.HeapFactor != 0 {
		t.Errorf("no growth in stored bytes must give no factor, got %v", w.HeapFactor)
	}
}

func TestQuarters(t *testing.T) {
	var s []archiveSample
	for i := 1; i <= 100; i++ {
		s = append(s, archiveSample{At: float64(i), Created: i})
	}
	q := quarters(s)
	if len(q) != 4 || q[0].At != 25 || q[1].At != 50 || q[2].At != 75 || q[3].At != 100 {
		t.Errorf("quarters %+v", q)
	}
}

// TestSaturatedSpan: only the intervals whose steps were a second or more
// late count, with their writes.
func TestSaturatedSpan(t *testing.T) {
	s := []sample{{At: 0}, {At: 1, LateP50: 0.2, Useful: 50}, {At: 2, LateP50: 3, Useful: 250}, {At: 4, LateP50: 1, Useful: 650}, {At: 5, LateP50: 0.5, Useful: 700}}
	secs, n := saturated(s)
	if secs != 3 || n != 600 {
		t.Errorf("saturated %v s with %d writes, want 3 s and 600", secs, n)
	}
}

// TestNamedResource: a GET of one object counts as a read; a list or a
// watch of the collection does not.
func TestNamedResource(t *testing.T) {
	for path, want := range map[string]string{
		"/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/notices/n-1": "notices",
		"/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/notices":     "",
		"/api/v1/namespaces/bench/secrets/smtp":                              "secrets",
		"/apis/collection.inkasso.dev/v1alpha1/claims":                       "",
	} {
		got, named := namedResource(path)
		if got != want || named != (want != "") {
			t.Errorf("%s: %q %v, want %q", path, got, named, want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	if got := percentiles(nil); got != nil {
		t.Fatalf("no values: got %v, want nil", got)
	}
	l := make([]float64, 200)
	for i := range l {
		l[i] = float64(200 - i) // 200 .. 1, unsorted
	}
	got := percentiles(l)
	want := map[string]float64{"n": 200, "p50": 101, "p99": 199, "max": 200}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestCutKeepsTheFirstFractionRoundedByTheDraw(t *testing.T) {
	l := []int{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		f, u float64
		want int
	}{{0.5, 0, 2}, {0.5, 0.6, 3}, {1, 0.99, 5}, {0.01, 0.5, 0}, {2, 0, 5}} {
		if got := cut(l, tc.f, tc.u); len(got) != tc.want || (tc.want > 0 && got[0] != 1) {
			t.Errorf("cut(%v, %v) = %v, want the first %d", tc.f, tc.u, got, tc.want)
		}
	}
	if got := cut([]int(nil), 0.5, 0.9); len(got) != 0 {
		t.Errorf("cut(nil) = %v", got)
	}
	// Lists of two cut to a quarter: half an entry on average, so about
	// half of 1,000 objects keep one (rounding up or down alone: all or none).
	total := 0
	for i := range 1000 {
		total += len(cut([]int{1, 2}, 0.25, roundingOf(fmt.Sprintf("debtor-%d", i))))
	}
	if total < 430 || total > 570 {
		t.Errorf("1,000 lists of two cut to a quarter kept %d entries, want about 500", total)
	}
}

func TestCountingBodyReportsOnce(t *testing.T) {
	var reports []int64
	b := &countingBody{ReadCloser: io.NopCloser(strings.NewReader("0123456789")), done: func(n int64) { reports = append(reports, n) }}
	if _, err := io.ReadAll(b); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	_ = b.Close()
	if len(reports) != 1 || reports[0] != 10 {
		t.Fatalf("reports %v, want one of 10 bytes", reports)
	}
}

func TestObjectSizes(t *testing.T) {
	got := objectSizes(map[string]int{"PATCH claims/status": 9000, "POST events": 700}, map[string]int{"PATCH claims/status": 8500})
	if want := "claims/status 9000 / 8500 B"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestMatchFractionFindsTheManagersSize(t *testing.T) {
	linear := func(f float64) float64 { return 1000 + 4000*f } // fresh 1,000 B, full lists 5,000 B
	for _, tc := range []struct {
		target int
		want   float64
	}{{3000, 0.5}, {4900, 0.95}, {500, 0.05}, {9000, 1}, {0, 0.5}} {
		if got := matchFraction(linear, tc.target); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("target %d: got %v, want %v", tc.target, got, tc.want)
		}
	}
	if got := objectSizes(nil, map[string]int{"PATCH debtors/status": 1200}); got != "debtors/status 1200 B" {
		t.Errorf("one-sided sizes: %q", got)
	}
}

func TestClaimSizerAddsTheCutListsToTheMeasuredSize(t *testing.T) {
	fresh := []inkassov1.Claim{{}}
	fresh[0].Name = "c1"
	var full inkassov1.ClaimStatus
	for _, step := range []string{"reminder", "collection-notice", "payment-demand", "handover"} {
		full.History = append(full.History, inkassov1.HistoryEntry{Step: step})
	}
	full.Conditions = []metav1.Condition{{Type: "Ready", Message: strings.Repeat("x", 5000)}}
	g := grownStatuses{claims: map[string]inkassov1.ClaimStatus{"c1": full}}
	size := claimSizer(fresh, g, 3000)
	quarter, half, all := size(0.25), size(0.5), size(1)
	if !(3000 < quarter && quarter < half && half < all) {
		t.Fatalf("sizes %v, %v, %v: want growing from the measured 3000 B", quarter, half, all)
	}
	if all > 3000+1000 {
		t.Fatalf("size %v: the run's conditions (5,000 B) were counted; the replay's patches replace them", all)
	}
	if other := claimSizer(fresh, grownStatuses{}, 3000)(1); other != 3000 {
		t.Fatalf("a claim the run did not have: %v, want the measured 3000 B", other)
	}
}

func TestBestRateSaysWhenTheRampWasStillRising(t *testing.T) {
	for _, tc := range []struct {
		rates  []float64
		best   float64
		at     int
		rising bool
	}{
		{[]float64{260, 243, 365, 376, 400}, 400, 4, true}, // +6 % at the last level
		{[]float64{284.6, 288.8, 301.9, 310, 312}, 312, 4, false},
		{[]float64{300, 320, 310}, 320, 1, false},
		{[]float64{300}, 300, 0, false},
	} {
		best, at, rising := bestRate(tc.rates)
		if best != tc.best || at != tc.at || rising != tc.rising {
			t.Errorf("%v: best %v at %d, rising %v; want %v at %d, %v", tc.rates, best, at, rising, tc.best, tc.at, tc.rising)
		}
	}
}

func TestSizeWarningNamesKindsMoreThanATenthOff(t *testing.T) {
	manager := map[string]int{"PATCH claims/status": 4825, "PATCH debtors/status": 2768}
	if got := sizeWarning(manager, map[string]int{"PATCH claims/status": 5250, "PATCH debtors/status": 2700}); got != "" {
		t.Errorf("within a tenth: %q", got)
	}
	got := sizeWarning(manager, map[string]int{"PATCH claims/status": 5250, "PATCH debtors/status": 2163})
	if !strings.Contains(got, "debtors/status -22 %") || strings.Contains(got, "claims") {
		t.Errorf("debtors 22 %% small: %q", got)
	}
}

func TestObjectSizesAreCountedByKindWithoutTheFieldSplit(t *testing.T) {
	c := &counter{n: map[string]int{}, fields: true}
	rt := c.wrap(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 1000)))}, nil
	}))
	for _, body := range []string{`{"status":{"history":[]}}`, `{"status":{"phase":"X"}}`} {
		req, _ := http.NewRequest("PATCH", "https://apiserver/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/claims/c1/status", strings.NewReader(body))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
	}
	if got := c.meanObjectBytes()["PATCH claims/status"]; got != 1000 {
		t.Fatalf("mean object size %d, want 1000 (by kind, the -patch-fields split left out): %v", got, c.meanObjectBytes())
	}
}
