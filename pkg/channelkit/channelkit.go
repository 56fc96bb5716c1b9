// Package channelkit turns a Send function into a complete channel controller
// that honours the Notice contract (docs/channel-contract.md): it handles only
// Notices whose NoticeChannel names its controllerName, never sends before
// notBefore nor after deadline, retries transient errors with backoff, marks
// permanent ones Failed, passes the Notice UID as idempotency key, and writes
// only the Notice's status. In-tree channels use it; so can third parties.
package channelkit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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

	limits *limiters
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
	if c.Recorder == nil {
		c.Recorder = mgr.GetEventRecorder("channel-" + sanitize(c.ControllerName))
	}
	c.limits = &limiters{}
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
var indexed sync.Map

func indexNoticesByChannel(mgr ctrl.Manager) error {
	if _, loaded := indexed.LoadOrStore(mgr.GetFieldIndexer(), true); loaded {
		return nil
	}
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &inkassov1.Notice{}, channelIndex,
		func(o client.Object) []string { return []string{o.(*inkassov1.Notice).Spec.ChannelRef.Name} })
	if err != nil {
		indexed.Delete(mgr.GetFieldIndexer())
		return fmt.Errorf("indexing notices by channel: %w", err)
	}
	return nil
}

func (c *Controller) noticesOfChannel(ctx context.Context, o client.Object) []reconcile.Request {
	ch := o.(*inkassov1.NoticeChannel)
	if ch.Spec.ControllerName != c.ControllerName {
		return nil
	}
	var list inkassov1.NoticeList
	if err := c.Client.List(ctx, &list, client.InNamespace(ch.Namespace), client.MatchingFields{channelIndex: ch.Name}); err != nil {
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
	logger := log.FromContext(ctx)
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
	if n.Spec.Deadline != nil && now.After(n.Spec.Deadline.Time) {
		msg := "deadline " + n.Spec.Deadline.UTC().Format(time.RFC3339) + " passed before the notice could be sent"
		if n.Status.Attempts > 1 {
			msg += fmt.Sprintf(" (%d attempts)", n.Status.Attempts)
		}
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonFailed, msg)
		deliveries.WithLabelValues(c.ControllerName, "expired").Inc()
		c.Recorder.Eventf(&n, nil, corev1.EventTypeWarning, inkassov1.NoticeReasonFailed, actionDeliver, msg)
		return reconcile.Result{}, c.patch(ctx, orig, &n)
	}
	if n.Spec.NotBefore != nil && now.Before(n.Spec.NotBefore.Time) {
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonPending, "waiting until "+n.Spec.NotBefore.UTC().Format(time.RFC3339))
		return reconcile.Result{RequeueAfter: simclock.RealDuration(c.Clock, n.Spec.NotBefore.Sub(now))}, c.patch(ctx, orig, &n)
	}

	var live inkassov1.Notice
	if err := c.APIReader.Get(ctx, req.NamespacedName, &live); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if done(&live) {
		return reconcile.Result{}, nil
	}
	if wait := c.limits.wait(&ch, now); wait > 0 {
		// Over the channel's spec.rateLimit: come back when a token is free.
		// No status write: a throttled backlog must not load the apiserver.
		deliveries.WithLabelValues(c.ControllerName, "rate_limited").Inc()
		return reconcile.Result{RequeueAfter: simclock.RealDuration(c.Clock, wait)}, nil
	}
	n.Status.Attempts = live.Status.Attempts + 1
	start := time.Now()
	id, err := c.Send(ctx, Request{Notice: &n, Channel: &ch, IdempotencyKey: string(n.UID), Attempt: n.Status.Attempts})
	err = redactError(err, &n) // recorded in status, events and the log
	sendSeconds.WithLabelValues(c.ControllerName).Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		if cond := meta.FindStatusCondition(ch.Status.Conditions, inkassov1.ConditionReady); cond != nil && cond.Reason == ReasonSecretNotAllowed {
			if cerr := c.setChannelReady(ctx, &ch, metav1.ConditionTrue, "Accepted", "handled by "+c.ControllerName); cerr != nil {
				logger.Error(cerr, "channel status", "channel", ch.Name)
			}
		}
		n.Status.DeliveryID = id
		n.Status.SentAt = &metav1.Time{Time: c.Clock.Now().Truncate(time.Second)}
		c.setReady(&n, metav1.ConditionTrue, inkassov1.NoticeReasonSent, "delivered by "+c.ControllerName)
		deliveries.WithLabelValues(c.ControllerName, "sent").Inc()
		if n.Status.Attempts > 1 {
			// Closes the Retrying warnings. A first-attempt delivery is
			// recorded in status only: an event per notice was a fifth of
			// the operator's events at scale, and events expire in an hour.
			c.Recorder.Eventf(&n, nil, corev1.EventTypeNormal, inkassov1.NoticeReasonSent, actionDeliver, "delivered by %s on attempt %d", c.ControllerName, n.Status.Attempts)
		}
		logger.V(1).Info("notice sent", "notice", n.Name, "deliveryID", id)
		return reconcile.Result{}, c.patch(ctx, orig, &n)
	case IsPermanent(err):
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonFailed, err.Error())
		deliveries.WithLabelValues(c.ControllerName, "failed").Inc()
		c.Recorder.Eventf(&n, nil, corev1.EventTypeWarning, inkassov1.NoticeReasonFailed, actionDeliver, "%s: %v", c.ControllerName, err)
		logger.Info("notice failed permanently", "notice", n.Name, "error", err.Error())
		return reconcile.Result{}, c.patch(ctx, orig, &n)
	default:
		if errors.Is(err, ErrSecretNotAllowed) {
			if cerr := c.setChannelReady(ctx, &ch, metav1.ConditionFalse, ReasonSecretNotAllowed, err.Error()); cerr != nil {
				return reconcile.Result{}, cerr
			}
		}
		c.setReady(&n, metav1.ConditionFalse, inkassov1.NoticeReasonPending, fmt.Sprintf("attempt %d failed, retrying: %v", n.Status.Attempts, err))
		deliveries.WithLabelValues(c.ControllerName, "retry").Inc()
		c.Recorder.Eventf(&n, nil, corev1.EventTypeWarning, "Retrying", actionDeliver, "attempt %d: %v", n.Status.Attempts, err)
		if perr := c.patch(ctx, orig, &n); perr != nil {
			return reconcile.Result{}, perr
		}
		// Returning the error requeues with the controller's exponential
		// backoff; the deadline check above ends the retries.
		return reconcile.Result{}, fmt.Errorf("sending notice %s: %w", n.Name, err)
	}
}

func (c *Controller) setReady(n *inkassov1.Notice, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&n.Status.Conditions, metav1.Condition{
		Type: inkassov1.ConditionReady, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: n.Generation,
		LastTransitionTime: metav1.Time{Time: c.Clock.Now().Truncate(time.Second)},
	})
}

func (c *Controller) patch(ctx context.Context, orig, n *inkassov1.Notice) error {
	if err := c.Client.Status().Patch(ctx, n, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
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
