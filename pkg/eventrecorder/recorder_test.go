package eventrecorder

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

func pod(name string) *corev1.Pod {
	return &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)}}
}

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	return s
}

// TestQueueIsBounded: with the writer stalled, events beyond the queue are
// counted as dropped, never held.
func TestQueueIsBounded(t *testing.T) {
	p := New(nil, scheme(), Options{Queue: 3})
	before := testutil.ToFloat64(dropped.WithLabelValues("queue_full"))
	rec := p.For("test")
	for i := range 10 {
		rec.Eventf(pod(fmt.Sprint("p", i)), nil, corev1.EventTypeNormal, "Reason", "Act", "note %d", i)
	}
	if len(p.queue) != 3 {
		t.Errorf("queue holds %d events, want its size 3", len(p.queue))
	}
	if got := testutil.ToFloat64(dropped.WithLabelValues("queue_full")) - before; got != 7 {
		t.Errorf("%v events counted as dropped for a full queue, want 7", got)
	}
	e := <-p.queue
	if e.Regarding.Name != "p0" || e.Regarding.UID != "uid-p0" || e.Namespace != "ns" || e.Note != "note 0" || e.ReportingController != "test" || e.EventTime.IsZero() {
		t.Errorf("first event %+v", e)
	}
}

// TestRepeatsAreSuppressedAndMemoryBounded: an identical event within the
// window is dropped; the memory of recent events never exceeds its size.
func TestRepeatsAreSuppressedAndMemoryBounded(t *testing.T) {
	p := New(nil, scheme(), Options{Recent: 2, Window: time.Minute, Queue: 100})
	rec := p.For("test")
	before := testutil.ToFloat64(dropped.WithLabelValues("repeat"))
	rec.Eventf(pod("a"), nil, corev1.EventTypeWarning, "Retrying", "Deliver", "attempt 1")
	rec.Eventf(pod("a"), nil, corev1.EventTypeWarning, "Retrying", "Deliver", "attempt 1") // repeat
	rec.Eventf(pod("a"), nil, corev1.EventTypeWarning, "Retrying", "Deliver", "attempt 2")
	rec.Eventf(pod("b"), nil, corev1.EventTypeWarning, "Retrying", "Deliver", "attempt 1")
	if got := testutil.ToFloat64(dropped.WithLabelValues("repeat")) - before; got != 1 {
		t.Errorf("%v repeats dropped, want 1", got)
	}
	if len(p.queue) != 3 {
		t.Errorf("%d events queued, want 3", len(p.queue))
	}
	if len(p.recent) > 2 || p.order.Len() > 2 {
		t.Errorf("recent-event memory holds %d (%d in order), want at most 2", len(p.recent), p.order.Len())
	}
	// "a attempt 1" was forgotten (the memory holds two): it is recorded again.
	rec.Eventf(pod("a"), nil, corev1.EventTypeWarning, "Retrying", "Deliver", "attempt 1")
	if len(p.queue) != 4 {
		t.Errorf("%d events queued after a forgotten repeat, want 4", len(p.queue))
	}
	// After the window an identical event is news again.
	if p.repeat(recentKey{uid: "x"}, time.Now()) {
		t.Fatal("first sighting reported as a repeat")
	}
	if p.repeat(recentKey{uid: "x"}, time.Now().Add(2*time.Minute)) {
		t.Error("an identical event after the window was suppressed")
	}
}

// TestExpiredEventsAreForgotten: the memory of recent events holds nothing
// older than the window, so a manager past a burst gives its memory back.
func TestExpiredEventsAreForgotten(t *testing.T) {
	p := New(nil, scheme(), Options{Recent: 100, Window: time.Minute})
	t0 := time.Now()
	for i := range 50 {
		p.repeat(recentKey{uid: types.UID(fmt.Sprint(i))}, t0)
	}
	if len(p.recent) != 50 {
		t.Fatalf("remembered %d, want 50", len(p.recent))
	}
	p.repeat(recentKey{uid: "late"}, t0.Add(2*time.Minute))
	if len(p.recent) != 1 || p.order.Len() != 1 {
		t.Errorf("after the window the memory holds %d (%d in order), want only the new event", len(p.recent), p.order.Len())
	}
}
