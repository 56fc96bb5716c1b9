// Package paymatch decides where each bank payment goes: to which claims,
// under which spec.payments ids and for how much, or into the suspense
// report, and why. It is pure: the caller reads the claims, debtors and
// cases and writes what Match returns.
//
// Matching order, first hit wins:
//
//  1. Already recorded: a claim already has a payment with the bank
//     entry's id (or a split id derived from it). Nothing new is written, so
//     importing a file twice changes nothing; what of the payment is on no
//     claim is reported again.
//  2. By reference: every reference a claim has printed
//     (status.paymentReference and status.paymentReferences, old and new)
//     and the reference of every open case of a debtor. One claim: the
//     payment goes to it. Several (a case): it is allocated across them.
//  3. By amount and debtor (fallback, for payments without a usable
//     reference): the payer is a debtor by organisation number, or by a name
//     exactly equal to one debtor's display name, and exactly one of that
//     debtor's open claims in the payment's currency has an open balance
//     equal to the amount. Anything else is ambiguous.
//
// A claim never gets more than its open balance: what is left goes to the
// suspense report as over-paid, for finance to refund or re-allocate;
// money never sits on a claim that does not owe it.
package paymatch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/inkasso-operator/inkasso-operator/internal/bankfile"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Claim is what matching needs of a Claim.
type Claim struct {
	Name, Debtor string
	Currency     string
	DueDate      civil.Date
	// Open is what the claim still owes: status.balance.outstanding as the
	// operator last wrote it (interest since its asOf is not in it).
	Open money.Money
	// Closed: collection of the claim has ended for another reason than
	// payment (withdrawn, written off, time-barred, forwarded): it takes no
	// payments from the bank.
	Closed bool
	Phase  string
	// References are every payment reference printed for the claim.
	References []string
	// Recorded are the claim's spec.payments by id.
	Recorded map[string]money.Money
}

// Case is a debtor's open collection case: its own reference pays its claims.
type Case struct {
	ID, Debtor, Reference string
	Claims                []string
}

// Debtor identifies a payer without a reference.
type Debtor struct {
	Name, DisplayName, OrganizationNumber string
}

// Book is the namespace's claims, cases and debtors.
type Book struct {
	Claims  []Claim
	Cases   []Case
	Debtors []Debtor
}

// Rule is how a payment was matched.
type Rule string

// Matching rules.
const (
	ByReference       Rule = "reference"
	ByCaseReference   Rule = "case-reference"
	ByAmountAndDebtor Rule = "amount-and-debtor"
)

// Reason is why (part of) a payment is in suspense.
type Reason string

// Suspense reasons.
const (
	Unmatched        Reason = "unmatched"
	Ambiguous        Reason = "ambiguous"
	Overpaid         Reason = "overpaid"
	CurrencyMismatch Reason = "currency-mismatch"
	ClaimClosed      Reason = "claim-closed"
	DuplicateID      Reason = "duplicate-id"
)

// Allocation is one spec.payments entry to add.
type Allocation struct {
	Payment int // index into the payments given to Match
	Claim   string
	ID      string
	Amount  money.Money
	Date    civil.Date
	Rule    Rule
}

// Known is a payment found already recorded.
type Known struct {
	Payment int
	Claims  []string
	Amount  money.Money // the recorded total
}

// Suspense is (the rest of) a payment no claim takes.
type Suspense struct {
	Payment int
	Amount  money.Money
	Reason  Reason
	Detail  string
	Claims  []string // the candidates, when any
}

// Result is the outcome of matching.
type Result struct {
	Allocations []Allocation
	Known       []Known
	Duplicates  []int // payments repeated in the input (same id and content), read once
	Suspense    []Suspense
}

// SplitID is the id of the part of a payment allocated to one claim of a
// case: the bank id, a colon and a hash of the claim's name, so the same
// part always has the same id whatever the order of allocation.
func SplitID(id, claim string) string {
	sum := sha256.Sum256([]byte(claim))
	return id + ":" + hex.EncodeToString(sum[:])[:8]
}

// Normalize is the form references are compared in: no spaces, upper
// case, digits-only references without leading zeros (some banks pad).
func Normalize(ref string) string {
	r := strings.ToUpper(strings.Join(strings.Fields(ref), ""))
	if r != "" && strings.Trim(r, "0123456789") == "" {
		r = strings.TrimLeft(r, "0")
	}
	return r
}

type matcher struct {
	claims   map[string]*Claim
	recorded map[string][]string // payment id, split suffix cut -> claim names, sorted
	refs     map[string][]string // normalized reference -> claim names
	debtors  []Debtor
	res      Result
}

