package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// The exact replay (-replay-exact, on by default): the manager's own
// requests, not a mix like them. Every 2xx write the manager sent (and
// every GET by name) is recorded during the run, its body byte for byte,
// and sent again in the same order per object on a fresh control plane
// holding the same starting objects, with only the resourceVersion
// precondition of each patch rewritten to the replay's own. The objects
// therefore grow exactly as the manager's did (history entries, ledger
// lines, cases, managed fields), each patch changes the same structured
// fields, and the apiserver does the same work per write: what is left out
// is only the manager's thinking (its decisions, rendering, patch
// computation, cache and queues). Its best rate over the concurrency levels
// is the ceiling the fair ratio is measured against.
//
// The synthetic replay (replay.go) stays: its ramp on fresh objects is the
// load runs' ceiling, and its grown ramp is reported beside the exact one.

// recorder appends requests to a file (not the heap: the manager's heap is
// measured in the same process).
type recorder struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	n    int
	err  error
	path string
}

func newRecorder(dir string) (*recorder, error) {
	f, err := os.CreateTemp(dir, "bench-requests-*.bin")
	if err != nil {
		return nil, err
	}
	return &recorder{f: f, w: bufio.NewWriterSize(f, 1<<20), path: f.Name()}, nil
}

// record is one request as the manager sent it.
type record struct {
	method, path, contentType string
	// accept is the Accept header, replayed as sent: the manager's status
	// writes ask for metadata only, protobuf first (pkg/statuspatch), and
	// the replay must too, or its apiserver would encode whole objects.
	accept string
	body   []byte
	// rv is the resourceVersion of the response (etcd's revision of the
	// write, or for a GET the object's last write's), 0 when the response
	// had none the bench could read (a protobuf event).
	rv uint64
}

func (r *recorder) add(rec record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	for _, field := range [][]byte{[]byte(rec.method), []byte(rec.path), []byte(rec.contentType), rec.body, []byte(strconv.FormatUint(rec.rv, 10)), []byte(rec.accept)} {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(field)))
		if _, err := r.w.Write(n[:]); err != nil {
			r.err = err
			return
		}
		if _, err := r.w.Write(field); err != nil {
			r.err = err
			return
		}
	}
	r.n++
}

// close flushes the file and reads every record back.
func (r *recorder) records() ([]record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, fmt.Errorf("recording the manager's requests: %w", r.err)
	}
	if err := r.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	in := bufio.NewReaderSize(r.f, 1<<20)
	var out []record
	field := func() ([]byte, error) {
		var n [4]byte
		if _, err := io.ReadFull(in, n[:]); err != nil {
			return nil, err
		}
		b := make([]byte, binary.LittleEndian.Uint32(n[:]))
		_, err := io.ReadFull(in, b)
		return b, err
	}
	for range r.n {
		var f [6][]byte
		for i := range f {
			b, err := field()
			if err != nil {
				return nil, fmt.Errorf("reading the recorded requests back: %w", err)
			}
			f[i] = b
		}
		rv, _ := strconv.ParseUint(string(f[4]), 10, 64)
		out = append(out, record{method: string(f[0]), path: string(f[1]), contentType: string(f[2]), body: f[3], rv: rv, accept: string(f[5])})
	}
	inOrder(out)
	return out, nil
}

// inOrder sorts the records into the order the apiserver applied them.
// They were appended as their responses were read, which can differ from
// it: a channel's GET of a new notice, started on the watch event of the
// create, may finish before the create's own response is read. etcd's
// revisions are global and increase with every write, so writes sort by
// the revision of their response, and a GET goes right after the write
// whose revision it returned. A record without one (an event, in
// protobuf) keeps its place after the record appended before it.
func inOrder(recs []record) {
	type keyed struct {
		rv  uint64
		get bool
		at  int
	}
	k := make([]keyed, len(recs))
	var last uint64
	for i, r := range recs {
		if r.rv > 0 {
			last = r.rv
		}
		k[i] = keyed{rv: last, get: r.method == http.MethodGet, at: i}
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := k[idx[a]], k[idx[b]]
		if x.rv != y.rv {
			return x.rv < y.rv
		}
		if x.get != y.get {
			return !x.get
		}
		return x.at < y.at
	})
	sorted := make([]record, len(recs))
	for i, j := range idx {
		sorted[i] = recs[j]
	}
	copy(recs, sorted)
}

