package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/bankfile"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/paymatch"
)

// paymentsManager is the field manager of the payments the bank import
// records: it owns exactly those spec.payments entries, so a GitOps apply
// of the claim (another manager) neither removes nor fights them.
const paymentsManager = "kubectl-inkasso-payments"

func (c *cli) paymentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "payments",
		Short: "Bank payments: record the payments of bank files on the claims they pay",
	}
	cmd.AddCommand(c.paymentsImportCmd())
	return cmd
}

func (c *cli) paymentsImportCmd() *cobra.Command {
	var (
		suspense string
		dryRun   bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Match the payments of bank files (camt.054, camt.053, Nets OCR giro, BgMax) to claims and record them in spec.payments",
		Long: `Reads bank files — ISO 20022 camt.054 and camt.053, Nets OCR giro
(Norway) and Bankgirot BgMax (Sweden) — and matches each incoming payment
by the payment reference (KID, OCR, RF, Finnish reference) every claim and
case has printed, then by amount and debtor. A matched payment is added to
the claim's spec.payments by server-side apply under the field manager
kubectl-inkasso-payments, with the bank's entry reference as its id, so
importing a file again changes nothing. A payment to a case is allocated
to its claims oldest due date first, each up to its open balance.

Unmatched, ambiguous, over-paid and wrong-currency payments, reversals and
deductions go to the suspense report (CSV, --suspense; stdout by default)
and the command exits non-zero: nothing is dropped. What happened to each
payment is printed to stderr; payer names and accounts are never printed.
See docs/money.md, "Payments from the bank: matching and allocation".`,
		Example: `  kubectl inkasso payments import -n acme --dry-run camt054-2026-03-16.xml
  kubectl inkasso payments import -n acme --suspense suspense-2026-03-16.csv OCR.D160326 BGMAX.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.importPayments(cmd.Context(), args, suspense, dryRun)
		},
	}
	cmd.Flags().StringVar(&suspense, "suspense", "-", "file to write the suspense report (CSV) to; - for stdout")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "match and validate on the server (server dry run) without storing anything")
	return cmd
}

// readBankFiles parses every file; any unreadable file fails the run
// before anything is written.
func readBankFiles(paths []string) ([]bankfile.Payment, []bankfile.Skipped, error) {
	var payments []bankfile.Payment
	var skipped []bankfile.Skipped
	for _, path := range paths {
		fh, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(io.LimitReader(fh, bankfile.MaxSize+1))
		fh.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		f, err := bankfile.Parse(path, data)
		if err != nil {
			return nil, nil, err
		}
		payments = append(payments, f.Payments...)
		skipped = append(skipped, f.Skipped...)
	}
	return payments, skipped, nil
}

func (c *cli) importPayments(ctx context.Context, paths []string, suspensePath string, dryRun bool) error {
	payments, skipped, err := readBankFiles(paths)
	if err != nil {
		return err
	}
	k, ns, err := c.client()
	if err != nil {
		return err
	}
	var claims inkassov1.ClaimList
	var debtors inkassov1.DebtorList
	var policies inkassov1.CollectionPolicyList
	for what, l := range map[string]client.ObjectList{"claims": &claims, "debtors": &debtors, "collection policies": &policies} {
		if err := k.List(ctx, l, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing %s in %s: %w", what, ns, err)
		}
	}
	book, err := bookOf(ns, claims.Items, debtors.Items, policies.Items)
	if err != nil {
		return err
	}
	res := paymatch.Match(book, payments)

	// Write, one server-side apply per claim.
	byClaim := map[string][]paymatch.Allocation{}
	for _, a := range res.Allocations {
		byClaim[a.Claim] = append(byClaim[a.Claim], a)
	}
	claimByName := map[string]*inkassov1.Claim{}
	for i := range claims.Items {
		claimByName[claims.Items[i].Name] = &claims.Items[i]
	}
	failed := map[string]error{}
	for _, name := range sortedKeys(byClaim) {
		if err := applyPayments(ctx, k, claimByName[name], byClaim[name], dryRun); err != nil {
			failed[name] = err
		}
	}

	// Report: every payment, every skipped entry.
	verb := "recorded"
	if dryRun {
		verb = "would record"
	}
	for _, a := range res.Allocations {
		p := payments[a.Payment]
		status := verb
		if err := failed[a.Claim]; err != nil {
			status = "NOT recorded"
		}
		fmt.Fprintf(c.ErrOut, "%s: %s %s %s on claim %s as payment %s (%s, %s)\n",
			p.Source, status, a.Amount, a.Amount.Currency, a.Claim, a.ID, a.Rule, a.Date)
	}
	for _, kn := range res.Known {
		p := payments[kn.Payment]
		note := ""
		if kn.Amount.Cmp(p.Amount) > 0 {
			note = fmt.Sprintf("; more than the %s the bank reports: check the claims' spec.payments", p.Amount)
		}
		fmt.Fprintf(c.ErrOut, "%s: payment %s already recorded (%s %s on %s): unchanged%s\n", p.Source, p.ID, kn.Amount, p.Amount.Currency, strings.Join(kn.Claims, ", "), note)
	}
	for _, i := range res.Duplicates {
		fmt.Fprintf(c.ErrOut, "%s: payment %s is in the input twice: read once\n", payments[i].Source, payments[i].ID)
	}
	for _, s := range skipped {
		if !s.Money {
			fmt.Fprintf(c.ErrOut, "%s: skipped: %s\n", s.Source, s.Reason)
		}
	}
	rows := suspenseRows(payments, res.Suspense, skipped)
	for _, r := range rows {
		fmt.Fprintf(c.ErrOut, "%s: suspense (%s): %s %s: %s\n", r[0], r[6], r[3], r[4], r[7])
	}
	if err := writeSuspense(c.Out, suspensePath, rows); err != nil {
		return err
	}
	for _, name := range sortedKeys(failed) {
		fmt.Fprintf(c.ErrOut, "claim %s/%s: %v\n", ns, name, failed[name])
	}
	suffix := ""
	if dryRun {
		suffix = " (dry run: nothing stored)"
	}
	fmt.Fprintf(c.ErrOut, "%d payment(s) read: %d part(s) %s on %d claim(s), %d already recorded, %d in suspense, %d entr(ies) skipped%s\n",
		len(payments), len(res.Allocations)-countFailed(res.Allocations, failed), verb, len(byClaim)-len(failed), len(res.Known), len(rows), countPlain(skipped), suffix)
	switch {
	case len(failed) > 0:
		return fmt.Errorf("%d claim(s) could not be written; importing the files again records what is missing", len(failed))
	case len(rows) > 0:
		where := suspensePath
		if where == "-" {
			where = "stdout"
		}
		return fmt.Errorf("%d payment(s) or part(s) in suspense (%s): book them by hand", len(rows), where)
	}
	return nil
}

func countFailed(as []paymatch.Allocation, failed map[string]error) int {
	n := 0
	for _, a := range as {
		if failed[a.Claim] != nil {
			n++
		}
	}
	return n
}

func countPlain(s []bankfile.Skipped) int {
	n := 0
	for _, x := range s {
		if !x.Money {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var suspenseHeader = []string{"source", "bank_id", "booking_date", "amount", "currency", "reference", "reason", "detail", "claims"}

// suspenseRows are the suspense report's lines: no payer name or account
// (personal data); the source names the bank file's entry, which has them.
func suspenseRows(payments []bankfile.Payment, sus []paymatch.Suspense, skipped []bankfile.Skipped) [][]string {
	var rows [][]string
	for _, s := range sus {
		p := payments[s.Payment]
		rows = append(rows, []string{p.Source, p.ID, p.BookingDate.String(), s.Amount.String(), s.Amount.Currency, p.Reference,
			string(s.Reason), s.Detail, strings.Join(s.Claims, " ")})
	}
	for _, s := range skipped {
		if s.Money {
			rows = append(rows, []string{s.Source, "", "", s.Amount.String(), s.Amount.Currency, s.Reference, "reversal-or-deduction", s.Reason, ""})
		}
	}
	return rows
}

func writeSuspense(stdout io.Writer, path string, rows [][]string) error {
	var w io.Writer = stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("--suspense: %w", err)
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(suspenseHeader)
	_ = cw.WriteAll(rows)
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing the suspense report: %w", err)
	}
	return nil
}

// bookOf turns the namespace's objects into what matching reads.
func bookOf(ns string, claims []inkassov1.Claim, debtors []inkassov1.Debtor, policies []inkassov1.CollectionPolicy) (paymatch.Book, error) {
	var b paymatch.Book
	currencyOf := map[string]string{}
	for _, cl := range claims {
		c, err := matchClaim(&cl)
		if err != nil {
			return b, err
		}
		currencyOf[cl.Name] = c.Currency
		b.Claims = append(b.Claims, c)
	}
	jurisdiction := map[string]string{}
	for _, p := range policies {
		jurisdiction[p.Name] = string(p.Spec.Jurisdiction)
	}
	for _, d := range debtors {
		b.Debtors = append(b.Debtors, paymatch.Debtor{Name: d.Name, DisplayName: d.Spec.DisplayName, OrganizationNumber: d.Spec.OrganizationNumber})
		for _, cs := range d.Status.Cases {
			j, ok := jurisdiction[cs.Policy]
			if !ok {
				continue // its policy is gone; its claims still list the case's reference
			}
			ref, err := collection.CaseReference(&collection.Policy{Name: cs.Policy, Jurisdiction: j}, ns, cs.ID)
			if err != nil {
				return b, fmt.Errorf("debtor %s case %s: reference: %w", d.Name, cs.ID, err)
			}
			b.Cases = append(b.Cases, paymatch.Case{ID: cs.ID, Debtor: d.Name, Reference: ref, Claims: cs.Claims})
		}
	}
	return b, nil
}

func matchClaim(cl *inkassov1.Claim) (paymatch.Claim, error) {
	cur := string(cl.Spec.Currency)
	c := paymatch.Claim{Name: cl.Name, Debtor: cl.Spec.DebtorRef.Name, Currency: cur, Phase: string(cl.Status.Phase),
		Recorded: map[string]money.Money{}}
	var err error
	if c.DueDate, err = civil.Parse(string(cl.Spec.DueDate)); err != nil {
		return c, fmt.Errorf("claim %s: dueDate: %w", cl.Name, err)
	}
	for _, p := range cl.Spec.Payments {
		amt, err := money.Parse(string(p.Amount), cur)
		if err != nil {
			return c, fmt.Errorf("claim %s: payment %s: %w", cl.Name, p.ID, err)
		}
		c.Recorded[p.ID] = amt
	}
	if cl.Status.Balance != nil {
		if c.Open, err = money.Parse(cl.Status.Balance.Outstanding, cur); err != nil {
			return c, fmt.Errorf("claim %s: status.balance.outstanding: %w", cl.Name, err)
		}
	} else {
		// Not reconciled yet: the invoice less what is recorded.
		if c.Open, err = money.Parse(string(cl.Spec.Amount), cur); err != nil {
			return c, fmt.Errorf("claim %s: amount: %w", cl.Name, err)
		}
		for _, amt := range c.Recorded {
			c.Open = c.Open.Sub(amt)
		}
		for _, cr := range cl.Spec.Credits {
			if amt, err := money.Parse(string(cr.Amount), cur); err == nil {
				c.Open = c.Open.Sub(amt)
			}
		}
	}
	switch cl.Status.Phase {
	case inkassov1.PhaseWithdrawn, inkassov1.PhaseWrittenOff, inkassov1.PhaseTimeBarred, inkassov1.PhaseForwarded:
		c.Closed = true
	}
	if cl.Spec.Withdraw {
		c.Closed, c.Phase = true, string(inkassov1.PhaseWithdrawn)
	}
	if r := cl.Status.PaymentReference; r != "" {
		c.References = append(c.References, r)
	}
	c.References = append(c.References, cl.Status.PaymentReferences...)
	return c, nil
}

// applyPayments adds the allocations to the claim's spec.payments by
// server-side apply. An apply states everything its manager owns, so the
// entries this manager recorded before are applied again as they are;
// the resourceVersion read makes a concurrent change a conflict, retried
// on fresh data, instead of a lost entry.
func applyPayments(ctx context.Context, k client.Client, cl *inkassov1.Claim, add []paymatch.Allocation, dryRun bool) error {
	for attempt := 0; ; attempt++ {
		owned, err := ownedPayments(cl.ManagedFields, paymentsManager)
		if err != nil {
			return err
		}
		var entries []any
		have := map[string]bool{}
		for _, p := range cl.Spec.Payments {
			have[p.ID] = true
			if owned[p.ID] {
				entries = append(entries, paymentEntry(p))
			}
		}
		n := 0
		for _, a := range add {
			if have[a.ID] {
				continue // recorded meanwhile
			}
			n++
			entries = append(entries, paymentEntry(inkassov1.Payment{ID: a.ID, Amount: inkassov1.Amount(a.Amount.String()), Date: inkassov1.Date(a.Date.String())}))
		}
		if n == 0 {
			return nil
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": inkassov1.GroupVersion.String(), "kind": "Claim",
			"metadata": map[string]any{"name": cl.Name, "namespace": cl.Namespace, "resourceVersion": cl.ResourceVersion},
			"spec":     map[string]any{"payments": entries},
		}}
		opts := []client.ApplyOption{client.FieldOwner(paymentsManager)}
		if dryRun {
			opts = append(opts, client.DryRunAll)
		}
		err = k.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), opts...)
		if apierrors.IsConflict(err) && attempt < 3 {
			var fresh inkassov1.Claim
			if gerr := k.Get(ctx, client.ObjectKeyFromObject(cl), &fresh); gerr != nil {
				return gerr
			}
			*cl = fresh
			continue
		}
		return err
	}
}

func paymentEntry(p inkassov1.Payment) map[string]any {
	e := map[string]any{"id": p.ID, "amount": string(p.Amount), "date": string(p.Date)}
	if p.ReceivedBy != "" {
		e["receivedBy"] = string(p.ReceivedBy)
	}
	return e
}

// ownedPayments reads from managedFields the spec.payments keys the field
// manager's apply owns: f:spec / f:payments / k:{"id":"..."}.
func ownedPayments(mf []metav1.ManagedFieldsEntry, manager string) (map[string]bool, error) {
	owned := map[string]bool{}
	for _, e := range mf {
		if e.Manager != manager || e.Operation != metav1.ManagedFieldsOperationApply || e.Subresource != "" || e.FieldsV1 == nil {
			continue
		}
		var top, spec, payments map[string]json.RawMessage
		if err := json.Unmarshal(e.FieldsV1.Raw, &top); err != nil {
			return nil, fmt.Errorf("managedFields of %s: %w", manager, err)
		}
		if json.Unmarshal(top["f:spec"], &spec) != nil || json.Unmarshal(spec["f:payments"], &payments) != nil {
			continue
		}
		for key := range payments {
			k, ok := strings.CutPrefix(key, "k:")
			if !ok {
				continue
			}
			var id struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(k), &id); err == nil && id.ID != "" {
				owned[id.ID] = true
			}
		}
	}
	return owned, nil
}
