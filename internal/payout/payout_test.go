package payout

import (
	"strings"
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

func TestPain001ParsesBackWithTheSameTotals(t *testing.T) {
	tr := Transfer{MessageID: "stl-acme-2027-10-0123456789abcdef0123456789", EndToEndID: "stl-2027-10",
		Created: time.Date(2027, 11, 1, 8, 0, 0, 0, time.UTC), ExecutionDate: "2027-11-01",
		Amount: money.MustParse("1762.35", "NOK"), DebtorName: "Inkasso AS", CreditorName: "Acme AS",
		From: Account{BBAN: "12345678903"}, To: Account{IBAN: "NO9386011117947", BIC: "DNBANOKK"},
		Remittance: "Settlement 2027-10-01..2027-10-31"}
	data, err := Pain001(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"`) {
		t.Fatalf("no pain.001.001.09 namespace:\n%s", data)
	}
	doc, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	h, p := doc.Init.GrpHdr, doc.Init.PmtInf
	if h.NbOfTxs != 1 || h.CtrlSum != "1762.35" || len(h.MsgID) > 35 || len(p) != 1 || p[0].CtrlSum != "1762.35" {
		t.Fatalf("header %+v, %d payment instructions", h, len(p))
	}
	tx := p[0].CdtTrfTxInf
	if len(tx) != 1 || tx[0].Amt.InstdAmt.Value != "1762.35" || tx[0].Amt.InstdAmt.Ccy != "NOK" ||
		tx[0].CdtrAcct.ID.IBAN != "NO9386011117947" || p[0].DbtrAcct.ID.Othr == nil || p[0].DbtrAcct.ID.Othr.ID != "12345678903" ||
		p[0].ReqdExctnDt.Dt != "2027-11-01" || p[0].DbtrAgt.FinInstnID.Othr == nil {
		t.Fatalf("transaction %+v, instruction %+v", tx, p[0])
	}
	if _, err := Pain001(Transfer{Amount: money.MustParse("-1.00", "NOK")}); err == nil {
		t.Fatal("a negative payout made a file")
	}
}

func TestAccountChecks(t *testing.T) {
	for _, ok := range []string{"NO9386011117947", "SE4550000000058398257466", "FI2112345600000785", "GB82WEST12345698765432"} {
		if err := CheckIBAN(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"NO9386011117948", "SE4550000000058398257467", "NO93"} {
		if err := CheckIBAN(bad); err == nil {
			t.Errorf("%s passed", bad)
		}
	}
	if err := CheckNorwegianAccount("86011117947"); err != nil {
		t.Error(err)
	}
	if err := CheckNorwegianAccount("86011117948"); err == nil {
		t.Error("a wrong MOD11 check digit passed")
	}
}