// rvBody finds the resourceVersion in a response body as it is read, and
// hands it over when the body is closed, without keeping the body: the
// apiserver writes a custom resource's keys sorted, so metadata's
// resourceVersion comes after its managedFields, often kilobytes in (and
// no managedFields entry has a "resourceVersion" key).
//
// A protobuf answer (client-go's metadata client asks for one first, and
// the apiserver gives PartialObjectMetadata in protobuf even for a custom
// resource) is kept, it is small, and decoded when closed.
type rvBody struct {
	io.ReadCloser
	proto bool
	kept  []byte // proto: the body so far
	carry []byte // the last bytes read, a match may straddle two reads
	rv    uint64
	found bool
	done  func(uint64)
}

func (b *rvBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.proto {
		if len(b.kept)+n <= maxProtobufAnswer {
			b.kept = append(b.kept, p[:n]...)
		}
		return n, err
	}
	if !b.found && n > 0 {
		buf := append(b.carry, p[:n]...)
		if i := bytes.Index(buf, rvField); i >= 0 {
			rest := buf[i+len(rvField):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				b.rv, _ = strconv.ParseUint(string(rest[:j]), 10, 64)
				b.found = true
				b.carry = nil
				return n, err
			}
			b.carry = append([]byte(nil), buf[i:]...) // the number goes on in the next read
			return n, err
		}
		keep := min(len(buf), len(rvField))
		b.carry = append(b.carry[:0:0], buf[len(buf)-keep:]...)
	}
	return n, err
}

func (b *rvBody) Close() error {
	if b.proto {
		b.rv, _ = rvOfProtobuf(b.kept)
		b.kept = nil
	}
	if b.done != nil {
		b.done(b.rv)
		b.done = nil
	}
	return b.ReadCloser.Close()
}

func (r *recorder) remove() {
	r.f.Close()
	os.Remove(r.path)
}

// requestBody is a copy of the body about to be sent, for the record.
func requestBody(req *http.Request) []byte {
	if req.GetBody == nil {
		return nil
	}
	b, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer b.Close()
	body, _ := io.ReadAll(b)
	return body
}

// objectKey is the object a request is about (resource/name), so the
// replay keeps each object's requests in their order: from the path, or
// for a create from the body's name.
func objectKey(rec record) string {
	path, _, _ := strings.Cut(rec.path, "?")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if p != "namespaces" || i+2 >= len(parts) {
			continue
		}
		if i+3 < len(parts) {
			return parts[i+2] + "/" + parts[i+3]
		}
		resource := parts[i+2]
		if strings.Contains(rec.contentType, "protobuf") {
			if obj, _, err := eventCodec.Decode(rec.body, nil, nil); err == nil {
				if o, ok := obj.(client.Object); ok {
					return resource + "/" + o.GetName()
				}
			}
			return resource + "/?"
		}
		var meta struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(rec.body, &meta)
		return resource + "/" + meta.Metadata.Name
	}
	return path
}

var rvField = []byte(`"resourceVersion":"`)

// maxProtobufAnswer bounds what rvBody keeps of a protobuf answer: a
// metadata-only one is a few kilobytes.
const maxProtobufAnswer = 1 << 20

// protobufMagic starts every Kubernetes protobuf message.
var protobufMagic = []byte{0x6b, 0x38, 0x73, 0x00}

func isProtobuf(contentType string) bool {
	return strings.HasPrefix(contentType, "application/vnd.kubernetes.protobuf")
}

func metadataOnly(accept string) bool {
	return strings.Contains(accept, "as=PartialObjectMetadata")
}

// rvOfProtobuf is the resourceVersion of a Kubernetes protobuf object:
// the envelope (runtime.Unknown) unwrapped and its object read as
// PartialObjectMetadata, which every object's leading metadata field
// decodes as (other fields are skipped).
func rvOfProtobuf(b []byte) (uint64, bool) {
	if !bytes.HasPrefix(b, protobufMagic) {
		return 0, false
	}
	var u runtime.Unknown
	if err := u.Unmarshal(b[len(protobufMagic):]); err != nil {
		return 0, false
	}
	var m metav1.PartialObjectMetadata
	if err := m.Unmarshal(u.Raw); err != nil {
		return 0, false
	}
	rv, err := strconv.ParseUint(m.ResourceVersion, 10, 64)
	return rv, err == nil
}

