package rebalance

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/inkasso-operator/inkasso-operator/internal/shard"
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

// TestFailingShardEndsTheProcess: a shard whose controllers keep stopping
// on their own right after starting is given up with a growing pause
// before it is taken again, and the third failure in a row exits the
// process, so that the other replicas (or a restart) take over instead of
// this one taking and giving it up forever.
func TestFailingShardEndsTheProcess(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }

	rec := &lostRecorder{}
	runFor := time.Duration(0)
	r := &Rebalancer{
		Count: 2, LeaseDuration: 15 * time.Second, Lost: rec.lost, Log: logr.Discard(), now: clock,
		Run: func(context.Context, shard.Shard, Fence) error {
			advance(runFor)
			return errors.New("the caches did not sync")
		},
	}
	released := make(chan struct{}, 1)
	s := &slot{index: 1, wanted: true, cancelElect: func() { released <- struct{}{} }}
	var fence openFence

	lead := func() {
		t.Helper()
		r.run(context.Background(), s, fence, logr.Discard())
	}
	gaveUp := func(failures int) {
		t.Helper()
		select {
		case <-released:
		case <-time.After(5 * time.Second):
			t.Fatalf("failure %d: the shard was not given up", failures)
		}
		r.stopped(s, logr.Discard()) // the elector released the Lease
		pause := time.Duration(failures) * r.LeaseDuration
		if r.contend(s) {
			t.Fatalf("failure %d: contending again at once", failures)
		}
		advance(pause - time.Millisecond)
		if r.contend(s) {
			t.Fatalf("failure %d: contending again before %v", failures, pause)
		}
		advance(time.Millisecond)
		if !r.contend(s) {
			t.Fatalf("failure %d: not contending again after %v", failures, pause)
		}
	}

	lead()
	gaveUp(1)
	// A run that lasted (ten lease durations) starts the count afresh.
	runFor = earlyRun * r.LeaseDuration
	lead()
	gaveUp(1)
	runFor = 0
	lead()
	gaveUp(2)
	if rec.count() != 0 {
		t.Fatalf("exited after two failures: %v", rec.errs)
	}
	lead()
	if rec.count() != 1 {
		t.Fatalf("the third early failure in a row did not end the process (%d Lost calls)", rec.count())
	}
	if msg := rec.errs[0].Error(); !strings.Contains(msg, "3 times in a row") || !strings.Contains(msg, "the caches did not sync") {
		t.Errorf("the exit does not say why: %q", msg)
	}
}

// openFence is always open and never taken over.
type openFence struct{}

func (openFence) Open() (bool, string) { return true, "" }
func (openFence) Deadline() time.Time  { return time.Time{} }

// TestLeadEndedBeforeItStarted: client-go runs OnStartedLeading in a
// goroutine and cancels its context before OnStoppedLeading when the lead
// ends, so run may start after stopped ran. It must not run the shard, nor
// leave the slot marked as leading (which would keep shutdown from stopping
// the shard's elector).
func TestLeadEndedBeforeItStarted(t *testing.T) {
	rec := &lostRecorder{}
	ran := false
	r := &Rebalancer{Count: 2, LeaseDuration: 15 * time.Second, Lost: rec.lost, Log: logr.Discard(), now: time.Now,
		Run: func(context.Context, shard.Shard, Fence) error { ran = true; return nil }}
	s := &slot{index: 0, wanted: true}
	lead, cancel := context.WithCancel(context.Background())
	cancel()
	r.stopped(s, logr.Discard())
	r.run(lead, s, openFence{}, logr.Discard())
	if ran || s.leading || s.cancelRun != nil {
		t.Errorf("ran %v, leading %v, cancelRun set %v: want nothing started for a lead that had ended", ran, s.leading, s.cancelRun != nil)
	}
}
