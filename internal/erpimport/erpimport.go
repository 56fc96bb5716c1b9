// Package erpimport turns ERP exports — a documented CSV format and PEPPOL
// BIS Billing 3.0 / EHF UBL invoices and credit notes — into Debtor and
// Claim objects for a Git repository. Names are derived from customer and
// invoice numbers only, and output is sorted, so importing a newer export
// changes exactly the objects whose data changed. Status is never written.
package erpimport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/guard"
)

// RowError is one bad input record: where it is and which field is wrong.
type RowError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e RowError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return loc + ": " + e.Msg
}

// Options set what the exports do not say.
type Options struct {
	// Namespace of the objects; empty leaves it to kubectl/kustomize.
	Namespace string
	// Policy names the CollectionPolicy of every claim, unless a row names one.
	Policy string
	// Country and Language default a debtor's fields.
	Country  string
	Language string
	// Encoding of CSV files: empty or utf-8 (required by default), latin1,
	// latin9 or windows-1252 (EncodingNames). UBL files say their own.
	Encoding string
	// MaxFileBytes and MaxFieldBytes bound the input (0: the defaults,
	// DefaultMaxFileBytes and DefaultMaxFieldBytes).
	MaxFileBytes  int64
	MaxFieldBytes int
}

// Customer is a debtor as an export describes it.
type Customer struct {
	Number, Name, Type, OrgNumber, Email, Phone, Country, Language string
	Address                                                        *inkassov1.Address
}

// Invoice is one invoice with what happened to it since.
type Invoice struct {
	Customer                     string // customer number
	Number, InvoiceDate, DueDate string
	Amount, Currency, Policy     string
	Payments                     []inkassov1.Payment
	Credits                      []inkassov1.Credit
	file                         string
	line                         int
	// failed names the payment and credit rows of this invoice that were
	// refused: the invoice is then not written (its balance would be wrong).
	failed []string
}

// Import collects customers and invoices from any number of exports.
type Import struct {
	opts      Options
	customers map[string]Customer
	custAt    map[string]string // customer number -> where first seen
	invoices  map[string]*Invoice
	later     []pendingRow // payments and credit notes, applied by Finish
	Errors    []RowError
}

// New starts an import.
func New(o Options) *Import {
	return &Import{opts: o, customers: map[string]Customer{}, custAt: map[string]string{}, invoices: map[string]*Invoice{}}
}

func (im *Import) fail(file string, line int, field, format string, args ...any) {
	im.Errors = append(im.Errors, RowError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// addCustomer records c, refusing a second, different description: the
// error names the field and both rows, not the values (personal data).
func (im *Import) addCustomer(file string, line int, c Customer) bool {
	if old, ok := im.customers[c.Number]; ok {
		if field := customerDiff(old, c); field != "" {
			im.fail(file, line, field, "customer %s is described differently here and at %s", c.Number, im.custAt[c.Number])
			return false
		}
		return true
	}
	im.customers[c.Number] = c
	im.custAt[c.Number] = fmt.Sprintf("%s:%d", file, line)
	return true
}

// customerDiff is the first field in which two descriptions of a customer
// differ, or "". Contact fields (e-mail, phone, address, language) count
// only when both describe them: a UBL invoice carries no language, a
// CSV row may leave the e-mail out.
func customerDiff(a, b Customer) string {
	addr := func(c Customer) string {
		if c.Address == nil {
			return ""
		}
		return strings.Join(c.Address.Lines, "|") + "\x00" + c.Address.PostalCode + "\x00" + c.Address.City
	}
	for _, f := range []struct{ field, a, b string }{
		{"customer_name", a.Name, b.Name}, {"customer_type", a.Type, b.Type}, {"organization_number", a.OrgNumber, b.OrgNumber},
		{"country", a.Country, b.Country}, {"email", a.Email, b.Email}, {"phone", a.Phone, b.Phone}, {"address", addr(a), addr(b)},
		{"language", a.Language, b.Language},
	} {
		contact := f.field != "customer_name" && f.field != "customer_type" && f.field != "organization_number" && f.field != "country"
		if f.a != f.b && (!contact || f.a != "" && f.b != "") {
			return f.field
		}
	}
	return ""
}

func (im *Import) addInvoice(inv *Invoice) bool {
	if old, ok := im.invoices[inv.Number]; ok {
		im.fail(inv.file, inv.line, "invoice_number", "invoice %s is already at %s:%d", inv.Number, old.file, old.line)
		return false
	}
	im.invoices[inv.Number] = inv
	return true
}

// Objects returns the debtors and claims, sorted by kind and name.
func (im *Import) Objects() (debtors []*inkassov1.Debtor, claims []*inkassov1.Claim) {
	for _, c := range im.customers {
		d := &inkassov1.Debtor{
			TypeMeta:   metav1.TypeMeta{APIVersion: inkassov1.GroupVersion.String(), Kind: "Debtor"},
			ObjectMeta: metav1.ObjectMeta{Name: DebtorName(c.Number), Namespace: im.opts.Namespace, Labels: map[string]string{CustomerLabel: labelValue(c.Number)}},
			Spec: inkassov1.DebtorSpec{DisplayName: c.Name, Type: inkassov1.DebtorType(c.Type), OrganizationNumber: c.OrgNumber,
				Country: inkassov1.CountryCode(c.Country), Language: inkassov1.Language(c.Language), Email: c.Email, Phone: c.Phone, Address: c.Address},
		}
		debtors = append(debtors, d)
	}
	for _, inv := range im.invoices {
		if len(inv.failed) > 0 {
			continue // reported by Finish
		}
		cl := &inkassov1.Claim{
			TypeMeta:   metav1.TypeMeta{APIVersion: inkassov1.GroupVersion.String(), Kind: "Claim"},
			ObjectMeta: metav1.ObjectMeta{Name: ClaimName(inv.Number), Namespace: im.opts.Namespace, Labels: map[string]string{CustomerLabel: labelValue(inv.Customer)}},
			Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: DebtorName(inv.Customer)}, InvoiceNumber: inv.Number,
				InvoiceDate: inkassov1.Date(inv.InvoiceDate), DueDate: inkassov1.Date(inv.DueDate), Amount: inkassov1.Amount(inv.Amount),
				Currency: inkassov1.CurrencyCode(inv.Currency), Payments: inv.Payments, Credits: inv.Credits},
		}
		if p := cmpOr(inv.Policy, im.opts.Policy); p != "" {
			cl.Spec.PolicyRef = &inkassov1.LocalObjectReference{Name: p}
		}
		sort.Slice(cl.Spec.Payments, func(i, j int) bool {
			return less(cl.Spec.Payments[i].Date, cl.Spec.Payments[i].ID, cl.Spec.Payments[j].Date, cl.Spec.Payments[j].ID)
		})
		sort.Slice(cl.Spec.Credits, func(i, j int) bool {
			return less(cl.Spec.Credits[i].Date, cl.Spec.Credits[i].ID, cl.Spec.Credits[j].Date, cl.Spec.Credits[j].ID)
		})
		claims = append(claims, cl)
	}
	sort.Slice(debtors, func(i, j int) bool { return debtors[i].Name < debtors[j].Name })
	sort.Slice(claims, func(i, j int) bool { return claims[i].Name < claims[j].Name })
	return debtors, claims
}

