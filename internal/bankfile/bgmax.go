package bankfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
)

// ParseBgMax reads a Bankgirot BgMax file (Sweden): a start record (01),
// sections of an opening record (05: the receiving bankgiro and currency),
// payments (20) and deductions (21) each followed by its information (25),
// name (26), address (27, 28) and organisation number (29) records, and a
// deposit record (15: the payment date and the section's amount), then an
// end record (70) whose counts are checked. Each payment's reference is its
// OCR number (TK20), or with reference code 3 the references of its
// information records. Deductions (credit notes the payer subtracted) and
// extra-reference records (22, 23) are listed as skipped money for finance.
func ParseBgMax(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes is more than a bank file (%d)", name, len(data), MaxSize)
	}
	lines, err := records(name, data, 80)
	if err != nil {
		return nil, err
	}
	p := bgParser{name: name, f: &File{Format: BgMax}}
	for i, l := range lines {
		if l == nil {
			continue
		}
		if err := p.record(i+1, l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
	}
	if !p.ended {
		return nil, fmt.Errorf("%s: ends without the end record (70): the file is incomplete", name)
	}
	return p.f, nil
}

type bgItem struct {
	p     Payment
	code  byte // reference code
	kind  string
	info  []string
	line  int  // where it is, for errors
	extra bool // a deduction or extra reference: money for finance, not a payment
}

type bgParser struct {
	name           string
	f              *File
	started, ended bool
	// the section
	inSection bool
	bankgiro  string
	currency  string
	items     []*bgItem
	// counts for the end record
	payments, deductions, extras, deposits int
}

func (p *bgParser) record(line int, r []byte) error {
	tk := string(r[:2])
	if p.ended {
		return fmt.Errorf("record after the end record (70)")
	}
	if !p.started && tk != "01" {
		return fmt.Errorf("the first record must be the start record 01BGMAX")
	}
	switch tk {
	case "01":
		if p.started || strings.TrimSpace(string(r[2:22])) != "BGMAX" {
			return fmt.Errorf("start record: want BGMAX once, at the top")
		}
		p.started = true
	case "05":
		if p.inSection {
			return fmt.Errorf("opening record (05) before the deposit record (15) of the section before")
		}
		if !digits(r[2:12]) {
			return fmt.Errorf("receiving bankgiro number %q is not digits", r[2:12])
		}
		p.inSection, p.bankgiro, p.items = true, strings.TrimLeft(string(r[2:12]), "0"), nil
		p.currency = strings.TrimSpace(string(r[22:25]))
		if p.currency == "" {
			p.currency = "SEK"
		}
		if p.currency != "SEK" && p.currency != "EUR" {
			return fmt.Errorf("currency %q: want SEK or EUR", p.currency)
		}
	case "20", "21", "22", "23":
		if !p.inSection {
			return fmt.Errorf("payment record outside a section (no opening record 05)")
		}
		amt, err := minorAmount(r[37:55], p.currency)
		if err != nil {
			return err
		}
		it := &bgItem{code: r[55], kind: tk, line: line, extra: tk != "20"}
		it.p = Payment{Amount: amt, Reference: normalizeRef(string(r[12:37])), BankRef: strings.TrimSpace(string(r[57:69])),
			Source: fmt.Sprintf("%s:%d", p.name, line), Format: BgMax}
		if acct := strings.TrimLeft(strings.TrimSpace(string(r[2:12])), "0"); acct != "" {
			it.p.PayerAccount = acct
		}
		if tk == "20" && it.code != ' ' && (it.code < '0' || it.code > '5') {
			return fmt.Errorf("reference code %q: want 0 to 5", it.code)
		}
		if tk == "20" || tk == "21" {
			if tk == "20" {
				p.payments++
			} else {
				p.deductions++
			}
			p.items = append(p.items, it)
		} else {
			p.extras++
			p.items = append(p.items, it)
		}
	case "25", "26", "27", "28", "29":
		if len(p.items) == 0 {
			return fmt.Errorf("record %s without a payment before it", tk)
		}
		it := p.items[len(p.items)-1]
		switch tk {
		case "25":
			if t := strings.TrimSpace(latin1(r[2:52])); t != "" {
				it.info = append(it.info, t)
			}
		case "26":
			it.p.PayerName = strings.TrimSpace(latin1(r[2:37]))
		case "29":
			it.p.PayerOrgID = strings.TrimLeft(strings.TrimSpace(string(r[2:14])), "0")
		}
	case "15":
		if !p.inSection {
			return fmt.Errorf("deposit record (15) without an opening record (05)")
		}
		return p.deposit(r)
	case "70":
		for i, want := range []int{p.payments, p.deductions, p.extras, p.deposits} {
			fld := r[2+8*i : 10+8*i]
			n, err := strconv.Atoi(string(fld))
			if err != nil || !digits(fld) {
				return fmt.Errorf("end record count %q is not digits", fld)
			}
			if n != want {
				return fmt.Errorf("end record says %d %s, the file holds %d: the file is damaged or incomplete",
					n, []string{"payments", "deductions", "extra references", "deposits"}[i], want)
			}
		}
		if p.inSection {
			return fmt.Errorf("end record before the deposit record (15) of the last section")
		}
		p.ended = true
	default:
		return fmt.Errorf("record type %s is not a BgMax record (01, 05, 15, 20-29, 70)", tk)
	}
	return nil
}

