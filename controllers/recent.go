package controllers

import (
	"sync"
	"sync/atomic"
	"time"
)

// recentWrites remembers writes this process made moments ago, until each
// entry's expiry (wall time), so a reconcile that reads from a cache not yet
// showing its own write does not repeat it only to meet a conflict or an
// AlreadyExists. A restart forgets it, which costs one repeated write each.
// The zero value is ready to use.
type recentWrites[K comparable] struct {
	m sync.Map // K -> time.Time (expiry)
	// pruned is when m was last walked for expired entries (Unix ns).
	pruned atomic.Int64
}

// recentPruneEvery is how often the memory is walked for expired entries:
// walking it on every write cost time in proportion to the writes of the
// last minute, on every write.
const recentPruneEvery = time.Minute

// remember records a write made at now, kept for fresh.
func (r *recentWrites[K]) remember(k K, now time.Time, fresh time.Duration) {
	r.m.Store(k, now.Add(fresh))
	r.prune(now)
}

// left reports how long the write of k stays remembered (false: not at all).
func (r *recentWrites[K]) left(k K, now time.Time) (time.Duration, bool) {
	v, ok := r.m.Load(k)
	if !ok {
		return 0, false
	}
	if d := v.(time.Time).Sub(now); d > 0 {
		return d, true
	}
	return 0, false
}

// forget drops k, once a read shows the write.
func (r *recentWrites[K]) forget(k K) {
	if _, ok := r.m.Load(k); ok { // a Load takes no lock in the common case
		r.m.Delete(k)
	}
}

// prune drops expired entries, at most once per recentPruneEvery.
func (r *recentWrites[K]) prune(now time.Time) {
	last := r.pruned.Load()
	if now.UnixNano()-last < int64(recentPruneEvery) || !r.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	r.m.Range(func(k, v any) bool {
		if !now.Before(v.(time.Time)) {
			r.m.Delete(k)
		}
		return true
	})
}

// len counts the entries (tests).
func (r *recentWrites[K]) len() int {
	n := 0
	r.m.Range(func(any, any) bool { n++; return true })
	return n
}
