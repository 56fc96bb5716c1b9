package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
)

// defaultDeliveryHours is how long a channel has to deliver a notice
// when the policy sets no spec.deliveryDeadlineHours.
const defaultDeliveryHours = 72

// deliveryDeadline is the latest a notice may be delivered: a letter sent
// days late would shorten the deadline it states.
func deliveryDeadline(policy *inkassov1.CollectionPolicy, from time.Time) *metav1.Time {
	hours := int32(defaultDeliveryHours)
	if policy.Spec.DeliveryDeadlineHours > 0 {
		hours = policy.Spec.DeliveryDeadlineHours
	}
	return &metav1.Time{Time: from.Add(time.Duration(hours) * time.Hour).UTC().Truncate(time.Second)}
}

func noticeFailed(n *inkassov1.Notice) (string, bool) {
	c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	if c != nil && c.Status == metav1.ConditionFalse && c.Reason == inkassov1.NoticeReasonFailed {
		return c.Message, true
	}
	return "", false
}

// checkDeliveries looks at the notices of the claim's latest step with
// notices. A debtor notice its channel failed is copied to the policy's
// fallbackChannel (once; the copy is recorded in the step's history entry);
// with no fallback left the claim stalls, and its next step waits, until
// the notice is retried and sent or deleted (docs/channel-contract.md).
func (r *ClaimReconciler) checkDeliveries(ctx context.Context, claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy) error {
	hist := claim.Status.History
	i := len(hist) - 1
	for i >= 0 && len(hist[i].Notices) == 0 {
		i--
	}
	if i < 0 {
		return nil
	}
	entry := &hist[i]
	for _, name := range slices.Clone(entry.Notices) {
		var n inkassov1.Notice
		err := r.Client.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: name}, &n)
		if apierrors.IsNotFound(err) {
			continue // sent and garbage-collected, or deleted by someone resolving a failure
		}
		if err != nil {
			return fmt.Errorf("reading notice %s: %w", name, err)
		}
		why, failed := noticeFailed(&n)
		if !failed || n.Spec.DebtorRef == nil {
			continue // creditor notices inform; they never hold the debtor's process
		}
		fb := policy.Spec.FallbackChannel
		if fb == "" || n.Spec.ChannelRef.Name == fb {
			return stall("NoticeFailed", "notice %s (step %s, channel %s) failed: %s; the next step waits. Fix the cause and retry it "+
				"(kubectl patch ntc %s --subresource=status --type=merge -p '{\"status\":null}'), or delete it to go on without it",
				n.Name, n.Spec.Step, n.Spec.ChannelRef.Name, why, n.Name)
		}
		copyName := notice.Name(n.Spec.CaseID, n.Spec.Step, fb)
		if slices.Contains(entry.Notices, copyName) {
			continue
		}
		if err := requireChannelsOf(ctx, r.Client, claim.Namespace, []string{fb}, "spec.fallbackChannel of policy "+policy.Name); err != nil {
			return err
		}
		cp := &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: copyName, Namespace: n.Namespace, Labels: n.Labels,
			OwnerReferences: n.OwnerReferences, Annotations: map[string]string{"collection.inkasso.dev/fallback-for": n.Name}}, Spec: n.Spec}
		cp.Spec.ChannelRef = inkassov1.LocalObjectReference{Name: fb}
		now := r.Clock.Now()
		if cp.Spec.NotBefore != nil && cp.Spec.NotBefore.Time.Before(now) {
			cp.Spec.NotBefore = nil
		}
		cp.Spec.Deadline = deliveryDeadline(policy, now)
		if err := r.Client.Create(ctx, cp); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating fallback notice %s: %w", copyName, err)
		}
		entry.Notices = append(entry.Notices, copyName)
		r.Recorder.Eventf(claim, &n, "Warning", "NoticeFallback", "Fallback", "notice %s failed on channel %s (%s): sent again through fallback channel %s as %s",
			n.Name, n.Spec.ChannelRef.Name, why, fb, copyName)
	}
	return nil
}

// undelivered reports a failed debtor notice of the claim's latest step
// with notices that no fallback channel repairs (read only: the claim's own
// reconcile makes the fallback copy). A collection case waits while one of
// its members has one.
func undelivered(ctx context.Context, c client.Reader, claim *inkassov1.Claim, policy *inkassov1.CollectionPolicy) (bool, error) {
	hist := claim.Status.History
	i := len(hist) - 1
	for i >= 0 && len(hist[i].Notices) == 0 {
		i--
	}
	if i < 0 {
		return false, nil
	}
	fb := policy.Spec.FallbackChannel
	for _, name := range hist[i].Notices {
		var n inkassov1.Notice
		err := c.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: name}, &n)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("reading notice %s: %w", name, err)
		}
		if _, failed := noticeFailed(&n); !failed || n.Spec.DebtorRef == nil {
			continue
		}
		if fb == "" || n.Spec.ChannelRef.Name == fb {
			return true, nil
		}
		var cp inkassov1.Notice
		if err := c.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: notice.Name(n.Spec.CaseID, n.Spec.Step, fb)}, &cp); err == nil {
			if _, f := noticeFailed(&cp); f {
				return true, nil
			}
		}
	}
	return false, nil
}

// deliveryOutcome passes notice updates that end a delivery (Sent or
// Failed) and deletions: the claims and cases waiting on them look again.
func deliveryOutcome() predicate.Funcs {
	reason := func(o client.Object) string {
		if n, ok := o.(*inkassov1.Notice); ok {
			if c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady); c != nil {
				return c.Reason
			}
		}
		return ""
	}
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			was, is := reason(e.ObjectOld), reason(e.ObjectNew)
			return was != is && (is == inkassov1.NoticeReasonFailed || was == inkassov1.NoticeReasonFailed || is == inkassov1.NoticeReasonSent)
		},
	}
}

// claimsOfNotice maps a notice to the claims it is about.
func claimsOfNotice(_ context.Context, o client.Object) []reconcile.Request {
	n, ok := o.(*inkassov1.Notice)
	if !ok {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(n.Spec.ClaimRefs))
	for _, c := range n.Spec.ClaimRefs {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: n.Namespace, Name: c.Name}})
	}
	return reqs
}

// debtorOfNotice maps a debtor notice to its debtor (whose case may wait on it).
func debtorOfNotice(_ context.Context, o client.Object) []reconcile.Request {
	n, ok := o.(*inkassov1.Notice)
	if !ok || n.Spec.DebtorRef == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: n.Namespace, Name: n.Spec.DebtorRef.Name}}}
}
