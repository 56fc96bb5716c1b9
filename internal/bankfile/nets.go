package bankfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
)

// ParseNetsOCR reads a Nets OCR giro file (Norway): a transmission
// (records 10 and 89) of assignments (20 and 88), each of transactions of
// an amount item 1 (30: settlement date, archive position, amount, KID), an
// amount item 2 (31: bank date, payer account) and for free-text payments
// an amount item 3 (32). The totals of records 88 and 89 are checked, so a
// truncated file fails instead of losing payments. Reversals (a negative
// amount, transaction types 18 and 20) are listed as skipped for finance.
// Assignments of other services (AvtaleGiro requests) are skipped whole.
func ParseNetsOCR(name string, data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes is more than a bank file (%d)", name, len(data), MaxSize)
	}
	lines, err := records(name, data, 80)
	if err != nil {
		return nil, err
	}
	f := &File{Format: NetsOCR}
	p := netsParser{name: name, f: f}
	for i, l := range lines {
		if l == nil {
			continue
		}
		if err := p.record(i+1, l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
	}
	if p.state != netsDone {
		return nil, fmt.Errorf("%s: ends without the end-of-transmission record (NY000089): the file is incomplete", name)
	}
	return f, nil
}

type netsState int

const (
	netsStart   netsState = iota // want record 10
	netsBetween                  // want 20 or 89
	netsIn                       // in an assignment: 30, 31, 32 or 88
	netsDone                     // after 89
)

type netsParser struct {
	name  string
	f     *File
	state netsState

	// the assignment
	service, account string
	skipAssignment   bool
	txCount, records int
	total, net       int64 // gross and net of reversals: banks' totals differ
	// the transmission
	allTx, allRecords int
	allTotal, allNet  int64
	// the open transaction (record 30 read, 31 pending)
	open     *Payment
	openSign byte
	openNo   string
	openLine int
}

func (p *netsParser) record(line int, r []byte) error {
	if string(r[:2]) != "NY" {
		return fmt.Errorf("record does not start with NY")
	}
	service, kind := string(r[2:4]), string(r[6:8])
	if p.state == netsDone {
		return fmt.Errorf("record after the end of the transmission")
	}
	if p.state == netsIn {
		p.records++
	}
	p.allRecords++
	switch kind {
	case "10":
		if p.state != netsStart || service != "00" {
			return fmt.Errorf("unexpected start-of-transmission record")
		}
		p.state = netsBetween
	case "20":
		if p.state != netsBetween {
			return fmt.Errorf("start of assignment (record 20) inside another assignment")
		}
		p.state, p.service, p.account = netsIn, service, string(r[24:35])
		p.skipAssignment = service != "09"
		p.txCount, p.records, p.total, p.net = 0, 1, 0, 0
		if !p.skipAssignment && !digits(r[24:35]) {
			return fmt.Errorf("assignment account %q is not 11 digits", r[24:35])
		}
		if p.skipAssignment {
			p.f.Skipped = append(p.f.Skipped, Skipped{Source: fmt.Sprintf("%s:%d", p.name, line),
				Reason: "assignment of service " + service + " (not OCR giro, service 09): not payments in"})
		}
	case "30", "31", "32":
		if p.state != netsIn {
			return fmt.Errorf("transaction record outside an assignment")
		}
		if p.skipAssignment {
			return nil
		}
		if service != "09" {
			return fmt.Errorf("service code %s inside an OCR giro assignment", service)
		}
		return p.transaction(line, kind, r)
	case "88":
		if p.state != netsIn {
			return fmt.Errorf("end of assignment (record 88) without a start")
		}
		if err := p.closeTx(); err != nil {
			return err
		}
		if !p.skipAssignment {
			n, recs, total, err := netsTotals(r)
			if err != nil {
				return err
			}
			if n != p.txCount || recs != p.records || total != p.total && total != p.net {
				return fmt.Errorf("assignment totals say %d transactions, %d records, %d øre; the file holds %d, %d, %d: the file is damaged or incomplete",
					n, recs, total, p.txCount, p.records, p.total)
			}
		}
		p.allTx += p.txCount
		p.allTotal += p.total
		p.allNet += p.net
		p.state = netsBetween
	case "89":
		if p.state != netsBetween || service != "00" {
			return fmt.Errorf("end of transmission (record 89) inside an assignment")
		}
		n, recs, total, err := netsTotals(r)
		if err != nil {
			return err
		}
		if n != p.allTx || recs != p.allRecords || total != p.allTotal && total != p.allNet {
			if !p.anySkipped() {
				return fmt.Errorf("transmission totals say %d transactions, %d records, %d øre; the file holds %d, %d, %d: the file is damaged or incomplete",
					n, recs, total, p.allTx, p.allRecords, p.allTotal)
			}
		}
		p.state = netsDone
	default:
		return fmt.Errorf("record type %s is not a Nets OCR giro record (10, 20, 30, 31, 32, 88, 89)", kind)
	}
	return nil
}

