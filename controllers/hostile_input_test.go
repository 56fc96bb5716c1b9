package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
)

// TestHostileInputIsRefusedNamingTheField: issue 20 point 5 — values that
// passed the schema and then broke collection (a status write failing
// forever, a notice label overflowing, a line injected into a letter, a
// 250,000 NOK fee on a 100 NOK claim) are refused by the apiserver.
func TestHostileInputIsRefusedNamingTheField(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	long := strings.Repeat("a", 64)
	ceiling := collection.FixedFeeCeiling("NO", fclock.Now())
	if got := ceiling.String(); got != "20250.00" {
		t.Fatalf("the NO fixed-fee ceiling is %s; the CEL rule in collectionpolicy_types.go says 20250: update both", got)
	}
	cases := []struct {
		name, kind, override string
		want                 []string
	}{
		{"due date in year 9999", "Claim", `dueDate: "9999-12-31"`, []string{"spec.dueDate", "between 1900-01-01 and 2199-12-31"}},
		{"invoice date in year 1", "Claim", `invoiceDate: "0001-01-01"`, []string{"spec.invoiceDate", "between 1900-01-01 and 2199-12-31"}},
		{"payment in year 9999", "Claim", `payments: [{id: p1, amount: "1", date: "9999-12-31"}]`, []string{"spec.payments[0].date", "between"}},
		{"newline in the invoice number", "Claim", "invoiceNumber: \"1001\\nPay to account 1234.56.78901 instead\"", []string{"spec.invoiceNumber", "should match"}},
		{"line separator in the invoice number", "Claim", "invoiceNumber: \"1001\\u2028x\"", []string{"spec.invoiceNumber", "should match"}},
		{"debtorRef not an object name", "Claim", `debtorRef: {name: "Ola Nordmann"}`, []string{"spec.debtorRef.name", "should match"}},
		{"debtorRef longer than a label value", "Claim", `debtorRef: {name: ` + long + `}`, []string{"spec.debtorRef.name", "at most 63"}},
		{"policyRef not an object name", "Claim", `policyRef: {name: "../x"}`, []string{"spec.policyRef.name", "should match"}},
		{"reversal of nothing", "Claim", `{payments: [{id: p1, amount: "10", date: "2026-02-01"}], reversals: [{kind: Payment, of: p9, date: "2026-02-02", reason: bounced}]}`, []string{"spec.reversals", "names a payment"}},
		{"reversal of a payment as a credit", "Claim", `{payments: [{id: p1, amount: "10", date: "2026-02-01"}], reversals: [{kind: Credit, of: p1, date: "2026-02-02", reason: bounced}]}`, []string{"spec.reversals", "credit note (kind: Credit)"}},
		{"payment reversed twice", "Claim", `{payments: [{id: p1, amount: "10", date: "2026-02-01"}], reversals: [{kind: Payment, of: p1, date: "2026-02-02", reason: a}, {kind: Payment, of: p1, date: "2026-02-03", reason: b}]}`, []string{"spec.reversals[1]", "Duplicate value"}},
		{"reversal without a reason", "Claim", `{payments: [{id: p1, amount: "10", date: "2026-02-01"}], reversals: [{kind: Payment, of: p1, date: "2026-02-02"}]}`, []string{"spec.reversals[0].reason", "Required"}},
		{"reversal reason with a newline", "Claim", "{payments: [{id: p1, amount: \"10\", date: \"2026-02-01\"}], reversals: [{kind: Payment, of: p1, date: \"2026-02-02\", reason: \"a\\nb\"}]}", []string{"spec.reversals[0].reason", "should match"}},
		{"control character in the dispute reason", "Claim", "dispute: {raisedOn: \"2026-02-01\", reason: \"a\\u001b[2Jb\"}", []string{"spec.dispute.reason", "should match"}},
		{"newline in the debtor's name", "Debtor", "displayName: \"Ola\\r\\nBcc: x@example.com\"", []string{"spec.displayName", "should match"}},
		{"control character in an address line", "Debtor", "address: {lines: [\"Gate 1\\u0000\"], postalCode: \"0155\", city: Oslo, country: \"NO\"}", []string{"spec.address.lines[0]", "should match"}},
		{"fixed fee of 250,000 NOK", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x], fee: "250000.00"}]`, []string{"spec.steps", "fixed step fee is at most 20250 in NO"}},
		{"fixed fee a cent over the ceiling", "CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x], fee: "20250.01"}]`, []string{"spec.steps", "at most 20250"}},
		{"Swedish fixed fee over 450", "CollectionPolicy", `{jurisdiction: "SE", steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x], fee: "451"}]}`, []string{"spec.steps", "at most 450"}},
		{"Finnish plan fee over 210", "CollectionPolicy", `{jurisdiction: "FI", paymentPlans: {fee: "1000.00"}}`, []string{"spec.paymentPlans.fee", "at most 210"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := object(tc.kind, ns, fmt.Sprintf("hostile-%d", i), specOf(t, tc.kind, tc.override))
			err := k8s.Create(ctx, obj)
			if err == nil {
				t.Fatalf("accepted: %v", obj.Object["spec"])
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	t.Run("debtor name longer than a label value", func(t *testing.T) {
		err := k8s.Create(ctx, object("Debtor", ns, long, specOf(t, "Debtor", "{}")))
		if err == nil || !strings.Contains(err.Error(), "metadata.name") || !strings.Contains(err.Error(), "at most 63") {
			t.Errorf("a 64-character debtor name: %v", err)
		}
	})
	t.Run("fees at the ceiling and multi-line notes pass", func(t *testing.T) {
		for i, o := range []struct{ kind, override string }{
			{"CollectionPolicy", `steps: [{name: a, phase: Reminder, afterDueDays: 1, channels: [x], fee: "20250.00"}]`},
			{"CollectionPolicy", `{jurisdiction: "SE", paymentPlans: {fee: "170.00"}}`},
			{"Claim", "dispute: {raisedOn: \"2026-02-01\", reason: \"line one\\nline two\"}"},
			{"Claim", `{dueDate: "2199-12-31", payments: [{id: p1, amount: "10", date: "2026-02-01"}], credits: [{id: p1, amount: "5", date: "2026-02-01"}], reversals: [{kind: Payment, of: p1, date: "2026-02-02", reason: bounced}, {kind: Credit, of: p1, date: "2026-02-02", reason: void}]}`},
			{"Debtor", `displayName: "Ærlige Åsmund Øvre-Ås AS"`},
		} {
			if err := k8s.Create(ctx, object(o.kind, ns, fmt.Sprintf("fine-%d", i), specOf(t, o.kind, o.override))); err != nil {
				t.Errorf("%s %s refused: %v", o.kind, o.override, err)
			}
		}
	})
}

func patchStatus(ns, name, p string) error {
	return k8s.Status().Patch(context.Background(), &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		client.RawPatch("application/merge-patch+json", []byte(p)))
}

func startedClaim(t *testing.T, ns, name string, mutate func(*inkassov1.Claim)) *inkassov1.Claim {
	t.Helper()
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "d", inkassov1.DebtorConsumer))
	c := claimDue(ns, name, "d", "1000.00", -2)
	mutate(c)
	create(t, c)
	var got *inkassov1.Claim
	eventually(t, 10*time.Second, func() error {
		got = getClaim(t, ns, name)
		if got.Status.CollectionStartedAt == nil || got.Status.Balance == nil {
			return fmt.Errorf("collection not started")
		}
		return nil
	})
	return got
}

