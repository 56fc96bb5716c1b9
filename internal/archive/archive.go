// Package archive decides which claims leave the cluster for the claim
// archive and when, and shapes the archive's records: the claim's spec and
// status (history, balance, ledger) and its notices' metadata and outcomes.
// It has no Kubernetes client and no database; controllers/archive_controller.go
// carries its decisions out and internal/archive/postgres stores the records.
package archive

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// Kind tells why a claim was archived.
type Kind string

const (
	// KindFinished: the claim ended (Paid, Credited, Withdrawn, WrittenOff,
	// TimeBarred, Forwarded); it never comes back by itself.
	KindFinished Kind = "Finished"
	// KindDormant: a claim in Surveillance waiting months for its next
	// credit re-check; it comes back as an object before the re-check.
	KindDormant Kind = "Dormant"
	// KindDeleted: someone deleted a claim carrying the archive finalizer
	// after it stopped being finished (a re-check handed it to Legal just
	// then). Kept for the record; a manifest applied again is collected.
	KindDeleted Kind = "Deleted"
)

// Defaults of Policy.
const (
	DefaultGrace    = 30 * 24 * time.Hour
	DefaultWakeLead = 24 * time.Hour
)

// Policy says how long finished claims stay in the cluster.
type Policy struct {
	// Grace is how long a claim stays in the cluster after it finished (or,
	// in Surveillance, after its last change), so the creditor, bookkeeping
	// and GitOps see the outcome as an object first. Zero: DefaultGrace.
	Grace time.Duration
	// WakeLead is how long before its next credit re-check a dormant
	// Surveillance claim comes back as an object. Zero: DefaultWakeLead.
	WakeLead time.Duration
}

// WithDefaults fills zero fields.
func (p Policy) WithDefaults() Policy {
	if p.Grace <= 0 {
		p.Grace = DefaultGrace
	}
	if p.WakeLead <= 0 {
		p.WakeLead = DefaultWakeLead
	}
	return p
}

// Plan is what happens to a live claim.
type Plan struct {
	// Kind is empty for a claim that stays in the cluster.
	Kind Kind
	// At is when the claim is deleted and archived (its finish plus the
	// grace); the finalizer is put on it as soon as Kind is set, so a
	// deletion by anyone else before then archives it too.
	At time.Time
}

// PlanFor decides for a live claim (no deletionTimestamp) at now.
func PlanFor(c *inkassov1.Claim, now time.Time, p Policy) Plan {
	p = p.WithDefaults()
	if c.Status.Phase == "" || c.Status.ObservedGeneration != c.Generation {
		return Plan{} // the claim controller has not seen this spec yet (a new payment?)
	}
	if r := meta.FindStatusCondition(c.Status.Conditions, inkassov1.ConditionRestored); r != nil &&
		r.Status == metav1.ConditionTrue && r.Reason == inkassov1.RestoredReapplied {
		// Its record is in the archive already; GitOps keeps applying the
		// manifest, so deleting it would only bring it back.
		return Plan{}
	}
	at := FinishedAt(c).Add(p.Grace)
	switch {
	case c.Status.Phase.Terminal():
		return Plan{Kind: KindFinished, At: at}
	case Dormant(c):
		// Worth archiving only when the re-check is further away than the
		// wake-up lead at the time of archiving; otherwise it would be
		// brought back at once.
		if c.Status.NextStepAt.Sub(later(at, now)) > p.WakeLead {
			return Plan{Kind: KindDormant, At: at}
		}
	}
	return Plan{}
}

// Dormant reports a claim in Surveillance with nothing left but its
// periodic credit re-check.
func Dormant(c *inkassov1.Claim) bool {
	return c.Status.Phase == inkassov1.PhaseSurveillance && c.Status.NextStep == inkassov1.RecheckStep && c.Status.NextStepAt != nil
}

