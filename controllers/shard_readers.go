package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// ShardReaders lists from the caches of the debtor shards a replica holds
// at the moment (--shards N: shards come and go with rebalancing), for the
// claim and notice gauges (stateCollector). The shards' claims and notices
// are disjoint, so a list is the concatenation of each cache's; objects
// every shard caches (Settlements) come once per shard, which the gauges
// only use as a set.
type ShardReaders struct {
	mu      sync.Mutex
	next    int
	readers map[int]client.Reader
}

// Add adds a shard's cache; the returned func removes it when the shard
// stops (a stopped cache must not be reported).
func (s *ShardReaders) Add(r client.Reader) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readers == nil {
		s.readers = map[int]client.Reader{}
	}
	id := s.next
	s.next++
	s.readers[id] = r
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.readers, id)
	}
}

// Get is not offered: an object is in one shard's cache or in all.
func (s *ShardReaders) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("ShardReaders: Get is not supported, only List")
}

// List concatenates the lists of every held shard's cache.
func (s *ShardReaders) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	s.mu.Lock()
	readers := make([]client.Reader, 0, len(s.readers))
	for _, r := range s.readers {
		readers = append(readers, r)
	}
	s.mu.Unlock()
	var all []runtime.Object
	for _, r := range readers {
		part, ok := list.DeepCopyObject().(client.ObjectList)
		if !ok {
			return fmt.Errorf("ShardReaders: %T is not a list", list)
		}
		if err := r.List(ctx, part, opts...); err != nil {
			return err
		}
		items, err := meta.ExtractList(part)
		if err != nil {
			return fmt.Errorf("ShardReaders: %w", err)
		}
		all = append(all, items...)
	}
	return meta.SetList(list, all)
}

// RegisterStateMetrics registers the claim and notice gauges over r
// before any manager's SetupMetrics does (a manager that runs several
// shards: each shard's SetupMetrics then finds them registered).
func RegisterStateMetrics(r client.Reader) error {
	return metrics.Registry.Register(stateCollector{reader: r})
}
