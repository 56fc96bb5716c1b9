package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
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
		Short: "Aging report (outstanding by days past due and currency) and the share of cases resolved within 90 days",
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
			aging := report.Aging(claims, day)
			res := report.ResolvedWithin(claims, days, now)
			if format == "json" {
				type row struct {
					Currency string            `json:"currency"`
					Buckets  map[string]string `json:"buckets"`
					Total    string            `json:"total"`
				}
				out := struct {
					AsOf       string `json:"asOf"`
					Aging      []row  `json:"aging"`
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
			return nil
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
the creditor's and the agency's shares.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			claims, err := c.listClaims(cmd.Context(), all)
			if err != nil {
				return err
			}
			want := map[string]bool{}
			for _, a := range args {
				want[a] = true
			}
			w := csv.NewWriter(c.Out)
			_ = w.Write([]string{"namespace", "claim", "invoice", "currency", "date", "kind", "ref", "amount", "to_fees", "to_interest", "to_principal", "overpaid", "creditor", "agency"})
			found := 0
			for _, cl := range claims {
				if len(want) > 0 && !want[cl.Name] {
					continue
				}
				found++
				for _, e := range cl.Status.Ledger {
					_ = w.Write([]string{cl.Namespace, cl.Name, cl.Spec.InvoiceNumber, string(cl.Spec.Currency), e.Date, e.Kind, e.Ref, e.Amount,
						e.ToFees, e.ToInterest, e.ToPrincipal, e.Overpaid, e.Creditor, e.Agency})
				}
			}
			w.Flush()
			if len(want) > 0 && found < len(want) {
				return fmt.Errorf("%d of the %d claims named were not found", len(want)-found, len(want))
			}
			return w.Error()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	return cmd
}
