package fees

import "github.com/shopspring/decimal"

func decimalFromOre(x int64) decimal.Decimal { return decimal.New(x, -2) }
