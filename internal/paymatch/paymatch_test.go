package paymatch

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/bankfile"
	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func claim(name, debtor, due, open string, refs ...string) Claim {
	d, _ := civil.Parse(due)
	return Claim{Name: name, Debtor: debtor, Currency: "NOK", DueDate: d, Open: money.MustParse(open, "NOK"), References: refs,
		Recorded: map[string]money.Money{}}
}

func pay(id, amount, ref string) bankfile.Payment {
	cur := "NOK"
	if a, c, ok := strings.Cut(amount, " "); ok {
		amount, cur = a, c
	}
	return bankfile.Payment{ID: id, Amount: money.MustParse(amount, cur), BookingDate: civil.New(2026, 3, 16), Reference: ref, Source: "f:" + id}
}

// outcome prints a result compactly: allocations, known, duplicates, suspense.
func outcome(r Result, ps []bankfile.Payment) []string {
	var out []string
	for _, a := range r.Allocations {
		out = append(out, fmt.Sprintf("%s -> %s %s %s (%s)", ps[a.Payment].ID, a.Claim, a.ID, a.Amount, a.Rule))
	}
	for _, k := range r.Known {
		out = append(out, fmt.Sprintf("%s known on %s (%s)", ps[k.Payment].ID, strings.Join(k.Claims, ","), k.Amount))
	}
	for _, i := range r.Duplicates {
		out = append(out, ps[i].ID+" duplicate")
	}
	for _, s := range r.Suspense {
		out = append(out, fmt.Sprintf("%s suspense %s %s [%s]", ps[s.Payment].ID, s.Reason, s.Amount, strings.Join(s.Claims, ",")))
	}
	return out
}

