// Package payout writes the creditor's payout as an ISO 20022
// pain.001.001.09 customer credit transfer initiation, the file Nordic
// banks accept for outgoing payments, and checks the account numbers it
// names (IBAN, Norwegian and Swedish domestic accounts).
//
// The XML is made from typed encoding/xml structs covering the subset of
// the schema one credit transfer needs; no maintained Go library for
// pain.001 is served here, and the subset is small.
package payout

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// Namespace of pain.001.001.09.
const Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

// Account is a bank account: an IBAN, or a domestic account number (BBAN).
type Account struct {
	IBAN string
	BBAN string
	BIC  string
}

// Transfer is one payout.
type Transfer struct {
	// MessageID and EndToEndID: at most 35 characters, unique per payout.
	MessageID, EndToEndID string
	Created               time.Time
	ExecutionDate         string // YYYY-MM-DD
	Amount                money.Money
	// Debtor is the agency paying out (its client-funds account), Creditor
	// the creditor receiving.
	DebtorName, CreditorName string
	From, To                 Account
	// Remittance text (at most 140 characters).
	Remittance string
}

// Document is the pain.001.001.09 root.
type Document struct {
	XMLName xml.Name        `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09 Document"`
	Init    CstmrCdtTrfInit `xml:"CstmrCdtTrfInitn"`
}

// CstmrCdtTrfInit is the message.
type CstmrCdtTrfInit struct {
	GrpHdr GroupHeader          `xml:"GrpHdr"`
	PmtInf []PaymentInstruction `xml:"PmtInf"`
}

// GroupHeader is the message header.
type GroupHeader struct {
	MsgID    string    `xml:"MsgId"`
	CreDtTm  string    `xml:"CreDtTm"`
	NbOfTxs  int       `xml:"NbOfTxs"`
	CtrlSum  string    `xml:"CtrlSum"`
	InitgPty PartyName `xml:"InitgPty"`
}

// PartyName is a party by name.
type PartyName struct {
	Nm string `xml:"Nm"`
}

// PaymentInstruction is one debit with its credit transfers.
type PaymentInstruction struct {
	PmtInfID    string        `xml:"PmtInfId"`
	PmtMtd      string        `xml:"PmtMtd"`
	NbOfTxs     int           `xml:"NbOfTxs"`
	CtrlSum     string        `xml:"CtrlSum"`
	ReqdExctnDt DateChoice    `xml:"ReqdExctnDt"`
	Dbtr        PartyName     `xml:"Dbtr"`
	DbtrAcct    CashAccount   `xml:"DbtrAcct"`
	DbtrAgt     Agent         `xml:"DbtrAgt"`
	CdtTrfTxInf []Transaction `xml:"CdtTrfTxInf"`
}

// DateChoice is ISO 20022 DateAndDateTime2Choice (a date here).
type DateChoice struct {
	Dt string `xml:"Dt"`
}

// CashAccount is an account by IBAN or other id.
type CashAccount struct {
	ID AccountID `xml:"Id"`
}

// AccountID is IBAN or Othr.
type AccountID struct {
	IBAN string        `xml:"IBAN,omitempty"`
	Othr *OtherAccount `xml:"Othr,omitempty"`
}

// OtherAccount is a domestic account number (scheme BBAN).
type OtherAccount struct {
	ID      string     `xml:"Id"`
	SchmeNm SchemeName `xml:"SchmeNm"`
}

// SchemeName names the identification scheme.
type SchemeName struct {
	Cd string `xml:"Cd"`
}

// Agent is a bank.
type Agent struct {
	FinInstnID FinInstn `xml:"FinInstnId"`
}

// FinInstn identifies a bank by BIC, or says it is not provided.
type FinInstn struct {
	BICFI string   `xml:"BICFI,omitempty"`
	Othr  *OtherID `xml:"Othr,omitempty"`
}

// OtherID is a plain identifier.
type OtherID struct {
	ID string `xml:"Id"`
}

