// Command kubectl-inkasso is the inkasso-operator's kubectl plugin: import
// ERP exports as manifests, read claims as finance does (status, aging
// report, ledger), and act on a claim with small, safe patches.
//
//	go install github.com/inkasso-operator/inkasso-operator/cmd/kubectl-inkasso@latest
//	kubectl inkasso --help
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func main() {
	if err := newRoot(genericclioptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}).Execute(); err != nil {
		os.Exit(1)
	}
}

// cli carries the kubeconfig flags and the streams.
type cli struct {
	flags *genericclioptions.ConfigFlags
	// archiveDSN reaches the claim archive (archive.go).
	archiveDSN string
	genericclioptions.IOStreams
}

func newRoot(streams genericclioptions.IOStreams) *cobra.Command {
	c := &cli{flags: genericclioptions.NewConfigFlags(true), IOStreams: streams}
	root := &cobra.Command{
		Use:           "kubectl-inkasso",
		Short:         "Work with inkasso-operator claims: import ERP exports, report, and act on claims",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	c.flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(&c.archiveDSN, "archive-dsn", "",
		"PostgreSQL DSN of the claim archive (default $"+archiveDSNEnv+"): status, report and ledger then include archived claims")
	root.AddCommand(c.importCmd(), c.statusCmd(), c.reportCmd(), c.ledgerCmd(), c.archiveCmd(),
		c.payCmd(), c.paymentsCmd(), c.disputeCmd(), c.toggleCmd("suspend"), c.toggleCmd("resume"), c.withdrawCmd())
	return root
}

func (c *cli) client() (client.Client, string, error) {
	cfg, err := c.flags.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(inkassov1.AddToScheme(scheme))
	k, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", err
	}
	ns, _, err := c.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	return k, ns, nil
}
