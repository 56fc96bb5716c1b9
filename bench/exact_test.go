package main

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestWithRVRewritesOnlyThePrecondition(t *testing.T) {
	body := []byte(`{"metadata":{"resourceVersion":"123"},"status":{"history":[{"step":"reminder"}]}}`)
	got := string(withRV(body, "98765"))
	want := `{"metadata":{"resourceVersion":"98765"},"status":{"history":[{"step":"reminder"}]}}`
	if got != want {
		t.Fatalf("withRV:\n got %s\nwant %s", got, want)
	}
	noRV := []byte(`{"metadata":{"finalizers":["x"]}}`)
	if string(withRV(noRV, "5")) != string(noRV) {
		t.Fatalf("a body without a precondition changed: %s", withRV(noRV, "5"))
	}
}

// A response read in small pieces, its resourceVersion after kilobytes of
// managedFields, split across reads.
func TestRVBodyFindsTheVersionAcrossReads(t *testing.T) {
	body := `{"apiVersion":"v1","kind":"Notice","metadata":{"managedFields":[` + strings.Repeat(`{"f:status":{}},`, 400) +
		`{}],"name":"n","resourceVersion":"4711","uid":"u"},"spec":{"ref":{"resourceVersion":"1"}}}`
	for _, chunk := range []int{1, 7, 19, 4096} {
		var got uint64
		b := &rvBody{ReadCloser: io.NopCloser(&chunkReader{s: body, n: chunk}), done: func(rv uint64) { got = rv }}
		if _, err := io.ReadAll(b); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if got != 4711 {
			t.Errorf("read %d bytes at a time: resourceVersion %d, want 4711", chunk, got)
		}
	}
}

type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := min(r.n, len(p), len(r.s))
	copy(p, r.s[:k])
	r.s = r.s[k:]
	return k, nil
}

// The GET of a new notice may be read before the create's own response:
// the revisions put the create first, and writes in etcd's order.
func TestInOrderFollowsTheRevisions(t *testing.T) {
	recs := []record{
		{method: http.MethodGet, path: "/notices/n1", rv: 10},
		{method: http.MethodPost, path: "/notices", rv: 10},
		{method: http.MethodPatch, path: "/claims/c1/status", rv: 12},
		{method: http.MethodPatch, path: "/claims/c1/status", rv: 11},
		{method: http.MethodPost, path: "/events"}, // no revision: stays after the write before it
		{method: http.MethodPatch, path: "/notices/n1/status", rv: 13},
	}
	inOrder(recs)
	var got []string
	for _, r := range recs {
		got = append(got, r.method+" "+r.path)
	}
	// The event was read after the write of revision 11: it stays after it.
	want := []string{"POST /notices", "GET /notices/n1", "PATCH /claims/c1/status", "POST /events", "PATCH /claims/c1/status", "PATCH /notices/n1/status"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("order:\n got %v\nwant %v", got, want)
	}
	if recs[2].rv != 11 || recs[4].rv != 12 {
		t.Fatalf("the claim's writes are not in revision order: %d, %d", recs[2].rv, recs[4].rv)
	}
}

func TestObjectKey(t *testing.T) {
	for _, c := range []struct {
		rec  record
		want string
	}{
		{record{method: "PATCH", path: "/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/claims/c-1/status"}, "claims/c-1"},
		{record{method: "PATCH", path: "/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/debtors/d-1?fieldManager=x"}, "debtors/d-1"},
		{record{method: "POST", path: "/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/notices", body: []byte(`{"metadata":{"name":"n-1"}}`)}, "notices/n-1"},
		{record{method: "GET", path: "/apis/collection.inkasso.dev/v1alpha1/namespaces/bench/notices/n-1"}, "notices/n-1"},
	} {
		if got := objectKey(c.rec); got != c.want {
			t.Errorf("%s %s: key %q, want %q", c.rec.method, c.rec.path, got, c.want)
		}
	}
}

// The scheduler never runs two requests about one object at once, and
// runs each object's in their recorded order.
func TestKeySchedulerKeepsEachObjectsOrder(t *testing.T) {
	var keys []string
	for i := range 600 {
		keys = append(keys, []string{"a", "b", "c", "d", "e"}[i%5]+string(rune('0'+i%7)))
	}
	s := newKeyScheduler(keys)
	var mu sync.Mutex
	running := map[string]bool{}
	lastOf := map[string]int{}
	var faults []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := s.take()
				if i < 0 {
					return
				}
				mu.Lock()
				k := keys[i]
				if running[k] {
					faults = append(faults, "two at once: "+k)
				}
				if last, ok := lastOf[k]; ok && last > i {
					faults = append(faults, "out of order: "+k)
				}
				running[k], lastOf[k] = true, i
				mu.Unlock()
				time.Sleep(50 * time.Microsecond)
				mu.Lock()
				running[k] = false
				mu.Unlock()
				s.done(i)
			}
		}()
	}
	wg.Wait()
	if len(faults) > 0 {
		t.Fatalf("%d faults, first: %s", len(faults), faults[0])
	}
	if len(lastOf) != 35 {
		t.Fatalf("%d objects ran, want 35", len(lastOf))
	}
}

// TestRecorderRoundTrip: what is recorded is read back field by field,
// the Accept header with it (a metadata-only status write must be replayed
// as one).
func TestRecorderRoundTrip(t *testing.T) {
	r, err := newRecorder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.remove()
	in := []record{
		{method: "PATCH", path: "/apis/g/v1/namespaces/n/claims/c/status", contentType: "application/merge-patch+json", accept: "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json", body: []byte(`{"status":{}}`), rv: 7},
		{method: "POST", path: "/apis/g/v1/namespaces/n/notices", contentType: "application/json", body: []byte(`{"metadata":{"name":"x"}}`), rv: 8},
	}
	for _, rec := range in {
		r.add(rec)
	}
	out, err := r.records()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d records, wrote %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		if a.method != b.method || a.path != b.path || a.contentType != b.contentType || a.accept != b.accept || string(a.body) != string(b.body) || a.rv != b.rv {
			t.Fatalf("record %d: wrote %+v, read %+v", i, a, b)
		}
	}
}

// TestRVBodyReadsAProtobufAnswer: a status write's metadata-only answer
// comes as protobuf; its resourceVersion is read from it, whatever the
// reads' sizes.
func TestRVBodyReadsAProtobufAnswer(t *testing.T) {
	pom := metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "c-1", Namespace: "bench", ResourceVersion: "123456",
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "inkasso-operator", Operation: "Update", Subresource: "status"}}}}
	raw, err := pom.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	env, err := (&runtime.Unknown{Raw: raw, ContentType: "application/vnd.kubernetes.protobuf"}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body := append(append([]byte{}, protobufMagic...), env...)
	for _, chunk := range []int{1, 7, 4096} {
		var got uint64
		b := &rvBody{ReadCloser: io.NopCloser(&chunkReader{s: string(body), n: chunk}), proto: true, done: func(rv uint64) { got = rv }}
		if _, err := io.Copy(io.Discard, b); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if got != 123456 {
			t.Fatalf("chunks of %d: read resourceVersion %d, want 123456", chunk, got)
		}
	}
	if rv, ok := rvOfProtobuf([]byte(`{"metadata":{}}`)); ok {
		t.Fatalf("JSON read as protobuf: %d", rv)
	}
}
