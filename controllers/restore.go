package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
)

// restore gives a new claim (no phase yet) its archived state when the
// archive holds it: a dormant claim brought back for its re-check (named by
// its annotation), or the manifest of an archived claim applied again
// (recognised by namespace, invoice number and debtor). Such a claim is
// never collected from the start again. With the archive unreachable the
// claim waits (an error, retried): collecting it could send a finished
// claim's debtor a reminder.
func (r *ClaimReconciler) restore(ctx context.Context, claim *inkassov1.Claim, now time.Time, buf *eventBuffer) (bool, error) {
	if r.Archive == nil || claim.Status.Phase != "" {
		return false, nil
	}
	var rec *archive.Record
	var err error
	reason := inkassov1.RestoredReapplied
	uid := claim.Annotations[inkassov1.ArchivedUIDAnnotation]
	if uid != "" {
		rec, err = r.Archive.Get(ctx, uid)
		reason = inkassov1.RestoredRecheck
		if err == nil && rec == nil {
			// Brought back for a re-check, but its record is gone (dropped
			// with its partition?): never start such a claim from the top.
			return false, stall("ArchiveRecordMissing", "annotation %s names archive record %s, which the archive does not hold; to collect this claim from the start, create it again without the annotation",
				inkassov1.ArchivedUIDAnnotation, uid)
		}
	}
	if err == nil && rec == nil {
		reason = inkassov1.RestoredReapplied
		rec, err = r.Archive.Find(ctx, claim.Namespace, claim.Spec.InvoiceNumber, claim.Spec.DebtorRef.Name)
	}
	if err != nil {
		archiveErrors.WithLabelValues("restore").Inc()
		return false, fmt.Errorf("asking the claim archive before the first step: %w", err)
	}
	if rec == nil || rec.Kind == archive.KindDeleted {
		return false, nil
	}
	// Marked first: a status write that fails is retried and marks again.
	if err := r.Archive.MarkRestored(ctx, *rec, string(claim.UID), reason, now); err != nil {
		archiveErrors.WithLabelValues("restore").Inc()
		return false, err
	}
	claim.Status = archive.RestoredStatus(*rec, claim.Generation, reason, now)
	archiveRestored.WithLabelValues(reason).Inc()
	what := "applied again; it keeps its archived state and is not collected again"
	if reason == inkassov1.RestoredRecheck {
		what = "back for its credit re-check"
	}
	buf.Eventf(claim, nil, corev1.EventTypeNormal, reason, "Restore", "claim archived %s in phase %s %s",
		rec.ArchivedAt.UTC().Format(time.RFC3339), rec.Phase, what)
	return true, nil
}
