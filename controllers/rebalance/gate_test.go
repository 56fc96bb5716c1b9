package rebalance

import (
	"context"
	"errors"
	"testing"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// recordLock counts the writes that reach the Lease.
type recordLock struct {
	resourcelock.Interface
	writes int
}

func (l *recordLock) Create(context.Context, resourcelock.LeaderElectionRecord) error {
	l.writes++
	return nil
}

func (l *recordLock) Update(context.Context, resourcelock.LeaderElectionRecord) error {
	l.writes++
	return nil
}

// TestGatedLock: a closed gate keeps the replica from taking a Lease, but
// never from renewing or releasing one it holds.
func TestGatedLock(t *testing.T) {
	ctx := context.Background()
	take := resourcelock.LeaderElectionRecord{HolderIdentity: "me"}
	release := resourcelock.LeaderElectionRecord{}
	open := false
	inner := &recordLock{}
	l := &gatedLock{Interface: inner, open: func() bool { return open }}

	if err := l.Create(ctx, take); !errors.Is(err, ErrNotPreferred) {
		t.Fatalf("closed gate: Create = %v", err)
	}
	if err := l.Update(ctx, take); !errors.Is(err, ErrNotPreferred) {
		t.Fatalf("closed gate: Update = %v", err)
	}
	if inner.writes != 0 {
		t.Fatalf("a closed gate wrote the Lease %d times", inner.writes)
	}
	open = true
	if err := l.Update(ctx, take); err != nil {
		t.Fatalf("open gate: %v", err)
	}
	open = false // preferred elsewhere now: the holder still renews until it releases
	if err := l.Update(ctx, take); err != nil {
		t.Fatalf("renewing a held Lease behind a closed gate: %v", err)
	}
	if err := l.Update(ctx, release); err != nil {
		t.Fatalf("releasing: %v", err)
	}
	if err := l.Update(ctx, take); !errors.Is(err, ErrNotPreferred) {
		t.Fatalf("after the release a closed gate let the Lease be taken again: %v", err)
	}
	if inner.writes != 3 {
		t.Errorf("%d writes, want 3 (take, renew, release)", inner.writes)
	}
}
