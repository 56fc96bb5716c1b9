package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/contact"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// noticeInput is what one step's notice for one channel is made from: one
// claim, or every claim of a collection case.
type noticeInput struct {
	caseID   string
	debtor   *inkassov1.Debtor
	policy   *inkassov1.CollectionPolicy
	tp       schedule.Policy
	step     inkassov1.PolicyStep
	channel  string
	claims   []*inkassov1.Claim
	balances []ledger.Result // per claim, including this step's fee
	owner    client.Object   // the claim, or the debtor for a case
	now      time.Time
	// overrides are the policy's template texts (spec.templates).
	overrides notice.Overrides
	// contacts are when the debtor's earlier notices went (or go) out.
	contacts []time.Time
	// fee is what this step charged, for the "(of which X for this
	// notice)" line; reference the payment reference to print.
	fee       money.Money
	reference string
	// release is when the notice may first be delivered (notBefore): its
	// payment deadline counts from then.
	release time.Time
	// annotations to set on the notice (a fallback copy names the original).
	annotations map[string]string
}

// Label keys the operator sets on notices.
const (
	// debtorLabel marks a notice to a debtor with the debtor's name.
	debtorLabel = "collection.inkasso.dev/debtor"
	// stepLabel names the step (or creditor event) a notice is for.
	stepLabel = "collection.inkasso.dev/step"
	// caseLabel names the case a notice belongs to.
	caseLabel = "collection.inkasso.dev/case"
	// recipientLabel marks notices to the creditor (value recipientCreditor).
	recipientLabel    = "collection.inkasso.dev/recipient"
	recipientCreditor = "creditor"
)

// fallbackForAnnotation on a fallback copy names the failed notice it copies.
const fallbackForAnnotation = "collection.inkasso.dev/fallback-for"

// The step's record a notice carries, so that a claim whose status is older
// than its notices (an etcd or Velero restore) records the step as it was
// taken instead of taking it again: when (RFC 3339) and the fee it charged
// ("35.00 NOK": the cache drops spec.amounts, so the currency goes along).
const (
	stepAtAnnotation  = "collection.inkasso.dev/step-at"
	stepFeeAnnotation = "collection.inkasso.dev/step-fee"
)

