package controllers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/settlement"
	"github.com/inkasso-operator/inkasso-operator/pkg/eventrecorder"
)

// stepLateness is how long after it was due each step fired: the operator
// falling behind (a slow apiserver, a stopped manager, a full work queue)
// shows here first. Observed by the claim and case code when a step fires.
var (
	stepLateness = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "inkasso_step_lateness_seconds",
		Help:    "Time between when a collection step was due and when it fired, by namespace, policy and step.",
		Buckets: []float64{1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600},
	}, []string{"namespace", "policy", "step"})
	stepsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_steps_total",
		Help: "Collection steps fired, by namespace, policy and step.",
	}, []string{"namespace", "policy", "step"})
)

// The claim archive (archive_controller.go): records committed, commit
// latency, and failures by operation (write, wake, restore).
var (
	archivedClaims = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_archive_claims_total",
		Help: "Claims archived and removed from the cluster, by kind (Finished, Dormant, Deleted).",
	}, []string{"kind"})
	archiveWriteSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "inkasso_archive_write_seconds",
		Help:    "Time to commit one claim's record to the archive database.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5},
	})
	archiveErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_archive_errors_total",
		Help: "Failed archive operations, by operation: write (archiving a claim), wake (bringing a dormant claim back), restore (a claim applied again).",
	}, []string{"op"})
	archiveRestored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inkasso_archive_restored_total",
		Help: "Claims restored from the archive, by reason (RestoredReapplied, RestoredRecheck).",
	}, []string{"reason"})
	archiveWoken = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "inkasso_archive_woken_total",
		Help: "Dormant Surveillance claims brought back from the archive for their credit re-check.",
	})
)

// observeStep counts a fired step. The namespace is a label because policy
// and step names are each tenant's to choose: without it two creditors'
// "collectors" policies would share one series, each hiding the other's
// lateness.
func observeStep(namespace, policy, step string, due, at time.Time) {
	stepsTotal.WithLabelValues(namespace, policy, step).Inc()
	if !due.IsZero() {
		stepLateness.WithLabelValues(namespace, policy, step).Observe(max(at.Sub(due).Seconds(), 0))
	}
}

// stateCollector reports, on each scrape, the claims and notices in the
// manager's cache: claims and outstanding amounts by phase and currency,
// notices by channel and delivery state. Reading the cache costs no
// apiserver call; 10 000 claims take a few milliseconds.
type stateCollector struct {
	reader client.Reader
}

var (
	claimsDesc = prometheus.NewDesc("inkasso_claims", "Claims by namespace and phase.", []string{"namespace", "phase"}, nil)
	owedDesc   = prometheus.NewDesc("inkasso_claims_outstanding", "Outstanding amount of claims by namespace, phase and currency, in major units (metrics are floats; the claims' own amounts are exact).",
		[]string{"namespace", "phase", "currency"}, nil)
	noticesDesc   = prometheus.NewDesc("inkasso_notices", "Notices by namespace, channel and state (Pending, Sent, Failed).", []string{"namespace", "channel", "state"}, nil)
	collectedDesc = prometheus.NewDesc("inkasso_collected_amount", "Payments on claims by namespace, currency and state: Settled (a Settlement has taken them) or Unsettled (owed to a Settlement still), in major units, from the claims' status ledgers.",
		[]string{"namespace", "currency", "state"}, nil)
	stalledDesc = prometheus.NewDesc("inkasso_claims_stalled", "Claims whose Stalled condition is True, by namespace and reason.", []string{"namespace", "reason"}, nil)
)

func (s stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- claimsDesc
	ch <- owedDesc
	ch <- noticesDesc
	ch <- stalledDesc
	ch <- collectedDesc
}

