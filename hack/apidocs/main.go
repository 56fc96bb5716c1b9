// Command apidocs writes the API reference (docs/api.md) from the generated
// CRDs, so the reference is exactly what the apiserver enforces: every
// field with its type, default, validation and description.
//
//	go run ./hack/apidocs > docs/api.md      (make manifests does this)
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	if err := Write(os.Stdout, "config/crd/bases"); err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

// Write renders the reference of every CRD in dir.
func Write(w io.Writer, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	var crds []apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(b, &crd); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		crds = append(crds, crd)
	}
	order := map[string]int{"Claim": 0, "Debtor": 1, "CollectionPolicy": 2, "NoticeChannel": 3, "Notice": 4, "Settlement": 5}
	sort.Slice(crds, func(i, j int) bool { return order[crds[i].Spec.Names.Kind] < order[crds[j].Spec.Names.Kind] })

	fmt.Fprintln(w, "# API reference")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated from the CRDs by `hack/apidocs` (`make manifests`); do not edit.")
	fmt.Fprintln(w, "`kubectl explain claim.spec` shows the same descriptions.")
	fmt.Fprintln(w)
	for _, crd := range crds {
		fmt.Fprintf(w, "- [%s](#%s)\n", crd.Spec.Names.Kind, strings.ToLower(crd.Spec.Names.Kind))
	}
	fmt.Fprint(w, guards)
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil {
				continue
			}
			n := crd.Spec.Names
			fmt.Fprintf(w, "\n## %s\n\n", n.Kind)
			fmt.Fprintf(w, "`%s/%s`, %s, short names: %s.\n\n", crd.Spec.Group, v.Name, strings.ToLower(string(crd.Spec.Scope)), strings.Join(n.ShortNames, ", "))
			root := v.Schema.OpenAPIV3Schema
			if root.Description != "" {
				fmt.Fprintf(w, "%s\n\n", oneLine(root.Description))
			}
			for _, rule := range root.XValidations {
				msg := rule.Message
				if msg == "" {
					msg = "`" + rule.Rule + "`"
				}
				fmt.Fprintf(w, "- Rule: %s\n", oneLine(msg))
			}
			for _, part := range []string{"spec", "status"} {
				s, ok := root.Properties[part]
				if !ok {
					continue
				}
				fmt.Fprintf(w, "\n### %s\n\n| field | type | description |\n|---|---|---|\n", part)
				walk(w, part, s, required(*root, part))
			}
		}
	}
	return nil
}

func required(parent apiextensionsv1.JSONSchemaProps, name string) bool {
	for _, r := range parent.Required {
		if r == name {
			return true
		}
	}
	return false
}

func typeOf(s apiextensionsv1.JSONSchemaProps) string {
	t := s.Type
	switch {
	case t == "array" && s.Items != nil && s.Items.Schema != nil:
		return "[]" + typeOf(*s.Items.Schema)
	case t == "" && s.XIntOrString:
		return "int-or-string"
	case t == "string" && s.Format != "":
		return "string (" + s.Format + ")"
	}
	return t
}

func walk(w io.Writer, path string, s apiextensionsv1.JSONSchemaProps, req bool) {
	var notes []string
	if req {
		notes = append(notes, "required")
	}
	if s.Default != nil {
		notes = append(notes, "default `"+strings.TrimSpace(string(s.Default.Raw))+"`")
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, strings.Trim(string(e.Raw), `"`))
		}
		notes = append(notes, "one of "+strings.Join(vals, ", "))
	}
	if s.Pattern != "" {
		notes = append(notes, "pattern `"+strings.ReplaceAll(s.Pattern, "|", `\|`)+"`")
	}
	if s.Minimum != nil {
		notes = append(notes, fmt.Sprintf("min %v", *s.Minimum))
	}
	if s.Maximum != nil {
		notes = append(notes, fmt.Sprintf("max %v", *s.Maximum))
	}
	if s.MaxLength != nil {
		notes = append(notes, fmt.Sprintf("max length %d", *s.MaxLength))
	}
	if s.MaxItems != nil {
		notes = append(notes, fmt.Sprintf("max items %d", *s.MaxItems))
	}
	for _, r := range s.XValidations {
		msg := r.Message
		if msg == "" {
			msg = "`" + r.Rule + "`"
		}
		notes = append(notes, "rule: "+oneLine(msg))
	}
	desc := oneLine(s.Description)
	if len(notes) > 0 {
		desc = strings.TrimSpace(desc + " _(" + strings.Join(notes, "; ") + ")_")
	}
	fmt.Fprintf(w, "| `%s` | %s | %s |\n", path, typeOf(s), desc)
	props := s.Properties
	if s.Type == "array" && s.Items != nil && s.Items.Schema != nil {
		props = s.Items.Schema.Properties
		path += "[]"
		s = *s.Items.Schema
	}
	if path == "status.conditions[]" {
		return // the standard metav1.Condition
	}
	var names []string
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		walk(w, path+"."+n, props[n], required(s, n))
	}
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

// guards explains the rules against hostile input that the field tables
// list one by one (issue 20).
const guards = `
## Guards against hostile input

Whoever may write a Claim, Debtor or CollectionPolicy in a namespace is
trusted with that creditor's money, not with the operator: the apiserver
refuses values that would break collection or reach a debtor's letter, and
the operator holds objects written before a rule existed to the same rules
(Stalled, naming the field: ` + "`InvalidDate`, `InvalidText`, `InvalidReference`, `RecordRemoved`, `InvalidPolicy`" + `).

- Dates are between 1900-01-01 and 2199-12-31.
- Text printed on notices (invoice number, external reference, the debtor's
  name and address, reversal reasons) has no control characters or Unicode
  line separators; dispute reasons and acknowledgement notes may have line
  breaks.
- References (` + "`debtorRef`, `policyRef`, `channelRef`" + `) are object names (DNS-1123
  subdomains). A Debtor's name, and so ` + "`debtorRef.name`" + `, is at most 63
  characters: it is a label value on the debtor's notices.
- A fixed fee (a step's ` + "`fee`, `paymentPlans.fee`, `overrides.reminderFee`" + `) is at most
  the largest single fee the jurisdiction's law allows: NO 20,250, SE 450,
  FI 210 (the apiserver checks today's figures; the operator checks the
  figures in force on the day, from internal/fees).
- Once collection has started (` + "`status.collectionStartedAt`" + `, which nobody can
  remove or change), the invoice fields are immutable and ` + "`payments`, `credits`" + `
  and ` + "`reversals`" + ` are append-only. A recorded payment or credit note is
  cancelled by a reversal, ` + "`spec.reversals: [{kind: Payment, of: <id>, date, reason}]`" + `:
  both stay on record, neither counts in the balance, one reversal per entry.
- Status is the operator's record, but anyone allowed to write
  ` + "`claims/status`" + ` can change it. An ending the record does not support (a
  ` + "`phase: Paid`" + ` with money outstanding, ` + "`Withdrawn`" + ` without ` + "`spec.withdraw`" + `, ...) is put
  back on the next reconcile with a ` + "`StatusRestored`" + ` warning event; a deleted
  balance is computed again.
- Notices are created only by the manager's ServiceAccount: a
  ValidatingAdmissionPolicy (` + "`config/admission`" + `, chart value
  ` + "`admissionPolicy.enabled`" + `) refuses anyone else creating one or changing
  its spec or labels.
`