// buildNotice renders the notice; its name is deterministic per (case, step,
// channel) so that creating it again can never send twice.
func buildNotice(ctx context.Context, scheme *runtime.Scheme, in noticeInput) (*inkassov1.Notice, error) {
	lang := in.debtor.Spec.Language
	if lang == "" {
		lang = jurisdictionDefaults[in.policy.Spec.Jurisdiction].lang
	}
	cal, err := calendar.For(string(in.policy.Spec.Jurisdiction))
	if err != nil {
		return nil, err
	}
	// Contact windows are the debtor's local hours and holidays.
	dloc, dcal := debtorZone(in.debtor, in.tp.Location, cal)
	notBefore, err := contactAllowedFrom(in.policy, dloc, dcal, in.now)
	if err != nil {
		return nil, err
	}
	if cw := in.policy.Spec.ContactWindows; cw != nil && cw.MaxPerWeek > 0 && in.step.Action != inkassov1.ActionNotifyCreditor {
		// The weekly cap may push the notice out of today's window: fit it
		// into the next one, then check the cap again.
		for range 20 {
			capped := contact.Capped(in.contacts, notBefore, int(cw.MaxPerWeek))
			if capped.Equal(notBefore) {
				break
			}
			if notBefore, err = contactAllowedFrom(in.policy, dloc, dcal, capped); err != nil {
				return nil, err
			}
		}
	}

	if in.step.Action != inkassov1.ActionNotifyCreditor {
		in.release = notBefore // the debtor's deadline counts from here
	}
	data, err := noticeData(in, in.fee)
	if err != nil {
		return nil, err
	}
	var refs []inkassov1.LocalObjectReference
	var claimLines []inkassov1.NoticeClaim
	for i, c := range in.claims {
		refs = append(refs, inkassov1.LocalObjectReference{Name: c.Name})
		claimLines = append(claimLines, inkassov1.NoticeClaim{Name: c.Name, InvoiceNumber: c.Spec.InvoiceNumber, DueDate: string(c.Spec.DueDate),
			Outstanding: in.balances[i].Outstanding.String()})
	}
	// The reconcile's context and the template budget bound a policy's
	// override (internal/notice/guard.go).
	subject, body, err := notice.RenderContext(ctx, data, in.overrides)
	if err != nil {
		return nil, err
	}
	n := &inkassov1.Notice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      notice.Name(in.caseID, in.step.Name, in.channel),
			Namespace: in.debtor.Namespace,
			Labels:    map[string]string{stepLabel: in.step.Name},
		},
		Spec: inkassov1.NoticeSpec{
			ChannelRef: inkassov1.LocalObjectReference{Name: in.channel},
			ClaimRefs:  refs,
			CaseID:     in.caseID,
			Step:       in.step.Name,
			Language:   inkassov1.Language(data.Language),
			Subject:    subject,
			Body:       body,
			Amounts: &inkassov1.NoticeAmounts{Currency: data.Currency, Principal: data.Principal, Fees: data.Fees, Interest: data.Interest,
				Paid: data.Paid, Outstanding: data.Outstanding, Claims: claimLines},
			PaymentReference: data.PaymentReference,
			PayBy:            inkassov1.Date(data.PayBy),
			Creditor:         in.policy.Spec.Creditor.DeepCopy(),
			Sender:           in.policy.Spec.Sender.DeepCopy(),
			InterestRate:     data.InterestRate,
		},
	}
	if in.step.Action == inkassov1.ActionNotifyCreditor {
		n.Spec.Recipient = inkassov1.Recipient{Name: "Creditor (" + in.debtor.Namespace + ")"}
	} else {
		d := in.debtor
		n.Spec.DebtorRef = &inkassov1.LocalObjectReference{Name: d.Name}
		n.Spec.Recipient = inkassov1.Recipient{Name: d.Spec.DisplayName, Email: d.Spec.Email, Phone: d.Spec.Phone, Address: d.Spec.Address}
		// Always set for debtor notices: it is when the contact counts
		// against the debtor's weekly cap.
		n.Spec.NotBefore = &metav1.Time{Time: notBefore.UTC().Truncate(time.Second)}
		n.Labels[debtorLabel] = d.Name
	}
	from := in.now
	if n.Spec.NotBefore != nil {
		from = n.Spec.NotBefore.Time
	}
	n.Spec.Deadline = deliveryDeadline(in.policy, from)
	if len(in.caseID) <= 63 {
		n.Labels[caseLabel] = in.caseID
	}
	copyShardLabel(in.owner, n)
	n.Annotations = map[string]string{stepAtAnnotation: in.now.UTC().Truncate(time.Second).Format(time.RFC3339)}
	if in.fee.Currency != "" {
		n.Annotations[stepFeeAnnotation] = in.fee.String() + " " + in.fee.Currency
	}
	for k, v := range in.annotations {
		n.Annotations[k] = v
	}
	if err := controllerutil.SetOwnerReference(in.owner, n, scheme); err != nil {
		return nil, fmt.Errorf("owner reference: %w", err)
	}
	return n, nil
}

// requireChannelsOf stalls when one of channels, used by usedBy, does not exist.
func requireChannelsOf(ctx context.Context, c client.Reader, namespace string, channels []string, usedBy string) error {
	for _, ch := range channels {
		var nch inkassov1.NoticeChannel
		err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ch}, &nch)
		if apierrors.IsNotFound(err) {
			return stall(collection.ReasonChannelNotFound, "NoticeChannel %q used by %s does not exist in namespace %q", ch, usedBy, namespace)
		}
		if err != nil {
			return fmt.Errorf("getting channel %s: %w", ch, err)
		}
	}
	return nil
}

