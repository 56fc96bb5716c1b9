package controllers

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/payout"
	"github.com/inkasso-operator/inkasso-operator/internal/settlement"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/simclock"
)

// Settlement condition reasons.
const (
	reasonInvalidPricing   = "InvalidPricing"
	reasonInvalidPayout    = "InvalidPayout"
	reasonWaitingForClaims = "WaitingForClaims"
	reasonFileConflict     = "FileConflict"
	reasonStatementTooBig  = "StatementTooLarge"
)

const (
	// maxSettlementLines bounds a Settlement's status (the CRD says 1000
	// too); what is left over is counted in status.remaining.
	maxSettlementLines = 1000
	// maxFilesBytes keeps the files' ConfigMap well under the 1 MiB object
	// limit.
	maxFilesBytes = 900 * 1024
	// statementStep is the Notice spec.step of a statement.
	statementStep = "settlement-statement"
	// settlementFinalizer keeps a computed Settlement, whose lines hold
	// payments settled, from being deleted by accident: its payments would
	// become unsettled and be paid out again.
	settlementFinalizer = "collection.inkasso.dev/settlement-record"
	// ForgetSettledAnnotation set to "true" releases the finalizer.
	ForgetSettledAnnotation = "collection.inkasso.dev/forget-settled"
	// File keys in the Settlement's ConfigMap.
	statementKey = "statement.csv"
	payoutKey    = "pain.001.xml"
)

// SettlementReconciler settles a creditor's collected money for a period in
// three recorded steps, each safe to repeat after a crash:
//
//  1. compute the lines from the claims' ledgers and write them to status
//     (status.computedAt: the intent; their keys are taken from then on);
//  2. produce the files (an immutable ConfigMap owned by the Settlement)
//     and the statement Notices, all from the recorded lines, so a retry
//     makes the same bytes and finds the same names;
//  3. mark it Settled; the status is frozen from then on (CEL).
//
// It runs one reconcile at a time and reads the other Settlements from the
// apiserver, not the cache, so two Settlements never take the same entry.
type SettlementReconciler struct {
	Client client.Client
	// APIReader reads Settlements uncached.
	APIReader client.Reader
	Clock     clock.PassiveClock
	Recorder  events.EventRecorder
	// MaxRetryDelay caps the backoff after a failed reconcile.
	MaxRetryDelay time.Duration
	// AllClaims lists the policy's claims from the API, not the cache: set
	// when the manager runs one debtor shard, whose cache holds only its
	// own debtors' claims, while a statement covers all of them.
	AllClaims bool
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=settlements,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=settlements/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=settlements/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims;debtors;collectionpolicies;noticechannels,verbs=get;list;watch
// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=notices,verbs=get;list;watch;create
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create

// Reconcile moves the Settlement one recorded step on.
func (r *SettlementReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var stl inkassov1.Settlement
	if err := r.Client.Get(ctx, req.NamespacedName, &stl); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !stl.DeletionTimestamp.IsZero() {
		return reconcile.Result{}, r.finalize(ctx, &stl)
	}
	if stl.Status.SettledAt != nil {
		return reconcile.Result{}, nil // frozen
	}
	if !controllerutil.ContainsFinalizer(&stl, settlementFinalizer) {
		// Before any line is taken: a computed Settlement is a record.
		controllerutil.AddFinalizer(&stl, settlementFinalizer)
		if err := r.Client.Update(ctx, &stl); err != nil {
			if apierrors.IsConflict(err) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, fmt.Errorf("adding the finalizer: %w", err)
		}
	}
	orig := stl.DeepCopy()
	now := r.Clock.Now()
	conds := conditionSetter{conds: &stl.Status.Conditions, gen: stl.Generation, now: metav1.Time{Time: now.Truncate(time.Second)}}

	res, err := r.settle(ctx, &stl, now, conds)
	var st *stallError
	switch {
	case errors.As(err, &st):
		conds.stalled(st.reason, st.msg)
		conds.flag(inkassov1.ConditionSettled, false, st.reason, st.msg)
		if !settlementStalled(orig, st.reason) && r.Recorder != nil {
			r.Recorder.Eventf(&stl, nil, corev1.EventTypeWarning, st.reason, "Settle", "%s", st.msg)
		}
		err = nil
	case err != nil:
		conds.reconciling(reasonRetrying, err.Error())
	}
	stl.Status.ObservedGeneration = stl.Generation
	if !apiequality.Semantic.DeepEqual(orig.Status, stl.Status) {
		if perr := r.Client.Status().Update(ctx, &stl); perr != nil {
			if apierrors.IsConflict(perr) {
				return reconcile.Result{RequeueAfter: 50 * time.Millisecond}, nil
			}
			return reconcile.Result{}, errors.Join(err, fmt.Errorf("writing settlement status: %w", perr))
		}
		if stl.Status.SettledAt != nil && r.Recorder != nil {
			// After the write: a lost optimistic lock announces nothing.
			c := meta.FindStatusCondition(stl.Status.Conditions, inkassov1.ConditionSettled)
			r.Recorder.Eventf(&stl, nil, corev1.EventTypeNormal, inkassov1.SettlementReasonSettled, "Settle", "%s", c.Message)
		}
	}
	return res, err
}

// finalize lets a Settlement go when it took no payments yet, when it is
// annotated collection.inkasso.dev/forget-settled: "true", or when its
// namespace is being deleted; otherwise it keeps it and says why.
func (r *SettlementReconciler) finalize(ctx context.Context, stl *inkassov1.Settlement) error {
	if !controllerutil.ContainsFinalizer(stl, settlementFinalizer) {
		return nil
	}
	release := stl.Status.ComputedAt == nil || stl.Annotations[ForgetSettledAnnotation] == "true"
	if !release {
		var ns corev1.Namespace
		if err := r.APIReader.Get(ctx, types.NamespacedName{Name: stl.Namespace}, &ns); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("getting namespace %s: %w", stl.Namespace, err)
		}
		release = !ns.DeletionTimestamp.IsZero()
	}
	if !release {
		if r.Recorder != nil {
			r.Recorder.Eventf(stl, nil, corev1.EventTypeWarning, "DeletionBlocked", "Delete",
				"the Settlement holds %d settled lines; deleting it would make them unsettled and pay them again. Annotate it %s=true to delete it anyway",
				len(stl.Status.Lines), ForgetSettledAnnotation)
		}
		return nil // the annotation is a change: it reconciles again
	}
	controllerutil.RemoveFinalizer(stl, settlementFinalizer)
	if err := r.Client.Update(ctx, stl); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing the finalizer: %w", err)
	}
	return nil
}

