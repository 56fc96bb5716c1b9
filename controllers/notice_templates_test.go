package controllers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/interest"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/internal/reference"
)

// TestNoticeTemplates builds the notice of every notifying step of every
// policy in config/samples, for each sample debtor (a consumer and a
// business), for one claim and for a case of two, in every language, with the
// fees and balances the steps would have charged, and fails when the notice's
// templates use a field noticeData left empty, printed or only guarded: a
// field the notice builder does not fill (as it did not fill FeeCharged, which
// dropped the "of which X for this notice" line from every letter unseen).
//
// It needs no control plane (the package's TestMain starts one anyway).
func TestNoticeTemplates(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := inkassov1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	debtors := sampleDebtors(t)
	langs := []inkassov1.Language{"", inkassov1.LanguageBokmal, inkassov1.LanguageNynorsk, inkassov1.LanguageSwedish,
		inkassov1.LanguageFinnish, inkassov1.LanguageEnglish}
	checked, feeSteps := 0, 0
	for _, file := range []string{"kravia", "collectors", "sweden", "finland"} {
		policy := loadSample[inkassov1.CollectionPolicy](t, "collection_v1alpha1_collectionpolicy_"+file+".yaml")[0]
		policy.Namespace = "acme"
		tp, err := timing(&policy)
		if err != nil {
			t.Fatal(err)
		}
		for _, debtor := range debtors {
			for _, n := range []int{1, 2} {
				s := newSampleCase(t, &policy, debtor, n)
				for _, step := range policy.Spec.Steps {
					now := s.stepTime(step, tp.Location, tp.StepTime)
					fee := s.charge(t, step, now)
					switch step.Action {
					case "", inkassov1.ActionNotify, inkassov1.ActionNotifyCreditor:
					default:
						continue
					}
					if fee.IsPositive() {
						feeSteps++
					}
					for _, lang := range langs {
						d := s.debtor.DeepCopy()
						d.Spec.Language = lang
						in := noticeInput{caseID: s.caseID, debtor: d, policy: &policy, tp: tp, step: step, channel: step.Channels[0],
							claims: s.claims, balances: s.balances(t, now), owner: s.owner(), now: now, fee: fee,
							reference: s.claims[0].Status.PaymentReference}
						what := fmt.Sprintf("%s/%s, %s, %d claim(s), language %q", file, step.Name, d.Name, n, lang)
						checkNotice(t, what, scheme, in, fee)
						checked++
					}
				}
			}
		}
	}
	// 17 notifying steps (kravia 8, collectors, sweden and finland 3 each),
	// 2 debtors, 1 or 2 claims, 6 languages.
	if want := 17 * 2 * 2 * 6; checked != want || feeSteps == 0 {
		t.Errorf("checked %d notices (%d steps with a fee), want %d: did the samples change?", checked, feeSteps, want)
	}
}

// checkNotice fails when in's notice uses a field noticeData leaves empty,
// beyond what the step means to leave out; fee is what the step charged
// (computed by the test, not taken from in: a caller that forgets to pass
// the fee must fail too).
func checkNotice(t *testing.T, what string, scheme *runtime.Scheme, in noticeInput, fee money.Money) {
	t.Helper()
	data, err := noticeData(in, in.fee)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	empty, err := notice.EmptyFields(data, in.overrides)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	// The exceptions, each where the data means the field to be empty and
	// the template only guards text with it:
	allowed := map[string]bool{
		// The step charged no fee: there is no "of which X for this notice".
		"FeeCharged": !fee.IsPositive(),
		// The step sets no payment deadline (SMS texts, call scripts).
		"PayBy": in.step.PaymentDeadlineDays == 0,
	}
	guarded := slices.DeleteFunc(slices.Clone(empty.Guarded), func(f string) bool { return allowed[f] })
	if len(empty.Required) > 0 || len(guarded) > 0 {
		t.Errorf("%s: the templates use empty fields: printed blank %q, text dropped %q", what, empty.Required, guarded)
	}

	// A step that charged a fee says so, and the check above would have
	// caught the fee missing from the data.
	if fee.IsPositive() {
		without, err := noticeData(in, money.Zero(fee.Currency))
		if err != nil {
			t.Fatal(err)
		}
		e, err := notice.EmptyFields(without, in.overrides)
		if err != nil || !slices.Contains(e.Guarded, "FeeCharged") {
			t.Errorf("%s: charged %s but the notice without it does not miss FeeCharged (%+v, %v)", what, fee.String(), e, err)
		}
		_, body, err := notice.Render(data, in.overrides)
		_, bodyWithout, err2 := notice.Render(without, in.overrides)
		if amount := notice.FormatMoney(data.Language, fee.String()); err != nil || err2 != nil || body == bodyWithout || !strings.Contains(body, amount) {
			t.Errorf("%s: the notice does not state the fee %s (%v, %v):\n%s", what, amount, err, err2, body)
		}
	}

	// noticeData is buildNotice's data, so far a copy of its code: both must
	// render the same text.
	n, err := buildNotice(context.Background(), scheme, in)
	if err != nil {
		t.Errorf("%s: buildNotice: %v", what, err)
		return
	}
	if subject, body, err := notice.Render(data, in.overrides); err != nil || subject != n.Spec.Subject || body != n.Spec.Body {
		t.Errorf("%s: noticeData does not render what buildNotice does (%v):\n%s\n%s\n--- buildNotice:\n%s\n%s", what, err, subject, body, n.Spec.Subject, n.Spec.Body)
	}
}