// createNotices creates the step's notice for each of its channels (none for
// steps that send nothing) and returns their names. A notice that already
// exists is the one an earlier attempt made.
func createNotices(ctx context.Context, c client.Client, in noticeInput) ([]string, error) {
	switch in.step.Action {
	case inkassov1.ActionNotify, inkassov1.ActionNotifyCreditor, "":
	default:
		return nil, nil
	}
	overrides, err := templateOverrides(ctx, c, in.policy)
	if err != nil {
		return nil, err
	}
	in.overrides = overrides
	if cw := in.policy.Spec.ContactWindows; cw != nil && cw.MaxPerWeek > 0 {
		if in.contacts, err = debtorContacts(ctx, c, in.debtor, in.caseID, in.step.Name); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, ch := range in.step.Channels {
		in.channel = ch
		n, err := buildNotice(ctx, c.Scheme(), in)
		if ctx.Err() != nil {
			return nil, ctx.Err() // shutting down: no stall
		}
		if err != nil {
			return nil, stall(reasonTemplateError, "step %q of policy %q: %v", in.step.Name, in.policy.Name, err)
		}
		// An earlier attempt may have made it: the cache tells without a write.
		var existing inkassov1.Notice
		if err := c.Get(ctx, client.ObjectKeyFromObject(n), &existing); err == nil {
			names = append(names, n.Name)
			continue
		}
		if err := c.Create(ctx, n); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating notice %s: %w", n.Name, err)
		}
		names = append(names, n.Name)
	}
	return names, nil
}

// templateOverrides reads the policy's template ConfigMap (live: ConfigMaps
// are not cached, see ClientOptions).
func templateOverrides(ctx context.Context, c client.Reader, policy *inkassov1.CollectionPolicy) (notice.Overrides, error) {
	t := policy.Spec.Templates
	if t == nil {
		return nil, nil
	}
	var cm corev1.ConfigMap
	err := c.Get(ctx, types.NamespacedName{Namespace: policy.Namespace, Name: t.ConfigMapName}, &cm)
	if apierrors.IsNotFound(err) {
		return nil, stall("TemplatesNotFound", "ConfigMap %q named by spec.templates.configMapName of policy %q does not exist in namespace %q", t.ConfigMapName, policy.Name, policy.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("reading templates of policy %s: %w", policy.Name, err)
	}
	// A text that does not parse, or whose cost is not bounded, never runs.
	if err := notice.Validate(cm.Data); err != nil {
		return nil, stall(reasonInvalidTemplate, "ConfigMap %q of policy %q: %v", t.ConfigMapName, policy.Name, err)
	}
	return notice.Overrides(cm.Data), nil
}

// interestRate is the yearly late-interest rate a notice states: the
// policy's override, else the jurisdiction's table on that day.
func interestRate(policy *inkassov1.CollectionPolicy, debtor *inkassov1.Debtor, now time.Time) (string, error) {
	if o := policy.Spec.Overrides; o != nil && o.LateInterestRate != "" {
		return string(o.LateInterestRate), nil
	}
	t, ok := interest.Tables[string(policy.Spec.Jurisdiction)]
	if !ok {
		return "", nil
	}
	r, _, err := t.Rate(civil.Of(now, policyLocation(policy)), debtor.Spec.Type == inkassov1.DebtorBusiness)
	if err != nil {
		return "", fmt.Errorf("late-interest rate of %s: %w", policy.Spec.Jurisdiction, err)
	}
	return r.StringFixed(2), nil
}

// ClientOptions keep ConfigMaps and Secrets out of the manager's cache: the
// operator reads a few by name, and caching them would watch every one in
// the cluster (and need list/watch on Secrets).
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}}}}
}

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get

// debtorContacts lists when the debtor's earlier notices were sent, or may
// first be sent, one per (case, step): a step's notices on several channels
// are one contact.
func debtorContacts(ctx context.Context, c client.Reader, d *inkassov1.Debtor, caseID, step string) ([]time.Time, error) {
	var list inkassov1.NoticeList
	if err := c.List(ctx, &list, client.InNamespace(d.Namespace), client.MatchingFields{noticeDebtorIndex: d.Name}); err != nil {
		return nil, fmt.Errorf("listing notices of debtor %s: %w", d.Name, err)
	}
	seen := map[string]bool{caseID + "/" + step: true}
	var times []time.Time
	for _, n := range list.Items {
		key := n.Spec.CaseID + "/" + n.Spec.Step
		if _, failed := noticeFailed(&n); failed || seen[key] {
			continue // a failed notice reached nobody
		}
		seen[key] = true
		switch {
		case n.Status.SentAt != nil:
			times = append(times, n.Status.SentAt.Time)
		case n.Spec.NotBefore != nil:
			times = append(times, n.Spec.NotBefore.Time)
		}
	}
	return times, nil
}
