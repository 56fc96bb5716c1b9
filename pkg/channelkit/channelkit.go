// Package channelkit turns a Send function into a complete channel controller
// that honours the Notice contract (docs/channel-contract.md): it handles only
// Notices whose NoticeChannel names its controllerName, never sends before
// notBefore nor after deadline, retries transient errors with backoff, marks
// permanent ones Failed, passes an idempotency key derived from what
// identifies the notice, records each attempt before an at-most-once send
// (docs/channel-contract.md, version 2), and writes
// only the Notice's status. In-tree channels use it; so can third parties.
package channelkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
	"github.com/inkasso-operator/inkasso-operator/pkg/statuspatch"
)

// Request is one delivery attempt.
type Request struct {
	Notice  *inkassov1.Notice
	Channel *inkassov1.NoticeChannel
	// IdempotencyKey is stable across retries and restarts; pass it to the
	// provider so that a retry after a lost answer does not deliver twice.
	IdempotencyKey string
	// Attempt counts from 1.
	Attempt int32
	// SameProcess, in a Check, says the attempt asked about was made by
	// this process: a provider local to the process (a folder only this
	// pod sees) may then take "not there" as "not delivered". Otherwise the
	// attempt may have been made by another replica, whose local provider
	// this one cannot see.
	SameProcess bool
}

// SendFunc delivers a notice and returns the provider's delivery id. Wrap an
// error with Permanent when retrying cannot help.
type SendFunc func(ctx context.Context, req Request) (deliveryID string, err error)

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one no retry can fix: the Notice becomes Failed.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanentError)) }

// Controller is a channel controller built from a SendFunc.
type Controller struct {
	// ControllerName is the domain-prefixed name NoticeChannels select this controller by.
	ControllerName string
	// Name of the controller in logs and controller-runtime metrics; default
	// "channel-" and the controllerName made safe. Two kits in one process
	// need different names.
	Name   string
	Send   SendFunc
	Client client.Client
	// APIReader reads around the cache. Right before sending, the notice is
	// read live: the cache may not yet show the status written by the
	// previous attempt, and a stale read must never send twice.
	APIReader client.Reader
	// Clock gives the time notBefore and deadline are compared with.
	Clock clock.PassiveClock
	// MaxConcurrentSends bounds parallel deliveries (default 4).
	MaxConcurrentSends int
	// MaxRetryDelay caps the backoff between attempts of a failing delivery
	// (default DefaultMaxRetryDelay).
	MaxRetryDelay time.Duration
	// Recorder receives the Sent, Failed and Retrying events of notices
	// (default: the manager's recorder named after the controller).
	Recorder events.EventRecorder
	// RecorderFor, when set and Recorder is not, makes the Recorder for the
	// controller's reporting name (the operator's bounded event recorder,
	// pkg/eventrecorder); otherwise the manager's recorder is used.
	RecorderFor func(reportingController string) events.EventRecorder

	// Check, when set, asks the provider whether it has a notice whose
	// attempt has an unknown outcome, before the redelivery policy decides.
	Check CheckFunc
	// AttemptTimeout is how long another replica's recorded attempt may
	// still be under way (default DefaultAttemptTimeout).
	AttemptTimeout time.Duration

	// Fence, when set, says whether this replica may still act as the
	// leader (pkg/leasefence: its lease was renewed recently enough). It
	// is asked right before each send, and for an at-most-once channel
	// also before the attempt is recorded; a closed fence sends nothing
	// and tries again a second later. Nil (no leader election) is open.
	Fence func() (open bool, why string)
	// FenceDeadline, when set, is when another replica may take this
	// replica's lease over (pkg/leasefence: the last renewal plus the lease
	// duration; zero when it holds none). A send still under way then is
	// cancelled: the fence is checked before a send begins, and a replica
	// paused between that check and the provider call (a stopped process,
	// a long GC) would otherwise make the call after it woke, beside the
	// new leader, which may by then have asked the provider, found nothing
	// and sent again.
	FenceDeadline func() time.Time

	limits *limiters
	// identity names this process in the attempts it records.
	identity string
	// pending holds answers a provider gave that could not be recorded
	// yet, by notice UID.
	pending *sync.Map
}

