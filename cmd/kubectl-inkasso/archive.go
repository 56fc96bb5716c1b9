package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
)

// archiveDSNEnv is read when --archive-dsn is not given (the manager reads
// the same variable).
const archiveDSNEnv = "INKASSO_ARCHIVE_DSN"

// openArchive connects to the claim archive the plugin reads directly (a
// read-only database role is enough: docs/operations.md). It returns nil
// without a DSN.
func (c *cli) openArchive(ctx context.Context) (*postgres.Store, error) {
	dsn := c.archiveDSN
	if dsn == "" {
		dsn = os.Getenv(archiveDSNEnv)
	}
	if dsn == "" {
		return nil, nil
	}
	s, err := postgres.OpenReadOnly(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("claim archive: %w", err)
	}
	return s, nil
}

// namespace is the namespace of the kubeconfig and -n, without a cluster.
func (c *cli) namespace() (string, error) {
	ns, _, err := c.flags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// archivedClaims are the archive's claims of the namespace (all with
// all), as Claims, leaving out those also in the cluster (a claim
// restored or back for its re-check is counted once, as its object).
func (c *cli) archivedClaims(ctx context.Context, all bool, live []inkassov1.Claim) ([]inkassov1.Claim, error) {
	s, err := c.openArchive(ctx)
	if s == nil || err != nil {
		return nil, err
	}
	defer s.Close()
	o := postgres.ListOptions{Limit: -1}
	if !all {
		if o.Namespace, err = c.namespace(); err != nil {
			return nil, err
		}
	}
	recs, err := s.List(ctx, o)
	if err != nil {
		return nil, err
	}
	return mergeArchived(live, recs), nil
}

// mergeArchived turns records into claims, skipping those whose namespace
// and name are live.
func mergeArchived(live []inkassov1.Claim, recs []archive.Record) []inkassov1.Claim {
	inCluster := map[types.NamespacedName]bool{}
	for _, c := range live {
		inCluster[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}] = true
	}
	var out []inkassov1.Claim
	for _, r := range recs {
		if inCluster[types.NamespacedName{Namespace: r.Namespace, Name: r.Name}] {
			continue
		}
		out = append(out, inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name, UID: types.UID(r.UID),
			Labels: r.Labels, Annotations: r.Annotations}, Spec: r.Spec, Status: r.Status})
	}
	return out
}

func (c *cli) archiveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "Read finished claims from the claim archive (PostgreSQL; --archive-dsn or $" + archiveDSNEnv + ")",
	}
	cmd.AddCommand(c.archiveListCmd(), c.archiveGetCmd())
	return cmd
}

func (c *cli) archiveStore(ctx context.Context) (*postgres.Store, error) {
	s, err := c.openArchive(ctx)
	if err == nil && s == nil {
		err = errors.New("no claim archive: pass --archive-dsn or set " + archiveDSNEnv)
	}
	return s, err
}

func (c *cli) archiveListCmd() *cobra.Command {
	var (
		all           bool
		phase, debtor string
		limit         int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Archived claims of the namespace, newest first",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.archiveStore(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			o := postgres.ListOptions{Phase: phase, Debtor: debtor, Limit: limit}
			if !all {
				if o.Namespace, err = c.namespace(); err != nil {
					return err
				}
			}
			recs, err := s.List(cmd.Context(), o)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.Out, 0, 4, 2, ' ', 0)
			if all {
				fmt.Fprint(w, "NAMESPACE\t")
			}
			fmt.Fprintln(w, "NAME\tINVOICE\tDEBTOR\tAMOUNT\tOUTSTANDING\tPHASE\tKIND\tFINISHED\tARCHIVED\tRESTORED")
			for _, r := range recs {
				if all {
					fmt.Fprintf(w, "%s\t", r.Namespace)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.InvoiceNumber, r.Debtor, r.Amount, r.Currency, r.Outstanding,
					r.Phase, r.Kind, r.FinishedAt.UTC().Format(time.DateOnly), r.ArchivedAt.UTC().Format(time.DateOnly), restored(r))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	cmd.Flags().StringVar(&phase, "phase", "", "only claims archived in this phase (Paid, Withdrawn, Surveillance, ...)")
	cmd.Flags().StringVar(&debtor, "debtor", "", "only claims of this debtor (its Debtor name)")
	cmd.Flags().IntVar(&limit, "limit", 500, "at most this many claims; 0 for the default, negative for all")
	return cmd
}

func restored(r archive.Record) string {
	if r.RestoredAt == nil {
		return ""
	}
	return strings.TrimPrefix(r.RestoredReason, "Restored") + " " + r.RestoredAt.UTC().Format(time.DateOnly)
}

// archivedView is what `archive get` prints.
type archivedView struct {
	Namespace     string                `json:"namespace"`
	Name          string                `json:"name"`
	UID           string                `json:"uid"`
	InvoiceNumber string                `json:"invoiceNumber"`
	Debtor        string                `json:"debtor"`
	Kind          archive.Kind          `json:"kind"`
	Phase         inkassov1.ClaimPhase  `json:"phase"`
	CreatedAt     *time.Time            `json:"createdAt,omitempty"`
	FinishedAt    time.Time             `json:"finishedAt"`
	ArchivedAt    time.Time             `json:"archivedAt"`
	WakeAt        *time.Time            `json:"wakeAt,omitempty"`
	Writes        int                   `json:"writes"`
	Restored      *restoredView         `json:"restored,omitempty"`
	Labels        map[string]string     `json:"labels,omitempty"`
	Annotations   map[string]string     `json:"annotations,omitempty"`
	Spec          inkassov1.ClaimSpec   `json:"spec"`
	Status        inkassov1.ClaimStatus `json:"status"`
	Notices       []archive.Notice      `json:"notices"`
}

type restoredView struct {
	UID    string    `json:"uid"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

func viewOf(r archive.Record) archivedView {
	v := archivedView{Namespace: r.Namespace, Name: r.Name, UID: r.UID, InvoiceNumber: r.InvoiceNumber, Debtor: r.Debtor, Kind: r.Kind, Phase: r.Phase,
		FinishedAt: r.FinishedAt.UTC(), ArchivedAt: r.ArchivedAt.UTC(), WakeAt: r.WakeAt, Writes: r.Writes, Labels: r.Labels, Annotations: r.Annotations,
		Spec: r.Spec, Status: r.Status, Notices: r.Notices}
	if !r.CreatedAt.IsZero() {
		t := r.CreatedAt.UTC()
		v.CreatedAt = &t
	}
	if r.RestoredAt != nil {
		v.Restored = &restoredView{UID: r.RestoredUID, At: r.RestoredAt.UTC(), Reason: r.RestoredReason}
	}
	return v
}

func (c *cli) archiveGetCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "get CLAIM",
		Short: "One archived claim: spec, status (history, balance, ledger) and its notices' outcomes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := c.archiveStore(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			ns, err := c.namespace()
			if err != nil {
				return err
			}
			r, err := s.GetByName(cmd.Context(), ns, args[0])
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("claim %q is not in the archive of namespace %q", args[0], ns)
			}
			b, err := json.MarshalIndent(viewOf(*r), "", "  ")
			if err != nil {
				return err
			}
			switch format {
			case "json":
				_, err = fmt.Fprintln(c.Out, string(b))
			case "yaml":
				if b, err = yaml.JSONToYAML(b); err == nil {
					_, err = c.Out.Write(b)
				}
			default:
				err = fmt.Errorf("--output %q: want yaml or json", format)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "yaml", "yaml or json")
	return cmd
}
