// Package settlement splits the money collected on claims between the
// creditor and the agency under the agency–creditor contract (the policy's
// pricing), one line per claim per payment.
//
// It reads the claims' settlement ledgers (internal/ledger, as kept in
// Claim status) and never re-allocates a payment: principal, interest and
// fees are the ledger's allocation. What it adds is the contract: who keeps
// the late interest, the commission (no cure, no pay: a percentage of money
// collected), VAT the creditor bears on collection costs, and which fees
// repay court fees the agency advanced. Every figure is rounded per line to
// the currency's minor unit, so the lines add up to the totals exactly.
package settlement

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Basis of the commission.
type Basis string

// Commission bases.
const (
	CollectedPrincipal            Basis = "CollectedPrincipal"
	CollectedPrincipalAndInterest Basis = "CollectedPrincipalAndInterest"
)

// VATRate is a percentage from a day on.
type VATRate struct {
	From    civil.Date
	Percent decimal.Decimal
}

// Pricing is the agency–creditor contract.
type Pricing struct {
	// AgencyKeepsInterest: late interest collected goes to the agency.
	AgencyKeepsInterest bool
	// CommissionPercent of the Basis; zero for none.
	CommissionPercent decimal.Decimal
	Basis             Basis
	// VAT rates the creditor bears on collection costs (fees, less advanced
	// fees, plus commission); none: no VAT.
	VAT []VATRate
	// AdvancedSteps are the steps whose fee is a court or enforcement fee
	// the agency advanced: the fee part of a payment repays them first.
	AdvancedSteps map[string]bool
	// CreditorBearsAdvanced: each advanced fee is charged to the creditor
	// when booked (an AdvancedFee line), and what the debtor repays of it
	// goes to the creditor. Otherwise the agency bears it until repaid.
	CreditorBearsAdvanced bool
}

// Kind of a line.
type Kind string

// Line kinds.
const (
	KindPayment     Kind = "Payment"
	KindAdvancedFee Kind = "AdvancedFee"
)

// Claim is one claim's ledger.
type Claim struct {
	Name, InvoiceNumber string
	Currency            string
	// Entries in ledger order (date order, as internal/ledger writes them).
	Entries []ledger.Entry
}

// Input is what one Settlement settles.
type Input struct {
	Currency string
	// From and To bound the period (both included).
	From, To civil.Date
	// CarryOverFrom: payments dated from this day up to From that no
	// Settlement settled are carried over; earlier ones predate
	// settlement in the namespace and are left alone. Zero: From.
	CarryOverFrom civil.Date
	Claims        []Claim
	// Settled holds the keys of entries other Settlements have settled.
	Settled map[string]bool
	// MaxLines caps the lines; the rest is counted in Result.Remaining.
	MaxLines int
	Pricing  Pricing
}

// Line is one payment split between the creditor and the agency.
type Line struct {
	Kind                           Kind
	Key, Claim, InvoiceNumber, Ref string
	Date                           civil.Date
	ReceivedByCreditor             bool
	CarriedOver                    bool
	Amount, Principal, Interest    money.Money
	Fees, AdvancedFees, Overpaid   money.Money
	Commission, KeptInterest, VAT  money.Money
	Creditor, Agency               money.Money
}

// Totals sums the lines.
type Totals struct {
	Collected, CollectedByCreditor money.Money
	Principal, Interest, Fees      money.Money
	AdvancedFees, Overpaid         money.Money
	// AdvancedFeesCharged to the creditor (AdvancedFee lines).
	AdvancedFeesCharged           money.Money
	Creditor, Agency              money.Money
	Commission, KeptInterest, VAT money.Money
	// Payout: the creditor's share of what the agency received, less the
	// agency's share of what the creditor received.
	Payout money.Money
}

// Result is the Settlement's lines and totals.
type Result struct {
	Lines  []Line
	Totals Totals
	// Remaining counts payments left for a later Settlement (MaxLines).
	Remaining int
}

// FeeKey identifies a claim's advanced fee in the namespace.
func FeeKey(claim, step string) string {
	return claim + "/Fee/" + step
}

// Key identifies a claim's payment in the namespace. Claim names are unique
// in a namespace and a restored (archived) claim keeps its name and
// payments, so the key survives a delete and re-create where a UID would not.
func Key(claim, paymentID string) string {
	return claim + "/Payment/" + paymentID
}