const channelIndex = "spec.channelRef.name"

// actionDeliver is the action of the events a delivery records; their
// reasons are the notice's Ready reasons (Sent, Failed) or Retrying.
const actionDeliver = "Deliver"

// SetupWithManager registers the controller and its index with mgr.
func (c *Controller) SetupWithManager(mgr ctrl.Manager) error {
	if c.Client == nil {
		c.Client = mgr.GetClient()
	}
	if c.APIReader == nil {
		c.APIReader = mgr.GetAPIReader()
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.MaxConcurrentSends == 0 {
		c.MaxConcurrentSends = 4
	}
	if c.Recorder == nil && c.RecorderFor != nil {
		c.Recorder = c.RecorderFor("channel-" + sanitize(c.ControllerName))
	}
	if c.Recorder == nil {
		c.Recorder = mgr.GetEventRecorder("channel-" + sanitize(c.ControllerName))
	}
	c.limits, c.pending = &limiters{}, &sync.Map{}
	host, _ := os.Hostname()
	c.identity = fmt.Sprintf("%s_%d_%s", host, os.Getpid(), rand.String(5))
	registerMetrics()
	if err := indexNoticesByChannel(mgr); err != nil {
		return err
	}
	name := c.Name
	if name == "" {
		name = "channel-" + sanitize(c.ControllerName)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		For(&inkassov1.Notice{}).
		Watches(&inkassov1.NoticeChannel{}, handler.EnqueueRequestsFromMapFunc(c.noticesOfChannel)).
		WithOptions(controller.Options{MaxConcurrentReconciles: c.MaxConcurrentSends, RateLimiter: NewRetryLimiter(c.MaxRetryDelay)}).
		// A panic (in Send, say) is logged and counted, not retried: the
		// notice stays as it is until it or its channel changes
		// (docs/design-decisions.md).
		Complete(RecoverPanics(name, c, nil))
}

// indexed remembers the managers that have the notice index: several channel
// controllers in one manager share it, and an informer refuses a second one.
// A manager's entry goes when it stops: with --shards every shard
// acquisition builds a manager, and an entry would pin its stopped cache.
var indexed sync.Map

func indexNoticesByChannel(mgr ctrl.Manager) error {
	key := mgr.GetFieldIndexer()
	if _, loaded := indexed.LoadOrStore(key, true); loaded {
		return nil
	}
	err := key.IndexField(context.Background(), &inkassov1.Notice{}, channelIndex,
		func(o client.Object) []string { return []string{o.(*inkassov1.Notice).Spec.ChannelRef.Name} })
	if err == nil {
		err = mgr.Add(forgetIndexed{key})
	}
	if err != nil {
		indexed.Delete(key)
		return fmt.Errorf("indexing notices by channel: %w", err)
	}
	return nil
}

// forgetIndexed drops a manager's entry from indexed when the manager stops.
// It runs on every replica (no leader election), so that it starts, and so
// ends, with the manager.
type forgetIndexed struct{ key any }

func (f forgetIndexed) Start(ctx context.Context) error {
	<-ctx.Done()
	indexed.Delete(f.key)
	return nil
}

func (forgetIndexed) NeedLeaderElection() bool { return false }

func (c *Controller) noticesOfChannel(ctx context.Context, o client.Object) []reconcile.Request {
	ch := o.(*inkassov1.NoticeChannel)
	if ch.Spec.ControllerName != c.ControllerName {
		return nil
	}
	var list inkassov1.NoticeList
	if err := c.Client.List(ctx, &list, client.InNamespace(ch.Namespace), client.MatchingFields{channelIndex: ch.Name}, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "listing notices of channel", "channel", ch.Name)
		return nil
	}
	var reqs []reconcile.Request
	for _, n := range list.Items {
		if !done(&n) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: n.Namespace, Name: n.Name}})
		}
	}
	return reqs
}