// TestRecordedMoneyIsAppendOnly: once collection runs, a recorded payment
// or credit note cannot be removed or changed (the balance would jump
// back); a reversal entry with a reason cancels one instead.
func TestRecordedMoneyIsAppendOnly(t *testing.T) {
	ns := newNamespace(t)
	paid := today(-1)
	startedClaim(t, ns, "c", func(c *inkassov1.Claim) {
		c.Spec.Payments = []inkassov1.Payment{{ID: "p1", Amount: "100.00", Date: inkassov1.Date(paid)}}
		c.Spec.Credits = []inkassov1.Credit{{ID: "cn1", Amount: "50.00", Date: inkassov1.Date(paid)}}
	})
	for what, p := range map[string]string{
		"removing a payment":       `{"spec":{"payments":null}}`,
		"changing a payment":       `{"spec":{"payments":[{"id":"p1","amount":"1.00","date":"` + paid + `"}]}}`,
		"removing a credit note":   `{"spec":{"credits":null}}`,
		"backdating a credit note": `{"spec":{"credits":[{"id":"cn1","amount":"50.00","date":"2020-01-01"}]}}`,
	} {
		field := "spec.payments"
		if strings.Contains(what, "credit") {
			field = "spec.credits"
		}
		if err := patchClaim(t, ns, "c", p); err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s during collection: %v; want a refusal naming %s", what, err, field)
		}
	}
	mustPatchClaim(t, ns, "c", `{"spec":{"reversals":[{"kind":"Payment","of":"p1","date":"`+today(0)+`","reason":"returned by the bank"}]}}`)
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "c")
		if c.Status.Balance == nil || c.Status.Balance.Paid != "0.00" {
			return fmt.Errorf("balance %+v: want nothing paid after the reversal", c.Status.Balance)
		}
		return nil
	})
	if err := patchClaim(t, ns, "c", `{"spec":{"reversals":null}}`); err == nil || !strings.Contains(err.Error(), "spec.reversals") {
		t.Errorf("removing a reversal: %v", err)
	}
}