// Match decides every payment, in order: a claim's open balance shrinks by
// what earlier payments of the same run took.
func Match(b Book, payments []bankfile.Payment) Result {
	m := &matcher{claims: map[string]*Claim{}, recorded: map[string][]string{}, refs: map[string][]string{}, debtors: b.Debtors}
	for i := range b.Claims {
		c := b.Claims[i]
		c.Recorded = cloneMap(c.Recorded)
		m.claims[c.Name] = &c
		for id := range c.Recorded {
			if j := strings.LastIndexByte(id, ':'); j >= 0 && len(id)-j == 9 {
				m.recorded[id[:j]] = appendNew(m.recorded[id[:j]], c.Name)
			}
			m.recorded[id] = appendNew(m.recorded[id], c.Name)
		}
		for _, r := range c.References {
			m.addRef(r, c.Name)
		}
	}
	for _, cs := range b.Cases {
		for _, name := range cs.Claims {
			if _, ok := m.claims[name]; ok {
				m.addRef(cs.Reference, name)
			}
		}
	}
	for _, names := range m.recorded {
		sort.Strings(names)
	}
	seen := map[string]int{}
	for i, p := range payments {
		if j, ok := seen[p.ID]; ok {
			q := payments[j]
			if q.Amount.Currency == p.Amount.Currency && q.Amount.Amount.Equal(p.Amount.Amount) && q.BookingDate == p.BookingDate && q.Reference == p.Reference {
				m.res.Duplicates = append(m.res.Duplicates, i) // the same entry in two files (camt.054 and camt.053)
				continue
			}
			m.suspend(i, p.Amount, DuplicateID, fmt.Sprintf("id %s is also %s with another amount, date or reference", p.ID, q.Source))
			continue
		}
		seen[p.ID] = i
		m.one(i, p)
	}
	return m.res
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func cloneMap(in map[string]money.Money) map[string]money.Money {
	out := make(map[string]money.Money, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func (m *matcher) addRef(ref, claim string) {
	r := Normalize(ref)
	if r != "" && !slices.Contains(m.refs[r], claim) {
		m.refs[r] = append(m.refs[r], claim)
	}
}

func (m *matcher) suspend(i int, amt money.Money, why Reason, detail string, claims ...string) {
	m.res.Suspense = append(m.res.Suspense, Suspense{Payment: i, Amount: amt, Reason: why, Detail: detail, Claims: claims})
}

func (m *matcher) one(i int, p bankfile.Payment) {
	if m.known(i, p) {
		return
	}
	var refs []string
	for _, r := range append([]string{p.Reference}, p.OtherReferences...) {
		if r = Normalize(r); r != "" && !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	var cands []string
	for _, r := range refs {
		for _, c := range m.refs[r] {
			if !slices.Contains(cands, c) {
				cands = append(cands, c)
			}
		}
	}
	if len(cands) == 0 {
		note := "no reference"
		if len(refs) > 0 {
			note = "reference " + strings.Join(refs, ", ") + " is no claim's or case's"
		}
		m.fallback(i, p, note)
		return
	}
	sort.Strings(cands)
	debtors := map[string]bool{}
	var same []string
	for _, c := range cands {
		debtors[m.claims[c].Debtor] = true
		if m.claims[c].Currency == p.Amount.Currency {
			same = append(same, c)
		}
	}
	switch {
	case len(debtors) > 1:
		m.suspend(i, p.Amount, Ambiguous, "the references point to claims of several debtors", cands...)
		return
	case len(same) == 0:
		m.suspend(i, p.Amount, CurrencyMismatch, fmt.Sprintf("paid in %s, the claims are in %s", p.Amount.Currency, m.claims[cands[0]].Currency), cands...)
		return
	}
	rule := ByReference
	if len(same) > 1 {
		rule = ByCaseReference
	}
	m.allocate(i, p, same, rule)
}

// known reports a payment already recorded on some claim, under its own id
// or split ids, and puts what of it is on no claim into suspense again.
func (m *matcher) known(i int, p bankfile.Payment) bool {
	var on []string
	sum := money.Zero(p.Amount.Currency)
	for _, name := range m.recorded[p.ID] {
		c := m.claims[name]
		for id, amt := range c.Recorded {
			if id == p.ID || strings.HasPrefix(id, p.ID+":") && len(id) == len(p.ID)+9 {
				if amt.Currency == p.Amount.Currency || amt.IsZero() {
					sum = sum.Add(money.Money{Currency: p.Amount.Currency, Amount: amt.Amount})
				}
				if !slices.Contains(on, name) {
					on = append(on, name)
				}
			}
		}
	}
	if len(on) == 0 {
		return false
	}
	m.res.Known = append(m.res.Known, Known{Payment: i, Claims: on, Amount: sum})
	if rest := p.Amount.Sub(sum); rest.IsPositive() {
		m.suspend(i, rest, Overpaid, restDetail(sum, p.Amount, on), on...)
	}
	return true
}

func (m *matcher) sortedClaims() []string {
	names := make([]string, 0, len(m.claims))
	for n := range m.claims {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// allocate gives each claim, oldest due date first, up to its open balance;
// the rest is suspense.
func (m *matcher) allocate(i int, p bankfile.Payment, names []string, rule Rule) {
	claims := make([]*Claim, 0, len(names))
	for _, n := range names {
		claims = append(claims, m.claims[n])
	}
	sort.SliceStable(claims, func(a, b int) bool {
		if c := claims[a].DueDate.Compare(claims[b].DueDate); c != 0 {
			return c < 0
		}
		return claims[a].Name < claims[b].Name
	})
	rest := p.Amount
	var closed, took []string
	for _, c := range claims {
		if c.Closed {
			closed = append(closed, c.Name+" ("+c.Phase+")")
			continue
		}
		if !rest.IsPositive() || !c.Open.IsPositive() {
			continue
		}
		part := rest
		if c.Open.Cmp(rest) < 0 {
			part = c.Open
		}
		id := p.ID
		if len(claims) > 1 {
			id = SplitID(p.ID, c.Name)
		}
		m.res.Allocations = append(m.res.Allocations, Allocation{Payment: i, Claim: c.Name, ID: id, Amount: part, Date: p.BookingDate, Rule: rule})
		c.Open = c.Open.Sub(part)
		c.Recorded[id] = part
		rest = rest.Sub(part)
		took = append(took, c.Name)
	}
	if !rest.IsPositive() {
		return
	}
	switch {
	case len(closed) == len(claims):
		m.suspend(i, rest, ClaimClosed, "collection has ended: "+strings.Join(closed, ", "), names...)
	case rest.Cmp(p.Amount) == 0:
		m.suspend(i, rest, Overpaid, "owes nothing now: "+strings.Join(names, ", "), names...)
	default:
		m.suspend(i, rest, Overpaid, restDetail(p.Amount.Sub(rest), p.Amount, took), names...)
	}
}

// restDetail says where the recorded part of an over-payment is; the same
// words on every import of the file, so suspense reports compare equal.
func restDetail(recorded, amount money.Money, on []string) string {
	return fmt.Sprintf("%s of %s recorded on %s (its open balance); the rest is on no claim", recorded, amount, strings.Join(on, ", "))
}

// fallback matches a payment without a usable reference by its payer and
// amount.
func (m *matcher) fallback(i int, p bankfile.Payment, note string) {
	d, how := m.payer(p)
	if d == "" {
		m.suspend(i, p.Amount, Unmatched, note+"; the payer is no known debtor")
		return
	}
	var open, exact []string
	for _, name := range m.sortedClaims() {
		c := m.claims[name]
		if c.Debtor != d || c.Closed || !c.Open.IsPositive() || c.Currency != p.Amount.Currency {
			continue
		}
		open = append(open, name)
		if c.Open.Cmp(p.Amount) == 0 {
			exact = append(exact, name)
		}
	}
	if len(exact) != 1 {
		m.suspend(i, p.Amount, Ambiguous, fmt.Sprintf("%s; the payer is debtor %s (by %s), and %d of its %d open claims owe exactly %s %s",
			note, d, how, len(exact), len(open), p.Amount, p.Amount.Currency), open...)
		return
	}
	m.allocate(i, p, exact, ByAmountAndDebtor)
}

// payer finds the debtor who paid: by organisation number, else by a name
// exactly (case and spacing aside) one debtor's.
func (m *matcher) payer(p bankfile.Payment) (debtor, how string) {
	if org := digitsOf(p.PayerOrgID); org != "" {
		var hits []string
		for _, d := range m.debtors {
			if digitsOf(d.OrganizationNumber) == org {
				hits = append(hits, d.Name)
			}
		}
		if len(hits) == 1 {
			return hits[0], "organisation number"
		}
	}
	if name := fold(p.PayerName); name != "" {
		var hits []string
		for _, d := range m.debtors {
			if fold(d.DisplayName) == name {
				hits = append(hits, d.Name)
			}
		}
		if len(hits) == 1 {
			return hits[0], "name"
		}
	}
	return "", ""
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "0")
}

func fold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