// done reports a Notice that reached a final state: Sent or Failed.
func done(n *inkassov1.Notice) bool {
	c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	return c != nil && (c.Status == metav1.ConditionTrue || c.Reason == inkassov1.NoticeReasonFailed)
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=noticechannels,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=noticechannels/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile delivers one Notice.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var n inkassov1.Notice
	if err := c.Client.Get(ctx, req.NamespacedName, &n); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if done(&n) || !n.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, nil
	}
	var ch inkassov1.NoticeChannel
	if err := c.Client.Get(ctx, types.NamespacedName{Namespace: n.Namespace, Name: n.Spec.ChannelRef.Name}, &ch); err != nil {
		// A missing channel is nobody's to handle yet; the channel watch
		// brings the notice back when it appears.
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if ch.Spec.ControllerName != c.ControllerName {
		return reconcile.Result{}, nil
	}
	if err := c.markChannelReady(ctx, &ch); err != nil {
		return reconcile.Result{}, err
	}

	now := c.Clock.Now()
	orig := n.DeepCopy()
	n.Status.ControllerName = c.ControllerName
	// An attempt that may have reached the provider is settled first: a
	// passed deadline must not mark a delivered notice Failed.
	maybeSent := n.Status.Attempt != nil || unknown(&n)
	if n.Spec.Deadline != nil && now.After(n.Spec.Deadline.Time) && !maybeSent {
		msg := "deadline " + n.Spec.Deadline.UTC().Format(time.RFC3339) + " passed before the notice could be sent"
		if n.Status.Attempts > 1 {
			msg += fmt.Sprintf(" (%d attempts)", n.Status.Attempts)
		}
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonFailed, msg)
		deliveries.WithLabelValues(c.ControllerName, "expired").Inc()
		c.Recorder.Eventf(&n, nil, corev1.EventTypeWarning, inkassov1.NoticeReasonFailed, actionDeliver, msg)
		return reconcile.Result{}, c.patch(ctx, orig, &n)
	}
	if n.Spec.NotBefore != nil && now.Before(n.Spec.NotBefore.Time) && !maybeSent {
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonPending, "waiting until "+n.Spec.NotBefore.UTC().Format(time.RFC3339))
		return reconcile.Result{RequeueAfter: simclock.RealDuration(c.Clock, n.Spec.NotBefore.Sub(now))}, c.patch(ctx, orig, &n)
	}

	var live inkassov1.Notice
	if err := c.APIReader.Get(ctx, req.NamespacedName, &live); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if done(&live) {
		c.pending.Delete(live.UID)
		return reconcile.Result{}, nil
	}
	key, policy := IdempotencyKey(&live), redelivery(&ch)
	if o, ok := c.pending.Load(live.UID); ok && !c.ours(&live, o.(*outcome)) {
		c.dropRemembered(ctx, &live, o.(*outcome)) // then settle the attempt on record like any other
	} else if ok {
		// This process sent it and could not record the answer (the
		// apiserver was out of reach): record it now.
		if err := c.recordRemembered(ctx, &live, o.(*outcome)); err != nil {
			return reconcile.Result{}, err
		}
		if st := o.(*outcome).status; !done(&inkassov1.Notice{Status: st}) && !unknown(&inkassov1.Notice{Status: st}) {
			return reconcile.Result{RequeueAfter: time.Second}, nil // a retry was due
		}
		return reconcile.Result{}, nil
	}
	if live.Status.Attempt != nil || unknown(&live) {
		if res, settled, err := c.unknownOutcome(ctx, &live, &ch, key, policy); settled || err != nil {
			return res, err
		}
	}
	if wait := c.limits.wait(&ch, now); wait > 0 {
		// Over the channel's spec.rateLimit: come back when a token is free.
		// No status write: a throttled backlog must not load the apiserver.
		deliveries.WithLabelValues(c.ControllerName, "rate_limited").Inc()
		return reconcile.Result{RequeueAfter: simclock.RealDuration(c.Clock, wait)}, nil
	}
	return c.deliver(ctx, &live, &ch, key, policy)
}