// rvOf is the first resourceVersion in a JSON object: its metadata's (no
// nested object of these kinds carries one before it).
func rvOf(b []byte) (string, bool) {
	i := bytes.Index(b, rvField)
	if i < 0 {
		return "", false
	}
	rest := b[i+len(rvField):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// withRV is body with its resourceVersion precondition replaced by rv.
func withRV(body []byte, rv string) []byte {
	i := bytes.Index(body, rvField)
	if i < 0 || rv == "" {
		return body
	}
	start := i + len(rvField)
	j := bytes.IndexByte(body[start:], '"')
	if j < 0 {
		return body
	}
	out := make([]byte, 0, len(body)+len(rv))
	out = append(out, body[:start]...)
	out = append(out, rv...)
	return append(out, body[start+j:]...)
}

// exactLevel is one pass of the whole recording at a concurrency.
type exactLevel struct {
	Workers   int     `json:"workers"`
	Writes    int     `json:"writes"`
	Reads     int     `json:"reads"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"writesPerSecond"`
}

type exactResult struct {
	Setup    string       `json:"setup"`
	Requests int          `json:"requests"` // recorded: 2xx writes and GETs by name
	Objects  int          `json:"objects"`  // distinct objects they are about
	Levels   []exactLevel `json:"levels"`
	Ceiling  float64      `json:"ceilingWritesPerSecond"`
	Best     int          `json:"bestWorkers"`
	Rising   bool         `json:"stillRising"`
	// ObjectBytes is the mean size of the object each kind of write met
	// (the response), to set beside the manager's: equal by construction.
	ObjectBytes map[string]int `json:"objectBytes,omitempty"`
}

// exactReplay sends the recording at each concurrency in -exact-workers,
// each on a fresh control plane populated as the run's was.
func exactReplay(ctx context.Context, c config, root string, recs []record) (*exactResult, error) {
	res := &exactResult{Setup: "the manager's recorded requests (2xx writes and GETs by name, bodies as sent), in order per object, on a fresh control plane per level populated as the run's was, with the manager's informers watching; only each patch's resourceVersion precondition rewritten",
		Requests: len(recs)}
	keys := make([]string, len(recs))
	objs := map[string]bool{}
	for i, r := range recs {
		keys[i] = objectKey(r)
		objs[keys[i]] = true
	}
	res.Objects = len(objs)
	var rates []float64
	for _, w := range c.exactWorkers {
		lv, sizes, err := exactLevelRun(ctx, c, root, recs, keys, w)
		if err != nil {
			return res, fmt.Errorf("%d workers: %w", w, err)
		}
		fmt.Fprintf(os.Stderr, "bench: exact replay: %d workers: %d writes (and %d reads) in %.1fs: %.1f writes/s\n", w, lv.Writes, lv.Reads, lv.Seconds, lv.PerSecond)
		res.Levels = append(res.Levels, lv)
		rates = append(rates, lv.PerSecond)
		if best, _, _ := bestRate(rates); best == lv.PerSecond {
			res.ObjectBytes = sizes
		}
	}
	var at int
	res.Ceiling, at, res.Rising = bestRate(rates)
	if len(res.Levels) > 0 {
		res.Best = res.Levels[at].Workers
	}
	return res, nil
}

func exactLevelRun(ctx context.Context, c config, root string, recs []record, keys []string, w int) (exactLevel, map[string]int, error) {
	lv := exactLevel{Workers: w}
	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return lv, nil, err
	}
	defer env.Stop()
	if err := populate(ctx, k8s, root, c, false); err != nil {
		return lv, nil, err
	}
	if !c.replayNoWatch {
		stop, err := watchLikeTheManager(ctx, cfg)
		if err != nil {
			return lv, nil, fmt.Errorf("the replay's informers: %w", err)
		}
		defer stop()
	}
	// The starting resourceVersions, by the same keys as the records.
	rv := map[string]string{}
	lists := []struct {
		resource string
		list     client.ObjectList
	}{{"claims", &inkassov1.ClaimList{}}, {"debtors", &inkassov1.DebtorList{}}, {"collectionpolicies", &inkassov1.CollectionPolicyList{}}, {"noticechannels", &inkassov1.NoticeChannelList{}}}
	for _, l := range lists {
		if err := k8s.List(ctx, l.list, client.InNamespace("bench")); err != nil {
			return lv, nil, err
		}
		items, err := meta.ExtractList(l.list)
		if err != nil {
			return lv, nil, err
		}
		for _, item := range items {
			o, err := meta.Accessor(item)
			if err != nil {
				return lv, nil, err
			}
			rv[l.resource+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	rcfg := rest.CopyConfig(cfg)
	hc, err := rest.HTTPClientFor(rcfg)
	if err != nil {
		return lv, nil, err
	}
	measured := &counter{n: map[string]int{}}
	hc.Transport = measured.wrap(hc.Transport)
	sched := newKeyScheduler(keys)
	var mu sync.Mutex
	var firstErr error
	var writes, reads int
	var wg sync.WaitGroup
	t0 := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := sched.take()
				if i < 0 {
					return
				}
				mu.Lock()
				cur, failed := rv[keys[i]], firstErr != nil
				mu.Unlock()
				if failed || ctx.Err() != nil {
					sched.done(i)
					continue
				}
				newRV, err := send(ctx, hc, rcfg.Host, recs[i], cur)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = fmt.Errorf("%s %s: %w", recs[i].method, recs[i].path, err)
				case err == nil && recs[i].method == http.MethodGet:
					reads++
				case err == nil:
					writes++
				}
				if newRV != "" {
					rv[keys[i]] = newRV
				}
				mu.Unlock()
				sched.done(i)
			}
		}()
	}
	wg.Wait()
	lv.Seconds = time.Since(t0).Seconds()
	if firstErr != nil {
		return lv, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return lv, nil, err
	}
	lv.Writes, lv.Reads = writes, reads
	lv.PerSecond = float64(writes) / lv.Seconds
	return lv, measured.meanObjectBytes(), nil
}

