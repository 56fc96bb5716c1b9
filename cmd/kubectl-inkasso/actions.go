package main

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// change reads the claim, applies edit and writes it back under the
// resourceVersion it read (a conflict is retried on fresh data), with
// --dry-run=server validated but not stored. It prints what changed.
func (c *cli) change(ctx context.Context, name string, dryRun bool, edit func(*inkassov1.Claim) (string, error)) error {
	k, ns, err := c.client()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var cl inkassov1.Claim
		if err := k.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cl); err != nil {
			return fmt.Errorf("claim %s/%s: %w", ns, name, err)
		}
		before := fmt.Sprintf("phase %s, outstanding %s %s", phaseOf(&cl), outstandingOf(&cl), cl.Spec.Currency)
		what, err := edit(&cl)
		if err != nil {
			return err
		}
		opts := []client.UpdateOption{client.FieldOwner("kubectl-inkasso")}
		if dryRun {
			opts = append(opts, client.DryRunAll)
		}
		err = k.Update(ctx, &cl, opts...)
		if apierrors.IsConflict(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("claim %s/%s: %w", ns, name, err)
		}
		suffix := ""
		if dryRun {
			suffix = " (server dry run, nothing stored)"
		}
		fmt.Fprintf(c.Out, "claim %s/%s: %s%s\n  was: %s; the operator recomputes its status now\n", ns, name, what, suffix, before)
		return nil
	}
}

func phaseOf(c *inkassov1.Claim) string {
	if c.Status.Phase == "" {
		return "(new)"
	}
	return string(c.Status.Phase)
}

func outstandingOf(c *inkassov1.Claim) string {
	if c.Status.Balance != nil {
		return c.Status.Balance.Outstanding
	}
	return string(c.Spec.Amount)
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$`)

func (c *cli) payCmd() *cobra.Command {
	var amount, date, id, by string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "pay CLAIM --amount 500.00 --id BANK-REF [--date YYYY-MM-DD]",
		Short: "Record a payment on a claim (spec.payments)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if date == "" {
				date = time.Now().Format(time.DateOnly)
			}
			if !idRE.MatchString(id) {
				return fmt.Errorf("--id %q: want the bank or ERP reference (letters, digits, . _ : / -)", id)
			}
			if _, err := civil.Parse(date); err != nil {
				return fmt.Errorf("--date %q: want YYYY-MM-DD", date)
			}
			return c.change(cmd.Context(), args[0], dryRun, func(cl *inkassov1.Claim) (string, error) {
				for _, p := range cl.Spec.Payments {
					if p.ID == id {
						return "", fmt.Errorf("claim %s already has payment %s (%s on %s)", cl.Name, id, p.Amount, p.Date)
					}
				}
				p := inkassov1.Payment{ID: id, Amount: inkassov1.Amount(amount), Date: inkassov1.Date(date)}
				if by == "creditor" {
					p.ReceivedBy = inkassov1.ReceivedByCreditor
				}
				cl.Spec.Payments = append(cl.Spec.Payments, p)
				return fmt.Sprintf("payment %s of %s %s on %s recorded", id, amount, cl.Spec.Currency, date), nil
			})
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "amount paid, e.g. 500.00 (required)")
	cmd.Flags().StringVar(&id, "id", "", "payment reference: bank transaction or ERP id (required)")
	cmd.Flags().StringVar(&date, "date", "", "date received (default today)")
	cmd.Flags().StringVar(&by, "received-by", "agency", "agency, or creditor when the debtor paid the creditor directly")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate on the server without storing")
	_ = cmd.MarkFlagRequired("amount")
	_ = cmd.MarkFlagRequired("id")
	return cmd
}

func (c *cli) disputeCmd() *cobra.Command {
	var reason, raised string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "dispute CLAIM --reason TEXT",
		Short: "Register the debtor's objection: the claim leaves ordinary collection (spec.dispute)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if raised == "" {
				raised = time.Now().Format(time.DateOnly)
			}
			return c.change(cmd.Context(), args[0], dryRun, func(cl *inkassov1.Claim) (string, error) {
				if cl.Spec.Dispute != nil {
					return "", fmt.Errorf("claim %s is already disputed since %s", cl.Name, cl.Spec.Dispute.RaisedOn)
				}
				cl.Spec.Dispute = &inkassov1.Dispute{RaisedOn: inkassov1.Date(raised), Reason: reason}
				return "disputed: " + reason, nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "what the debtor objects to (required)")
	cmd.Flags().StringVar(&raised, "raised-on", "", "date the objection was raised (default today)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate on the server without storing")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func (c *cli) toggleCmd(verb string) *cobra.Command {
	var dryRun bool
	suspend := verb == "suspend"
	short := "Pause collection of a claim (spec.suspend: true); the schedule shifts by the days paused"
	if !suspend {
		short = "Resume a suspended claim (spec.suspend: false)"
	}
	cmd := &cobra.Command{
		Use:   verb + " CLAIM",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.change(cmd.Context(), args[0], dryRun, func(cl *inkassov1.Claim) (string, error) {
				if cl.Spec.Suspend == suspend {
					return "", fmt.Errorf("claim %s is already %sed", cl.Name, map[bool]string{true: "suspend", false: "resum"}[suspend])
				}
				cl.Spec.Suspend = suspend
				return verb + "d", nil
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate on the server without storing")
	return cmd
}

func (c *cli) withdrawCmd() *cobra.Command {
	var dryRun, yes bool
	cmd := &cobra.Command{
		Use:   "withdraw CLAIM --yes",
		Short: "Withdraw a claim from collection for good (spec.withdraw); unpaid fees may be charged to the creditor",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes && !dryRun {
				return fmt.Errorf("withdrawing ends collection of %s for good: repeat with --yes (or --dry-run)", args[0])
			}
			return c.change(cmd.Context(), args[0], dryRun, func(cl *inkassov1.Claim) (string, error) {
				if cl.Spec.Withdraw {
					return "", fmt.Errorf("claim %s is already withdrawn", cl.Name)
				}
				cl.Spec.Withdraw = true
				return "withdrawn", nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate on the server without storing")
	return cmd
}
