package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
)

// creditorSteps are the Notice spec.step of each creditor notice.
var creditorSteps = map[inkassov1.CreditorEvent]string{
	inkassov1.CreditorOverdueWarning: "creditor-overdue-warning",
	inkassov1.CreditorTransferred:    "creditor-transferred",
	inkassov1.CreditorClosed:         "creditor-closed",
}

func hasCreditorNotice(claim *inkassov1.Claim, ev inkassov1.CreditorEvent) bool {
	return slices.ContainsFunc(claim.Status.CreditorNotices, func(r inkassov1.CreditorNoticeRecord) bool { return r.Event == ev })
}

// notifyCreditor tells the creditor about ev once per claim, through the
// policy's creditor channels, and records it in status.creditorNotices. The
// notice names are deterministic, so a retry after a crash finds them.
func notifyCreditor(ctx context.Context, c client.Client, claim *inkassov1.Claim, debtor *inkassov1.Debtor,
	policy *inkassov1.CollectionPolicy, ev inkassov1.CreditorEvent, data notice.CreditorData, now time.Time) error {
	if policy == nil {
		return nil
	}
	cn := policy.Spec.CreditorNotices
	if !cn.Notifies(ev) || hasCreditorNotice(claim, ev) {
		return nil
	}
	if err := requireChannelsOf(ctx, c, claim.Namespace, cn.Channels, fmt.Sprintf("spec.creditorNotices of policy %q", policy.Name)); err != nil {
		return err
	}
	cur := string(claim.Spec.Currency)
	amounts := &inkassov1.NoticeAmounts{Currency: cur, Principal: string(claim.Spec.Amount), Fees: "0", Interest: "0", Paid: "0", Outstanding: string(claim.Spec.Amount)}
	if b := claim.Status.Balance; b != nil {
		amounts = &inkassov1.NoticeAmounts{Currency: cur, Principal: b.Principal, Fees: b.Fees, Interest: b.Interest, Paid: b.Paid, Outstanding: b.Outstanding}
	}
	data.Language = string(jurisdictionDefaults[policy.Spec.Jurisdiction].lang)
	data.Event, data.InvoiceNumber, data.DueDate, data.Currency = string(ev), claim.Spec.InvoiceNumber, string(claim.Spec.DueDate), cur
	data.Outstanding, data.Collected = amounts.Outstanding, amounts.Paid
	data.DebtorName = claim.Spec.DebtorRef.Name
	if debtor != nil {
		data.DebtorName = debtor.Spec.DisplayName
	}
	subject, body, err := notice.RenderCreditor(data)
	if err != nil {
		return stall(reasonTemplateError, "creditor notice %s: %v", ev, err)
	}
	recipient := inkassov1.Recipient{Name: "Creditor (" + claim.Namespace + ")"}
	if cn.Recipient != nil {
		recipient = *cn.Recipient
	}
	step := creditorSteps[ev]
	rec := inkassov1.CreditorNoticeRecord{Event: ev, Time: metav1.Time{Time: now.Truncate(time.Second)}}
	for _, ch := range cn.Channels {
		n := &inkassov1.Notice{
			ObjectMeta: metav1.ObjectMeta{
				Name:      notice.Name(claim.Name, step, ch),
				Namespace: claim.Namespace,
				Labels:    map[string]string{stepLabel: step, recipientLabel: recipientCreditor},
			},
			Spec: inkassov1.NoticeSpec{
				ChannelRef: inkassov1.LocalObjectReference{Name: ch},
				ClaimRefs:  []inkassov1.LocalObjectReference{{Name: claim.Name}},
				CaseID:     claim.Status.CaseID,
				Step:       step,
				Recipient:  recipient,
				Language:   inkassov1.Language(data.Language),
				Subject:    subject,
				Body:       body,
				Amounts:    amounts,
				Creditor:   policy.Spec.Creditor.DeepCopy(),
				Deadline:   deliveryDeadline(policy, now),
			},
		}
		copyShardLabel(claim, n)
		if err := controllerutil.SetOwnerReference(claim, n, c.Scheme()); err != nil {
			return fmt.Errorf("owner reference: %w", err)
		}
		if err := c.Create(ctx, n); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating creditor notice %s: %w", n.Name, err)
		}
		rec.Notices = append(rec.Notices, n.Name)
	}
	claim.Status.CreditorNotices = append(claim.Status.CreditorNotices, rec)
	return nil
}
