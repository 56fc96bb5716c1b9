package channelkit

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestRetryLimiterCapsBackoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxDelay time.Duration
		want     time.Duration
	}{
		{"default", 0, DefaultMaxRetryDelay},
		{"negative means default", -time.Second, DefaultMaxRetryDelay},
		{"custom", 2 * time.Second, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewRetryLimiter(tc.maxDelay)
			item := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "n"}}
			if d := l.When(item); d != 5*time.Millisecond {
				t.Fatalf("first retry after %v, want 5ms", d)
			}
			var last time.Duration
			for range 40 { // 5 ms doubled 40 times is far past any cap
				last = l.When(item)
			}
			if last != tc.want {
				t.Errorf("backoff after 41 failures is %v, want the cap %v", last, tc.want)
			}
			l.Forget(item)
			if d := l.When(item); d != 5*time.Millisecond {
				t.Errorf("after Forget the next retry is %v, want 5ms again", d)
			}
		})
	}
}
