package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
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

// warnedAt is when the creditor was warned of the claim's transfer.
func warnedAt(claim *inkassov1.Claim) time.Time {
	for _, r := range claim.Status.CreditorNotices {
		if r.Event == inkassov1.CreditorOverdueWarning {
			return r.Time.Time
		}
	}
	return time.Time{}
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
		return stall("TemplateError", "creditor notice %s: %v", ev, err)
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
				Labels:    map[string]string{"collection.inkasso.dev/step": step, "collection.inkasso.dev/recipient": "creditor"},
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

// notifyTransferred tells the creditor the claim is in collection once its
// first step past the reminders is done, with the free-cancellation window.
func notifyTransferred(ctx context.Context, c client.Client, claim *inkassov1.Claim, debtor *inkassov1.Debtor,
	policy *inkassov1.CollectionPolicy, tp schedule.Policy, now time.Time) error {
	if !transferred(claim, policy) || claim.Status.Phase == inkassov1.PhaseForwarded || hasCreditorNotice(claim, inkassov1.CreditorTransferred) {
		return nil
	}
	var data notice.CreditorData
	if started := claim.Status.CollectionStartedAt; started != nil && policy.Spec.CreditorNotices != nil {
		if days := int(policy.Spec.CreditorNotices.FreeCancellationDays); days > 0 {
			// freeToEnd allows ending before started+days: the last free day is the one before.
			data.FreeUntil = schedule.DateOf(started.Add(-time.Second), tp.Location).AddDays(days).String()
		}
	}
	return notifyCreditor(ctx, c, claim, debtor, policy, inkassov1.CreditorTransferred, data, now)
}

// transferOn is the day a warned claim transfers at the earliest.
func transferOn(tp schedule.Policy, facts schedule.Claim, now time.Time) string {
	d := schedule.DateOf(now, tp.Location).AddDays(tp.TransferWarningDays)
	for _, x := range []schedule.Date{facts.DueDate.AddDays(tp.MinDaysAfterDue), facts.InvoiceDate.AddDays(tp.MinDaysAfterInvoice)} {
		if x.String() > d.String() {
			d = x
		}
	}
	return d.String()
}

// closedReason is the Ready message of a claim that just ended, for the
// creditor's result notice.
func closedReason(claim *inkassov1.Claim) string {
	if c := meta.FindStatusCondition(claim.Status.Conditions, inkassov1.ConditionReady); c != nil {
		return strings.TrimSpace(c.Message)
	}
	return ""
}