func settlementStalled(s *inkassov1.Settlement, reason string) bool {
	c := meta.FindStatusCondition(s.Status.Conditions, inkassov1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason
}

// settle does the step the Settlement is at; the caller writes the status
// it leaves. Step 1 ends there (the intent is written before any file or
// notice exists); steps 2 and 3 run in the next reconcile.
func (r *SettlementReconciler) settle(ctx context.Context, stl *inkassov1.Settlement, now time.Time, conds conditionSetter) (reconcile.Result, error) {
	policy, err := r.policy(ctx, stl)
	if err != nil {
		return reconcile.Result{}, err
	}
	loc := policyLocation(policy)
	from, err1 := civil.Parse(string(stl.Spec.Period.From))
	to, err2 := civil.Parse(string(stl.Spec.Period.To))
	if err := cmp.Or(err1, err2); err != nil {
		return reconcile.Result{}, stall(reasonInvalidDate, "spec.period: %v", err)
	}
	if stl.Status.ComputedAt == nil {
		if end := to.AddDays(1).Midnight(loc); now.Before(end) {
			// Handled and waiting on its timer: Ready, like a claim waiting
			// for its next step; Settled says it is not done.
			msg := fmt.Sprintf("the period ends on %s; the Settlement is computed after it", to)
			conds.ready(inkassov1.SettlementReasonWaiting, msg)
			conds.flag(inkassov1.ConditionSettled, false, inkassov1.SettlementReasonWaiting, msg)
			return reconcile.Result{RequeueAfter: max(simclock.RealDuration(r.Clock, end.Sub(now)), time.Millisecond)}, nil
		}
		if err := r.compute(ctx, stl, policy, from, to, now); err != nil {
			return reconcile.Result{}, err
		}
		msg := fmt.Sprintf("%d payments computed; producing the statement and payout", len(stl.Status.Lines))
		conds.reconciling(inkassov1.SettlementReasonComputed, msg)
		conds.flag(inkassov1.ConditionSettled, false, inkassov1.SettlementReasonComputed, msg)
		// The intent is recorded before any file or notice exists.
		return reconcile.Result{RequeueAfter: time.Millisecond}, nil
	}
	if err := r.produce(ctx, stl, policy, loc); err != nil {
		return reconcile.Result{}, err
	}
	stl.Status.SettledAt = &metav1.Time{Time: now.Truncate(time.Second)}
	t := stl.Status.Totals
	msg := fmt.Sprintf("%d payments settled: %s %s collected, %s to the creditor, %s to the agency, payout %s",
		len(stl.Status.Lines), t.Collected, stl.Spec.Currency, t.Creditor, t.Agency, t.Payout)
	if stl.Status.Remaining > 0 {
		msg += fmt.Sprintf("; %d more payments are left for the next Settlement (at most %d lines each)", stl.Status.Remaining, maxSettlementLines)
	}
	conds.ready(inkassov1.SettlementReasonSettled, msg)
	conds.flag(inkassov1.ConditionSettled, true, inkassov1.SettlementReasonSettled, msg)
	return reconcile.Result{}, nil
}

// policy is the policy the lines were computed under once they are
// recorded (a change of the namespace's default later must not change the
// statement's sender), else spec.policyRef's, else the namespace's default.
func (r *SettlementReconciler) policy(ctx context.Context, stl *inkassov1.Settlement) (*inkassov1.CollectionPolicy, error) {
	ref := stl.Spec.PolicyRef
	if stl.Status.ComputedAt != nil && stl.Status.Policy != "" {
		ref = &inkassov1.LocalObjectReference{Name: stl.Status.Policy}
	}
	probe := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: stl.Namespace}, Spec: inkassov1.ClaimSpec{PolicyRef: ref}}
	p, err := resolvePolicy(ctx, r.Client, probe)
	if st := (*stallError)(nil); errors.As(err, &st) {
		return nil, stall(st.reason, "spec.policyRef: %s", strings.Replace(st.msg, "spec.policyRef", "the Settlement's spec.policyRef", 1))
	}
	return p, err
}

