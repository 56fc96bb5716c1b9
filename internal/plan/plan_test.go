package plan

import (
	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func day(s string) civil.Date {
	t, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func nok(s string) money.Money { return money.MustParse(s, "NOK") }

func TestEvaluate(t *testing.T) {
	// Three installments of 1000 over a year end and a leap day.
	inst := []Installment{
		{Due: day("2027-12-31"), Amount: nok("1000")},
		{Due: day("2028-01-31"), Amount: nok("1000")},
		{Due: day("2028-02-29"), Amount: nok("1000")},
	}
	tests := []struct {
		name      string
		pays      []Payment
		today     string
		grace     int
		want      State
		idx       int
		shortfall string
		check     string // CheckOn (OnTrack) or MissedOn (Missed)
	}{
		{name: "before the first installment", today: "2027-12-15", want: OnTrack, idx: 0, check: "2028-01-01"},
		{name: "first due today, unpaid, still on track", today: "2027-12-31", want: OnTrack, idx: 0, check: "2028-01-01"},
		{name: "first missed the next day", today: "2028-01-01", want: Missed, idx: 0, shortfall: "1000.00", check: "2028-01-01"},
		{name: "grace period keeps it on track", today: "2028-01-05", grace: 7, want: OnTrack, idx: 0, check: "2028-01-08"},
		{name: "first paid on time", pays: []Payment{{day("2027-12-30"), nok("1000")}}, today: "2028-01-10", want: OnTrack, idx: 1, check: "2028-02-01"},
		{name: "partial payment is a miss", pays: []Payment{{day("2027-12-30"), nok("999.99")}}, today: "2028-01-10", want: Missed, idx: 0, shortfall: "0.01", check: "2028-01-01"},
		{name: "late payment does not heal a broken plan", pays: []Payment{{day("2028-01-02"), nok("1000")}}, today: "2028-01-10", want: Missed, idx: 0, shortfall: "1000.00", check: "2028-01-01"},
		{name: "paying ahead covers later installments", pays: []Payment{{day("2027-12-01"), nok("2000")}}, today: "2028-02-15", want: OnTrack, idx: 2, check: "2028-03-01"},
		{name: "leap-day installment missed on 1 March", pays: []Payment{{day("2027-12-01"), nok("2000")}}, today: "2028-03-01", want: Missed, idx: 2, shortfall: "1000.00", check: "2028-03-01"},
		{name: "all met", pays: []Payment{{day("2027-12-31"), nok("1000")}, {day("2028-01-31"), nok("1000")}, {day("2028-02-29"), nok("1000")}}, today: "2028-06-01", want: Completed, idx: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Evaluate(inst, tt.pays, day(tt.today), tt.grace)
			if err != nil {
				t.Fatal(err)
			}
			if v.State != tt.want || v.Installment != tt.idx {
				t.Fatalf("got %s at installment %d, want %s at %d", v.State, v.Installment, tt.want, tt.idx)
			}
			switch v.State {
			case Missed:
				if v.Shortfall.String() != tt.shortfall || v.MissedOn.String() != tt.check {
					t.Errorf("shortfall %s missed on %s, want %s on %s", v.Shortfall, v.MissedOn.String(), tt.shortfall, tt.check)
				}
			case OnTrack:
				if v.CheckOn.String() != tt.check {
					t.Errorf("check on %s, want %s", v.CheckOn.String(), tt.check)
				}
			}
		})
	}
}

func TestEvaluateRejectsBadInput(t *testing.T) {
	if _, err := Evaluate(nil, nil, day("2028-01-01"), 0); err == nil {
		t.Error("an empty plan was accepted")
	}
	mixed := []Installment{{Due: day("2028-01-01"), Amount: nok("1")}, {Due: day("2028-02-01"), Amount: money.MustParse("1", "SEK")}}
	if _, err := Evaluate(mixed, nil, day("2028-01-01"), 0); err == nil {
		t.Error("installments in two currencies were accepted")
	}
}

func TestEvaluateOrderIndependent(t *testing.T) {
	a := []Installment{{Due: day("2028-01-01"), Amount: nok("10")}, {Due: day("2028-02-01"), Amount: nok("20")}}
	b := []Installment{a[1], a[0]}
	pays := []Payment{{day("2028-01-01"), nok("10")}}
	va, _ := Evaluate(a, pays, day("2028-02-02"), 0)
	vb, _ := Evaluate(b, pays, day("2028-02-02"), 0)
	if va.State != Missed || vb.State != va.State || !va.Shortfall.Amount.Equal(vb.Shortfall.Amount) {
		t.Errorf("order changed the verdict: %+v vs %+v", va, vb)
	}
}