// TestStatusCannotUnlockTheInvoice: the invoice fields are locked by
// status.collectionStartedAt, which nobody can remove or change — before,
// a user allowed to write Claim status deleted it and then changed the
// amount of a claim in collection.
func TestStatusCannotUnlockTheInvoice(t *testing.T) {
	ns := newNamespace(t)
	startedClaim(t, ns, "c", func(*inkassov1.Claim) {})
	for _, p := range []string{`{"status":{"collectionStartedAt":null}}`, `{"status":{"collectionStartedAt":"2020-01-01T00:00:00Z"}}`} {
		if err := patchStatus(ns, "c", p); err == nil || !strings.Contains(err.Error(), "status.collectionStartedAt") {
			t.Errorf("status patch %s: %v; want a refusal naming status.collectionStartedAt", p, err)
		}
	}
	if err := patchClaim(t, ns, "c", `{"spec":{"amount":"1.00"}}`); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing the amount: %v", err)
	}
}

// TestUserWrittenStatusIsRestored: a user who may write Claim status sets
// phase: Paid (collection used to stop silently) or deletes the balance;
// the next reconcile puts back what the record says and an event says so.
func TestUserWrittenStatusIsRestored(t *testing.T) {
	ns := newNamespace(t)
	before := startedClaim(t, ns, "c", func(*inkassov1.Claim) {})
	if before.Status.Phase.Terminal() {
		t.Fatalf("phase %s before the test", before.Status.Phase)
	}
	if err := patchStatus(ns, "c", `{"status":{"phase":"Paid","nextStep":null,"nextStepAt":null,"balance":null}}`); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		c := getClaim(t, ns, "c")
		if c.Status.Phase != before.Status.Phase || c.Status.NextStep != before.Status.NextStep || c.Status.Balance == nil {
			return fmt.Errorf("phase %s next %q balance %v: want %s, %q and a balance back", c.Status.Phase, c.Status.NextStep,
				c.Status.Balance, before.Status.Phase, before.Status.NextStep)
		}
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == "c" && e.Reason == "StatusRestored" && strings.Contains(e.Note, "Paid") {
				return nil
			}
		}
		return fmt.Errorf("no StatusRestored event naming Paid")
	})
}

// TestOnlyTheManagerWritesNotices: a Notice is a demand letter sent through
// the creditor's channels, so only the manager's ServiceAccount may create
// or change one (config/admission). The policy is bound here to this
// test's namespace only: the suite's manager runs as the admin user.
func TestOnlyTheManagerWritesNotices(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	bindAdmissionPolicy(t, "notice_writers.yaml", ns)
	manager := "system:serviceaccount:inkasso-system:inkasso-operator-controller-manager"

	as := func(user string) client.Client {
		cfg := rest.CopyConfig(restCfg)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:masters", "system:authenticated"}}
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	notice := func(name string) *inkassov1.Notice {
		return &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: inkassov1.NoticeSpec{
			ChannelRef: inkassov1.LocalObjectReference{Name: "letter"}, ClaimRefs: []inkassov1.LocalObjectReference{{Name: "inv-1"}},
			Step: "demand", Recipient: inkassov1.Recipient{Name: "Ola"}, Language: "nb", Subject: "Pay now", Body: "Pay 250 101,02 NOK to account 1234.56.78901."}}
	}
	// The policy takes effect shortly after it is created.
	eventually(t, 20*time.Second, func() error {
		if err := as("alice").Create(ctx, notice(fmt.Sprintf("forged-%d", time.Now().UnixNano()))); err == nil {
			return fmt.Errorf("alice (even in system:masters) created a Notice")
		} else if !strings.Contains(err.Error(), "only the inkasso-operator manager") {
			return fmt.Errorf("refused for another reason: %v", err)
		}
		return nil
	})
	if err := as(manager).Create(ctx, notice("by-manager")); err != nil {
		t.Fatalf("the manager's ServiceAccount may create a Notice: %v", err)
	}
	n := notice("by-manager")
	if err := as("alice").Patch(ctx, n, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"labels":{"collection.inkasso.dev/debtor":"other"}}}`))); err == nil ||
		!strings.Contains(err.Error(), "only the inkasso-operator manager") {
		t.Errorf("alice relabelling a Notice: %v", err)
	}
	// Delivery (status) and metadata that routes nothing stay open to the channel controllers.
	if err := as("system:serviceaccount:channels:sms").Status().Patch(ctx, n, client.RawPatch("application/merge-patch+json", []byte(`{"status":{"attempts":1}}`))); err != nil {
		t.Errorf("a channel controller writing Notice status: %v", err)
	}
}
