package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// eventBuffer holds a reconcile's events and metric observations until its
// status write succeeds: a reconcile that loses the optimistic lock runs
// again, and must not announce (or count) the same step twice.
type eventBuffer struct {
	to      events.EventRecorder
	pending []bufferedEvent
	after   []func()
}

type bufferedEvent struct {
	regarding, related        runtime.Object
	eventtype, reason, action string
	note                      string
}

var _ events.EventRecorder = (*eventBuffer)(nil)

func (b *eventBuffer) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	b.pending = append(b.pending, bufferedEvent{regarding, related, eventtype, reason, action, fmt.Sprintf(note, args...)})
}

// find returns the pending event with the reason, or nil.
func (b *eventBuffer) find(reason string) *bufferedEvent {
	for i := range b.pending {
		if b.pending[i].reason == reason {
			return &b.pending[i]
		}
	}
	return nil
}

// take removes the pending event with the reason and returns a copy, or nil.
func (b *eventBuffer) take(reason string) *bufferedEvent {
	for i := range b.pending {
		if b.pending[i].reason == reason {
			e := b.pending[i]
			b.pending = append(b.pending[:i], b.pending[i+1:]...)
			return &e
		}
	}
	return nil
}

// flush emits the events and runs the deferred observations.
func (b *eventBuffer) flush() {
	for _, e := range b.pending {
		b.to.Eventf(e.regarding, e.related, e.eventtype, e.reason, e.action, "%s", e.note)
	}
	for _, f := range b.after {
		f()
	}
	b.pending, b.after = nil, nil
}

// afterWrite runs f once the reconcile's status is written, at once when
// the recorder does not buffer.
func afterWrite(rec events.EventRecorder, f func()) {
	if b, ok := rec.(*eventBuffer); ok {
		b.after = append(b.after, f)
		return
	}
	f()
}
