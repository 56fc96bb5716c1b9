package fees

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Split divides a case fee over the case's claims in proportion to their
// principals, in whole minor units, so that the parts sum exactly to the fee:
// each claim gets the floor of its share, and the minor units left go one by
// one to the claims with the largest remainders (ties: the earlier claim).
// Claims with no principal get nothing unless every principal is zero, when
// the fee is split evenly.
func Split(fee money.Money, principals []money.Money) ([]money.Money, error) {
	n := len(principals)
	if n == 0 {
		return nil, fmt.Errorf("no claims to split a fee over")
	}
	digits := money.MinorDigits(fee.Currency)
	unit := decimal.New(1, -digits)
	units := fee.Amount.Div(unit).IntPart()
	weights := make([]decimal.Decimal, n)
	total := decimal.Zero
	for i, p := range principals {
		if p.Currency != fee.Currency {
			return nil, fmt.Errorf("claim %d is in %s, the fee in %s", i, p.Currency, fee.Currency)
		}
		w := decimal.Max(p.Amount, decimal.Zero)
		weights[i], total = w, total.Add(w)
	}
	if total.IsZero() {
		for i := range weights {
			weights[i] = decimal.NewFromInt(1)
		}
		total = decimal.NewFromInt(int64(n))
	}
	type part struct {
		i     int
		units int64
		rest  decimal.Decimal
	}
	parts := make([]part, n)
	var given int64
	for i, w := range weights {
		exact := decimal.NewFromInt(units).Mul(w).Div(total)
		floor := exact.Floor()
		parts[i] = part{i: i, units: floor.IntPart(), rest: exact.Sub(floor)}
		given += floor.IntPart()
	}
	order := append([]part(nil), parts...)
	sort.SliceStable(order, func(a, b int) bool { return order[a].rest.GreaterThan(order[b].rest) })
	for k := int64(0); k < units-given; k++ {
		parts[order[k%int64(n)].i].units++
	}
	out := make([]money.Money, n)
	for i, p := range parts {
		out[i] = money.Money{Currency: fee.Currency, Amount: decimal.NewFromInt(p.units).Mul(unit)}
	}
	return out, nil
}
