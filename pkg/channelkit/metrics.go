package channelkit

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of every channel controller, labelled by controllerName. They are
// registered with controller-runtime's registry, served on the manager's
// metrics endpoint.
var (
	deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_channel_deliveries_total",
		Help: "Delivery attempts by channel controller and result: sent, failed (permanent), retry (transient error), expired (deadline passed), rate_limited, unknown (outcome unknown, for a person to settle), fenced (not sent: this replica's lease was not renewed in time).",
	}, []string{"controller", "result"})
	sendSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "inkasso_channel_send_duration_seconds",
		Help:    "Time a channel's Send took, by channel controller.",
		Buckets: prometheus.ExponentialBuckets(0.005, 3, 9), // 5 ms .. 33 s
	}, []string{"controller"})
	registerOnce sync.Once
)

func registerMetrics() {
	registerOnce.Do(func() { metrics.Registry.MustRegister(deliveries, sendSeconds, reconcilePanics) })
}