// compute records the lines: step 1.
func (r *SettlementReconciler) compute(ctx context.Context, stl *inkassov1.Settlement, policy *inkassov1.CollectionPolicy, from, to civil.Date, now time.Time) error {
	pricing, err := pricingOf(policy)
	if err != nil {
		return err
	}
	if _, _, err := payoutAccount(stl, policy); err != nil && stl.Spec.Payout != nil {
		return err
	}
	claims, err := r.claimsOf(ctx, stl.Namespace, policy)
	if err != nil {
		return err
	}
	var others inkassov1.SettlementList
	if err := r.APIReader.List(ctx, &others, client.InNamespace(stl.Namespace)); err != nil {
		return fmt.Errorf("listing settlements: %w", err)
	}
	settled := map[string]bool{}
	carryFrom := from
	for i := range others.Items {
		o := &others.Items[i]
		if o.UID == stl.UID {
			continue
		}
		// Settlement began in the namespace, for this policy and currency,
		// with the earliest period of their Settlements.
		if f, err := civil.Parse(string(o.Spec.Period.From)); err == nil && f.Before(carryFrom) &&
			o.Status.Policy == policy.Name && o.Spec.Currency == stl.Spec.Currency {
			carryFrom = f
		}
		for _, l := range o.Status.Lines { // every currency: a key is a key
			settled[l.Key] = true
		}
	}
	pf, err := policyFacts(policy, now)
	if err != nil {
		return err
	}
	cur := string(stl.Spec.Currency)
	in := settlement.Input{Currency: cur, From: from, To: to, CarryOverFrom: carryFrom, Settled: settled,
		MaxLines: maxSettlementLines, Pricing: pricing}
	for i := range claims {
		c := &claims[i]
		if string(c.Spec.Currency) != cur || (len(c.Spec.Payments) == 0 && !pricing.CreditorBearsAdvanced) {
			continue // nothing to settle: no payment, and no fee to charge
		}
		if c.Status.ObservedGeneration != c.Generation {
			// Transient: the claim controller catches up on its own.
			return fmt.Errorf("%s: claim %s is not reconciled at its latest generation yet", reasonWaitingForClaims, c.Name)
		}
		facts, err := claimFacts(c)
		if err != nil {
			return stall(reasonWaitingForClaims, "claim %s: %v", c.Name, err)
		}
		var d *inkassov1.Debtor
		var debtor inkassov1.Debtor
		if err := r.Client.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.DebtorRef.Name}, &debtor); err == nil {
			d = &debtor
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("getting debtor of claim %s: %w", c.Name, err)
		}
		var df *collection.Debtor
		if d != nil {
			df = debtorFacts(d)
		}
		// The claim's own ledger rule, replayed up to now: the allocation
		// the claim's status.ledger shows, never stale.
		b, err := collection.Balance(facts, pf, df, now)
		if err != nil {
			return stall(collection.ReasonInvalidAmount, "claim %s: %v", c.Name, err)
		}
		in.Claims = append(in.Claims, settlement.Claim{Name: c.Name, InvoiceNumber: c.Spec.InvoiceNumber, Currency: cur, Entries: b.Entries})
	}
	res, err := settlement.Compute(in)
	if err != nil {
		return stall(reasonInvalidPricing, "%v", err)
	}
	stl.Status.Policy = policy.Name
	stl.Status.ComputedAt = &metav1.Time{Time: now.Truncate(time.Second)}
	stl.Status.Lines = linesToAPI(res.Lines)
	stl.Status.Totals = totalsToAPI(res.Totals)
	stl.Status.Remaining = int32(res.Remaining)
	return nil
}

