// Package eventrecorder records Kubernetes events (events.k8s.io/v1) with
// bounded memory: a fixed-size queue, a fixed-size memory of recent events
// for suppressing repeats, and metrics for what it had to drop.
//
// client-go's events broadcaster keeps every event it recorded in a map for
// six to twelve minutes to build event series, without any bound: at a few
// hundred events a second that map was about a third of the operator's
// heap. The operator's events are rarely repeats (a step, a phase change, a
// warning with its attempt number), so series buy little here; an
// identical event within Window is counted and dropped instead.
package eventrecorder

import (
	"container/list"
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	eventsclient "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/reference"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Defaults of Options.
const (
	DefaultQueue   = 1000
	DefaultRecent  = 4096
	DefaultWindow  = 5 * time.Minute
	DefaultWorkers = 2
	// maxNote is the apiserver's limit on an event's note.
	maxNote = 1024
)

var (
	dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_events_dropped_total",
		Help: "Events not recorded, by reason: queue_full (the apiserver could not keep up), repeat (an identical event within the window), failed (the apiserver refused or was unreachable).",
	}, []string{"reason"})
	recorded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "inkasso_events_recorded_total",
		Help: "Events written to the apiserver.",
	})
)

// Collectors are the recorder's metrics, for registering with a registry.
func Collectors() []prometheus.Collector { return []prometheus.Collector{dropped, recorded} }

// Options size the recorder; zero values take the defaults.
type Options struct {
	Queue, Recent, Workers int
	Window                 time.Duration
}

// Provider hands out recorders sharing one bounded queue and one writer.
type Provider struct {
	sink     eventsclient.EventsV1Interface
	scheme   *runtime.Scheme
	instance string
	window   time.Duration
	workers  int
	queue    chan *eventsv1.Event

	mu     sync.Mutex
	recent map[recentKey]*list.Element
	order  *list.List // of recentKey, oldest first
	max    int
}

type recentKey struct {
	uid                 types.UID
	kind, name          string
	typ, reason, action string
	note                string
}

type recentEntry struct {
	key recentKey
	at  time.Time
}

// New returns a provider writing through sink. Start it (it is a
// manager.Runnable) to begin writing.
func New(sink eventsclient.EventsV1Interface, scheme *runtime.Scheme, o Options) *Provider {
	host, _ := os.Hostname()
	p := &Provider{sink: sink, scheme: scheme, instance: host,
		window: o.Window, workers: o.Workers, max: o.Recent,
		recent: map[recentKey]*list.Element{}, order: list.New()}
	if p.window == 0 {
		p.window = DefaultWindow
	}
	if p.workers == 0 {
		p.workers = DefaultWorkers
	}
	if p.max == 0 {
		p.max = DefaultRecent
	}
	q := o.Queue
	if q == 0 {
		q = DefaultQueue
	}
	p.queue = make(chan *eventsv1.Event, q)
	return p
}

// Start writes queued events until ctx ends.
func (p *Provider) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-p.queue:
					p.write(ctx, e)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// NeedLeaderElection: every replica records its own events (a standby's
// are rare and worth keeping).
func (p *Provider) NeedLeaderElection() bool { return false }

func (p *Provider) write(ctx context.Context, e *eventsv1.Event) {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := p.sink.Events(e.Namespace).Create(wctx, e, metav1.CreateOptions{}); err != nil {
		dropped.WithLabelValues("failed").Inc()
		log.FromContext(ctx).V(1).Info("event not recorded", "reason", e.Reason, "namespace", e.Namespace, "error", err.Error())
		return
	}
	recorded.Inc()
}

// For returns the recorder of one reporting controller.
func (p *Provider) For(controller string) events.EventRecorder {
	return &recorder{p: p, controller: controller}
}

type recorder struct {
	p          *Provider
	controller string
}

func (r *recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.p.record(r.controller, regarding, related, eventtype, reason, action, fmt.Sprintf(note, args...))
}

func (p *Provider) record(controller string, regarding, related runtime.Object, eventtype, reason, action, note string) {
	ref, err := reference.GetReference(p.scheme, regarding)
	if err != nil {
		dropped.WithLabelValues("failed").Inc()
		return
	}
	if len(note) > maxNote {
		note = note[:maxNote-3] + "..."
	}
	now := time.Now()
	if p.repeat(recentKey{ref.UID, ref.Kind, ref.Namespace + "/" + ref.Name, eventtype, reason, action, note}, now) {
		dropped.WithLabelValues("repeat").Inc()
		return
	}
	var rel *corev1.ObjectReference
	if related != nil {
		if rel, err = reference.GetReference(p.scheme, related); err != nil {
			rel = nil
		}
	}
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	e := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", ref.Name, now.UnixNano()), Namespace: ns},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: controller,
		ReportingInstance:   p.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             rel,
		Note:                note,
		Type:                eventtype,
	}
	select {
	case p.queue <- e:
	default:
		dropped.WithLabelValues("queue_full").Inc()
	}
}

// repeat reports whether an identical event was recorded within the
// window, remembering this one; the memory holds at most max events, and
// none older than the window.
func (p *Provider) repeat(k recentKey, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.recent[k]; ok {
		if now.Sub(el.Value.(*recentEntry).at) < p.window {
			return true
		}
		p.order.Remove(el)
		delete(p.recent, k)
	}
	// Forget what is older than the window (the list is in recording
	// order), so a quiet manager holds nothing; then keep within max.
	for oldest := p.order.Front(); oldest != nil; oldest = p.order.Front() {
		if p.order.Len() < p.max && now.Sub(oldest.Value.(*recentEntry).at) < p.window {
			break
		}
		delete(p.recent, oldest.Value.(*recentEntry).key)
		p.order.Remove(oldest)
	}
	p.recent[k] = p.order.PushBack(&recentEntry{key: k, at: now})
	return false
}
