package channelkit

import (
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// DefaultMaxRetryDelay caps the backoff of a failing reconcile. The
// controller-runtime default, 1,000 s, grows during an apiserver outage
// (every status write fails) and is not reset when the apiserver returns:
// notices waited up to 17 minutes after it was back. Five minutes still
// spares a provider that is down.
const DefaultMaxRetryDelay = 5 * time.Minute

// NewRetryLimiter is the workqueue rate limiter of the operator's
// controllers: per item, exponential from 5 ms up to maxDelay (default
// DefaultMaxRetryDelay). Like controller-runtime's default for the priority
// queue it has no overall token bucket: a bucket's reservations pile up
// during an outage (hundreds of items failing a dozen times each) and hold
// every retry back for minutes after it ends. The client's QPS limit still
// bounds the load on the apiserver.
func NewRetryLimiter(maxDelay time.Duration) workqueue.TypedRateLimiter[reconcile.Request] {
	if maxDelay <= 0 {
		maxDelay = DefaultMaxRetryDelay
	}
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond, maxDelay)
}