func (s stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var claims inkassov1.ClaimList
	// Read-only: no deep copy of every claim and notice on each scrape.
	if err := s.reader.List(ctx, &claims, client.UnsafeDisableDeepCopy); err == nil {
		s.collectSettled(ctx, ch, claims.Items)
		type key struct{ ns, phase, cur string }
		count, owed, stalled := map[key]int{}, map[key]decimal.Decimal{}, map[key]int{}
		for i := range claims.Items {
			c := &claims.Items[i]
			if st := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionStalled); st != nil && st.Status == metav1.ConditionTrue {
				stalled[key{c.Namespace, st.Reason, ""}]++
			}
			phase := string(c.Status.Phase)
			if phase == "" {
				phase = "New"
			}
			count[key{c.Namespace, phase, ""}]++
			if c.Status.Balance != nil {
				if d, err := decimal.NewFromString(c.Status.Balance.Outstanding); err == nil {
					k := key{c.Namespace, phase, string(c.Spec.Currency)}
					owed[k] = owed[k].Add(d)
				}
			}
		}
		for k, n := range count {
			ch <- prometheus.MustNewConstMetric(claimsDesc, prometheus.GaugeValue, float64(n), k.ns, k.phase)
		}
		for k, n := range stalled {
			ch <- prometheus.MustNewConstMetric(stalledDesc, prometheus.GaugeValue, float64(n), k.ns, k.phase)
		}
		for k, d := range owed {
			ch <- prometheus.MustNewConstMetric(owedDesc, prometheus.GaugeValue, d.InexactFloat64(), k.ns, k.phase, k.cur)
		}
	}
	var notices inkassov1.NoticeList
	if err := s.reader.List(ctx, &notices, client.UnsafeDisableDeepCopy); err == nil {
		type key struct{ ns, channel, state string }
		count := map[key]int{}
		for i := range notices.Items {
			n := &notices.Items[i]
			state := inkassov1.NoticeReasonPending
			if c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady); c != nil {
				state = c.Reason
			}
			count[key{n.Namespace, n.Spec.ChannelRef.Name, state}]++
		}
		for k, n := range count {
			ch <- prometheus.MustNewConstMetric(noticesDesc, prometheus.GaugeValue, float64(n), k.ns, k.channel, k.state)
		}
	}
}

// collectSettled reports inkasso_collected_amount: each claim's payment
// entries, settled when a Settlement's line holds their key.
func (s stateCollector) collectSettled(ctx context.Context, ch chan<- prometheus.Metric, claims []inkassov1.Claim) {
	var stls inkassov1.SettlementList
	if err := s.reader.List(ctx, &stls, client.UnsafeDisableDeepCopy); err != nil {
		return
	}
	settled := map[string]bool{} // namespace/key
	for i := range stls.Items {
		for _, l := range stls.Items[i].Status.Lines {
			settled[stls.Items[i].Namespace+"/"+l.Key] = true
		}
	}
	type key struct{ ns, cur, state string }
	sums := map[key]decimal.Decimal{}
	for i := range claims {
		c := &claims[i]
		for _, e := range c.Status.Ledger {
			if e.Kind != string(ledger.KindPayment) {
				continue
			}
			d, err := decimal.NewFromString(e.Amount)
			if err != nil {
				continue
			}
			k := key{c.Namespace, string(c.Spec.Currency), "Unsettled"}
			if settled[c.Namespace+"/"+settlement.Key(c.Name, e.Ref)] {
				k.state = "Settled"
			}
			sums[k] = sums[k].Add(d)
			// Both states are always reported, so a panel shows 0, not a gap.
			other := key{k.ns, k.cur, map[string]string{"Settled": "Unsettled", "Unsettled": "Settled"}[k.state]}
			sums[other] = sums[other].Add(decimal.Zero)
		}
	}
	for k, d := range sums {
		ch <- prometheus.MustNewConstMetric(collectedDesc, prometheus.GaugeValue, d.InexactFloat64(), k.ns, k.cur, k.state)
	}
}

// SetupMetrics registers the operator's metrics with controller-runtime's
// registry (served on --metrics-bind-address, next to controller-runtime's
// own, e.g. controller_runtime_reconcile_errors_total).
func SetupMetrics(mgr ctrl.Manager) error {
	for _, c := range append([]prometheus.Collector{stepLateness, stepsTotal, archivedClaims, archiveWriteSeconds, archiveErrors, archiveRestored, archiveWoken, stateCollector{reader: mgr.GetCache()}}, eventrecorder.Collectors()...) {
		if err := metrics.Registry.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				return err
			}
		}
	}
	return nil
}