// deliver makes one attempt. For an at-most-once channel the attempt is
// recorded first, under the live read's resourceVersion: a replica with a
// stale read (or one that lost its lease and whose write lost the race)
// fails there and sends nothing, and an attempt that dies before its
// answer is recorded is known to have maybe happened.
func (c *Controller) deliver(ctx context.Context, live *inkassov1.Notice, ch *inkassov1.NoticeChannel, key string, policy inkassov1.Redelivery) (reconcile.Result, error) {
	logger := log.FromContext(ctx)
	if res, closed := c.fenced(ctx, live); closed {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return reconcile.Result{}, fmt.Errorf("not sending notice %s: %w", live.Name, err) // stopping: begin nothing
	}
	// Once an attempt is begun, the attempt, the send and the recording of
	// its outcome run to the end even when the reconcile context is
	// cancelled: a stopping manager (or a shard's manager on a rebalance)
	// cancels it, and an outcome that could not be written would be kept
	// only in memory that dies with the manager, leaving an attempt with
	// no outcome (DeliveryUnknown for a person). The manager waits for
	// running reconciles when it stops (GracefulShutdownTimeout). The bound
	// is the attempt timeout: until then no other replica acts on the
	// attempt, after it the attempt counts as unknown anyway, so waiting
	// longer would only hold up the shutdown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.attemptTimeout())
	defer cancel()
	att := &inkassov1.DeliveryAttempt{Number: live.Status.Attempts + 1, StartedAt: metav1.Time{Time: time.Now().Truncate(time.Second)}, Holder: c.identity}
	base := live
	cur := live.DeepCopy()
	cur.Status.ControllerName = c.ControllerName
	cur.Status.Attempts = att.Number
	cur.Status.IdempotencyKey = key
	cur.Status.Attempt = nil
	if policy == inkassov1.AtMostOnce {
		cur.Status.Attempt = att
		if err := statuspatch.Patch(ctx, c.Client, cur, live, statuspatch.Optimistic); err != nil {
			if apierrors.IsConflict(err) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("recording attempt %d of notice %s: %w", att.Number, live.Name, err))
		}
		base = cur.DeepCopy()
		// The fence may have closed while the attempt was written (a
		// pause, a slow apiserver). Nothing was sent: take the attempt
		// back, or, when that write fails, keep it to write later (as an
		// answer that could not be recorded) so the notice is not left
		// with an attempt whose outcome looks unknown.
		if res, closed := c.fenced(ctx, cur); closed {
			back := cur.DeepCopy()
			back.Status = *live.Status.DeepCopy()
			if err := c.patchLocked(ctx, base, back); err != nil {
				c.pending.Store(cur.UID, &outcome{attempt: att.Number, status: back.Status, recorded: true})
				return reconcile.Result{}, err
			}
			return res, nil
		}
	}
	sendCtx := ctx
	if c.FenceDeadline != nil {
		if d := c.FenceDeadline(); !d.IsZero() {
			var cancelSend context.CancelFunc
			sendCtx, cancelSend = context.WithDeadline(ctx, d)
			defer cancelSend()
		}
	}
	start := time.Now()
	id, err := c.Send(sendCtx, Request{Notice: cur, Channel: ch, IdempotencyKey: key, Attempt: att.Number})
	err = redactError(err, cur) // recorded in status, events and the log
	sendSeconds.WithLabelValues(c.ControllerName).Observe(time.Since(start).Seconds())
	cur.Status.Attempt = nil
	var retry error
	switch {
	case err == nil:
		if cond := meta.FindStatusCondition(ch.Status.Conditions, inkassov1.ConditionReady); cond != nil && cond.Reason == ReasonSecretNotAllowed {
			if cerr := c.setChannelReady(ctx, ch, metav1.ConditionTrue, "Accepted", "handled by "+c.ControllerName); cerr != nil {
				logger.Error(cerr, "channel status", "channel", ch.Name)
			}
		}
		c.sent(cur, id)
		logger.V(1).Info("notice sent", "notice", cur.Name, "deliveryID", id)
	case IsPermanent(err):
		c.setReady(cur, metav1.ConditionFalse, inkassov1.NoticeReasonFailed, err.Error())
		deliveries.WithLabelValues(c.ControllerName, "failed").Inc()
		c.Recorder.Eventf(cur, nil, corev1.EventTypeWarning, inkassov1.NoticeReasonFailed, actionDeliver, "%s: %v", c.ControllerName, err)
		logger.Info("notice failed permanently", "notice", cur.Name, "error", err.Error())
	case IsAmbiguous(err) && policy == inkassov1.AtMostOnce:
		cur.Status.Attempt = att
		if c.Check != nil {
			// The provider can tell: ask it on the next attempt.
			c.setReady(cur, metav1.ConditionFalse, inkassov1.NoticeReasonPending, fmt.Sprintf("attempt %d: outcome unknown (%v); asking the provider", att.Number, err))
			retry = fmt.Errorf("notice %s: attempt %d has an unknown outcome: %w", cur.Name, att.Number, err)
			break
		}
		c.markUnknown(cur, att, err.Error())
	default:
		// Certainly not delivered, or an at-least-once channel: again,
		// under the same idempotency key.
		if errors.Is(err, ErrSecretNotAllowed) {
			if cerr := c.setChannelReady(ctx, ch, metav1.ConditionFalse, ReasonSecretNotAllowed, err.Error()); cerr != nil {
				return reconcile.Result{}, cerr
			}
		}
		what := "failed"
		if IsAmbiguous(err) {
			what = "has an unknown outcome"
		}
		c.setReady(cur, metav1.ConditionFalse, inkassov1.NoticeReasonPending, fmt.Sprintf("attempt %d %s, retrying: %v", att.Number, what, err))
		deliveries.WithLabelValues(c.ControllerName, "retry").Inc()
		c.Recorder.Eventf(cur, nil, corev1.EventTypeWarning, "Retrying", actionDeliver, "attempt %d: %v", att.Number, err)
		// Returning the error requeues with the controller's exponential
		// backoff; the deadline check above ends the retries.
		retry = fmt.Errorf("sending notice %s: %w", cur.Name, err)
	}
	if werr := c.patchLocked(ctx, base, cur); werr != nil {
		// Keep the outcome until it is recorded: without it the attempt
		// on record would read as one whose outcome is unknown.
		c.pending.Store(cur.UID, &outcome{attempt: att.Number, status: *cur.Status.DeepCopy(), recorded: policy == inkassov1.AtMostOnce})
		return reconcile.Result{}, werr
	}
	return reconcile.Result{}, retry
}

