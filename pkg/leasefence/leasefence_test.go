package leasefence

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// fakeLock is an inner lock whose writes succeed unless fail is set.
type fakeLock struct {
	id   string
	fail bool
}

func (f *fakeLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	return nil, nil, errors.New("not used")
}
func (f *fakeLock) Create(context.Context, resourcelock.LeaderElectionRecord) error { return f.err() }
func (f *fakeLock) Update(context.Context, resourcelock.LeaderElectionRecord) error { return f.err() }
func (f *fakeLock) RecordEvent(string)                                              {}
func (f *fakeLock) Identity() string                                                { return f.id }
func (f *fakeLock) Describe() string                                                { return "fake" }
func (f *fakeLock) err() error {
	if f.fail {
		return errors.New("apiserver unreachable")
	}
	return nil
}

// TestFenceFollowsTheRenewals: the fence opens with an acquisition, stays
// open while renewals come, closes lease-margin after the last successful
// one (a failed renewal does not count), and closes at once on release.
func TestFenceFollowsTheRenewals(t *testing.T) {
	ctx := context.Background()
	inner := &fakeLock{id: "me"}
	l, err := Wrap(inner, 15*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	mine := resourcelock.LeaderElectionRecord{HolderIdentity: "me"}

	if ok, why := l.Open(); ok || why == "" {
		t.Fatalf("open before acquiring (%q)", why)
	}
	must(t, l.Create(ctx, mine))
	if ok, why := l.Open(); !ok {
		t.Fatalf("closed right after acquiring: %s", why)
	}
	now = now.Add(4 * time.Second)
	must(t, l.Update(ctx, mine)) // renewed at 4 s
	now = now.Add(4999 * time.Millisecond)
	if ok, why := l.Open(); !ok {
		t.Fatalf("closed %v after a renewal, within lease-margin (5 s): %s", 4999*time.Millisecond, why)
	}
	inner.fail = true
	if err := l.Update(ctx, mine); err == nil {
		t.Fatal("the inner lock's error was swallowed")
	}
	now = now.Add(time.Millisecond)
	if ok, why := l.Open(); ok {
		t.Fatal("open 5 s after the last successful renewal: a failed renewal must not count")
	} else {
		t.Log(why)
	}
	inner.fail = false
	must(t, l.Update(ctx, mine))
	if ok, _ := l.Open(); !ok {
		t.Fatal("closed right after a successful renewal")
	}
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{})) // released on shutdown
	if ok, _ := l.Open(); ok {
		t.Fatal("open after releasing the lease")
	}
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "other"}))
	if ok, _ := l.Open(); ok {
		t.Fatal("open while another replica holds the lease")
	}
}

// TestFenceRefusesAMarginThatLeavesNoWindow names the bad setting.
func TestFenceRefusesAMarginThatLeavesNoWindow(t *testing.T) {
	for _, m := range []time.Duration{0, 15 * time.Second, 20 * time.Second} {
		if _, err := Wrap(&fakeLock{id: "me"}, 15*time.Second, m); err == nil {
			t.Errorf("margin %v of a 15 s lease accepted", m)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
