package bankfile

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// A small typed reader rather than a library: the one Go ISO 20022 library
// (moov-io/iso20022) is deprecated by its authors and is generated code with
// one type per message version, while a payment in needs about a dozen
// elements read alike in every camt.053/054 version.
//
// The camt types name only the elements a payment in needs, by local name,
// so every message version (.001.02 to .001.13, whose namespaces differ)
// reads alike; encoding/xml expands no entities, so hostile XML cannot
// blow up.
type camtDoc struct {
	Ntfctn []camtReport `xml:"BkToCstmrDbtCdtNtfctn>Ntfctn"`
	Stmt   []camtReport `xml:"BkToCstmrStmt>Stmt"`
}

type camtReport struct {
	Ntry []camtEntry `xml:"Ntry"`
}

type camtAmt struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

// camtStatus is <Sts>BOOK</Sts> up to version 07 and <Sts><Cd>BOOK</Cd></Sts> after.
type camtStatus struct {
	Text string `xml:",chardata"`
	Cd   string `xml:"Cd"`
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtEntry struct {
	NtryRef     string     `xml:"NtryRef"`
	Amt         camtAmt    `xml:"Amt"`
	CdtDbtInd   string     `xml:"CdtDbtInd"`
	RvslInd     string     `xml:"RvslInd"`
	Sts         camtStatus `xml:"Sts"`
	BookgDt     camtDate   `xml:"BookgDt"`
	ValDt       camtDate   `xml:"ValDt"`
	AcctSvcrRef string     `xml:"AcctSvcrRef"`
	TxDtls      []camtTx   `xml:"NtryDtls>TxDtls"`
}

type camtTx struct {
	AcctSvcrRef string   `xml:"Refs>AcctSvcrRef"`
	Amt         *camtAmt `xml:"Amt"`
	TxAmt       *camtAmt `xml:"AmtDtls>TxAmt>Amt"`
	CdtDbtInd   string   `xml:"CdtDbtInd"`
	Parties     struct {
		Dbtr struct {
			Nm       string `xml:"Nm"`
			PtyNm    string `xml:"Pty>Nm"`
			OrgID    string `xml:"Id>OrgId>Othr>Id"`
			PtyOrgID string `xml:"Pty>Id>OrgId>Othr>Id"`
		} `xml:"Dbtr"`
		Acct struct {
			IBAN string `xml:"Id>IBAN"`
			Othr string `xml:"Id>Othr>Id"`
		} `xml:"DbtrAcct"`
	} `xml:"RltdPties"`
	Strd []struct {
		Ref string `xml:"CdtrRefInf>Ref"`
	} `xml:"RmtInf>Strd"`
}

// ParseCamt reads an ISO 20022 camt.054 or camt.053 message. Each booked
// credit entry is a payment, or, when the entry batches several
// transactions (Finnish reference payments are reported so), each of its
// credit transactions is one. Debits, reversals and entries not booked are
// listed as skipped.
func ParseCamt(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes is more than a bank file (%d)", name, len(data), MaxSize)
	}
	var doc camtDoc
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "iso-8859-1") || strings.EqualFold(charset, "latin1") {
			b, err := io.ReadAll(in)
			return strings.NewReader(latin1Always(b)), err
		}
		return nil, fmt.Errorf("encoding %q is not supported (want UTF-8 or ISO-8859-1)", charset)
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a readable camt message: %w", name, err)
	}
	f := &File{}
	reports := doc.Ntfctn
	switch {
	case len(doc.Ntfctn) > 0 && len(doc.Stmt) > 0:
		return nil, fmt.Errorf("%s: holds both a notification and a statement", name)
	case len(doc.Ntfctn) > 0:
		f.Format = Camt054
	case len(doc.Stmt) > 0:
		f.Format, reports = Camt053, doc.Stmt
	default:
		return nil, fmt.Errorf("%s: no BkToCstmrDbtCdtNtfctn/Ntfctn (camt.054) or BkToCstmrStmt/Stmt (camt.053) found", name)
	}
	n := 0
	for _, r := range reports {
		for _, e := range r.Ntry {
			n++
			if err := f.camtEntry(name, n, e); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

func (f *File) camtEntry(name string, n int, e camtEntry) error {
	where := fmt.Sprintf("%s entry %d", name, n)
	base := strings.TrimSpace(e.AcctSvcrRef)
	if base == "" {
		base = strings.TrimSpace(e.NtryRef)
	}
	if base != "" {
		where += " (" + base + ")"
	}
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	switch {
	case strings.TrimSpace(e.CdtDbtInd) != "CRDT":
		f.Skipped = append(f.Skipped, Skipped{Source: where, Reason: fmt.Sprintf("CdtDbtInd %q: not a credit", e.CdtDbtInd)})
		return nil
	case strings.TrimSpace(e.RvslInd) == "true":
		f.Skipped = append(f.Skipped, Skipped{Source: where, Reason: "a reversal (RvslInd), not a payment in"})
		return nil
	case status != "BOOK":
		f.Skipped = append(f.Skipped, Skipped{Source: where, Reason: fmt.Sprintf("status %q: not booked", status)})
		return nil
	}
	entryAmt, err := camtMoney(e.Amt)
	if err != nil {
		return fmt.Errorf("%s: Amt: %w", where, err)
	}
	booked, err := camtDay(e.BookgDt)
	if err != nil {
		return fmt.Errorf("%s: BookgDt: %w", where, err)
	}
	if strings.TrimSpace(e.AcctSvcrRef) == "" && base != "" {
		// NtryRef is unique only within one report (often 1, 2, 3…):
		// the booking day makes it an id that does not recur tomorrow.
		base = "ntry-" + dateDigits(booked) + "-" + base
	}
	var value civil.Date
	if e.ValDt.Dt != "" || e.ValDt.DtTm != "" {
		if value, err = camtDay(e.ValDt); err != nil {
			return fmt.Errorf("%s: ValDt: %w", where, err)
		}
	}
	txs := e.TxDtls
	if len(txs) == 0 {
		txs = []camtTx{{}}
	}
	// A transaction's own AcctSvcrRef is its id unless it repeats the
	// entry's or another transaction's; then entry reference and position.
	seen := map[string]int{}
	for _, tx := range txs {
		seen[strings.TrimSpace(tx.AcctSvcrRef)]++
	}
	sum := money.Zero(entryAmt.Currency)
	for i, tx := range txs {
		txWhere := where
		if len(txs) > 1 {
			txWhere = fmt.Sprintf("%s transaction %d", where, i+1)
		}
		amt := entryAmt
		switch {
		case tx.Amt != nil:
			amt, err = camtMoney(*tx.Amt)
		case tx.TxAmt != nil:
			amt, err = camtMoney(*tx.TxAmt)
		case len(txs) > 1:
			err = fmt.Errorf("no amount (Amt or AmtDtls/TxAmt/Amt) in one of several transactions")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", txWhere, err)
		}
		if amt.Currency != entryAmt.Currency {
			return fmt.Errorf("%s: currency %s differs from the entry's %s", txWhere, amt.Currency, entryAmt.Currency)
		}
		if d := strings.TrimSpace(tx.CdtDbtInd); d != "" && d != "CRDT" {
			f.Skipped = append(f.Skipped, Skipped{Source: txWhere, Reason: fmt.Sprintf("CdtDbtInd %q: not a credit", d)})
			sum = sum.Sub(amt)
			continue
		}
		sum = sum.Add(amt)
		ref := strings.TrimSpace(tx.AcctSvcrRef)
		var id string
		switch {
		case ref != "" && (len(txs) == 1 || ref != base && seen[ref] == 1):
			id = ID(ref)
		case base == "":
			return fmt.Errorf("%s: no bank reference (AcctSvcrRef or NtryRef): it could not be imported only once", txWhere)
		case len(txs) == 1:
			id, ref = ID(base), base
		default:
			id, ref = ID(base, fmt.Sprint(i+1)), fmt.Sprintf("%s/%d", base, i+1)
		}
		p := Payment{ID: id, BankRef: ref, Amount: amt, BookingDate: booked, ValueDate: value,
			Source: txWhere, Format: f.Format}
		for _, s := range tx.Strd {
			if r := normalizeRef(s.Ref); r != "" && p.Reference == "" {
				p.Reference = r
			} else if r != "" && r != p.Reference {
				p.OtherReferences = append(p.OtherReferences, r)
			}
		}
		d := tx.Parties.Dbtr
		p.PayerName = strings.TrimSpace(first(d.Nm, d.PtyNm))
		p.PayerOrgID = strings.TrimSpace(first(d.OrgID, d.PtyOrgID))
		p.PayerAccount = strings.TrimSpace(first(tx.Parties.Acct.IBAN, tx.Parties.Acct.Othr))
		if !amt.IsPositive() {
			f.Skipped = append(f.Skipped, Skipped{Source: txWhere, Reason: "amount " + amt.String() + ": not a payment in"})
			continue
		}
		f.Payments = append(f.Payments, p)
	}
	if len(e.TxDtls) > 1 && sum.Cmp(entryAmt) != 0 {
		return fmt.Errorf("%s: its transactions sum to %s, the entry says %s", where, sum, entryAmt)
	}
	return nil
}

func first(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

func camtMoney(a camtAmt) (money.Money, error) {
	ccy := strings.TrimSpace(a.Ccy)
	if len(ccy) != 3 || strings.ToUpper(ccy) != ccy || strings.Trim(ccy, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return money.Money{}, fmt.Errorf("currency (Ccy) %q is not an ISO 4217 code", a.Ccy)
	}
	return money.Parse(strings.TrimSpace(a.Value), ccy)
}

func camtDay(d camtDate) (civil.Date, error) {
	s := strings.TrimSpace(d.Dt)
	if s == "" {
		s = strings.TrimSpace(d.DtTm)
		if len(s) >= 10 {
			s = s[:10]
		}
	}
	if s == "" {
		return civil.Date{}, fmt.Errorf("missing (want Dt or DtTm)")
	}
	return civil.Parse(s)
}

// latin1Always decodes ISO 8859-1 bytes into UTF-8.
func latin1Always(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
