package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
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

// caseNoticeCreated passes the creation of a case step's notices: a claim
// records a case step only once its notices exist, and looks again then.
func caseNoticeCreated() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool {
			_, inCase := e.Object.GetLabels()[caseLabel]
			owners := e.Object.GetOwnerReferences()
			return inCase && len(owners) > 0 && owners[0].Kind == "Debtor"
		},
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
