package bankfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "bank", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary prints a payment as the tests compare it: no payer data.
func summary(p Payment) string {
	s := fmt.Sprintf("%s %s %s %s ref=%s", p.ID, p.Amount, p.Amount.Currency, p.BookingDate, p.Reference)
	if len(p.OtherReferences) > 0 {
		s += " also=" + strings.Join(p.OtherReferences, ",")
	}
	return s
}

func TestParseExamples(t *testing.T) {
	for _, tc := range []struct {
		file     string
		format   Format
		payments []string
		skipped  []string
		payer    []string // name|account|org of each payment
	}{
		{file: "camt054-acme-2026-03-16.xml", format: Camt054,
			payments: []string{
				"NO260316A0000001 400.00 NOK 2026-03-16 ref=16353127331",
				"NO260316A0000002 10000.00 NOK 2026-03-16 ref=12460024743", // spaces in the reference removed
				"NO260316A0000003 150.00 NOK 2026-03-16 ref=13654101354",
				"NO260316A0000005-01 250.00 NOK 2026-03-16 ref=16353127331",
				"NO260316A0000005-02 1000.00 NOK 2026-03-16 ref=17398734933",
				"NO260316A0000006 50.00 EUR 2026-03-16 ref=17398734933",
			},
			skipped: []string{`DBIT`},
			payer:   []string{"Ola Nordmann|12345678903|", "Fjordbygg AS||987654321", "||", "||", "||", "||"},
		},
		{file: "camt053-fi-2026-03-16.xml", format: Camt053,
			payments: []string{
				"260316593497FI0002 120.50 EUR 2026-03-16 ref=12845954914",
				"260316593497FI0003 60.00 EUR 2026-03-16 ref=RF231113200273",
			},
			skipped: []string{`status "PDNG": not booked`},
			payer:   []string{"Matti Meikäläinen|FI4250001510000023|", "Oy Esimerkki Ab||"},
		},
		{file: "ocr-acme-2026-03-16.txt", format: NetsOCR,
			payments: []string{
				"nets-15030012345-20260316-260316001 5000.00 NOK 2026-03-16 ref=17398734933",
				"nets-15030012345-20260316-260316002 100.00 NOK 2026-03-16 ref=16353127331",
			},
			payer: []string{"|12345678903|", "|12345678903|"},
		},
		{file: "bgmax-acme-2026-03-16.txt", format: BgMax,
			payments: []string{
				"bgmax-9912346-260316000017 1000.00 SEK 2026-03-16 ref=15720156833",
				"bgmax-9912346-260316000018 75.00 SEK 2026-03-16 ref=", // reference code 1: none
			},
			payer: []string{"Kalle Svensson||", "Okand Betalare AB||5566778899"},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Parse(tc.file, readExample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tc.format {
				t.Errorf("format %s, want %s", f.Format, tc.format)
			}
			var got []string
			for _, p := range f.Payments {
				got = append(got, summary(p))
			}
			if strings.Join(got, "\n") != strings.Join(tc.payments, "\n") {
				t.Errorf("payments:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.payments, "\n"))
			}
			for i, p := range f.Payments {
				if i < len(tc.payer) && p.PayerName+"|"+p.PayerAccount+"|"+p.PayerOrgID != tc.payer[i] {
					t.Errorf("payment %d payer %q|%q|%q, want %q", i, p.PayerName, p.PayerAccount, p.PayerOrgID, tc.payer[i])
				}
			}
			if len(f.Skipped) != len(tc.skipped) {
				t.Fatalf("skipped %+v, want %v", f.Skipped, tc.skipped)
			}
			for i, s := range f.Skipped {
				if !strings.Contains(s.Reason, tc.skipped[i]) {
					t.Errorf("skipped %d: %q, want it to say %q", i, s.Reason, tc.skipped[i])
				}
			}
		})
	}
}

// camt wraps entries in a camt.054.001.02 notification.
func camt(entries string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn>` + entries + `</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`)
}

func entry(ref, amt, extra, tx string) string {
	return `<Ntry><Amt Ccy="NOK">` + amt + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-16</Dt></BookgDt>` +
		extra + `<AcctSvcrRef>` + ref + `</AcctSvcrRef><NtryDtls>` + tx + `</NtryDtls></Ntry>`
}

func TestParseCamt(t *testing.T) {
	strd := func(ref string) string {
		return `<RmtInf><Strd><CdtrRefInf><Ref>` + ref + `</Ref></CdtrRefInf></Strd></RmtInf>`
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		payments []string
		skipped  int
		err      string
	}{
		{name: "version 02 status text, DtTm booking, AmtDtls amount",
			data:     camt(`<Ntry><NtryRef>77</NtryRef><Amt Ccy="NOK">12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><DtTm>2026-03-16T10:00:00</DtTm></BookgDt><NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="NOK">12.50</Amt></TxAmt></AmtDtls>` + strd("RF18 5390 0754 7034") + `</TxDtls></NtryDtls></Ntry>`),
			payments: []string{"ntry-20260316-77 12.50 NOK 2026-03-16 ref=RF18539007547034"}},
		{name: "an entry without details is one payment",
			data:     camt(entry("A1", "99.00", "", "")),
			payments: []string{"A1 99.00 NOK 2026-03-16 ref="}},
		{name: "several structured references",
			data:     camt(entry("A1", "99.00", "", `<TxDtls><RmtInf><Strd><CdtrRefInf><Ref>1234</Ref></CdtrRefInf></Strd><Strd><CdtrRefInf><Ref>5678</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>`)),
			payments: []string{"A1 99.00 NOK 2026-03-16 ref=1234 also=5678"}},
		{name: "batch without own references: entry reference and position",
			data:     camt(entry("B", "30.00", "", `<TxDtls><Amt Ccy="NOK">10.00</Amt>`+strd("1")+`</TxDtls><TxDtls><Amt Ccy="NOK">20.00</Amt>`+strd("2")+`</TxDtls>`)),
			payments: []string{"B-1 10.00 NOK 2026-03-16 ref=1", "B-2 20.00 NOK 2026-03-16 ref=2"}},
		{name: "batch whose transactions repeat one reference",
			data:     camt(entry("B", "30.00", "", `<TxDtls><Refs><AcctSvcrRef>X</AcctSvcrRef></Refs><Amt Ccy="NOK">10.00</Amt></TxDtls><TxDtls><Refs><AcctSvcrRef>X</AcctSvcrRef></Refs><Amt Ccy="NOK">20.00</Amt></TxDtls>`)),
			payments: []string{"B-1 10.00 NOK 2026-03-16 ref=", "B-2 20.00 NOK 2026-03-16 ref="}},
		{name: "reversal skipped", data: camt(entry("R", "5.00", "<RvslInd>true</RvslInd>", "")), skipped: 1},
		{name: "pending skipped", data: camt(strings.Replace(entry("P", "5.00", "", ""), "BOOK", "PDNG", 1)), skipped: 1},
		{name: "debit transaction in a credit entry", data: camt(entry("D", "5.00", "", `<TxDtls><Amt Ccy="NOK">10.00</Amt></TxDtls><TxDtls><Amt Ccy="NOK">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls>`)),
			payments: []string{"D-1 10.00 NOK 2026-03-16 ref="}, skipped: 1},
		{name: "latin-1", data: []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Document><BkToCstmrStmt><Stmt>` + entry("L", "1.00", "", "<TxDtls><RltdPties><Dbtr><Nm>J\xf8rgen</Nm></Dbtr></RltdPties></TxDtls>") + `</Stmt></BkToCstmrStmt></Document>`),
			payments: []string{"L 1.00 NOK 2026-03-16 ref="}},
		{name: "long reference gets a hashed id", data: camt(entry(strings.Repeat("9", 70), "1.00", "", "")),
			payments: []string{strings.Repeat("9", 42) + "-" + ID(strings.Repeat("9", 70))[43:] + " 1.00 NOK 2026-03-16 ref="}},
		{name: "batch sum differs from the entry", data: camt(entry("S", "31.00", "", `<TxDtls><Amt Ccy="NOK">10.00</Amt></TxDtls><TxDtls><Amt Ccy="NOK">20.00</Amt></TxDtls>`)),
			err: "entry 1 (S): its transactions sum to 30.00, the entry says 31.00"},
		{name: "batch transaction without amount", data: camt(entry("S", "30.00", "", `<TxDtls></TxDtls><TxDtls><Amt Ccy="NOK">20.00</Amt></TxDtls>`)),
			err: "transaction 1: no amount"},
		{name: "no bank reference", data: camt(`<Ntry><Amt Ccy="NOK">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-16</Dt></BookgDt></Ntry>`),
			err: "no bank reference (AcctSvcrRef or NtryRef)"},
		{name: "no booking date", data: camt(strings.Replace(entry("N", "1.00", "", ""), "<BookgDt><Dt>2026-03-16</Dt></BookgDt>", "", 1)),
			err: "entry 1 (N): BookgDt: missing"},
		{name: "bad currency", data: camt(strings.Replace(entry("C", "1.00", "", ""), `Ccy="NOK"`, `Ccy="kr"`, 1)),
			err: `Amt: currency (Ccy) "kr" is not an ISO 4217 code`},
		{name: "more decimals than the currency", data: camt(entry("C", "1.005", "", "")), err: "more decimals than NOK"},
		{name: "not camt", data: []byte(`<Document><CstmrCdtTrfInitn/></Document>`), err: "no BkToCstmrDbtCdtNtfctn/Ntfctn (camt.054) or BkToCstmrStmt/Stmt (camt.053)"},
		{name: "broken XML", data: []byte(`<Document><BkToCstmrStmt>`), err: "not a readable camt message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("f.xml", tc.data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range f.Payments {
				got = append(got, summary(p))
			}
			if strings.Join(got, "\n") != strings.Join(tc.payments, "\n") || len(f.Skipped) != tc.skipped {
				t.Errorf("payments:\n%s\nskipped %+v\nwant\n%s\nand %d skipped", strings.Join(got, "\n"), f.Skipped, strings.Join(tc.payments, "\n"), tc.skipped)
			}
			if tc.name == "latin-1" && f.Payments[0].PayerName != "Jørgen" {
				t.Errorf("payer name %q", f.Payments[0].PayerName)
			}
		})
	}
}

// nets builds an OCR giro file of the transactions (KID, øre, sign) with
// correct totals unless broken edits them.
func nets(txs []string, broken func([]string) []string) []byte {
	l := []string{"NY000010001234560000317000080800000000000000000000000000000000000000000000000000",
		"NY090020001234567000031715030012345000000000000000000000000000000000000000000000"}
	var total int64
	for i, tx := range txs {
		var kid string
		var amt int64
		var sign string
		fmt.Sscanf(tx, "%s %d %s", &kid, &amt, &sign)
		if kid == "-" {
			kid = ""
		}
		no := fmt.Sprintf("%07d", i+1)
		l = append(l, fmt.Sprintf("NY091030%s160326%s%s%017d%25s000000", no, fmt.Sprintf("0116%d%05d", 1, i+1), sign, amt, kid))
		l = append(l, fmt.Sprintf("NY091031%s0000000000%09d0000000150326%s0000000000000000000000", no, 500+i, "12345678903"))
		total += amt
	}
	l = append(l, fmt.Sprintf("NY090088%08d%08d%017d160326160326160326000000000000000000000", len(txs), len(l), total))
	l = append(l, fmt.Sprintf("NY000089%08d%08d%017d160326000000000000000000000000000000000", len(txs), len(l)+1, total))
	if broken != nil {
		l = broken(l)
	}
	return []byte(strings.Join(l, "\r\n") + "\r\n")
}

func TestParseNetsOCR(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		payments []string
		skipped  []string
		err      string
	}{
		{name: "two KID payments", data: nets([]string{"1234567890 150000 0", "42 1 0"}, nil),
			payments: []string{"nets-15030012345-20260316-000000500 1500.00 NOK 2026-03-16 ref=1234567890", "nets-15030012345-20260316-000000501 0.01 NOK 2026-03-16 ref=42"}},
		{name: "a reversal is money for finance", data: nets([]string{"1234567890 150000 -"}, nil),
			skipped: []string{"reversal of 1500.00 NOK"}},
		{name: "no archive reference: settlement position and transaction number", data: nets([]string{"77 100 0"}, func(l []string) []string {
			l[3] = l[3][:25] + "000000000" + l[3][34:]
			return l
		}), payments: []string{"nets-15030012345-20260316-0116100001-0000001 1.00 NOK 2026-03-16 ref=77"}},
		{name: "free-text payment with amount item 3", data: nets([]string{"- 2500 0"}, func(l []string) []string {
			item3 := "NY0910320000001Faktura 1001                            0000000000000000000000000"
			l = append(l[:4], append([]string{item3}, l[4:]...)...)
			l[5] = strings.Replace(l[5], "0000000100000004", "0000000100000005", 1)
			l[6] = strings.Replace(l[6], "0000000100000006", "0000000100000007", 1)
			return l
		}), payments: []string{"nets-15030012345-20260316-000000500 25.00 NOK 2026-03-16 ref="}},
		{name: "an AvtaleGiro assignment is skipped whole", data: nets([]string{"42 100 0"}, func(l []string) []string {
			ag := []string{"NY210020000000000400008688888888888000000000000000000000000000000000000000000000",
				"NY2121300000001170604           00000000000000100          008000011688373000000",
				"NY210088000000010000000300000000000000100170604170604000000000000000000000000000"}
			out := append(append(append([]string{}, l[:5]...), ag...), l[5:]...)
			out[len(out)-1] = strings.Replace(out[len(out)-1], "0000000100000007", "0000000100000010", 1)
			return out
		}), payments: []string{"nets-15030012345-20260316-000000500 1.00 NOK 2026-03-16 ref=42"}, skipped: []string{"assignment of service 21"}},
		{name: "truncated: no end of transmission", data: nets([]string{"42 100 0"}, func(l []string) []string { return l[:len(l)-1] }),
			err: "ends without the end-of-transmission record"},
		{name: "assignment totals differ", data: nets([]string{"42 100 0"}, func(l []string) []string {
			l[4] = strings.Replace(l[4], "00000000000000100", "00000000000000200", 1)
			return l
		}), err: "f.txt:5: assignment totals say 1 transactions, 4 records, 200 øre; the file holds 1, 4, 100"},
		{name: "amount item 2 missing", data: nets([]string{"42 100 0"}, func(l []string) []string {
			return append(l[:3], l[4:]...)
		}), err: "has no amount item 2"},
		{name: "bad settlement date", data: nets([]string{"42 100 0"}, func(l []string) []string {
			l[2] = l[2][:15] + "310226" + l[2][21:]
			return l
		}), err: "f.txt:3: settlement date: \"310226\" is not a date"},
		{name: "KID with letters", data: nets([]string{"4A2 100 0"}, nil), err: `KID "4A2" is not digits`},
		{name: "record too long", data: nets([]string{"42 100 0"}, func(l []string) []string {
			l[2] += "0"
			return l
		}), err: "f.txt:3: record is 81 characters, want 80"},
		{name: "unknown record type", data: nets([]string{"42 100 0"}, func(l []string) []string {
			l[3] = l[3][:6] + "77" + l[3][8:]
			return l
		}), err: "record type 77 is not a Nets OCR giro record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseNetsOCR("f.txt", tc.data)
			checkParsed(t, f, err, tc.err, tc.payments, tc.skipped, false)
		})
	}
}

// bg builds a BgMax file of one section from its payment records.
func bg(records []string, deposit int64, counts string) []byte {
	l := []string{"01BGMAX               0120260316061502123456P", "050009912346          SEK"}
	l = append(l, records...)
	l = append(l, fmt.Sprintf("15%035d2026031600042%018dSEK%08d", 5841000001, deposit, 1))
	l = append(l, "70"+counts)
	return []byte(strings.Join(l, "\n") + "\n")
}

func tk(kind, ref string, ore int64, code, serial string) string {
	return fmt.Sprintf("%s0000000000%-25s%018d%s1%12s0", kind, ref, ore, code, serial)
}

func TestParseBgMax(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		payments []string
		skipped  []string
		err      string
	}{
		{name: "OCR payment", data: bg([]string{tk("20", "1234 5678", 12345, "2", "000000000001")}, 12345, "00000001000000000000000000000001"),
			payments: []string{"bgmax-9912346-000000000001 123.45 SEK 2026-03-16 ref=12345678"}},
		{name: "references in information records (code 3)", data: bg([]string{tk("20", "", 5000, "3", "000000000002"), "25Faktura 1 och 2", "2511112222", "2533334444"}, 5000, "00000001000000000000000000000001"),
			payments: []string{"bgmax-9912346-000000000002 50.00 SEK 2026-03-16 ref=11112222 also=33334444"}},
		{name: "no serial: place in the deposit", data: bg([]string{tk("20", "77", 100, "2", "")}, 100, "00000001000000000000000000000001"),
			payments: []string{"bgmax-9912346-20260316-00042-1 1.00 SEK 2026-03-16 ref=77"}},
		{name: "a deduction is money for finance", data: bg([]string{tk("20", "77", 10000, "2", "000000000003"), tk("21", "88", 2500, "4", "000000000004")}, 7500, "00000001000000010000000000000001"),
			payments: []string{"bgmax-9912346-000000000003 100.00 SEK 2026-03-16 ref=77"}, skipped: []string{"deduction (a credit note the payer subtracted) of 25.00 SEK"}},
		{name: "deposit differs from the payments", data: bg([]string{tk("20", "77", 100, "2", "1")}, 200, "00000001000000000000000000000001"),
			err: "f.txt:4: deposit of 2.00 SEK, but its payments less deductions sum to 1.00"},
		{name: "end record counts differ", data: bg([]string{tk("20", "77", 100, "2", "1")}, 100, "00000002000000000000000000000001"),
			err: "f.txt:5: end record says 2 payments, the file holds 1"},
		{name: "no end record", data: bg([]string{tk("20", "77", 100, "2", "1")}, 100, "")[:0], err: "want ISO 20022"},
		{name: "record outside a section", data: []byte("01BGMAX               0120260316061502123456P\n" + tk("20", "77", 100, "2", "1") + "\n"),
			err: "f.txt:2: payment record outside a section"},
		{name: "unknown record", data: bg([]string{"99x"}, 0, "00000000000000000000000000000001"), err: "f.txt:3: record type 99"},
		{name: "bad reference code", data: bg([]string{tk("20", "77", 100, "9", "1")}, 100, "00000001000000000000000000000001"), err: "reference code '9'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("f.txt", tc.data)
			checkParsed(t, f, err, tc.err, tc.payments, tc.skipped, true)
		})
	}
}

func TestID(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"NO260316A0000001"}, "NO260316A0000001"},
		{[]string{"nets", "15030012345", "20260316", "1"}, "nets-15030012345-20260316-1"},
		{[]string{"2026 03 16/ÅÄ"}, "2026-03-16/---" + ID("2026 03 16/ÅÄ")[len("2026-03-16/---"):]},
	} {
		if got := ID(tc.in...); got != tc.want {
			t.Errorf("ID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long1, long2 := ID(strings.Repeat("A", 60)+"1"), ID(strings.Repeat("A", 60)+"2")
	if long1 == long2 || len(long1) > MaxIDLen || !idRE.MatchString(long1) {
		t.Errorf("long ids %q and %q: want distinct valid ids of at most %d", long1, long2, MaxIDLen)
	}
	if got := ID("..."); !idRE.MatchString(got) {
		t.Errorf("ID(...) = %q is not valid", got)
	}
}

// FuzzParse: no input panics, and every payment read is one the API takes:
// a valid id, a positive amount with a currency, a booking date.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"camt054-acme-2026-03-16.xml", "camt053-fi-2026-03-16.xml", "ocr-acme-2026-03-16.txt", "bgmax-acme-2026-03-16.txt"} {
		f.Add(readExample(f, name))
	}
	f.Add(nets([]string{"1234567890 150000 0", "42 1 -"}, nil))
	f.Add(bg([]string{tk("20", "", 5000, "3", "2"), "2511112222", tk("21", "88", 2500, "4", "4")}, 2500, "00000001000000010000000000000001"))
	f.Add(camt(entry("B", "30.00", "", `<TxDtls><Amt Ccy="NOK">10.00</Amt></TxDtls><TxDtls><Amt Ccy="NOK">20.00</Amt></TxDtls>`)))
	f.Add([]byte("NY000010"))
	f.Add([]byte("01BGMAX"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		for _, p := range file.Payments {
			if len(p.ID) > MaxIDLen || !idRE.MatchString(p.ID) {
				t.Errorf("payment id %q is not a valid id", p.ID)
			}
			if !p.Amount.IsPositive() || len(p.Amount.Currency) != 3 {
				t.Errorf("payment %s amount %s %q", p.ID, p.Amount, p.Amount.Currency)
			}
			if p.BookingDate.IsZero() {
				t.Errorf("payment %s has no booking date", p.ID)
			}
		}
	})
}

// checkParsed compares a parse with a case: the wanted error, or else the
// payments and the skipped entries (each reason containing its wanted
// text, and marked as money finance must book by hand when money is set).
func checkParsed(t *testing.T, f *File, err error, wantErr string, payments, skipped []string, money bool) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range f.Payments {
		got = append(got, summary(p))
	}
	if strings.Join(got, "\n") != strings.Join(payments, "\n") {
		t.Errorf("payments:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(payments, "\n"))
	}
	if len(f.Skipped) != len(skipped) {
		t.Fatalf("skipped %+v, want %v", f.Skipped, skipped)
	}
	for i, s := range f.Skipped {
		if !strings.Contains(s.Reason, skipped[i]) || (money && !s.Money) {
			t.Errorf("skipped %+v, want %q (money: %v)", s, skipped[i], money)
		}
	}
}