// FinishedAt is the claim's last change the archive can see: its last
// history entry, condition transition or creditor notice (the Closed
// notice goes out when it ends). All are operator-clock times; the
// creation timestamp is not (the apiserver's wall clock).
func FinishedAt(c *inkassov1.Claim) time.Time {
	var t time.Time
	for _, h := range c.Status.History {
		t = later(t, h.Time.Time)
	}
	for _, cond := range c.Status.Conditions {
		t = later(t, cond.LastTransitionTime.Time)
	}
	for _, n := range c.Status.CreditorNotices {
		t = later(t, n.Time.Time)
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Record is one archived claim.
type Record struct {
	// UID is the key: the UID of the claim first archived under it (a claim
	// brought back for a re-check keeps it in ArchivedUIDAnnotation).
	UID       string
	Namespace string
	Name      string
	// InvoiceNumber and Debtor (spec.debtorRef.name) with Namespace
	// recognise a manifest applied again.
	InvoiceNumber string
	Debtor        string
	// InvoiceMonth (the first day of spec.invoiceDate's month) is the
	// partition key: it never changes for a claim, so writing a record again
	// finds the same row.
	InvoiceMonth time.Time
	Phase        inkassov1.ClaimPhase
	Kind         Kind
	Currency     string
	// Amount and Outstanding are exact decimals (spec.amount and
	// status.balance.outstanding).
	Amount      string
	Outstanding string
	CreatedAt   time.Time
	FinishedAt  time.Time
	ArchivedAt  time.Time
	// WakeAt is a dormant claim's next credit re-check.
	WakeAt *time.Time
	// Labels and Annotations of the claim (without kubectl's
	// last-applied-configuration, a copy of the spec).
	Labels      map[string]string
	Annotations map[string]string
	Spec        inkassov1.ClaimSpec
	Status      inkassov1.ClaimStatus
	Notices     []Notice

	// Set by the store when read.
	Writes         int
	RestoredUID    string
	RestoredAt     *time.Time
	RestoredReason string
}

// Notice is what the archive keeps of a notice: its metadata and outcome.
// The rendered text, recipient and amounts are not kept (they hold the
// debtor's personal data; the channel's own records keep what was sent).
type Notice struct {
	Name           string     `json:"name"`
	UID            string     `json:"uid,omitempty"`
	Step           string     `json:"step,omitempty"`
	Channel        string     `json:"channel,omitempty"`
	ControllerName string     `json:"controllerName,omitempty"`
	CaseID         string     `json:"caseID,omitempty"`
	Claims         []string   `json:"claims,omitempty"`
	FallbackFor    string     `json:"fallbackFor,omitempty"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	NotBefore      *time.Time `json:"notBefore,omitempty"`
	PayBy          string     `json:"payBy,omitempty"`
	// State is the notice's Ready reason (Pending, Sent, Failed), or Gone
	// for a notice the cluster no longer holds (sent notices are deleted
	// after their TTL): its name and step are still in the claim's history.
	State      string     `json:"state"`
	Message    string     `json:"message,omitempty"`
	Attempts   int32      `json:"attempts,omitempty"`
	SentAt     *time.Time `json:"sentAt,omitempty"`
	DeliveryID string     `json:"deliveryID,omitempty"`
}

// NoticeGone is the State of a notice no longer in the cluster.
const NoticeGone = "Gone"

// NoticeNames are the notices a claim's status names, in order, each once:
// its steps' notices and its creditor notices.
func NoticeNames(c *inkassov1.Claim) []string {
	var names []string
	add := func(ns []string) {
		for _, n := range ns {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	for _, h := range c.Status.History {
		add(h.Notices)
	}
	for _, n := range c.Status.CreditorNotices {
		add(n.Notices)
	}
	return names
}

// NoticeOf shapes a notice's record; n nil means the notice is gone.
func NoticeOf(name string, n *inkassov1.Notice) Notice {
	if n == nil {
		return Notice{Name: name, State: NoticeGone}
	}
	r := Notice{Name: name, UID: string(n.UID), Step: n.Spec.Step, Channel: n.Spec.ChannelRef.Name, ControllerName: n.Status.ControllerName,
		CaseID: n.Spec.CaseID, FallbackFor: n.Annotations["collection.inkasso.dev/fallback-for"], PayBy: string(n.Spec.PayBy),
		State: inkassov1.NoticeReasonPending, Attempts: n.Status.Attempts, DeliveryID: n.Status.DeliveryID,
		CreatedAt: timePtr(&n.CreationTimestamp), NotBefore: timePtr(n.Spec.NotBefore), SentAt: timePtr(n.Status.SentAt)}
	for _, ref := range n.Spec.ClaimRefs {
		r.Claims = append(r.Claims, ref.Name)
	}
	if c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady); c != nil {
		r.State, r.Message = c.Reason, c.Message
	}
	return r
}

func timePtr(t *metav1.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// RecordOf shapes the record of claim c archived as kind at now; notices
// maps the names NoticeNames returns to the notices still in the cluster.
func RecordOf(c *inkassov1.Claim, kind Kind, notices map[string]*inkassov1.Notice, now time.Time) (Record, error) {
	month, err := InvoiceMonth(string(c.Spec.InvoiceDate))
	if err != nil {
		return Record{}, fmt.Errorf("claim %s/%s: spec.invoiceDate: %w", c.Namespace, c.Name, err)
	}
	uid := string(c.UID)
	if a := c.Annotations[inkassov1.ArchivedUIDAnnotation]; a != "" {
		uid = a
	}
	if uid == "" {
		return Record{}, fmt.Errorf("claim %s/%s has no UID", c.Namespace, c.Name)
	}
	r := Record{UID: uid, Namespace: c.Namespace, Name: c.Name, InvoiceNumber: c.Spec.InvoiceNumber, Debtor: c.Spec.DebtorRef.Name,
		InvoiceMonth: month, Phase: c.Status.Phase, Kind: kind, Currency: string(c.Spec.Currency), Amount: string(c.Spec.Amount),
		CreatedAt: c.CreationTimestamp.UTC(), FinishedAt: FinishedAt(c).UTC(), ArchivedAt: now.UTC(),
		Labels: copyMap(c.Labels, nil), Annotations: copyMap(c.Annotations, []string{"kubectl.kubernetes.io/last-applied-configuration", inkassov1.ArchivedUIDAnnotation}),
		Spec: *c.Spec.DeepCopy(), Status: *c.Status.DeepCopy()}
	if b := c.Status.Balance; b != nil {
		r.Outstanding = b.Outstanding
	}
	if kind == KindDormant && c.Status.NextStepAt != nil {
		w := c.Status.NextStepAt.UTC()
		r.WakeAt = &w
	}
	if c.CreationTimestamp.IsZero() {
		r.CreatedAt = time.Time{}
	}
	for _, name := range NoticeNames(c) {
		r.Notices = append(r.Notices, NoticeOf(name, notices[name]))
	}
	return r, nil
}

func copyMap(m map[string]string, drop []string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if slices.Contains(drop, k) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// InvoiceMonth is the first day (UTC) of the month of a YYYY-MM-DD date.
func InvoiceMonth(date string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a YYYY-MM-DD date", date)
	}
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), nil
}

// RestoredStatus is the status a claim gets back from its record: the
// archived status at the claim's generation, with condition Restored
// (reason RestoredReapplied or RestoredRecheck).
func RestoredStatus(r Record, generation int64, reason string, now time.Time) inkassov1.ClaimStatus {
	st := *r.Status.DeepCopy()
	st.ObservedGeneration = generation
	for i := range st.Conditions {
		st.Conditions[i].ObservedGeneration = generation
	}
	msg := fmt.Sprintf("restored from the claim archive (archived %s, phase %s)", r.ArchivedAt.UTC().Format(time.RFC3339), r.Phase)
	if reason == inkassov1.RestoredReapplied {
		msg += ": the manifest of an archived claim was applied again; it is not collected again"
	} else {
		msg += " for its credit re-check"
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: inkassov1.ConditionRestored, Status: metav1.ConditionTrue,
		Reason: reason, Message: msg, ObservedGeneration: generation, LastTransitionTime: metav1.Time{Time: now.Truncate(time.Second)}})
	return st
}

// ObjectOf is the claim object a dormant record comes back as for its
// re-check (spec, labels, annotations; the claim controller restores the
// status from the record).
func ObjectOf(r Record) *inkassov1.Claim {
	c := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name,
		Labels: copyMap(r.Labels, nil), Annotations: copyMap(r.Annotations, nil)}, Spec: *r.Spec.DeepCopy()}
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[inkassov1.ArchivedUIDAnnotation] = r.UID
	return c
}

// Store is the archive as the controllers use it.
type Store interface {
	// Put writes a record, replacing the one with the same UID (and
	// invoice month): writing a claim twice leaves one row.
	Put(ctx context.Context, r Record) error
	// Find is the latest record of a claim by namespace, invoice number
	// and debtor, or nil.
	Find(ctx context.Context, namespace, invoiceNumber, debtor string) (*Record, error)
	// Get is the record of a UID, or nil.
	Get(ctx context.Context, uid string) (*Record, error)
	// MarkRestored records that the claim came back as object uid.
	MarkRestored(ctx context.Context, r Record, uid, reason string, at time.Time) error
	// DueForWake lists dormant records not yet restored whose re-check is
	// at or before until.
	DueForWake(ctx context.Context, until time.Time, limit int) ([]Record, error)
}