// send makes one recorded request with the object's current
// resourceVersion and gives the new one from the response.
func send(ctx context.Context, hc *http.Client, host string, rec record, rv string) (string, error) {
	body := rec.body
	if rec.method == http.MethodPatch {
		body = withRV(body, rv)
	}
	req, err := http.NewRequestWithContext(ctx, rec.method, strings.TrimSuffix(host, "/")+rec.path, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	if rec.contentType != "" {
		req.Header.Set("Content-Type", rec.contentType)
	}
	req.Header.Set("Accept", cmp.Or(rec.accept, "application/json"))
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("%s: %s", resp.Status, truncate(out, 300))
	}
	if isProtobuf(resp.Header.Get("Content-Type")) {
		if rv, ok := rvOfProtobuf(out); ok {
			return strconv.FormatUint(rv, 10), nil
		}
		return "", nil
	}
	if got, ok := rvOf(out); ok {
		return got, nil
	}
	return "", nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// keyScheduler hands out the records in order, never two of the same
// object at once, and an object's in its recorded order: as many requests
// in flight as there are workers, so long as enough objects have work.
type keyScheduler struct {
	mu      sync.Mutex
	cond    *sync.Cond
	keys    []string
	next    int
	running int
	pending map[string][]int // a busy object's waiting records; present while busy
	ready   []int
}

func newKeyScheduler(keys []string) *keyScheduler {
	s := &keyScheduler{keys: keys, pending: map[string][]int{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// take is the next record to send, or -1 when all are sent.
func (s *keyScheduler) take() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if len(s.ready) > 0 {
			i := s.ready[0]
			s.ready = s.ready[1:]
			s.running++
			return i
		}
		for s.next < len(s.keys) {
			i := s.next
			s.next++
			k := s.keys[i]
			if p, busy := s.pending[k]; busy {
				s.pending[k] = append(p, i)
				continue
			}
			s.pending[k] = nil
			s.running++
			return i
		}
		if s.running == 0 {
			return -1
		}
		s.cond.Wait()
	}
}

// done releases the record's object: its next record, if any, is ready.
func (s *keyScheduler) done(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	k := s.keys[i]
	if p := s.pending[k]; len(p) > 0 {
		s.pending[k] = p[1:]
		s.ready = append(s.ready, p[0])
	} else {
		delete(s.pending, k)
	}
	s.cond.Broadcast()
}