func (p *bgParser) deposit(r []byte) error {
	p.deposits++
	date, err := civil.Parse(string(r[37:41]) + "-" + string(r[41:43]) + "-" + string(r[43:45]))
	if err != nil || !digits(r[37:45]) {
		return fmt.Errorf("payment date %q is not YYYYMMDD", r[37:45])
	}
	if c := strings.TrimSpace(string(r[68:71])); c != "" && c != p.currency {
		return fmt.Errorf("deposit currency %s differs from the section's %s", c, p.currency)
	}
	total, err := minorAmount(r[50:68], p.currency)
	if err != nil {
		return fmt.Errorf("deposit amount: %w", err)
	}
	sum, withExtras := money.Zero(p.currency), money.Zero(p.currency)
	for _, it := range p.items {
		switch it.kind {
		case "20":
			sum, withExtras = sum.Add(it.p.Amount), withExtras.Add(it.p.Amount)
		case "21":
			sum, withExtras = sum.Sub(it.p.Amount), withExtras.Sub(it.p.Amount)
		case "22":
			withExtras = withExtras.Add(it.p.Amount)
		case "23":
			withExtras = withExtras.Sub(it.p.Amount)
		}
	}
	if sum.Cmp(total) != 0 && withExtras.Cmp(total) != 0 {
		return fmt.Errorf("deposit of %s %s, but its payments less deductions sum to %s: the file is damaged", total, p.currency, sum)
	}
	depSerial := strings.TrimSpace(string(r[45:50]))
	for i, it := range p.items {
		it.p.BookingDate = date
		serial := it.p.BankRef
		if serial == "" || strings.Trim(serial, "0") == "" {
			// no BGC serial number: the payment's place in its deposit
			serial = fmt.Sprintf("%s-%s-%d", dateDigits(date), depSerial, i+1)
		}
		it.p.ID = ID("bgmax", p.bankgiro, serial)
		it.p.BankRef = p.bankgiro + " " + serial
		if it.code == '3' {
			// the references are in the information records
			it.p.Reference = ""
			for _, t := range it.info {
				if r := normalizeRef(t); r != "" && len(strings.Fields(t)) == 1 {
					if it.p.Reference == "" {
						it.p.Reference = r
					} else if r != it.p.Reference {
						it.p.OtherReferences = append(it.p.OtherReferences, r)
					}
				}
			}
		}
		if it.code == '0' || it.code == '1' {
			it.p.Reference = ""
		}
		if it.extra {
			what := map[string]string{"21": "deduction (a credit note the payer subtracted)", "22": "extra reference of a payment", "23": "negative extra reference of a payment"}[it.kind]
			p.f.Skipped = append(p.f.Skipped, Skipped{Source: it.p.Source, Reason: what + " of " + it.p.Amount.String() + " " + p.currency + ": book it by hand",
				Money: true, Amount: it.p.Amount, Reference: it.p.Reference})
			continue
		}
		if !it.p.Amount.IsPositive() {
			p.f.Skipped = append(p.f.Skipped, Skipped{Source: it.p.Source, Reason: "amount 0.00: not a payment in"})
			continue
		}
		p.f.Payments = append(p.f.Payments, it.p)
	}
	p.inSection, p.items = false, nil
	return nil
}