// fenced reports a closed fence: it counts and logs it, and asks to come
// back when the lease may have been renewed.
func (c *Controller) fenced(ctx context.Context, n *inkassov1.Notice) (reconcile.Result, bool) {
	if c.Fence == nil {
		return reconcile.Result{}, false
	}
	open, why := c.Fence()
	if open {
		return reconcile.Result{}, false
	}
	deliveries.WithLabelValues(c.ControllerName, "fenced").Inc()
	log.FromContext(ctx).Info("not sending: this replica may have lost its lease", "notice", n.Name, "reason", why)
	return reconcile.Result{RequeueAfter: time.Second}, true
}

// outcome is a provider's answer this process could not record yet.
type outcome struct {
	attempt int32
	status  inkassov1.NoticeStatus
	// recorded: the attempt was written to the notice before the send (an
	// at-most-once channel); otherwise the notice still counts attempt-1.
	recorded bool
}

// ours reports whether live still carries the attempt o answers: the
// attempt this process recorded, or none, with the attempts counted up to
// it (or to the one before, for an attempt never recorded). A newer
// attempt, or this one taken over by another replica, is not ours to
// overwrite.
func (c *Controller) ours(live *inkassov1.Notice, o *outcome) bool {
	if a := live.Status.Attempt; a != nil {
		return a.Number == o.attempt && a.Holder == c.identity
	}
	return live.Status.Attempts == o.attempt || (!o.recorded && live.Status.Attempts == o.attempt-1)
}

// dropRemembered forgets an answer kept since its status write failed when
// the notice has moved on to an attempt that is not this process's (another
// replica took it over): written now, it would overwrite that attempt.
func (c *Controller) dropRemembered(ctx context.Context, live *inkassov1.Notice, o *outcome) {
	c.pending.Delete(live.UID)
	holder, number := "", int32(0)
	if a := live.Status.Attempt; a != nil {
		holder, number = a.Holder, a.Number
	}
	log.FromContext(ctx).Info("dropping an outcome that could not be recorded: the notice has moved on to another attempt",
		"notice", live.Name, "attempt", o.attempt, "liveAttempts", live.Status.Attempts, "liveAttempt", number, "liveHolder", holder)
}