// loadSample reads the objects of config/samples/file.
func loadSample[T any](t *testing.T, file string) []T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, doc := range strings.Split("\n"+string(b), "\n---\n") {
		var obj T
		if err := yaml.UnmarshalStrict([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, obj)
	}
	return out
}

// sampleDebtors are the consumer and the business of config/samples.
func sampleDebtors(t *testing.T) []*inkassov1.Debtor {
	var out []*inkassov1.Debtor
	for _, d := range loadSample[inkassov1.Debtor](t, "collection_v1alpha1_debtor.yaml") {
		d.Namespace = "acme"
		out = append(out, &d)
	}
	if len(out) != 2 || out[0].Spec.Type == out[1].Spec.Type {
		t.Fatalf("want a consumer and a business in the sample debtors, have %d", len(out))
	}
	return out
}

// sampleCase is one or two claims of a debtor under a policy, as the first
// two of config/samples/collection_v1alpha1_claim.yaml (one part paid) in the
// jurisdiction's currency, and the fees their steps charged so far.
type sampleCase struct {
	policy  *inkassov1.CollectionPolicy
	debtor  *inkassov1.Debtor
	caseID  string
	claims  []*inkassov1.Claim
	fees    []ledger.Event // charged on the first claim
	charged fees.Charged
}

func newSampleCase(t *testing.T, policy *inkassov1.CollectionPolicy, debtor *inkassov1.Debtor, n int) *sampleCase {
	t.Helper()
	cur := map[inkassov1.Jurisdiction]inkassov1.CurrencyCode{"NO": "NOK", "SE": "SEK", "FI": "EUR"}[policy.Spec.Jurisdiction]
	d := debtor.DeepCopy()
	d.Spec.Country = inkassov1.CountryCode(policy.Spec.Jurisdiction) // at home: the policy's notice, not a forward
	s := &sampleCase{policy: policy, debtor: d, caseID: d.Name + "-1",
		charged: fees.Charged{Salary: money.Zero(string(cur)), Total: money.Zero(string(cur))}}
	ref, err := reference.Generate(reference.ForJurisdiction(string(policy.Spec.Jurisdiction)), "acme/"+s.caseID)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []inkassov1.ClaimSpec{
		{InvoiceNumber: "1001", InvoiceDate: "2025-12-20", DueDate: "2026-01-05", Amount: "1250.00"},
		{InvoiceNumber: "1002", InvoiceDate: "2025-12-28", DueDate: "2026-01-12", Amount: "480.00",
			Payments: []inkassov1.Payment{{ID: "bank-7731", Amount: "100.00", Date: "2026-01-20", ReceivedBy: inkassov1.ReceivedByAgency}}},
	}[:n] {
		c.DebtorRef, c.Currency = inkassov1.LocalObjectReference{Name: d.Name}, cur
		s.claims = append(s.claims, &inkassov1.Claim{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("inv-%s-%d", d.Name, i), Namespace: "acme", UID: "uid"},
			Spec:       c,
			Status:     inkassov1.ClaimStatus{CaseID: s.caseID, PaymentReference: ref},
		})
	}
	return s
}

// owner is the claim, or the debtor for a case.
func (s *sampleCase) owner() client.Object {
	if len(s.claims) == 1 {
		return s.claims[0]
	}
	return s.debtor
}

// stepTime is when the step runs: its days after the first due date, at the
// policy's step time.
func (s *sampleCase) stepTime(step inkassov1.PolicyStep, loc *time.Location, at time.Duration) time.Time {
	due, _ := time.Parse(time.DateOnly, string(s.claims[0].Spec.DueDate))
	return time.Date(due.Year(), due.Month(), due.Day()+int(step.AfterDueDays), 0, 0, 0, 0, loc).Add(at)
}