// claimsOf lists the claims the policy collects: those naming it, and
// those naming none when it is the namespace's default.
func (r *SettlementReconciler) claimsOf(ctx context.Context, ns string, policy *inkassov1.CollectionPolicy) ([]inkassov1.Claim, error) {
	if r.AllClaims {
		return r.allClaimsOf(ctx, ns, policy)
	}
	var named, unnamed inkassov1.ClaimList
	if err := r.Client.List(ctx, &named, client.InNamespace(ns), client.MatchingFields{claimPolicyIndex: policy.Name}); err != nil {
		return nil, fmt.Errorf("listing claims of policy %s: %w", policy.Name, err)
	}
	out := named.Items
	def, err := resolvePolicy(ctx, r.Client, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns}})
	if err == nil && def.Name == policy.Name {
		if err := r.Client.List(ctx, &unnamed, client.InNamespace(ns), client.MatchingFields{claimPolicyIndex: ""}); err != nil {
			return nil, fmt.Errorf("listing claims of the default policy: %w", err)
		}
		out = append(out, unnamed.Items...)
	}
	return out, nil
}

// allClaimsOf is claimsOf read from the API: every shard's claims.
func (r *SettlementReconciler) allClaimsOf(ctx context.Context, ns string, policy *inkassov1.CollectionPolicy) ([]inkassov1.Claim, error) {
	var all inkassov1.ClaimList
	if err := r.APIReader.List(ctx, &all, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("listing the claims of namespace %s: %w", ns, err)
	}
	isDefault := false
	if def, err := resolvePolicy(ctx, r.Client, &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns}}); err == nil {
		isDefault = def.Name == policy.Name
	}
	var out []inkassov1.Claim
	for _, c := range all.Items {
		if ref := c.Spec.PolicyRef; (ref != nil && ref.Name == policy.Name) || (ref == nil && isDefault) {
			out = append(out, c)
		}
	}
	return out, nil
}