// recordRemembered writes an answer kept since its status write failed
// (only while the notice carries the attempt it answers: see ours).
func (c *Controller) recordRemembered(ctx context.Context, live *inkassov1.Notice, o *outcome) error {
	cur := live.DeepCopy()
	cur.Status = *o.status.DeepCopy()
	if err := c.patchLocked(ctx, live, cur); err != nil {
		return err
	}
	c.pending.Delete(live.UID)
	return nil
}

// unknownOutcome settles an attempt that has no recorded outcome: a person's
// answer, the provider's (Check), or the channel's redelivery policy.
// settled false means: send it again, under the same key.
func (c *Controller) unknownOutcome(ctx context.Context, live *inkassov1.Notice, ch *inkassov1.NoticeChannel, key string, policy inkassov1.Redelivery) (reconcile.Result, bool, error) {
	cur := live.DeepCopy()
	if unknown(live) {
		switch live.Annotations[inkassov1.ResolveDeliveryAnnotation] {
		case "Sent":
			c.sent(cur, cmp.Or(cur.Status.DeliveryID, "confirmed"))
			cur.Status.Attempt = nil
			return reconcile.Result{}, true, c.patchLocked(ctx, live, cur)
		case "Resend":
			cur.Status.Attempt = nil
			c.setReady(cur, metav1.ConditionFalse, inkassov1.NoticeReasonPending, "to be sent again, as a person decided ("+inkassov1.ResolveDeliveryAnnotation+"=Resend)")
			if err := c.patchLocked(ctx, live, cur); err != nil {
				return reconcile.Result{}, true, err
			}
			return reconcile.Result{RequeueAfter: time.Millisecond}, true, nil
		}
		return reconcile.Result{}, true, nil // a person decides
	}
	a := live.Status.Attempt
	if age := time.Since(a.StartedAt.Time); a.Holder != c.identity && age < c.attemptTimeout() {
		// Another replica (or this one before a restart) may still be
		// waiting for the answer.
		return reconcile.Result{RequeueAfter: c.attemptTimeout() - age}, true, nil
	}
	if c.Check != nil {
		r, err := c.Check(ctx, Request{Notice: live, Channel: ch, IdempotencyKey: key, Attempt: a.Number, SameProcess: a.Holder == c.identity})
		switch {
		case errors.Is(err, ErrCannotCheck):
			return c.byPolicy(ctx, live, cur, a, policy)
		case err != nil:
			return reconcile.Result{}, true, fmt.Errorf("asking the provider about notice %s (attempt %d): %w", live.Name, a.Number, err)
		}
		if r.Delivered {
			c.sent(cur, r.DeliveryID)
			cur.Status.Attempt = nil
			return reconcile.Result{}, true, c.patchLocked(ctx, live, cur)
		}
		return reconcile.Result{}, false, nil // the provider does not have it
	}
	return c.byPolicy(ctx, live, cur, a, policy)
}

// byPolicy settles an unknown outcome the provider cannot be asked about.
func (c *Controller) byPolicy(ctx context.Context, live, cur *inkassov1.Notice, a *inkassov1.DeliveryAttempt, policy inkassov1.Redelivery) (reconcile.Result, bool, error) {
	if policy == inkassov1.AtLeastOnce {
		return reconcile.Result{}, false, nil
	}
	c.markUnknown(cur, a, "no answer to the attempt was recorded: a timeout, or the operator stopped or lost the apiserver while sending")
	return reconcile.Result{}, true, c.patchLocked(ctx, live, cur)
}

// sent records a delivery.
func (c *Controller) sent(n *inkassov1.Notice, id string) {
	n.Status.DeliveryID = id
	n.Status.SentAt = &metav1.Time{Time: c.Clock.Now().Truncate(time.Second)}
	c.setReady(n, metav1.ConditionTrue, inkassov1.NoticeReasonSent, "delivered by "+c.ControllerName)
	deliveries.WithLabelValues(c.ControllerName, "sent").Inc()
	if n.Status.Attempts > 1 {
		// Closes the Retrying warnings. A first-attempt delivery is
		// recorded in status only: an event per notice was a fifth of
		// the operator's events at scale, and events expire in an hour.
		c.Recorder.Eventf(n, nil, corev1.EventTypeNormal, inkassov1.NoticeReasonSent, actionDeliver, "delivered by %s on attempt %d", c.ControllerName, n.Status.Attempts)
	}
}