func less(d1 inkassov1.Date, id1 string, d2 inkassov1.Date, id2 string) bool {
	if d1 != d2 {
		return d1 < d2
	}
	return id1 < id2
}

// CustomerLabel carries the customer number on every imported object, so
// `kubectl get claims -l` finds a customer's claims.
const CustomerLabel = "collection.inkasso.dev/customer"

var unsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsName makes a DNS-1123 label from an ERP number: lower case, runs of
// other characters as one dash. When that loses information (case,
// characters, length) a short hash of the original keeps names unique.
func dnsName(prefix, s string) string {
	clean := strings.Trim(unsafe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	name := prefix + clean
	if clean == s && len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "-" + hex.EncodeToString(sum[:])[:8]
	if len(name) > 63-len(suffix) {
		name = strings.TrimRight(name[:63-len(suffix)], "-")
	}
	return name + suffix
}

// DebtorName is the object name of a customer number.
func DebtorName(customer string) string { return dnsName("c-", customer) }

// ClaimName is the object name of an invoice number.
func ClaimName(invoice string) string { return dnsName("inv-", invoice) }

func labelValue(s string) string {
	n := dnsName("", s)
	return n
}

// parseAmount accepts 1234.5, 1234,50 and 1 234,50, and normalises to two decimals.
func parseAmount(s string) (string, error) {
	t := strings.NewReplacer(" ", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	if strings.HasPrefix(t, "-") && plainAmount.MatchString(t[1:]) {
		return "", fmt.Errorf("%q is negative", s)
	}
	// Only plain digits: exponents ("1e999999999") would make the decimal
	// library build enormous numbers, and no ERP writes amounts that way.
	if !plainAmount.MatchString(t) {
		return "", fmt.Errorf("%q is not an amount (digits with an optional decimal comma or point)", s)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return "", fmt.Errorf("%q is not an amount", s)
	}
	if d.Exponent() < -2 && !d.Equal(d.Round(2)) {
		return "", fmt.Errorf("%q has more than two decimals", s)
	}
	if d.IsNegative() {
		return "", fmt.Errorf("%q is negative", s)
	}
	return d.StringFixed(2), nil
}

// plainAmount bounds an amount's text: 18 integer digits and as many
// decimals are far beyond any invoice.
var plainAmount = regexp.MustCompile(`^[0-9]{1,18}(\.[0-9]{0,18})?$`)

// parseDate accepts YYYY-MM-DD and DD.MM.YYYY, between guard.MinDate and
// guard.MaxDate as the API does.
func parseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			d := t.Format(time.DateOnly)
			if d < guard.MinDate || d > guard.MaxDate {
				return "", fmt.Errorf("%q is outside %s..%s", s, guard.MinDate, guard.MaxDate)
			}
			return d, nil
		}
	}
	return "", fmt.Errorf("%q is not a date (YYYY-MM-DD or DD.MM.YYYY)", s)
}