// pricingOf converts spec.pricing, naming the field of a bad value.
func pricingOf(p *inkassov1.CollectionPolicy) (settlement.Pricing, error) {
	out := settlement.Pricing{Basis: settlement.CollectedPrincipal}
	pr := p.Spec.Pricing
	if pr == nil {
		return out, nil
	}
	out.AgencyKeepsInterest = pr.LateInterest == inkassov1.PartyAgency
	if c := pr.Commission; c != nil {
		d, err := decimal.NewFromString(string(c.Percent))
		if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) {
			return out, stall(reasonInvalidPricing, "spec.pricing.commission.percent of policy %q must be a percentage from 0 to 100, not %q", p.Name, c.Percent)
		}
		out.CommissionPercent = d
		if c.Basis != "" {
			out.Basis = settlement.Basis(c.Basis)
		}
	}
	if v := pr.VAT; v != nil {
		for i, rate := range v.Rates {
			from, err := civil.Parse(string(rate.From))
			if err != nil {
				return out, stall(reasonInvalidPricing, "spec.pricing.vat.rates[%d].from of policy %q: %v", i, p.Name, err)
			}
			d, err := decimal.NewFromString(string(rate.Percent))
			if err != nil || d.GreaterThan(decimal.NewFromInt(100)) {
				return out, stall(reasonInvalidPricing, "spec.pricing.vat.rates[%d].percent of policy %q must be a percentage from 0 to 100, not %q", i, p.Name, rate.Percent)
			}
			out.VAT = append(out.VAT, settlement.VATRate{From: from, Percent: d})
		}
	}
	if a := pr.AdvancedFees; a != nil {
		out.AdvancedSteps = map[string]bool{}
		for _, s := range a.Steps {
			out.AdvancedSteps[s] = true
		}
		out.CreditorBearsAdvanced = a.BorneBy == inkassov1.PartyCreditor
	}
	return out, nil
}

// payoutAccount checks spec.payout and returns the accounts to pay from and to.
func payoutAccount(stl *inkassov1.Settlement, policy *inkassov1.CollectionPolicy) (from, to payout.Account, err error) {
	p := stl.Spec.Payout
	if p == nil {
		return from, to, nil
	}
	switch {
	case p.IBAN != "":
		if err := payout.CheckIBAN(p.IBAN); err != nil {
			return from, to, stall(reasonInvalidPayout, "spec.payout.iban: %v", err)
		}
		to = payout.Account{IBAN: p.IBAN, BIC: p.BIC}
	case p.AccountCountry == "NO":
		if err := payout.CheckNorwegianAccount(p.Account); err != nil {
			return from, to, stall(reasonInvalidPayout, "spec.payout.account: %v", err)
		}
		to = payout.Account{BBAN: p.Account, BIC: p.BIC}
	default:
		to = payout.Account{BBAN: p.Account, BIC: p.BIC}
	}
	src := p.From
	if src == "" && policy.Spec.Sender != nil {
		src = strings.ReplaceAll(strings.ReplaceAll(policy.Spec.Sender.BankAccount, " ", ""), ".", "")
	}
	switch {
	case src == "":
		return from, to, stall(reasonInvalidPayout, "spec.payout.from is empty and policy %q has no spec.sender.bankAccount: no account to pay from", policy.Name)
	case len(src) > 4 && src[0] >= 'A' && src[0] <= 'Z':
		if err := payout.CheckIBAN(src); err != nil {
			return from, to, stall(reasonInvalidPayout, "spec.payout.from: %v", err)
		}
		from = payout.Account{IBAN: src, BIC: p.FromBIC}
	default:
		from = payout.Account{BBAN: src, BIC: p.FromBIC}
	}
	return from, to, nil
}