// charge computes the step's fee on the case's principal, as the fees
// table has it on that day, and books it on the first claim.
func (s *sampleCase) charge(t *testing.T, step inkassov1.PolicyStep, now time.Time) money.Money {
	t.Helper()
	cur := string(s.claims[0].Spec.Currency)
	principal := money.Zero(cur)
	for _, c := range s.claims {
		principal = principal.Add(money.MustParse(string(c.Spec.Amount), cur))
	}
	in := fees.Input{Jurisdiction: string(s.policy.Spec.Jurisdiction), Currency: cur, Principal: principal,
		Business: s.debtor.Spec.Type == inkassov1.DebtorBusiness, On: now, Charged: s.charged}
	switch step.Fee {
	case "", "None", "Reminder", "LightSalary", "HeavySalary", "Compensation":
		in.Kind = fees.Kind(step.Fee)
	default:
		in.Fixed = step.Fee
	}
	fee, err := fees.Compute(in)
	if err != nil {
		t.Fatalf("%s fee of step %s: %v", s.policy.Name, step.Name, err)
	}
	if !fee.IsPositive() {
		return fee
	}
	s.charged.Total = s.charged.Total.Add(fee)
	switch step.Fee {
	case "Reminder":
		s.charged.ReminderFees++
	case "LightSalary":
		s.charged.DemandFees++
		s.charged.Salary = s.charged.Salary.Add(fee)
	case "HeavySalary", "Compensation":
		s.charged.Salary = s.charged.Salary.Add(fee)
	}
	day := civil.New(now.Year(), now.Month(), now.Day())
	s.fees = append(s.fees, ledger.Event{Date: day, Kind: ledger.KindFee, Ref: step.Name, Amount: fee})
	return fee
}

// balances are the claims' balances on now's day: payments, the fees so far
// (this step's included) and late interest.
func (s *sampleCase) balances(t *testing.T, now time.Time) []ledger.Result {
	t.Helper()
	var out []ledger.Result
	for i, c := range s.claims {
		cur := string(c.Spec.Currency)
		due, _ := civil.Parse(string(c.Spec.DueDate))
		in := ledger.Input{Currency: cur, Amount: money.MustParse(string(c.Spec.Amount), cur), DueDate: due,
			AsOf:     civil.New(now.Year(), now.Month(), now.Day()),
			Business: s.debtor.Spec.Type == inkassov1.DebtorBusiness}
		if tbl, ok := interest.Tables[string(s.policy.Spec.Jurisdiction)]; ok {
			in.Interest = &tbl
		}
		for _, p := range c.Spec.Payments {
			day, _ := civil.Parse(string(p.Date))
			in.Events = append(in.Events, ledger.Event{Date: day, Kind: ledger.KindPayment, Ref: p.ID, Amount: money.MustParse(string(p.Amount), cur)})
		}
		if i == 0 {
			in.Events = append(in.Events, s.fees...)
		}
		r, err := ledger.Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestNoticeDataPayBy: a notice's deadline counts from its release to the
// channel (a contact window or the weekly cap may hold it), never shorter
// than the jurisdiction's minimum (Norway 14 days, inkassoloven §§ 9-10),
// and moves to the next bank day.
func TestNoticeDataPayBy(t *testing.T) {
	policy := loadSample[inkassov1.CollectionPolicy](t, "collection_v1alpha1_collectionpolicy_kravia.yaml")[0]
	policy.Namespace = "acme"
	tp, err := timing(&policy)
	if err != nil {
		t.Fatal(err)
	}
	s := newSampleCase(t, &policy, sampleDebtors(t)[0], 1)
	notice, _ := policyStep(&policy, "collection-notice")
	oslo := tp.Location
	stepAt := time.Date(2026, 1, 19, 9, 0, 0, 0, oslo) // a Monday
	for _, tc := range []struct {
		name    string
		days    int32
		release time.Time
		want    string
	}{
		{"released at once", 14, time.Time{}, "2026-02-02"},                                // Monday + 14 = Monday
		{"held four days by the weekly cap", 14, stepAt.AddDate(0, 0, 4), "2026-02-06"},    // Friday + 14 = Friday
		{"held five days: lands on a Saturday", 14, stepAt.AddDate(0, 0, 5), "2026-02-09"}, // Saturday + 14 -> Monday
		{"a policy asking 10 days still gives 14", 10, time.Time{}, "2026-02-02"},          // the statutory minimum
		{"released before the step time counts from the step", 14, stepAt.Add(-time.Hour), "2026-02-02"},
	} {
		step := notice
		step.PaymentDeadlineDays = tc.days
		in := noticeInput{caseID: s.caseID, debtor: s.debtor, policy: &policy, tp: tp, step: step, channel: "letter",
			claims: s.claims, balances: s.balances(t, stepAt), owner: s.owner(), now: stepAt, release: tc.release}
		data, err := noticeData(in, money.Money{})
		if err != nil {
			t.Fatal(err)
		}
		if data.PayBy != tc.want {
			t.Errorf("%s: pay by %s, want %s", tc.name, data.PayBy, tc.want)
		}
	}
}
