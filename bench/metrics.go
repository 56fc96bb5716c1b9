package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// Prometheus metrics the bench reads from etcd and kube-apiserver.
const (
	etcdInUse   = "etcd_mvcc_db_total_size_in_use_in_bytes"
	etcdTotal   = "etcd_mvcc_db_total_size_in_bytes"
	goHeapInuse = "go_memstats_heap_inuse_bytes"
	processRSS  = "process_resident_memory_bytes"
)

// parseMetrics reads the named metrics from a Prometheus text exposition
// and sums each over its series (etcd and the apiserver expose these
// without labels; a sum keeps a labelled one meaningful too). A name
// absent from the text is absent from the map. expfmt is the Prometheus
// project's own parser, the one its server uses.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	out := map[string]float64{}
	for _, n := range names {
		f, ok := fams[n]
		if !ok {
			continue
		}
		var sum float64
		for _, m := range f.GetMetric() {
			sum += metricValue(f.GetType(), m)
		}
		out[n] = sum
	}
	return out, nil
}

func metricValue(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// scrape GETs url and reads the named metrics from it.
func scrape(ctx context.Context, hc *http.Client, url string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: %s", url, resp.Status)
	}
	m, err := parseMetrics(resp.Body, names...)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	return m, nil
}

// memProbe is kube-apiserver's memory at one moment.
type memProbe struct {
	// HeapInuse is go_memstats_heap_inuse_bytes right after a forced
	// garbage collection: the live heap (with its fragmentation), not the
	// garbage GOGC lets pile up.
	HeapInuse float64 `json:"heapInuseBytes"`
	// RSS is process_resident_memory_bytes at the same moment (the Go
	// runtime returns freed pages lazily, so it lags the heap).
	RSS float64 `json:"rssBytes"`
}