// produce makes the files and the statement notices from the recorded
// lines: step 2. Everything is derived from status, so a retry after a
// crash makes the same bytes and finds what it made before.
func (r *SettlementReconciler) produce(ctx context.Context, stl *inkassov1.Settlement, policy *inkassov1.CollectionPolicy, loc *time.Location) error {
	csv, err := settlement.StatementCSV(statementRows(stl.Status))
	if err != nil {
		return err
	}
	files := map[string]string{statementKey: string(csv)}
	var xml []byte
	pay, _ := money.Parse(stl.Status.Totals.Payout, string(stl.Spec.Currency))
	if stl.Spec.Payout != nil && pay.IsPositive() {
		src, dst, err := payoutAccount(stl, policy)
		if err != nil {
			return err
		}
		name := stl.Spec.Payout.Name
		if name == "" && policy.Spec.Creditor != nil {
			name = policy.Spec.Creditor.Name
		}
		debtor := "Collection agency"
		if policy.Spec.Sender != nil {
			debtor = policy.Spec.Sender.Name
		}
		id := sha256.Sum256([]byte(stl.Namespace + "/" + stl.Name + "/" + string(stl.UID)))
		created := stl.Status.ComputedAt.Time
		xml, err = payout.Pain001(payout.Transfer{
			MessageID: "STL" + hex.EncodeToString(id[:])[:32], EndToEndID: "STL" + hex.EncodeToString(id[:])[:32],
			Created: created, ExecutionDate: civil.Of(created, loc).String(), Amount: pay,
			DebtorName: debtor, CreditorName: name, From: src, To: dst,
			Remittance: fmt.Sprintf("Settlement %s %s..%s", stl.Name, stl.Spec.Period.From, stl.Spec.Period.To),
		})
		if err != nil {
			return stall(reasonInvalidPayout, "spec.payout: %v", err)
		}
		files[payoutKey] = string(xml)
	}
	if len(csv)+len(xml) > maxFilesBytes {
		return stall(reasonStatementTooBig, "the statement and payout files are %d bytes, more than a ConfigMap holds (%d)", len(csv)+len(xml), maxFilesBytes)
	}
	cmName := stl.Name + "-settlement"
	if err := r.ensureFiles(ctx, stl, cmName, files); err != nil {
		return err
	}
	stl.Status.Statement = fileRef(cmName, statementKey, csv)
	if xml != nil {
		stl.Status.Payout = fileRef(cmName, payoutKey, xml)
	}
	names, err := r.notifyCreditor(ctx, stl, policy)
	if err != nil {
		return err
	}
	stl.Status.Notices = names
	return nil
}

func fileRef(cm, key string, data []byte) *inkassov1.FileRef {
	sum := sha256.Sum256(data)
	return &inkassov1.FileRef{ConfigMap: cm, Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// ensureFiles creates the immutable ConfigMap, or finds the one an earlier
// attempt made; a ConfigMap of that name with other content is someone
// else's and stalls the Settlement.
func (r *SettlementReconciler) ensureFiles(ctx context.Context, stl *inkassov1.Settlement, name string, files map[string]string) error {
	immutable := true
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: stl.Namespace,
			Labels: map[string]string{"collection.inkasso.dev/settlement": stl.Name}},
		Data:      files,
		Immutable: &immutable,
	}
	if err := controllerutil.SetControllerReference(stl, cm, r.Client.Scheme()); err != nil {
		return fmt.Errorf("owner reference: %w", err)
	}
	err := r.Client.Create(ctx, cm)
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ConfigMap %s: %w", name, err)
	}
	var have corev1.ConfigMap
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(cm), &have); err != nil {
		return fmt.Errorf("getting ConfigMap %s: %w", name, err)
	}
	if !metav1.IsControlledBy(&have, stl) || !apiequality.Semantic.DeepEqual(have.Data, files) {
		return stall(reasonFileConflict, "ConfigMap %q exists and is not this Settlement's statement; delete or rename it", name)
	}
	return nil
}

