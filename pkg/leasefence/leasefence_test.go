package leasefence

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// fakeLock is an inner lock holding one record, whose writes succeed
// unless fail is set; onWrite, if set, runs as a write begins.
type fakeLock struct {
	id      string
	fail    bool
	rec     resourcelock.LeaderElectionRecord
	writes  int
	onWrite func(resourcelock.LeaderElectionRecord)
}

func (f *fakeLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	if f.fail {
		return nil, nil, f.err()
	}
	r := f.rec
	return &r, nil, nil
}
func (f *fakeLock) Create(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	return f.write(r)
}
func (f *fakeLock) Update(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	return f.write(r)
}
func (f *fakeLock) write(r resourcelock.LeaderElectionRecord) error {
	if f.onWrite != nil {
		f.onWrite(r)
	}
	if err := f.err(); err != nil {
		return err
	}
	f.rec = r
	f.writes++
	return nil
}
func (f *fakeLock) RecordEvent(string) {}
func (f *fakeLock) Identity() string   { return f.id }
func (f *fakeLock) Describe() string   { return "fake" }
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
	if got, want := l.Deadline(), now.Add(15*time.Second); !got.Equal(want) {
		t.Fatalf("deadline %v, want the renewal plus the lease duration %v: another replica may take over then", got, want)
	}
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
	get(t, l)                                                   // client-go's tryRelease reads first
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{})) // released on shutdown
	if ok, _ := l.Open(); ok {
		t.Fatal("open after releasing the lease")
	}
	if d := l.Deadline(); !d.IsZero() {
		t.Fatalf("deadline %v after releasing the lease, want none", d)
	}
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "other"}))
	if ok, _ := l.Open(); ok {
		t.Fatal("open while another replica holds the lease")
	}
}

// TestFenceNeverReleasesAnotherReplicasLease replays client-go's tryRelease
// after a pause: replica A renewed, was paused past its lease, B took the
// Lease; A wakes, its context is cancelled and ReleaseOnCancel reads the
// Lease and (trusting its stale IsLeader) writes an empty holder. The
// fence must refuse that write, and close as soon as the read shows B.
func TestFenceNeverReleasesAnotherReplicasLease(t *testing.T) {
	ctx := context.Background()
	inner := &fakeLock{id: "a"}
	l, err := Wrap(inner, 15*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	get(t, l)
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "a"})) // A acquires
	if ok, why := l.Open(); !ok {
		t.Fatalf("closed after acquiring: %s", why)
	}
	inner.rec = resourcelock.LeaderElectionRecord{HolderIdentity: "b"} // B took it while A was paused
	writes := inner.writes

	get(t, l) // tryRelease's read
	if ok, _ := l.Open(); ok {
		t.Fatal("the fence stayed open after a read showed another holder")
	}
	if err := l.Update(ctx, resourcelock.LeaderElectionRecord{}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("releasing B's Lease: %v, want ErrNotHolder", err)
	}
	if inner.writes != writes || inner.rec.HolderIdentity != "b" {
		t.Fatalf("A's release reached the Lease: holder now %q", inner.rec.HolderIdentity)
	}

	// A failed read proves nothing either.
	inner.fail = true
	if _, _, err := l.Get(ctx); err == nil {
		t.Fatal("the inner lock's error was swallowed")
	}
	inner.fail = false
	if err := l.Update(ctx, resourcelock.LeaderElectionRecord{}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("releasing after a failed read: %v, want ErrNotHolder", err)
	}
}

// TestFenceClosesBeforeTheReleaseWrite: while the release is on its way
// the Lease may already be free to take, so the fence is shut first.
func TestFenceClosesBeforeTheReleaseWrite(t *testing.T) {
	ctx := context.Background()
	inner := &fakeLock{id: "a"}
	l, err := Wrap(inner, 15*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	must(t, l.Create(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "a"}))
	get(t, l)
	var openDuring bool
	inner.onWrite = func(r resourcelock.LeaderElectionRecord) {
		if r.HolderIdentity == "" {
			openDuring, _ = l.Open()
		}
	}
	inner.fail = false
	must(t, l.Update(ctx, resourcelock.LeaderElectionRecord{}))
	if openDuring {
		t.Fatal("the fence was open while the release was being written")
	}
	if inner.rec.HolderIdentity != "" {
		t.Fatalf("own Lease not released: holder %q", inner.rec.HolderIdentity)
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

func get(t *testing.T, l *Lock) {
	t.Helper()
	if _, _, err := l.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
