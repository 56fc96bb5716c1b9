package ledger

import "github.com/shopspring/decimal"

// decimalOf reads x as øre.
func decimalOf(x int64) decimal.Decimal { return decimal.New(x, -2) }
