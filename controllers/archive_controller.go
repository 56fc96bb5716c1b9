package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// ArchiveReconciler moves finished claims out of the cluster into the claim
// archive (docs/operations.md, "Archive"). It is the only writer of the
// archive finalizer and the only one that deletes claims; the claim
// controller keeps writing their status.
//
// A finished claim (a terminal phase, or dormant in Surveillance) gets the
// finalizer at once; after the grace the claim is deleted (with a
// resourceVersion precondition: a claim that changed is read again). The
// deletion freezes it (the claim controller leaves deleted claims alone);
// then its record is committed to the archive, and only then is the
// finalizer removed. A crash in between leaves the claim in the cluster,
// terminating, and the next reconcile writes the same row again (the
// upsert is keyed by the claim's UID): nothing is lost, nothing is
// archived twice. Anyone else deleting a claim with the finalizer (a
// GitOps prune, kubectl delete) archives it the same way.
//
// It also brings dormant Surveillance claims back: Start polls the archive
// for re-checks falling due within the wake-up lead and creates the claims
// again, which the claim controller restores from their records.
type ArchiveReconciler struct {
	Client client.Client
	// Shard, when enabled, brings back only its own debtors' dormant
	// claims; the other shards bring back theirs.
	Shard shard.Shard
	// APIReader reads uncached (SetupWithManager: the manager's; nil reads
	// through Client).
	APIReader client.Reader
	Clock     clock.PassiveClock
	Recorder  events.EventRecorder
	Store     archive.Store
	Policy    archive.Policy
	// WakeInterval is how often (wall clock) the archive is asked for
	// dormant claims due back (default one minute).
	WakeInterval time.Duration
	// Wake, when set, re-queues the claims sent on it (tests, after
	// stepping a fake clock).
	Wake <-chan event.GenericEvent
	// AfterWrite, when set, runs after a record is committed and before the
	// finalizer is removed; an error stops there, as a crash would. Tests
	// use it to kill the archiver between the two steps.
	AfterWrite func(context.Context, *inkassov1.Claim) error
	// MaxRetryDelay caps the backoff after a failed reconcile (an archive
	// database that is down).
	MaxRetryDelay time.Duration
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims,verbs=get;list;watch;create;update;patch;delete

// Reconcile carries out the archive's plan for one claim.
func (r *ArchiveReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var c inkassov1.Claim
	if err := r.Client.Get(ctx, req.NamespacedName, &c); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	has := controllerutil.ContainsFinalizer(&c, inkassov1.ArchiveFinalizer)
	if !c.DeletionTimestamp.IsZero() {
		if !has {
			return reconcile.Result{}, nil
		}
		// Read from the apiserver, not the cache: a cache that has not yet
		// seen the finalizer's removal would archive the claim again.
		var reader client.Reader = r.Client
		if r.APIReader != nil {
			reader = r.APIReader
		}
		var live inkassov1.Claim
		if err := reader.Get(ctx, req.NamespacedName, &live); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
		if live.UID != c.UID || live.DeletionTimestamp.IsZero() || !controllerutil.ContainsFinalizer(&live, inkassov1.ArchiveFinalizer) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, r.archive(ctx, &live)
	}
	now := r.Clock.Now()
	plan := archive.PlanFor(&c, now, r.Policy)
	switch {
	case plan.Kind == "" && has && c.Status.ObservedGeneration == c.Generation:
		// No longer finished (a re-check handed the claim to Legal), or its
		// re-check is near. A spec the claim controller has not seen yet
		// (a late payment) keeps the finalizer until it has.
		return reconcile.Result{}, r.setFinalizer(ctx, &c, false)
	case plan.Kind == "":
		return reconcile.Result{}, nil
	case !has:
		return reconcile.Result{}, r.setFinalizer(ctx, &c, true) // its update event brings the claim back
	}
	if wait := plan.At.Sub(now); wait > 0 {
		return reconcile.Result{RequeueAfter: max(simclock.RealDuration(r.Clock, wait), time.Millisecond)}, nil
	}
	rv, uid := c.ResourceVersion, c.UID
	if err := r.Client.Delete(ctx, &c, client.Preconditions{ResourceVersion: &rv, UID: &uid}); err != nil {
		if apierrors.IsConflict(err) {
			return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil // changed since read: plan again
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	log.FromContext(ctx).V(1).Info("finished claim deleted for the archive", "kind", plan.Kind, "phase", c.Status.Phase)
	return reconcile.Result{}, nil
}

// archive commits the record of a deleted claim, then lets it go.
func (r *ArchiveReconciler) archive(ctx context.Context, c *inkassov1.Claim) error {
	now := r.Clock.Now()
	kind := archive.KindDeleted
	switch {
	case c.Status.Phase.Terminal():
		kind = archive.KindFinished
	case archive.Dormant(c):
		kind = archive.KindDormant
	}
	notices := map[string]*inkassov1.Notice{}
	for _, name := range archive.NoticeNames(c) {
		var n inkassov1.Notice
		err := r.Client.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, &n)
		switch {
		case err == nil:
			notices[name] = &n
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading notice %s of claim %s: %w", name, c.Name, err)
		}
	}
	rec, err := archive.RecordOf(c, kind, notices, now)
	if err != nil {
		archiveErrors.WithLabelValues("write").Inc()
		return err
	}
	start := time.Now()
	if err := r.Store.Put(ctx, rec); err != nil {
		archiveErrors.WithLabelValues("write").Inc()
		return err
	}
	archiveWriteSeconds.Observe(time.Since(start).Seconds())
	if r.AfterWrite != nil {
		if err := r.AfterWrite(ctx, c); err != nil {
			return err
		}
	}
	if err := r.setFinalizer(ctx, c, false); err != nil {
		return err
	}
	archivedClaims.WithLabelValues(string(kind)).Inc()
	if r.Recorder != nil {
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "Archived", "Archive", "%s claim (phase %s) archived and removed from the cluster", kind, c.Status.Phase)
	}
	log.FromContext(ctx).V(1).Info("claim archived", "kind", kind, "phase", c.Status.Phase, "notices", len(rec.Notices))
	return nil
}

// setFinalizer adds or removes the archive finalizer; the optimistic lock
// keeps it from overwriting a change it did not see.
func (r *ArchiveReconciler) setFinalizer(ctx context.Context, c *inkassov1.Claim, on bool) error {
	orig := c.DeepCopy()
	if on {
		controllerutil.AddFinalizer(c, inkassov1.ArchiveFinalizer)
	} else {
		controllerutil.RemoveFinalizer(c, inkassov1.ArchiveFinalizer)
	}
	err := r.Client.Patch(ctx, c, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	if err = client.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("setting the archive finalizer of claim %s to %v: %w", c.Name, on, err)
	}
	return nil
}

// Start brings dormant claims back for their re-check, every WakeInterval
// (a manager Runnable: on the leader only).
func (r *ArchiveReconciler) Start(ctx context.Context) error {
	t := time.NewTicker(r.WakeInterval)
	defer t.Stop()
	for {
		if err := r.WakeDue(ctx); err != nil && ctx.Err() == nil {
			log.FromContext(ctx).Error(err, "bringing dormant claims back from the archive")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// WakeDue creates again the dormant claims whose re-check is due within the
// wake-up lead. A claim already there (a crash after the create and before
// the mark) is marked, not created twice.
func (r *ArchiveReconciler) WakeDue(ctx context.Context) error {
	now := r.Clock.Now()
	due, err := r.Store.DueForWake(ctx, now.Add(r.Policy.WithDefaults().WakeLead), 100)
	if err != nil {
		archiveErrors.WithLabelValues("wake").Inc()
		return err
	}
	var errs []error
	for _, rec := range due {
		if !r.Shard.Owns(rec.Namespace, rec.Debtor) {
			continue
		}
		obj := archive.ObjectOf(rec)
		err := r.Client.Create(ctx, obj)
		if apierrors.IsNotFound(err) {
			// Its namespace is gone: nobody is left to collect from. Marked,
			// so it is not tried every interval; the record stays.
			archiveErrors.WithLabelValues("wake").Inc()
			log.FromContext(ctx).Error(err, "a dormant claim's namespace is gone; its record stays in the archive, not brought back", "namespace", rec.Namespace, "claim", rec.Name)
			if err := r.Store.MarkRestored(ctx, rec, "", "NamespaceGone", now); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if apierrors.IsAlreadyExists(err) {
			err = r.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
			if err == nil && (obj.Spec.InvoiceNumber != rec.InvoiceNumber || obj.Spec.DebtorRef.Name != rec.Debtor) {
				err = fmt.Errorf("claim %s/%s is due back from the archive for its re-check, but another claim (invoice %s) has its name", rec.Namespace, rec.Name, obj.Spec.InvoiceNumber)
			}
		}
		if err == nil {
			err = r.Store.MarkRestored(ctx, rec, string(obj.UID), inkassov1.RestoredRecheck, now)
		}
		if err != nil {
			archiveErrors.WithLabelValues("wake").Inc()
			errs = append(errs, fmt.Errorf("waking claim %s/%s: %w", rec.Namespace, rec.Name, err))
			continue
		}
		archiveWoken.Inc()
	}
	return errors.Join(errs...)
}

// NeedLeaderElection: one replica brings claims back.
func (r *ArchiveReconciler) NeedLeaderElection() bool { return true }

// archiveKey is what the archive's plan for a claim depends on.
func archiveKey(o client.Object) string {
	c, ok := o.(*inkassov1.Claim)
	if !ok {
		return ""
	}
	restored := ""
	if cond := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionRestored); cond != nil {
		restored = cond.Reason
	}
	return fmt.Sprintf("%s|%s|%v|%v|%v|%v|%s", c.Status.Phase, c.Status.NextStep, c.Status.NextStepAt, c.Status.ObservedGeneration == c.Generation,
		c.DeletionTimestamp != nil, controllerutil.ContainsFinalizer(c, inkassov1.ArchiveFinalizer), restored)
}

// SetupWithManager registers the controller and the wake-up loop.
func (r *ArchiveReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Store == nil {
		return errors.New("archive controller: no store")
	}
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("inkasso-archive")
	}
	if r.WakeInterval <= 0 {
		r.WakeInterval = time.Minute
	}
	for _, op := range []string{"write", "wake", "restore"} {
		archiveErrors.WithLabelValues(op) // the series exist at 0, for alerts on increase()
	}
	changed := predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool { return archiveKey(e.ObjectOld) != archiveKey(e.ObjectNew) },
		DeleteFunc: func(event.DeleteEvent) bool { return false },
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("archive").
		For(&inkassov1.Claim{}, builder.WithPredicates(changed)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2, RateLimiter: channelkit.NewRetryLimiter(r.MaxRetryDelay)})
	if r.Wake != nil {
		b = b.WatchesRawSource(source.Channel(r.Wake, &handler.EnqueueRequestForObject{}))
	}
	if err := b.Complete(channelkit.RecoverPanics("archive", r, nil)); err != nil {
		return err
	}
	return mgr.Add(r)
}