// notifyCreditor sends the statement to the creditor through the
// Settlement's channels (default: the policy's creditor-notice channels),
// one Notice per channel with a deterministic name; a letter channel
// renders it as PDF. A Settlement with no lines sends nothing.
func (r *SettlementReconciler) notifyCreditor(ctx context.Context, stl *inkassov1.Settlement, policy *inkassov1.CollectionPolicy) ([]string, error) {
	channels := stl.Spec.Channels
	var recipient *inkassov1.Recipient
	if cn := policy.Spec.CreditorNotices; cn != nil {
		if len(channels) == 0 {
			channels = cn.Channels
		}
		recipient = cn.Recipient
	}
	if len(channels) == 0 || len(stl.Status.Lines) == 0 {
		return nil, nil
	}
	usedBy := fmt.Sprintf("Settlement %q", stl.Name)
	if len(stl.Spec.Channels) == 0 {
		usedBy = fmt.Sprintf("spec.creditorNotices of policy %q", policy.Name)
	}
	if err := requireChannelsOf(ctx, r.Client, stl.Namespace, channels, usedBy); err != nil {
		return nil, err
	}
	to := inkassov1.Recipient{Name: "Creditor (" + stl.Namespace + ")"}
	if recipient != nil {
		to = *recipient
	}
	// The statement text is English for now (statementText); the notice
	// says so, so a letter prints English dates and labels with it.
	lang := inkassov1.LanguageEnglish
	subject, body := statementText(stl)
	var refs []inkassov1.LocalObjectReference
	for _, l := range stl.Status.Lines {
		if len(refs) < 200 && !slices.ContainsFunc(refs, func(x inkassov1.LocalObjectReference) bool { return x.Name == l.Claim }) {
			refs = append(refs, inkassov1.LocalObjectReference{Name: l.Claim})
		}
	}
	names := make([]string, 0, len(channels))
	for _, ch := range channels {
		n := &inkassov1.Notice{
			ObjectMeta: metav1.ObjectMeta{
				Name: notice.Name(stl.Name, statementStep, ch), Namespace: stl.Namespace,
				Labels: map[string]string{stepLabel: statementStep, recipientLabel: recipientCreditor},
			},
			Spec: inkassov1.NoticeSpec{
				ChannelRef: inkassov1.LocalObjectReference{Name: ch},
				ClaimRefs:  refs, Step: statementStep, Recipient: to, Language: lang,
				Subject: subject, Body: body,
				Creditor: policy.Spec.Creditor.DeepCopy(), Sender: policy.Spec.Sender.DeepCopy(),
				Deadline: deliveryDeadline(policy, stl.Status.ComputedAt.Time),
			},
		}
		if err := controllerutil.SetOwnerReference(stl, n, r.Client.Scheme()); err != nil {
			return nil, fmt.Errorf("owner reference: %w", err)
		}
		if err := r.Client.Create(ctx, n); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating statement notice %s: %w", n.Name, err)
		}
		names = append(names, n.Name)
	}
	return names, nil
}

// maxStatementLinesInBody bounds the lines printed in the notice body (the
// Notice body holds 64 KiB); the CSV always has them all.
const maxStatementLinesInBody = 150

// statementText is the statement as a letter: totals first, then the lines.
// It names claims by invoice number only: no debtor data.
func statementText(stl *inkassov1.Settlement) (string, string) {
	t, cur := stl.Status.Totals, string(stl.Spec.Currency)
	subject := fmt.Sprintf("Settlement statement %s – %s", stl.Spec.Period.From, stl.Spec.Period.To)
	var b strings.Builder
	fmt.Fprintf(&b, "Settlement %s for %s to %s (%s).\n\n", stl.Name, stl.Spec.Period.From, stl.Spec.Period.To, cur)
	row := func(label, v string) { fmt.Fprintf(&b, "%-34s %14s %s\n", label, v, cur) }
	row("Collected", t.Collected)
	row("  of which paid to you directly", t.CollectedByCreditor)
	row("  principal", t.Principal)
	row("  late interest", t.Interest)
	row("  fees", t.Fees)
	row("  over-paid (refunded to debtors)", t.Overpaid)
	if t.AdvancedFeesCharged != "" && t.AdvancedFeesCharged != "0.00" {
		row("Court fees advanced, charged to you", t.AdvancedFeesCharged)
	}
	row("Agency: fees", t.Fees)
	row("Agency: late interest kept", t.KeptInterest)
	row("Agency: commission", t.Commission)
	row("Agency: VAT", t.VAT)
	row("Agency's share", t.Agency)
	row("Your share", t.Creditor)
	row("Payout to you", t.Payout)
	fmt.Fprintf(&b, "\n%d payments:\n", len(stl.Status.Lines))
	for i, l := range stl.Status.Lines {
		if i == maxStatementLinesInBody {
			fmt.Fprintf(&b, "… and %d more in the CSV statement (ConfigMap %s-settlement).\n", len(stl.Status.Lines)-i, stl.Name)
			break
		}
		fmt.Fprintf(&b, "%s  invoice %-12s %12s  you %12s  agency %10s\n", l.Date, l.InvoiceNumber, l.Amount, l.Creditor, l.Agency)
	}
	if stl.Status.Remaining > 0 {
		fmt.Fprintf(&b, "\n%d further payments will be settled in the next statement.\n", stl.Status.Remaining)
	}
	return subject, b.String()
}