func TestMatch(t *testing.T) {
	// Debtor d1 has a case of a and b (b due first); c is its own claim
	// paid with an old reference; d2's claim e; f is paid, g withdrawn.
	book := func() Book {
		g := claim("g", "d3", "2026-01-01", "700.00", "8888")
		g.Closed, g.Phase = true, "Withdrawn"
		return Book{
			Claims: []Claim{
				claim("a", "d1", "2026-01-10", "300.00", "1111", "9000"),
				claim("b", "d1", "2026-01-05", "500.00", "2222", "9000"),
				claim("c", "d1", "2026-02-01", "250.00", "3333", "3334"),
				claim("e", "d2", "2026-01-01", "1200.00", "5555"),
				claim("e2", "d2", "2026-01-02", "800.00", "5556"),
				claim("f", "d2", "2026-01-01", "0.00", "6666"),
				g,
			},
			Cases:   []Case{{ID: "d1-case", Debtor: "d1", Reference: "9001", Claims: []string{"a", "b"}}},
			Debtors: []Debtor{{Name: "d1", DisplayName: "Ola  Nordmann"}, {Name: "d2", DisplayName: "Fjordbygg AS", OrganizationNumber: "987 654 321"}, {Name: "d3", DisplayName: "Ola Nordmann"}},
		}
	}
	for _, tc := range []struct {
		name     string
		book     func(*Book)
		payments []bankfile.Payment
		want     []string
	}{
		{name: "partial payment by the claim's reference",
			payments: []bankfile.Payment{pay("p1", "100.00", "3333")},
			want:     []string{"p1 -> c p1 100.00 (reference)"}},
		{name: "an old reference still pays the claim",
			payments: []bankfile.Payment{pay("p1", "250.00", "3334")},
			want:     []string{"p1 -> c p1 250.00 (reference)"}},
		{name: "leading zeros and spaces do not matter",
			payments: []bankfile.Payment{pay("p1", "250.00", "0003 334")},
			want:     []string{"p1 -> c p1 250.00 (reference)"}},
		{name: "a case reference the claims print: oldest due date first, each up to its open balance",
			payments: []bankfile.Payment{pay("p1", "600.00", "9000")},
			want:     []string{"p1 -> b " + SplitID("p1", "b") + " 500.00 (case-reference)", "p1 -> a " + SplitID("p1", "a") + " 100.00 (case-reference)"}},
		{name: "the debtor's open case's reference, not yet on the claims",
			payments: []bankfile.Payment{pay("p1", "200.00", "9001")},
			want:     []string{"p1 -> b " + SplitID("p1", "b") + " 200.00 (case-reference)"}},
		{name: "over-payment of a case: the rest is suspense",
			payments: []bankfile.Payment{pay("p1", "1000.00", "9000")},
			want: []string{"p1 -> b " + SplitID("p1", "b") + " 500.00 (case-reference)", "p1 -> a " + SplitID("p1", "a") + " 300.00 (case-reference)",
				"p1 suspense overpaid 200.00 [a,b]"}},
		{name: "over-payment of one claim",
			payments: []bankfile.Payment{pay("p1", "300.00", "3333")},
			want:     []string{"p1 -> c p1 250.00 (reference)", "p1 suspense overpaid 50.00 [c]"}},
		{name: "two payments in one file: the second sees what the first took",
			payments: []bankfile.Payment{pay("p1", "200.00", "3333"), pay("p2", "100.00", "3333")},
			want:     []string{"p1 -> c p1 200.00 (reference)", "p2 -> c p2 50.00 (reference)", "p2 suspense overpaid 50.00 [c]"}},
		{name: "a paid claim owes nothing",
			payments: []bankfile.Payment{pay("p1", "10.00", "6666")},
			want:     []string{"p1 suspense overpaid 10.00 [f]"}},
		{name: "a withdrawn claim takes no payment",
			payments: []bankfile.Payment{pay("p1", "10.00", "8888")},
			want:     []string{"p1 suspense claim-closed 10.00 [g]"}},
		{name: "currency mismatch",
			payments: []bankfile.Payment{pay("p1", "10.00 EUR", "3333")},
			want:     []string{"p1 suspense currency-mismatch 10.00 [c]"}},
		{name: "unknown reference, unknown payer",
			payments: []bankfile.Payment{pay("p1", "10.00", "4444")},
			want:     []string{"p1 suspense unmatched 10.00 []"}},
		{name: "references of two debtors",
			payments: []bankfile.Payment{func() bankfile.Payment {
				p := pay("p1", "10.00", "3333")
				p.OtherReferences = []string{"5555"}
				return p
			}()},
			want: []string{"p1 suspense ambiguous 10.00 [c,e]"}},
		{name: "two references of one claim",
			payments: []bankfile.Payment{func() bankfile.Payment {
				p := pay("p1", "10.00", "3333")
				p.OtherReferences = []string{"3334"}
				return p
			}()},
			want: []string{"p1 -> c p1 10.00 (reference)"}},
		{name: "fallback: organisation number and the exact open balance of one claim",
			payments: []bankfile.Payment{func() bankfile.Payment { p := pay("p1", "800.00", ""); p.PayerOrgID = "NO987654321MVA"; return p }()},
			want:     []string{"p1 -> e2 p1 800.00 (amount-and-debtor)"}},
		{name: "fallback: no claim of the debtor owes exactly the amount",
			payments: []bankfile.Payment{func() bankfile.Payment { p := pay("p1", "900.00", "7777"); p.PayerOrgID = "987654321"; return p }()},
			want:     []string{"p1 suspense ambiguous 900.00 [e,e2]"}},
		{name: "fallback: two claims owe exactly the amount",
			book: func(b *Book) { b.Claims[4].Open = money.MustParse("1200.00", "NOK") },
			payments: []bankfile.Payment{func() bankfile.Payment {
				p := pay("p1", "1200.00", "")
				p.PayerName = "FJORDBYGG as"
				return p
			}()},
			want: []string{"p1 suspense ambiguous 1200.00 [e,e2]"}},
		{name: "fallback: a name two debtors share is no match",
			payments: []bankfile.Payment{func() bankfile.Payment { p := pay("p1", "250.00", ""); p.PayerName = "ola nordmann"; return p }()},
			want:     []string{"p1 suspense unmatched 250.00 []"}},
		{name: "already recorded: nothing new",
			book:     func(b *Book) { b.Claims[2].Recorded["p1"] = money.MustParse("100.00", "NOK") },
			payments: []bankfile.Payment{pay("p1", "100.00", "3333")},
			want:     []string{"p1 known on c (100.00)"}},
		{name: "already recorded split across a case, rest still suspense",
			book: func(b *Book) {
				b.Claims[0].Recorded[SplitID("p1", "a")] = money.MustParse("300.00", "NOK")
				b.Claims[1].Recorded[SplitID("p1", "b")] = money.MustParse("500.00", "NOK")
				b.Claims[0].Open, b.Claims[1].Open = money.Zero("NOK"), money.Zero("NOK")
			},
			payments: []bankfile.Payment{pay("p1", "1000.00", "9000")},
			want:     []string{"p1 known on a,b (800.00)", "p1 suspense overpaid 200.00 [a,b]"}},
		{name: "the same entry in two files is read once",
			payments: []bankfile.Payment{pay("p1", "100.00", "3333"), pay("p1", "100.00", "3333")},
			want:     []string{"p1 -> c p1 100.00 (reference)", "p1 duplicate"}},
		{name: "one id with two amounts",
			payments: []bankfile.Payment{pay("p1", "100.00", "3333"), pay("p1", "90.00", "3333")},
			want:     []string{"p1 -> c p1 100.00 (reference)", "p1 suspense duplicate-id 90.00 []"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := book()
			if tc.book != nil {
				tc.book(&b)
			}
			got := outcome(Match(b, tc.payments), tc.payments)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"0012 345": "12345", "rf18 5390": "RF185390", "": "", "000": "", "A 0B": "A0B"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$`)

// record applies the allocations to the book as the command's write does.
func record(b *Book, r Result) {
	for _, a := range r.Allocations {
		for i := range b.Claims {
			if b.Claims[i].Name == a.Claim {
				b.Claims[i].Recorded[a.ID] = a.Amount
				b.Claims[i].Open = b.Claims[i].Open.Sub(a.Amount)
			}
		}
	}
}

// FuzzMatch: whatever the book and payments, every payment is accounted
// for to the unit (recorded + suspense = amount), no claim gets more than
// it owed, ids are valid and unique per claim, and matching again after
// recording adds nothing and suspends the same amounts.
func FuzzMatch(f *testing.F) {
	f.Add([]byte{3, 10, 20, 30, 1, 2, 250, 0, 4, 7}, []byte{1, 100, 2, 50, 0, 7, 3, 255})
	f.Add([]byte{1, 1, 1, 1}, []byte{0, 0, 0, 0, 0, 0})
	f.Add([]byte{5, 200, 100, 50, 25, 12, 6, 3}, []byte{4, 255, 4, 1, 9, 9, 4, 100, 2, 2})
	f.Fuzz(func(t *testing.T, claimBytes, payBytes []byte) {
		if len(claimBytes) > 40 || len(payBytes) > 60 {
			return
		}
		// Claims: open balances from the bytes, references "r0".."r3"
		// (shared references form cases), debtors d0..d2.
		b := Book{Debtors: []Debtor{{Name: "d0", OrganizationNumber: "1"}, {Name: "d1", DisplayName: "x"}, {Name: "d2"}}}
		for i, c := range claimBytes {
			cl := claim(fmt.Sprintf("c%d", i), fmt.Sprintf("d%d", int(c)%3), fmt.Sprintf("2026-01-%02d", 1+int(c)%28),
				fmt.Sprintf("%d.%02d", int(c)*3, int(c)%100), fmt.Sprintf("r%d", int(c)%4))
			cl.Closed = c%17 == 0
			if c%5 == 0 {
				cl.Currency = "SEK"
				cl.Open.Currency = "SEK"
			}
			b.Claims = append(b.Claims, cl)
		}
		var ps []bankfile.Payment
		for i := 0; i+1 < len(payBytes); i += 2 {
			x, y := payBytes[i], payBytes[i+1]
			if y == 0 {
				y = 1
			}
			p := pay(fmt.Sprintf("p%d", int(x)%6), fmt.Sprintf("%d.%02d", int(y)*2, int(x)%100), fmt.Sprintf("r%d", int(x)%5))
			if x%7 == 0 {
				p.Reference, p.PayerOrgID = "", "1"
			}
			if x%11 == 0 {
				p.Amount.Currency = "SEK"
			}
			ps = append(ps, p)
		}
		owed := map[string]money.Money{}
		for _, c := range b.Claims {
			owed[c.Name] = c.Open
		}
		r := Match(b, ps)
		accounted := make([]money.Money, len(ps))
		for i, p := range ps {
			accounted[i] = money.Zero(p.Amount.Currency)
		}
		given := map[string]money.Money{}
		ids := map[string]bool{}
		for _, a := range r.Allocations {
			if !a.Amount.IsPositive() || !idRE.MatchString(a.ID) || ids[a.Claim+"/"+a.ID] {
				t.Fatalf("allocation %+v: want a positive amount and a valid id new to its claim", a)
			}
			ids[a.Claim+"/"+a.ID] = true
			accounted[a.Payment] = accounted[a.Payment].Add(a.Amount)
			if g, ok := given[a.Claim]; ok {
				given[a.Claim] = g.Add(a.Amount)
			} else {
				given[a.Claim] = a.Amount
			}
		}
		for name, g := range given {
			if g.Cmp(owed[name]) > 0 {
				t.Fatalf("claim %s got %s, owed %s", name, g, owed[name])
			}
		}
		for _, s := range r.Suspense {
			accounted[s.Payment] = accounted[s.Payment].Add(s.Amount)
		}
		skip := map[int]bool{}
		for _, d := range r.Duplicates {
			skip[d] = true
		}
		for i, p := range ps {
			if !skip[i] && accounted[i].Cmp(p.Amount) != 0 {
				t.Fatalf("payment %d (%s %s) accounted for %s", i, p.ID, p.Amount, accounted[i])
			}
		}
		// Idempotent: once recorded, nothing more is written and the same
		// amounts are suspended.
		record(&b, r)
		again := Match(b, ps)
		if len(again.Allocations) != 0 {
			t.Fatalf("matching again allocates %+v", again.Allocations)
		}
		sum := func(ss []Suspense) string {
			var out []string
			for _, s := range ss {
				out = append(out, fmt.Sprintf("%d:%s", s.Payment, s.Amount))
			}
			return strings.Join(out, " ")
		}
		if sum(again.Suspense) != sum(r.Suspense) {
			t.Fatalf("suspense changed on the second match: %s, was %s", sum(again.Suspense), sum(r.Suspense))
		}
	})
}