// anySkipped: the transmission totals count assignments of other services
// too, whose transactions this parser does not add up.
func (p *netsParser) anySkipped() bool {
	for _, s := range p.f.Skipped {
		if strings.Contains(s.Reason, "assignment of service") {
			return true
		}
	}
	return false
}

func netsTotals(r []byte) (n, recs int, total int64, err error) {
	if !digits(r[8:16]) || !digits(r[16:24]) || !digits(r[24:41]) {
		return 0, 0, 0, fmt.Errorf("totals (positions 9-41) are not digits")
	}
	n, _ = strconv.Atoi(string(r[8:16]))
	recs, _ = strconv.Atoi(string(r[16:24]))
	total, err = strconv.ParseInt(string(r[24:41]), 10, 64)
	return n, recs, total, err
}

func (p *netsParser) transaction(line int, kind string, r []byte) error {
	no := string(r[8:15])
	switch kind {
	case "30":
		if err := p.closeTx(); err != nil {
			return err
		}
		date, err := netsDate(r[15:21])
		if err != nil {
			return fmt.Errorf("settlement date: %w", err)
		}
		for _, fld := range [][]byte{r[8:15], r[21:31]} {
			if !digits(fld) {
				return fmt.Errorf("transaction number or archive position %q is not digits", fld)
			}
		}
		sign := r[31]
		if sign != '0' && sign != '-' {
			return fmt.Errorf("sign %q: want 0 or -", sign)
		}
		amt, err := minorAmount(r[32:49], "NOK")
		if err != nil {
			return err
		}
		kid := strings.TrimSpace(string(r[49:74]))
		if kid != "" && !digits([]byte(kid)) {
			return fmt.Errorf("KID %q is not digits", kid)
		}
		p.txCount++
		p.total += amt.Amount.Shift(2).IntPart()
		if sign == '-' {
			p.net -= amt.Amount.Shift(2).IntPart()
		} else {
			p.net += amt.Amount.Shift(2).IntPart()
		}
		pos := string(r[21:31]) // centre, day code, partial settlement, serial
		p.open = &Payment{ID: ID("nets", p.account, dateDigits(date), pos, no), BankRef: pos + "/" + no,
			Amount: amt, BookingDate: date, Reference: kid, Source: fmt.Sprintf("%s:%d", p.name, line), Format: NetsOCR}
		p.openSign, p.openNo, p.openLine = sign, no, line
	case "31":
		if p.open == nil || no != p.openNo {
			return fmt.Errorf("amount item 2 (record 31) of transaction %s without its amount item 1", no)
		}
		if acct := strings.Trim(string(r[47:58]), " 0"); acct != "" {
			p.open.PayerAccount = string(r[47:58])
		}
		// The bank's archive reference names the transaction; without one
		// (all zeros), its settlement position and transaction number do.
		if archive := string(r[25:34]); digits(r[25:34]) && strings.Trim(archive, "0") != "" {
			p.open.ID = ID("nets", p.account, dateDigits(p.open.BookingDate), archive)
			p.open.BankRef = archive
		}
		p.openNo = "done:" + no
	case "32":
		if p.open == nil || p.openNo != "done:"+no {
			return fmt.Errorf("amount item 3 (record 32) of transaction %s without its amount items 1 and 2", no)
		}
	}
	return nil
}

// closeTx files the open transaction once its records are all read.
func (p *netsParser) closeTx() error {
	if p.open == nil {
		return nil
	}
	tx := p.open
	p.open = nil
	if !strings.HasPrefix(p.openNo, "done:") {
		return fmt.Errorf("transaction %s (line %d) has no amount item 2 (record 31)", p.openNo, p.openLine)
	}
	if p.openSign == '-' {
		p.f.Skipped = append(p.f.Skipped, Skipped{Source: tx.Source, Reason: "reversal of " + tx.Amount.String() + " NOK (negative amount): book it by hand",
			Amount: tx.Amount, Reference: tx.Reference, Money: true})
		return nil
	}
	if !tx.Amount.IsPositive() {
		p.f.Skipped = append(p.f.Skipped, Skipped{Source: tx.Source, Reason: "amount 0.00: not a payment in"})
		return nil
	}
	p.f.Payments = append(p.f.Payments, *tx)
	return nil
}

// netsDate reads DDMMYY; years 00-69 are 20xx.
func netsDate(b []byte) (civil.Date, error) {
	if !digits(b) || len(b) != 6 {
		return civil.Date{}, fmt.Errorf("%q is not DDMMYY", b)
	}
	d, _ := strconv.Atoi(string(b[0:2]))
	m, _ := strconv.Atoi(string(b[2:4]))
	y, _ := strconv.Atoi(string(b[4:6]))
	if y < 70 {
		y += 2000
	} else {
		y += 1900
	}
	date := civil.New(y, time.Month(m), d)
	if m < 1 || m > 12 || d < 1 || date.Day != d {
		return civil.Date{}, fmt.Errorf("%q is not a date (DDMMYY)", b)
	}
	return date, nil
}

func dateDigits(d civil.Date) string {
	return strings.ReplaceAll(d.String(), "-", "")
}