// probeAPIServer forces a garbage collection in kube-apiserver (its heap
// profile with gc=1; /debug/pprof is on by default) and reads its memory.
func probeAPIServer(ctx context.Context, hc *http.Client, host string) (memProbe, error) {
	host = strings.TrimSuffix(host, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return memProbe{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return memProbe{}, fmt.Errorf("forcing a GC in kube-apiserver: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	m, err := scrape(ctx, hc, host+"/metrics", goHeapInuse, processRSS)
	if err != nil {
		return memProbe{}, err
	}
	return memProbe{HeapInuse: m[goHeapInuse], RSS: m[processRSS]}, nil
}

// stored counts the namespace's Claims, Notices, Debtors and Events and
// sums their JSON sizes as read (managedFields included, as etcd keeps a
// custom resource; apiVersion and kind are not in a list's items, about
// 60 bytes an object fewer than etcd holds).
type stored struct {
	Objects map[string]int   `json:"objects"`
	Bytes   map[string]int64 `json:"bytes"`
	Done    int              `json:"claimsDone"` // claims that finished the policy
}

func (s stored) total() int64 {
	var t int64
	for _, b := range s.Bytes {
		t += b
	}
	return t
}

// listPaged lists a namespace in pages of 1,000: one response of 100,000
// objects outlasts the apiserver's request timeout (two 100k runs lost
// their reports to a reset stream there).
func listPaged(ctx context.Context, k client.Client, ns string, newList func() client.ObjectList) ([]k8sruntime.Object, error) {
	var items []k8sruntime.Object
	for cont := ""; ; {
		l := newList() // a fresh page: decoding into the last would reuse its items' maps
		if err := k.List(ctx, l, client.InNamespace(ns), client.Limit(1000), client.Continue(cont)); err != nil {
			return nil, err
		}
		page, err := meta.ExtractList(l)
		if err != nil {
			return nil, err
		}
		items = append(items, page...)
		if cont = l.GetContinue(); cont == "" {
			return items, nil
		}
	}
}

func storedObjects(ctx context.Context, k client.Client, ns string) (stored, error) {
	s := stored{Objects: map[string]int{}, Bytes: map[string]int64{}}
	lists := map[string]func() client.ObjectList{
		"claims":  func() client.ObjectList { return &inkassov1.ClaimList{} },
		"notices": func() client.ObjectList { return &inkassov1.NoticeList{} },
		"debtors": func() client.ObjectList { return &inkassov1.DebtorList{} },
		"events":  func() client.ObjectList { return &corev1.EventList{} },
	}
	for kind, newList := range lists {
		items, err := listPaged(ctx, k, ns, newList)
		if err != nil {
			return s, fmt.Errorf("listing %s: %w", kind, err)
		}
		s.Objects[kind] = len(items)
		for _, o := range items {
			if c, ok := o.(*inkassov1.Claim); ok && c.Status.PolicyDone() {
				s.Done++
			}
			b, err := json.Marshal(o)
			if err != nil {
				return s, err
			}
			s.Bytes[kind] += int64(len(b))
		}
	}
	return s, nil
}

// watchCache is the apiserver's memory per byte of stored objects: the
// growth of its live heap between a quiet point (the namespace empty) and
// a full one, over the growth of the objects' JSON size.
type watchCache struct {
	Quiet       memProbe `json:"quiet"`
	Peak        memProbe `json:"peak"`
	QuietStored int64    `json:"quietStoredBytes"`
	PeakStored  int64    `json:"peakStoredBytes"`
	PeakObjects int      `json:"peakObjects"`
	// HeapFactor and RSSFactor: apiserver bytes per stored JSON byte.
	HeapFactor float64 `json:"heapFactor"`
	RSSFactor  float64 `json:"rssFactor"`
	// EtcdInUseGrowth is etcd's in-use growth over the same span (with the
	// revisions not yet compacted), for comparison with the JSON sizes.
	EtcdInUseGrowth float64 `json:"etcdInUseGrowthBytes"`
	// Mid is a point half-way (the idle copy only); MarginalFactor is the
	// heap growth from it to the peak per stored byte: the per-object cost
	// without what the apiserver builds once per resource.
	Mid            *memProbe `json:"mid,omitempty"`
	MidStored      int64     `json:"midStoredBytes,omitempty"`
	MarginalFactor float64   `json:"marginalHeapFactor,omitempty"`
	// Restarted is a new kube-apiserver on the same etcd (the idle copy
	// only): the watch caches without the recent-event buffer.
	Restarted       *memProbe `json:"restarted,omitempty"`
	RestartedStored int64     `json:"restartedStoredBytes,omitempty"`
	RestartedFactor float64   `json:"restartedHeapFactor,omitempty"`
}

// setRestarted records a fresh kube-apiserver on the same etcd: the watch
// caches filled by a list, no recent events. RestartedFactor is its heap
// over the quiet one per stored byte.
func (w *watchCache) setRestarted(p memProbe, st stored) {
	w.Restarted, w.RestartedStored = &p, st.total()
	if d := float64(w.RestartedStored - w.QuietStored); d > 0 {
		w.RestartedFactor = (p.HeapInuse - w.Quiet.HeapInuse) / d
	}
}

func (w *watchCache) setMid(mid memProbe, st stored) {
	w.Mid, w.MidStored = &mid, st.total()
	if d := float64(w.PeakStored - w.MidStored); d > 0 {
		w.MarginalFactor = (w.Peak.HeapInuse - mid.HeapInuse) / d
	}
}

func newWatchCache(quiet, peak memProbe, quietStored, peakStored stored, etcdGrowth float64) *watchCache {
	w := &watchCache{Quiet: quiet, Peak: peak, QuietStored: quietStored.total(), PeakStored: peakStored.total(), EtcdInUseGrowth: etcdGrowth}
	for _, n := range peakStored.Objects {
		w.PeakObjects += n
	}
	if d := float64(w.PeakStored - w.QuietStored); d > 0 {
		w.HeapFactor = (peak.HeapInuse - quiet.HeapInuse) / d
		w.RSSFactor = (peak.RSS - quiet.RSS) / d
	}
	return w
}

func (w *watchCache) String() string {
	return fmt.Sprintf("kube-apiserver live heap %.0f -> %.0f MB, RSS %.0f -> %.0f MB, for %.1f MB of stored JSON (%d objects; etcd in use +%.1f MB): %.1f heap bytes (%.1f RSS) per stored byte",
		w.Quiet.HeapInuse/1e6, w.Peak.HeapInuse/1e6, w.Quiet.RSS/1e6, w.Peak.RSS/1e6, float64(w.PeakStored-w.QuietStored)/1e6, w.PeakObjects, w.EtcdInUseGrowth/1e6, w.HeapFactor, w.RSSFactor) + w.midString()
}

func (w *watchCache) midString() string {
	if w.Mid == nil {
		return ""
	}
	s := fmt.Sprintf("; from half of the objects (heap %.0f MB, %.1f MB stored) to all: %.1f heap bytes per stored byte", w.Mid.HeapInuse/1e6, float64(w.MidStored)/1e6, w.MarginalFactor)
	if w.Restarted != nil {
		s += fmt.Sprintf("; a new apiserver on the same etcd: heap %.0f MB, %.1f heap bytes per stored byte", w.Restarted.HeapInuse/1e6, w.RestartedFactor)
	}
	return s
}

// watchCacheProbe holds a run's quiet point until its full one.
type watchCacheProbe struct {
	hc     *http.Client
	host   string
	etcd   string
	k8s    client.Client
	quiet  memProbe
	stored stored
	inUse  float64
}

func startWatchCacheProbe(ctx context.Context, env *envtest.Environment, cfg *rest.Config, k8s client.Client) (*watchCacheProbe, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	p := &watchCacheProbe{hc: hc, host: cfg.Host, k8s: k8s, etcd: strings.TrimSuffix(env.ControlPlane.Etcd.URL.String(), "/") + "/metrics"}
	if p.quiet, err = probeAPIServer(ctx, hc, cfg.Host); err != nil {
		return nil, err
	}
	if p.stored, err = storedObjects(ctx, k8s, "bench"); err != nil {
		return nil, err
	}
	m, err := scrape(ctx, http.DefaultClient, p.etcd, etcdInUse)
	if err != nil {
		return nil, err
	}
	p.inUse = m[etcdInUse]
	return p, nil
}

func (p *watchCacheProbe) finish(ctx context.Context) (*watchCache, error) {
	peak, err := probeAPIServer(ctx, p.hc, p.host)
	if err != nil {
		return nil, err
	}
	st, err := storedObjects(ctx, p.k8s, "bench")
	if err != nil {
		return nil, err
	}
	m, err := scrape(ctx, http.DefaultClient, p.etcd, etcdInUse)
	if err != nil {
		return nil, err
	}
	return newWatchCache(p.quiet, peak, p.stored, st, m[etcdInUse]-p.inUse), nil
}
