package rebalance

import (
	"sync"
	"testing"

	"github.com/go-logr/logr"
)

// lostRecorder collects the Lost calls (in production the process exits).
type lostRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (l *lostRecorder) lost(_ int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *lostRecorder) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.errs)
}

// TestLeaseLostWhileReleasing: a Lease lost while a release is still
// stopping the shard is lost — the shard may run on without it — but a
// release that stopped the shard first is not.
func TestLeaseLostWhileReleasing(t *testing.T) {
	rec := &lostRecorder{}
	r := &Rebalancer{Count: 2, Lost: rec.lost, Log: logr.Discard()}

	draining := &slot{index: 1, leading: true, releasing: true, runDone: make(chan struct{})}
	r.stopped(draining, logr.Discard())
	if rec.count() != 1 {
		t.Fatal("a Lease lost while its shard was still stopping was not treated as lost")
	}

	stoppedFirst := &slot{index: 1, leading: true, releasing: true, runDone: make(chan struct{})}
	close(stoppedFirst.runDone)
	r.stopped(stoppedFirst, logr.Discard())
	if rec.count() != 1 {
		t.Fatalf("a release after the shard stopped was treated as lost: %v", rec.errs)
	}

	running := &slot{index: 1, leading: true, runDone: make(chan struct{})}
	r.stopped(running, logr.Discard())
	if rec.count() != 2 {
		t.Fatal("a Lease lost while running was not treated as lost")
	}
}
