package channelkit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// limiters hold one token bucket per NoticeChannel (and generation, so an
// edited rateLimit takes effect at once).
type limiters struct {
	mu sync.Mutex
	m  map[limiterKey]*rate.Limiter
}

type limiterKey struct {
	namespace, name string
	generation      int64
}

// wait takes a token from the channel's bucket at now, or says how long
// until one is free. Channels without spec.rateLimit are not limited.
func (l *limiters) wait(ch *inkassov1.NoticeChannel, now time.Time) time.Duration {
	rl := ch.Spec.RateLimit
	if rl == nil || rl.PerMinute <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[limiterKey]*rate.Limiter{}
	}
	key := limiterKey{ch.Namespace, ch.Name, ch.Generation}
	lim, ok := l.m[key]
	if !ok {
		for k := range l.m { // forget older generations of this channel
			if k.namespace == key.namespace && k.name == key.name {
				delete(l.m, k)
			}
		}
		burst := int(max(rl.Burst, 1))
		lim = rate.NewLimiter(rate.Limit(float64(rl.PerMinute)/60), burst)
		l.m[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}
