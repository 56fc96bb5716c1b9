package balance

import "testing"

func TestCompute(t *testing.T) {
	tests := []struct {
		name                 string
		in                   Input
		principal, out, fees string
		settled              bool
	}{
		{"unpaid", Input{Amount: "1000"}, "1000.00", "1000.00", "0.00", false},
		{"fees add up", Input{Amount: "1000", Fees: []string{"35.00", "", "175.00"}}, "1000.00", "1210.00", "210.00", false},
		{"partial payment and credit", Input{Amount: "1000", Credits: []string{"100"}, Payments: []string{"250.50"}}, "900.00", "649.50", "0.00", false},
		{"paid in full", Input{Amount: "1000", Fees: []string{"35"}, Payments: []string{"1000", "35"}}, "1000.00", "0.00", "35.00", true},
		{"over-payment shows negative", Input{Amount: "100", Payments: []string{"120"}}, "100.00", "-20.00", "0.00", true},
		{"credited to zero", Input{Amount: "100", Credits: []string{"150"}}, "0.00", "0.00", "0.00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Currency = "NOK"
			b, err := Compute(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if b.Principal.String() != tt.principal || b.Outstanding.String() != tt.out || b.Fees.String() != tt.fees || b.Settled() != tt.settled {
				t.Fatalf("got principal %s outstanding %s fees %s settled %v", b.Principal, b.Outstanding, b.Fees, b.Settled())
			}
		})
	}
	if _, err := Compute(Input{Currency: "NOK", Amount: "1", Payments: []string{"x"}}); err == nil {
		t.Fatal("a bad payment amount gave no error")
	}
}