// markUnknown stops an at-most-once delivery whose outcome is unknown and
// tells a person what to do.
func (c *Controller) markUnknown(n *inkassov1.Notice, a *inkassov1.DeliveryAttempt, why string) {
	n.Status.Attempt = a
	msg := fmt.Sprintf("attempt %d at %s: outcome unknown (%s); the channel delivers at most once. Ask the provider about idempotency key %s, then annotate the notice %s=Sent or =Resend",
		a.Number, a.StartedAt.UTC().Format(time.RFC3339), why, n.Status.IdempotencyKey, inkassov1.ResolveDeliveryAnnotation)
	c.setReady(n, metav1.ConditionFalse, inkassov1.NoticeReasonDeliveryUnknown, msg)
	deliveries.WithLabelValues(c.ControllerName, "unknown").Inc()
	c.Recorder.Eventf(n, nil, corev1.EventTypeWarning, inkassov1.NoticeReasonDeliveryUnknown, actionDeliver, "%s", msg)
}

// unknown reports a notice waiting for a person to settle its delivery.
func unknown(n *inkassov1.Notice) bool {
	c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == inkassov1.NoticeReasonDeliveryUnknown
}

func (c *Controller) attemptTimeout() time.Duration {
	return cmp.Or(c.AttemptTimeout, DefaultAttemptTimeout)
}

// patchLocked writes n's status from base under base's resourceVersion.
func (c *Controller) patchLocked(ctx context.Context, base, n *inkassov1.Notice) error {
	if err := statuspatch.Patch(ctx, c.Client, n, base, statuspatch.Optimistic); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("writing status of notice %s: %w", n.Name, err)
	}
	return nil
}

func (c *Controller) setReady(n *inkassov1.Notice, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&n.Status.Conditions, metav1.Condition{
		Type: inkassov1.ConditionReady, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: n.Generation,
		LastTransitionTime: metav1.Time{Time: c.Clock.Now().Truncate(time.Second)},
	})
}

func (c *Controller) patch(ctx context.Context, orig, n *inkassov1.Notice) error {
	if err := statuspatch.Patch(ctx, c.Client, n, orig, statuspatch.LastWriteWins); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("writing status of notice %s: %w", n.Name, err)
	}
	return nil
}

// markChannelReady records that this controller accepts the channel. A
// channel whose Secret does not allow it keeps that Ready False until a send
// succeeds or the channel changes.
func (c *Controller) markChannelReady(ctx context.Context, ch *inkassov1.NoticeChannel) error {
	cond := meta.FindStatusCondition(ch.Status.Conditions, inkassov1.ConditionReady)
	if cond != nil && ch.Status.ObservedGeneration == ch.Generation && (cond.Status == metav1.ConditionTrue || cond.Reason == ReasonSecretNotAllowed) {
		return nil
	}
	return c.setChannelReady(ctx, ch, metav1.ConditionTrue, "Accepted", "handled by "+c.ControllerName)
}

// setChannelReady writes the channel's Ready condition.
func (c *Controller) setChannelReady(ctx context.Context, ch *inkassov1.NoticeChannel, status metav1.ConditionStatus, reason, msg string) error {
	if cond := meta.FindStatusCondition(ch.Status.Conditions, inkassov1.ConditionReady); cond != nil && cond.Status == status &&
		cond.Reason == reason && cond.Message == msg && ch.Status.ObservedGeneration == ch.Generation {
		return nil
	}
	orig := ch.DeepCopy()
	ch.Status.ObservedGeneration = ch.Generation
	meta.SetStatusCondition(&ch.Status.Conditions, metav1.Condition{
		Type: inkassov1.ConditionReady, Status: status, Reason: reason,
		Message: msg, ObservedGeneration: ch.Generation,
		LastTransitionTime: metav1.Time{Time: c.Clock.Now().Truncate(time.Second)},
	})
	if err := c.Client.Status().Patch(ctx, ch, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("writing status of channel %s: %w", ch.Name, err)
	}
	return nil
}