// statementRows are the CSV records of the recorded lines, in the column
// order of settlement.StatementHeader.
func statementRows(st inkassov1.SettlementStatus) [][]string {
	rows := make([][]string, 0, len(st.Lines)+2)
	for _, l := range st.Lines {
		kind := l.Kind
		if kind == "" {
			kind = inkassov1.LinePayment
		}
		rows = append(rows, []string{l.Key, string(kind), l.Claim, l.InvoiceNumber, l.Ref, l.Date, string(l.ReceivedBy), strconv.FormatBool(l.CarriedOver),
			l.Amount, l.Principal, l.Interest, l.Fees, l.AdvancedFees, l.Overpaid, l.Commission, l.KeptInterest, l.VAT, l.Creditor, l.Agency})
	}
	t := st.Totals
	return append(rows, settlement.TotalRow(t.Collected, t.Principal, t.Interest, t.Fees, t.AdvancedFees, t.Overpaid,
		t.Commission, t.KeptInterest, t.VAT, t.Creditor, t.Agency), settlement.PayoutRow(t.Payout))
}

func linesToAPI(lines []settlement.Line) []inkassov1.SettlementLine {
	out := make([]inkassov1.SettlementLine, 0, len(lines))
	for _, l := range lines {
		by := inkassov1.ReceivedByAgency
		if l.ReceivedByCreditor {
			by = inkassov1.ReceivedByCreditor
		}
		out = append(out, inkassov1.SettlementLine{Key: l.Key, Kind: inkassov1.LineKind(l.Kind), Claim: l.Claim, InvoiceNumber: l.InvoiceNumber, Ref: l.Ref,
			Date: l.Date.String(), ReceivedBy: by, CarriedOver: l.CarriedOver,
			Amount: l.Amount.String(), Principal: l.Principal.String(), Interest: l.Interest.String(), Fees: l.Fees.String(),
			AdvancedFees: l.AdvancedFees.String(), Overpaid: l.Overpaid.String(),
			Commission: l.Commission.String(), KeptInterest: l.KeptInterest.String(), VAT: l.VAT.String(),
			Creditor: l.Creditor.String(), Agency: l.Agency.String()})
	}
	return out
}

func totalsToAPI(t settlement.Totals) *inkassov1.SettlementTotals {
	return &inkassov1.SettlementTotals{Collected: t.Collected.String(), CollectedByCreditor: t.CollectedByCreditor.String(),
		Principal: t.Principal.String(), Interest: t.Interest.String(), Fees: t.Fees.String(), AdvancedFees: t.AdvancedFees.String(),
		Overpaid: t.Overpaid.String(), AdvancedFeesCharged: t.AdvancedFeesCharged.String(), Creditor: t.Creditor.String(), Agency: t.Agency.String(), Commission: t.Commission.String(),
		KeptInterest: t.KeptInterest.String(), VAT: t.VAT.String(), Payout: t.Payout.String()}
}

// SetupWithManager registers the controller. One reconcile at a time: the
// at-most-once check reads the other Settlements and must not race itself.
func (r *SettlementReconciler) SetupWithManager(mgr ctrl.Manager) error {
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
		r.Recorder = mgr.GetEventRecorder("inkasso-settlement")
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("settlement").
		For(&inkassov1.Settlement{}).
		// A stalled Settlement waits on a policy (pricing) or a channel.
		Watches(&inkassov1.CollectionPolicy{}, handler.EnqueueRequestsFromMapFunc(r.openSettlements)).
		Watches(&inkassov1.NoticeChannel{}, handler.EnqueueRequestsFromMapFunc(r.openSettlements)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1, RateLimiter: channelkit.NewRetryLimiter(r.MaxRetryDelay)}).
		Complete(stallOnPanic("settlement", r, r.Client, r.Clock, r.Recorder, func() client.Object { return &inkassov1.Settlement{} }))
}

// openSettlements are the namespace's Settlements not settled yet.
func (r *SettlementReconciler) openSettlements(ctx context.Context, o client.Object) []reconcile.Request {
	var list inkassov1.SettlementList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "listing settlements")
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Status.SettledAt == nil {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}
