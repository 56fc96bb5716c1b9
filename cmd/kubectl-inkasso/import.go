package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/inkasso-operator/inkasso-operator/internal/erpimport"
)

func (c *cli) importCmd() *cobra.Command {
	var (
		out, onError string
		o            erpimport.Options
	)
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Turn ERP exports (CSV, PEPPOL BIS 3 / EHF UBL XML) into Debtor and Claim manifests",
		Long: `Reads CSV exports (docs/import.md) and UBL invoices and credit notes
(.xml) and writes one manifest per Debtor and Claim into --output (a
directory, for a Git repository), or one YAML stream to stdout with
--output -. Names come from customer and invoice numbers, so importing a
newer export changes only what changed. Status is never written.

Bad records are reported with file, line and field. --on-error fail (the
default) writes nothing when any record is bad; --on-error skip writes the
good ones and still lists every skipped record. An invoice whose payment
or credit row is bad is skipped too. Files must be UTF-8 unless
--encoding says otherwise, and at most --max-file-bytes long.`,
		Example: `  kubectl inkasso import --namespace acme --policy kravia-11 -o claims/ export.csv invoices/*.xml
  kubectl inkasso import -o - export.csv | kubectl apply --server-side -f -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if onError != "fail" && onError != "skip" {
				return fmt.Errorf("--on-error must be fail or skip, not %q", onError)
			}
			if o.Namespace == "" && c.flags.Namespace != nil {
				o.Namespace = *c.flags.Namespace
			}
			im := erpimport.New(o)
			for _, f := range args {
				r, err := os.Open(f)
				if err != nil {
					return err
				}
				if strings.EqualFold(filepath.Ext(f), ".xml") {
					err = im.ReadUBL(f, r)
				} else {
					err = im.ReadCSV(f, r)
				}
				r.Close()
				if err != nil {
					return err
				}
			}
			im.Finish()
			for _, e := range im.Errors {
				fmt.Fprintln(c.ErrOut, e.Error())
			}
			if len(im.Errors) > 0 && onError == "fail" {
				return fmt.Errorf("%d bad record(s); nothing written (use --on-error skip to write the good ones)", len(im.Errors))
			}
			debtors, claims := im.Objects()
			var objs []runtime.Object
			var names []string
			for _, d := range debtors {
				objs, names = append(objs, d), append(names, erpimport.FileName("Debtor", d.Name))
			}
			for _, cl := range claims {
				objs, names = append(objs, cl), append(names, erpimport.FileName("Claim", cl.Name))
			}
			if out == "-" {
				b, err := erpimport.Stream(objs)
				if err != nil {
					return err
				}
				_, err = c.Out.Write(b)
				return err
			}
			written, err := erpimport.WriteDir(out, objs, names)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOut, "%d debtor(s), %d claim(s) in %s: %d file(s) written, %d unchanged, %d record(s) skipped or refused, each listed above\n",
				len(debtors), len(claims), out, written, len(objs)-written, len(im.Errors))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "-", "directory to write one file per object into, or - for a YAML stream on stdout")
	cmd.Flags().StringVar(&onError, "on-error", "fail", "fail: write nothing if a record is bad; skip: write the good ones")
	cmd.Flags().StringVar(&o.Policy, "policy", "", "CollectionPolicy of the claims (spec.policyRef) unless a row names one")
	cmd.Flags().StringVar(&o.Country, "country", "", "country of customers whose rows name none (ISO 3166, e.g. NO)")
	cmd.Flags().StringVar(&o.Language, "language", "", "language of customers whose rows name none (nb, sv, fi, en)")
	cmd.Flags().StringVar(&o.Encoding, "encoding", "utf-8", "encoding of CSV files: "+erpimport.EncodingNames+" (UBL files declare their own)")
	cmd.Flags().Int64Var(&o.MaxFileBytes, "max-file-bytes", erpimport.DefaultMaxFileBytes, "refuse a file longer than this")
	cmd.Flags().IntVar(&o.MaxFieldBytes, "max-field-bytes", erpimport.DefaultMaxFieldBytes, "refuse a record with a field longer than this")
	return cmd
}
