package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/csvsafe"
	"github.com/inkasso-operator/inkasso-operator/internal/report"
)

func (c *cli) listClaims(ctx context.Context, all bool) ([]inkassov1.Claim, error) {
	k, ns, err := c.client()
	if err != nil {
		return nil, err
	}
	var list inkassov1.ClaimList
	opts := []client.ListOption{}
	if !all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := k.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("listing claims: %w", err)
	}
	archived, err := c.archivedClaims(ctx, all, list.Items)
	if err != nil {
		return nil, err
	}
	return append(list.Items, archived...), nil
}

// listSettlements lists the Settlements next to the claims listed.
func (c *cli) listSettlements(ctx context.Context, all bool) ([]inkassov1.Settlement, error) {
	k, ns, err := c.client()
	if err != nil {
		return nil, err
	}
	var list inkassov1.SettlementList
	opts := []client.ListOption{}
	if !all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := k.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("listing settlements: %w", err)
	}
	return list.Items, nil
}

func amounts(m map[string]decimal.Decimal) string {
	var curs []string
	for cur := range m {
		curs = append(curs, cur)
	}
	sort.Strings(curs)
	var parts []string
	for _, cur := range curs {
		parts = append(parts, m[cur].StringFixed(2)+" "+cur)
	}
	return strings.Join(parts, ", ")
}