// Transaction is one credit transfer.
type Transaction struct {
	PmtID    PaymentID   `xml:"PmtId"`
	Amt      Amount      `xml:"Amt"`
	CdtrAgt  *Agent      `xml:"CdtrAgt,omitempty"`
	Cdtr     PartyName   `xml:"Cdtr"`
	CdtrAcct CashAccount `xml:"CdtrAcct"`
	RmtInf   *Remittance `xml:"RmtInf,omitempty"`
}

// PaymentID holds the end-to-end id.
type PaymentID struct {
	InstrID    string `xml:"InstrId"`
	EndToEndID string `xml:"EndToEndId"`
}

// Amount is the instructed amount.
type Amount struct {
	InstdAmt CurrencyAmount `xml:"InstdAmt"`
}

// CurrencyAmount is an amount with its currency attribute.
type CurrencyAmount struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

// Remittance is unstructured remittance information.
type Remittance struct {
	Ustrd string `xml:"Ustrd"`
}

func cashAccount(a Account) CashAccount {
	if a.IBAN != "" {
		return CashAccount{ID: AccountID{IBAN: a.IBAN}}
	}
	return CashAccount{ID: AccountID{Othr: &OtherAccount{ID: a.BBAN, SchmeNm: SchemeName{Cd: "BBAN"}}}}
}

func agent(bic string) Agent {
	if bic == "" {
		return Agent{FinInstnID: FinInstn{Othr: &OtherID{ID: "NOTPROVIDED"}}}
	}
	return Agent{FinInstnID: FinInstn{BICFI: bic}}
}

func max35(s string) string {
	if len(s) > 35 {
		return s[:35]
	}
	return s
}

// Pain001 renders t as a pain.001.001.09 document.
func Pain001(t Transfer) ([]byte, error) {
	if !t.Amount.IsPositive() {
		return nil, fmt.Errorf("payout amount %s %s is not positive", t.Amount, t.Amount.Currency)
	}
	if t.From.IBAN == "" && t.From.BBAN == "" {
		return nil, fmt.Errorf("no account to pay from")
	}
	if t.To.IBAN == "" && t.To.BBAN == "" {
		return nil, fmt.Errorf("no account to pay to")
	}
	sum := t.Amount.String()
	tx := Transaction{
		PmtID:    PaymentID{InstrID: max35(t.EndToEndID), EndToEndID: max35(t.EndToEndID)},
		Amt:      Amount{InstdAmt: CurrencyAmount{Ccy: t.Amount.Currency, Value: sum}},
		Cdtr:     PartyName{Nm: truncate(t.CreditorName, 70)},
		CdtrAcct: cashAccount(t.To),
	}
	if t.To.BIC != "" {
		a := agent(t.To.BIC)
		tx.CdtrAgt = &a
	}
	if t.Remittance != "" {
		tx.RmtInf = &Remittance{Ustrd: truncate(t.Remittance, 140)}
	}
	doc := Document{Init: CstmrCdtTrfInit{
		GrpHdr: GroupHeader{MsgID: max35(t.MessageID), CreDtTm: t.Created.UTC().Format("2006-01-02T15:04:05Z"), NbOfTxs: 1, CtrlSum: sum,
			InitgPty: PartyName{Nm: truncate(t.DebtorName, 70)}},
		PmtInf: []PaymentInstruction{{
			PmtInfID: max35(t.MessageID), PmtMtd: "TRF", NbOfTxs: 1, CtrlSum: sum,
			ReqdExctnDt: DateChoice{Dt: t.ExecutionDate},
			Dbtr:        PartyName{Nm: truncate(t.DebtorName, 70)},
			DbtrAcct:    cashAccount(t.From),
			DbtrAgt:     agent(t.From.BIC),
			CdtTrfTxInf: []Transaction{tx},
		}},
	}}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding pain.001: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Parse reads a pain.001.001.09 document back.
func Parse(data []byte) (Document, error) {
	var d Document
	if err := xml.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("parsing pain.001: %w", err)
	}
	return d, nil
}

// truncate cuts s to n runes (ISO 20022 Max70Text, Max140Text).
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
