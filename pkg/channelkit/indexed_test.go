package channelkit

import (
	"context"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// indexManager is the part of a manager indexNoticesByChannel uses: its
// field indexer (its cache) and the runnables added to it.
type indexManager struct {
	ctrl.Manager
	indexer   *countIndexer
	runnables []manager.Runnable
}

func (m *indexManager) GetFieldIndexer() client.FieldIndexer { return m.indexer }
func (m *indexManager) Add(r manager.Runnable) error {
	m.runnables = append(m.runnables, r)
	return nil
}

type countIndexer struct{ calls int }

func (c *countIndexer) IndexField(context.Context, client.Object, string, client.IndexerFunc) error {
	c.calls++
	return nil
}

// TestNoticeIndexForgottenWhenTheManagerStops: the channels of one manager
// index notices once, and a manager that stops (a shard moved away) leaves
// no entry behind to pin its cache.
func TestNoticeIndexForgottenWhenTheManagerStops(t *testing.T) {
	m := &indexManager{indexer: &countIndexer{}}
	for range 2 { // two channel controllers in one manager
		if err := indexNoticesByChannel(m); err != nil {
			t.Fatal(err)
		}
	}
	if m.indexer.calls != 1 {
		t.Fatalf("the notice index was added %d times to one manager, want 1", m.indexer.calls)
	}
	if _, ok := indexed.Load(m.indexer); !ok {
		t.Fatal("the manager's index is not remembered")
	}
	for _, r := range m.runnables {
		if le, ok := r.(manager.LeaderElectionRunnable); !ok || le.NeedLeaderElection() {
			t.Fatalf("%T waits for leader election: a manager that never leads would never forget its index", r)
		}
	}
	// The manager starts its runnables, then stops.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, r := range m.runnables {
			if err := r.Start(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	cancel()
	<-done
	if _, ok := indexed.Load(m.indexer); ok {
		t.Fatal("a stopped manager's cache is still held by the notice index registry")
	}
}