func (c *cli) statusCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Claims by phase, with what they still owe per currency",
		RunE: func(cmd *cobra.Command, _ []string) error {
			claims, err := c.listClaims(cmd.Context(), all)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PHASE\tCLAIMS\tOUTSTANDING")
			for _, r := range report.ByPhase(claims) {
				fmt.Fprintf(w, "%s\t%d\t%s\n", r.Phase, r.Claims, amounts(r.Outstanding))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	return cmd
}

func (c *cli) reportCmd() *cobra.Command {
	var (
		all    bool
		asOf   string
		format string
		days   int
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Aging report (outstanding by days past due and currency), the share of cases resolved within 90 days, and collected money settled and not yet settled",
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Today on this machine's clock, or the start of the day asked for.
			now := time.Now()
			day := civil.Of(now, time.Local)
			if asOf != "" {
				d, err := civil.Parse(asOf)
				if err != nil {
					return fmt.Errorf("--as-of %q: want YYYY-MM-DD", asOf)
				}
				day, now = d, d.Midnight(time.UTC)
			}
			claims, err := c.listClaims(cmd.Context(), all)
			if err != nil {
				return err
			}
			settlements, err := c.listSettlements(cmd.Context(), all)
			if err != nil {
				return err
			}
			aging := report.Aging(claims, day)
			res := report.ResolvedWithin(claims, days, now)
			settled := report.Settlement(claims, settlements)
			if format == "json" {
				type row struct {
					Currency string            `json:"currency"`
					Buckets  map[string]string `json:"buckets"`
					Total    string            `json:"total"`
				}
				type collected struct {
					Currency  string `json:"currency"`
					Settled   string `json:"settled"`
					Unsettled string `json:"unsettled"`
					Payments  struct {
						Settled   int `json:"settled"`
						Unsettled int `json:"unsettled"`
					} `json:"payments"`
				}
				out := struct {
					AsOf       string      `json:"asOf"`
					Aging      []row       `json:"aging"`
					Collected  []collected `json:"collected"`
					Resolution struct {
						Days     int     `json:"days"`
						Resolved int     `json:"resolved"`
						Cases    int     `json:"cases"`
						Share    float64 `json:"share"`
					} `json:"resolution"`
				}{AsOf: day.String()}
				for _, a := range aging {
					r := row{Currency: a.Currency, Buckets: map[string]string{}, Total: a.Total.StringFixed(2)}
					for i, b := range report.Buckets {
						r.Buckets[b] = a.Amounts[i].StringFixed(2)
					}
					out.Aging = append(out.Aging, r)
				}
				for _, s := range settled {
					r := collected{Currency: s.Currency, Settled: s.Settled.StringFixed(2), Unsettled: s.Unsettled.StringFixed(2)}
					r.Payments.Settled, r.Payments.Unsettled = s.SettledCount, s.UnsettledCount
					out.Collected = append(out.Collected, r)
				}
				out.Resolution.Days, out.Resolution.Resolved, out.Resolution.Cases, out.Resolution.Share = res.Days, res.Resolved, res.Total, res.Share()
				enc := json.NewEncoder(c.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			w := tabwriter.NewWriter(c.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(w, "CURRENCY\t%s\tTOTAL\t\n", strings.ToUpper(strings.Join(report.Buckets, "\t")))
			for _, a := range aging {
				cells := []string{a.Currency}
				for _, v := range a.Amounts {
					cells = append(cells, v.StringFixed(2))
				}
				fmt.Fprintf(w, "%s\t%s\t\n", strings.Join(cells, "\t"), a.Total.StringFixed(2))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.Out, "\nAs of %s (days past due). Cases resolved (paid or withdrawn) within %d days of transfer: %d of %d (%.0f%%)\n",
				day, res.Days, res.Resolved, res.Total, 100*res.Share())
			if len(settled) == 0 {
				return nil
			}
			fmt.Fprintln(c.Out, "\nCollected (payments on the claims' ledgers), settled to the creditor by a Settlement or not yet:")
			w = tabwriter.NewWriter(c.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(w, "CURRENCY\tSETTLED\tPAYMENTS\tUNSETTLED\tPAYMENTS\t\n")
			for _, s := range settled {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d\t\n", s.Currency, s.Settled.StringFixed(2), s.SettledCount, s.Unsettled.StringFixed(2), s.UnsettledCount)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	cmd.Flags().StringVar(&asOf, "as-of", "", "report date, YYYY-MM-DD (default today)")
	cmd.Flags().StringVarP(&format, "output", "o", "table", "table or json")
	cmd.Flags().IntVar(&days, "resolved-within", 90, "days after transfer a case counts as resolved in")
	return cmd
}

func (c *cli) ledgerCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "ledger [CLAIM...]",
		Short: "The settlement ledger as CSV for bookkeeping: every fee, interest, payment and credit and who it belongs to",
		Long: `Prints the ledger of the named claims (or of every claim in the
namespace) as CSV: the claim, the date, the entry kind and reference, the
amount, how a payment was allocated to fees, interest and principal, and
the creditor's and the agency's shares, and for a payment the Settlement
that settled it to the creditor (empty: not settled yet).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			claims, err := c.listClaims(cmd.Context(), all)
			if err != nil {
				return err
			}
			settlements, err := c.listSettlements(cmd.Context(), all)
			if err != nil {
				return err
			}
			by := report.SettledBy(settlements)
			want := map[string]bool{}
			for _, a := range args {
				want[a] = true
			}
			found, err := writeLedger(c.Out, claims, want, by)
			if err != nil {
				return err
			}
			if len(want) > 0 && found < len(want) {
				return fmt.Errorf("%d of the %d claims named were not found", len(want)-found, len(want))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	return cmd
}

// writeLedger writes the ledger CSV of the claims (those in want, when
// any are named); cells an ERP or a user wrote (the invoice number, a
// payment id) go through csvsafe, so a formula is shown as text.
func writeLedger(out io.Writer, claims []inkassov1.Claim, want map[string]bool, settledBy map[string]string) (found int, err error) {
	w := csvsafe.NewWriter(out)
	named := map[string]bool{} // names found: with -A one name may match in several namespaces
	_ = w.Write([]string{"namespace", "claim", "invoice", "currency", "date", "kind", "ref", "amount", "to_fees", "to_interest", "to_principal", "overpaid", "creditor", "agency", "settlement"})
	for _, cl := range claims {
		if len(want) > 0 && !want[cl.Name] {
			continue
		}
		named[cl.Name] = true
		for _, e := range cl.Status.Ledger {
			settlement := ""
			if e.Kind == "Payment" {
				settlement = settledBy[report.PaymentKey(&cl, e.Ref)]
			}
			_ = w.Write([]string{cl.Namespace, cl.Name, cl.Spec.InvoiceNumber, string(cl.Spec.Currency), e.Date, e.Kind, e.Ref, e.Amount,
				e.ToFees, e.ToInterest, e.ToPrincipal, e.Overpaid, e.Creditor, e.Agency, settlement})
		}
	}
	w.Flush()
	return len(named), w.Error()
}
