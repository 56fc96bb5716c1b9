package controllers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

const fencedController = "test.inkasso.dev/fenced"

// testFence stands in for pkg/leasefence: it answers open as often as its
// script says, then closed, or always open once opened for good.
type testFence struct {
	mu       sync.Mutex
	openFor  int // open answers left; -1: open for good
	calls    int
	sends    map[string]int // notice name -> Send calls
	sendKeys map[string]string
	// deadline is the lease's takeover time (zero: none); sendBy records
	// the deadline each Send's context carried.
	deadline time.Time
	sendBy   map[string]time.Time
}

var fence = &testFence{sends: map[string]int{}, sendKeys: map[string]string{}, sendBy: map[string]time.Time{}}

func (f *testFence) takeover() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deadline
}

func (f *testFence) open() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	switch {
	case f.openFor < 0:
		return true, ""
	case f.openFor > 0:
		f.openFor--
		return true, ""
	}
	return false, "test: this replica's lease is stale"
}

func (f *testFence) send(ctx context.Context, req channelkit.Request) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends[req.Notice.Name]++
	f.sendBy[req.Notice.Name], _ = ctx.Deadline()
	return "fenced-" + req.Notice.Name, nil
}

func (f *testFence) set(openFor int) (calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openFor = openFor
	return f.calls
}

func (f *testFence) state(name string) (calls, sends int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.sends[name]
}

// TestClosedFenceSendsNothing (issue 21): a replica whose lease is stale
// sends nothing, and an at-most-once attempt it recorded just before the
// fence closed is taken back, not left to look like a send whose outcome is
// unknown. Once the fence opens the notice is delivered, once. A send while
// the fence is closed fails the test.
func TestClosedFenceSendsNothing(t *testing.T) {
	ns := newNamespace(t)
	// The fence is open for the check before the attempt is recorded and
	// closed for the one right before Send.
	fence.set(1)
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "fenced", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: fencedController}} // at most once: the default
	create(t, ch, testNotice(ns, "n-1", "fenced"))

	eventually(t, 15*time.Second, func() error {
		if calls, sends := fence.state("n-1"); sends == 0 && calls < 5 {
			return fmt.Errorf("the fence was asked %d times, want 5 (retried each second)", calls)
		}
		return nil
	})
	if _, sends := fence.state("n-1"); sends != 0 {
		t.Fatalf("%d sends while the fence was closed, want 0", sends)
	}
	var n inkassov1.Notice
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "n-1"}, &n); err != nil {
		t.Fatal(err)
	}
	if n.Status.Attempt != nil || n.Status.Attempts != 0 || readyReasonIs(inkassov1.NoticeReasonDeliveryUnknown)(&n) == nil {
		t.Fatalf("status %+v: want the attempt recorded before the fence closed taken back", n.Status)
	}

	fence.set(-1)
	n = *waitNotice(t, ns, "n-1", readyReasonIs(inkassov1.NoticeReasonSent))
	time.Sleep(time.Second) // time for a wrong second send
	if _, sends := fence.state("n-1"); sends != 1 {
		t.Errorf("%d sends after the fence opened, want 1", sends)
	}
	if n.Status.Attempts != 1 || n.Status.Attempt != nil || n.Status.DeliveryID != "fenced-n-1" {
		t.Errorf("status %+v: want one attempt, sent", n.Status)
	}
}

// TestSendEndsWhenTheLeaseMayBeTakenOver (issue 21): a send runs under a
// deadline at the moment another replica may take the lease over, so a
// replica paused between its fence check and the provider call does not
// make the call after it wakes, beside the new leader.
func TestSendEndsWhenTheLeaseMayBeTakenOver(t *testing.T) {
	ns := newNamespace(t)
	fence.set(-1)
	takeover := time.Now().Add(40 * time.Second).Truncate(time.Second)
	fence.mu.Lock()
	fence.deadline = takeover
	fence.mu.Unlock()
	t.Cleanup(func() { fence.mu.Lock(); fence.deadline = time.Time{}; fence.mu.Unlock() })
	ch := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "fenced", Namespace: ns},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: fencedController}}
	create(t, ch, testNotice(ns, "n-deadline", "fenced"))
	waitNotice(t, ns, "n-deadline", readyReasonIs(inkassov1.NoticeReasonSent))
	fence.mu.Lock()
	got := fence.sendBy["n-deadline"]
	fence.mu.Unlock()
	if !got.Equal(takeover) {
		t.Errorf("the send's context ends %v, want %v, when the lease may be taken over (the attempt timeout is later)", got, takeover)
	}
}