// Compute returns the lines and totals of the payments in.Input settles.
func Compute(in Input) (Result, error) {
	cur := in.Currency
	carryFrom := in.CarryOverFrom
	if carryFrom.IsZero() || carryFrom.After(in.From) {
		carryFrom = in.From
	}
	var lines []Line
	for _, c := range in.Claims {
		if c.Currency != cur {
			continue
		}
		advancedDue := money.Zero(cur)
		for _, e := range c.Entries {
			switch e.Kind {
			case ledger.KindFee:
				if !in.Pricing.AdvancedSteps[e.Ref] {
					continue
				}
				advancedDue = advancedDue.Add(e.Amount)
				key := FeeKey(c.Name, e.Ref)
				if !in.Pricing.CreditorBearsAdvanced || e.Date.Before(carryFrom) || e.Date.After(in.To) || in.Settled[key] {
					continue
				}
				// The creditor pays the court's fee now; the agency is repaid.
				zero := money.Zero(cur)
				lines = append(lines, Line{Kind: KindAdvancedFee, Key: key, Claim: c.Name, InvoiceNumber: c.InvoiceNumber, Ref: e.Ref,
					Date: e.Date, CarriedOver: e.Date.Before(in.From), Amount: e.Amount,
					Principal: zero, Interest: zero, Fees: zero, AdvancedFees: zero, Overpaid: zero,
					Commission: zero, KeptInterest: zero, VAT: zero, Creditor: zero.Sub(e.Amount), Agency: e.Amount})
				continue
			case ledger.KindPayment:
			default:
				continue
			}
			// Advanced fees are repaid first out of the fee part, whether
			// or not this payment is settled now: the running balance is
			// the claim's, not the Settlement's.
			adv := minMoney(e.ToFees, advancedDue)
			advancedDue = advancedDue.Sub(adv)
			key := Key(c.Name, e.Ref)
			if e.Date.Before(carryFrom) || e.Date.After(in.To) || in.Settled[key] {
				continue
			}
			l, err := split(in.Pricing, cur, e, adv)
			if err != nil {
				return Result{}, fmt.Errorf("claim %s payment %s: %w", c.Name, e.Ref, err)
			}
			l.Kind, l.Key, l.Claim, l.InvoiceNumber, l.Ref = KindPayment, key, c.Name, c.InvoiceNumber, e.Ref
			l.CarriedOver = e.Date.Before(in.From)
			lines = append(lines, l)
		}
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if !lines[i].Date.Equal(lines[j].Date) {
			return lines[i].Date.Before(lines[j].Date)
		}
		return lines[i].Key < lines[j].Key
	})
	r := Result{}
	if in.MaxLines > 0 && len(lines) > in.MaxLines {
		r.Remaining = len(lines) - in.MaxLines
		lines = lines[:in.MaxLines]
	}
	r.Lines = lines
	r.Totals = total(cur, lines)
	return r, nil
}

// split applies the pricing to one payment entry; adv is the part of its
// fees repaying advanced court fees.
func split(p Pricing, cur string, e ledger.Entry, adv money.Money) (Line, error) {
	zero := money.Zero(cur)
	l := Line{Date: e.Date, ReceivedByCreditor: e.ReceivedByCreditor, Amount: e.Amount,
		Principal: e.ToPrincipal, Interest: e.ToInterest, Fees: e.ToFees, AdvancedFees: adv, Overpaid: e.Overpaid,
		Commission: zero, KeptInterest: zero, VAT: zero}
	if p.AgencyKeepsInterest {
		l.KeptInterest = l.Interest
	}
	if p.CommissionPercent.IsPositive() {
		base := l.Principal
		if p.Basis == CollectedPrincipalAndInterest {
			base = base.Add(l.Interest.Sub(l.KeptInterest))
		}
		l.Commission = percent(base, p.CommissionPercent)
	}
	if len(p.VAT) > 0 {
		rate, ok := vatRate(p.VAT, e.Date)
		if !ok {
			return l, fmt.Errorf("no VAT rate in effect on %s (spec.pricing.vat.rates starts later)", e.Date)
		}
		l.VAT = percent(l.Fees.Sub(adv).Add(l.Commission), rate)
	}
	l.Agency = l.Fees.Add(l.KeptInterest).Add(l.Commission).Add(l.VAT)
	l.Creditor = l.Principal.Add(l.Interest).Sub(l.KeptInterest).Sub(l.Commission).Sub(l.VAT)
	if p.CreditorBearsAdvanced {
		// The creditor paid the court: the repayment is its money.
		l.Agency, l.Creditor = l.Agency.Sub(adv), l.Creditor.Add(adv)
	}
	return l, nil
}

// percent is pct % of m, rounded half away from zero to the minor unit.
func percent(m money.Money, pct decimal.Decimal) money.Money {
	return money.FromDecimal(m.Amount.Mul(pct).Div(decimal.NewFromInt(100)), m.Currency)
}

// vatRate is the rate in effect on day: the latest one starting on or before it.
func vatRate(rates []VATRate, day civil.Date) (decimal.Decimal, bool) {
	var best *VATRate
	for i := range rates {
		r := &rates[i]
		if !r.From.After(day) && (best == nil || r.From.After(best.From)) {
			best = r
		}
	}
	if best == nil {
		return decimal.Zero, false
	}
	return best.Percent, true
}

func total(cur string, lines []Line) Totals {
	z := money.Zero(cur)
	t := Totals{Collected: z, CollectedByCreditor: z, Principal: z, Interest: z, Fees: z, AdvancedFees: z, Overpaid: z,
		AdvancedFeesCharged: z, Creditor: z, Agency: z, Commission: z, KeptInterest: z, VAT: z, Payout: z}
	for _, l := range lines {
		if l.Kind == KindAdvancedFee {
			// Not collected money: a charge to the creditor.
			t.AdvancedFeesCharged = t.AdvancedFeesCharged.Add(l.Amount)
			t.Creditor, t.Agency = t.Creditor.Add(l.Creditor), t.Agency.Add(l.Agency)
			t.Payout = t.Payout.Add(l.Creditor)
			continue
		}
		t.Collected = t.Collected.Add(l.Amount)
		t.Principal = t.Principal.Add(l.Principal)
		t.Interest = t.Interest.Add(l.Interest)
		t.Fees = t.Fees.Add(l.Fees)
		t.AdvancedFees = t.AdvancedFees.Add(l.AdvancedFees)
		t.Overpaid = t.Overpaid.Add(l.Overpaid)
		t.Creditor = t.Creditor.Add(l.Creditor)
		t.Agency = t.Agency.Add(l.Agency)
		t.Commission = t.Commission.Add(l.Commission)
		t.KeptInterest = t.KeptInterest.Add(l.KeptInterest)
		t.VAT = t.VAT.Add(l.VAT)
		if l.ReceivedByCreditor {
			t.CollectedByCreditor = t.CollectedByCreditor.Add(l.Amount)
			t.Payout = t.Payout.Sub(l.Agency)
		} else {
			t.Payout = t.Payout.Add(l.Creditor)
		}
	}
	return t
}

func minMoney(a, b money.Money) money.Money {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}
