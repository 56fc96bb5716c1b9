package collection

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/shopspring/decimal"

	"github.com/inkasso-operator/inkasso-operator/internal/civil"
	"github.com/inkasso-operator/inkasso-operator/internal/fees"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/plan"
)

var (
	on2025 = local(oslo, 2025, 6, 2, 9, 0)
	on2026 = local(oslo, 2026, 3, 2, 9, 0)
)

func entry(step string, fee money.Money, kind fees.Kind) Entry {
	return Entry{Step: step, Time: on2025, Fee: fee, HasFee: true, FeeKind: kind}
}

// demandedDaysBefore is the kravia policy's payment demand (light salær,
// 14-day deadline) sent days before on.
func demandedDaysBefore(on time.Time, days int, fee money.Money) Entry {
	return Entry{Step: "payment-demand", Time: on.AddDate(0, 0, -days), Fee: fee, HasFee: true, FeeKind: fees.LightSalary}
}

// Charged is the debt's fee ledger: own steps and case shares alike.
func TestChargedCountsTheWholeHistory(t *testing.T) {
	p := threeReminderPolicy()
	p.Steps = append(p.Steps, Step{Name: "court", Phase: PhaseLegal, FixedFee: "1314.00"})
	c := newClaim("inv-1", "NOK", "2000.00", ymd(2025, 3, 1))
	c.State.History = []Entry{
		entry("reminder", nok("35"), fees.Reminder),
		{Step: "second-reminder", Fee: nok("35"), HasFee: true}, // written before kinds were kept: the policy step tells
		entry("payment-demand", nok("280"), fees.LightSalary),   // a case share, recorded like any other
		entry("handover", nok("280"), fees.HeavySalary),
		entry("compensation", nok("470"), fees.Compensation),
		entry("court", nok("1314"), ""),                             // a fixed fee counts in the total only
		entry("sms-reminder", nok("0"), ""),                         // no fee
		{Step: "collection-notice", Fee: nok("35")},                 // states no fee
		entry("foreign", eur("5"), fees.Reminder),                   // another currency never counts
		{Step: RecheckStep, Phase: PhaseSurveillance, Time: on2026}, // a re-check
	}
	got := Charged(p, nil, c)
	if got.ReminderFees != 2 || got.DemandFees != 1 || !got.Compensation {
		t.Errorf("counts %+v, want 2 reminder-type fees, 1 demand, compensation", got)
	}
	wantMoney(t, "salær and compensation", got.Salary, "1030.00")
	wantMoney(t, "total", got.Total, "2414.00")
}

type allowanceRow struct {
	name      string
	p         *Policy
	d         *Debtor
	currency  string
	principal string
	step      string
	on        time.Time
	history   []Entry
	want      string
	kind      fees.Kind
}

func TestAllowance(t *testing.T) {
	no, se, fi := threeReminderPolicy(), swedenPolicy(), finlandManyLettersPolicy()
	kr := kraviaPolicy()
	ola, olaAS := consumer("ola", "NO"), business("ola-as", "NO")
	sven, ab := consumer("sven", "SE"), business("ab", "SE")
	liisa, oy := consumer("liisa", "FI"), business("oy", "FI")
	rem := func(step string) Entry { return entry(step, nok("35"), fees.Reminder) }
	rows := []allowanceRow{
		// Norway: reminder-type fees, 1/20 of the sats, at most two per claim.
		{"NO first reminder-type fee 2025", no, ola, "NOK", "1000", "reminder", on2025, nil, "35.00", fees.Reminder},
		{"NO second reminder-type fee", no, ola, "NOK", "1000", "second-reminder", on2025, []Entry{rem("reminder")}, "35.00", fees.Reminder},
		{"NO third reminder-type fee: none", no, ola, "NOK", "1000", "collection-notice", on2025, []Entry{rem("reminder"), rem("second-reminder")}, "0.00", fees.Reminder},
		{"NO reminder + notice, then another notice: none", no, ola, "NOK", "1000", "second-notice", on2025,
			[]Entry{rem("reminder"), rem("collection-notice"), entry("payment-demand", nok("245"), fees.LightSalary)}, "0.00", fees.Reminder},
		{"NO reminder-type fee 2026: 750/20", no, ola, "NOK", "1000", "reminder", on2026, nil, "37.50", fees.Reminder},
		{"NO sats override 800: 40", withSats(threeReminderPolicy(), "800"), ola, "NOK", "1000", "reminder", on2025, nil, "40.00", fees.Reminder},
		// Norway: salær maximum by principal band (claims due from 2020-10-01).
		{"NO light salær <= 500: 175", kr, ola, "NOK", "500", "payment-demand", on2025, nil, "175.00", fees.LightSalary},
		{"NO light salær <= 2,500: 280", kr, ola, "NOK", "2500", "payment-demand", on2025, nil, "280.00", fees.LightSalary},
		{"NO light salær <= 10,000: 560", kr, ola, "NOK", "10000", "payment-demand", on2025, nil, "560.00", fees.LightSalary},
		{"NO light salær <= 50,000: 1,120", kr, ola, "NOK", "50000", "payment-demand", on2025, nil, "1120.00", fees.LightSalary},
		{"NO light salær <= 250,000: 2,520", kr, ola, "NOK", "250000", "payment-demand", on2025, nil, "2520.00", fees.LightSalary},
		{"NO light salær above 250,000: 5,040", kr, ola, "NOK", "250000.01", "payment-demand", on2025, nil, "5040.00", fees.LightSalary},
		{"NO business light salær <= 2,500: 420", kr, olaAS, "NOK", "2500", "payment-demand", on2025, nil, "420.00", fees.LightSalary},
		{"NO heavy salær after the light one: 560 - 280", kr, ola, "NOK", "2500", "handover", on2025,
			[]Entry{demandedDaysBefore(on2025, 60, nok("280"))}, "280.00", fees.HeavySalary},
		// Heavy salær only once the demand's deadline (14 days) is overrun by
		// more than 28 days (inkassoforskriften § 2-3): from day 43 after it.
		{"NO heavy salær: none on day 42 after the demand", kr, ola, "NOK", "2500", "handover", on2025,
			[]Entry{demandedDaysBefore(on2025, 42, nok("280"))}, "0.00", fees.HeavySalary},
		{"NO heavy salær: day 43 after the demand", kr, ola, "NOK", "2500", "handover", on2025,
			[]Entry{demandedDaysBefore(on2025, 43, nok("280"))}, "280.00", fees.HeavySalary},
		{"NO heavy salær: none without a payment demand of the claim's own", kr, ola, "NOK", "2500", "handover", on2025,
			nil, "0.00", fees.HeavySalary},
		{"NO business heavy salær <= 50,000 after light: 3,360 - 1,680", kr, olaAS, "NOK", "50000", "handover", on2025,
			[]Entry{demandedDaysBefore(on2025, 60, nok("1680"))}, "1680.00", fees.HeavySalary},
		{"NO heavy salær never exceeds the maximum already charged", kr, ola, "NOK", "1000", "handover", on2025,
			[]Entry{demandedDaysBefore(on2025, 60, nok("245")), entry("handover", nok("245"), fees.HeavySalary)}, "0.00", fees.HeavySalary},
		{"NO 2026 light salær <= 1,000: 0.35 x 750 = 262.50", kr, ola, "NOK", "1000", "payment-demand", on2026, nil, "262.50", fees.LightSalary},
		{"NO 2026 business heavy salær <= 1,000: 2 x 1.5 x 262.50 = 787.50", kr, olaAS, "NOK", "1000", "handover", on2026,
			[]Entry{demandedDaysBefore(on2026, 60, nok("0"))}, "787.50", fees.HeavySalary},
		// A figure in force from 1 January applies from midnight where the
		// policy collects (Oslo), not from midnight UTC (01:00 in Oslo).
		{"NO 2026 reminder-type fee from midnight in Oslo: 37.50 at 00:30", no, ola, "NOK", "1000", "reminder", local(oslo, 2026, 1, 1, 0, 30), nil, "37.50", fees.Reminder},
		{"NO 2026 standard compensation from midnight in Oslo: 460 at 00:30", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "compensation", local(oslo, 2026, 1, 1, 0, 30), nil, "460.00", fees.Compensation},
		{"NO 2025 figures until midnight in Oslo: 35 at 23:30 on 31 December", no, ola, "NOK", "1000", "reminder", local(oslo, 2025, 12, 31, 23, 30), nil, "35.00", fees.Reminder},
		// Norway: standardkompensasjon, business debtors, once, deducted from later salær.
		{"NO standard compensation 2025: 470", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "compensation", on2025, nil, "470.00", fees.Compensation},
		{"NO standard compensation 2026: 460", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "compensation", on2026, nil, "460.00", fees.Compensation},
		{"NO standard compensation once", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "compensation", on2025,
			[]Entry{entry("compensation", nok("470"), fees.Compensation)}, "0.00", fees.Compensation},
		{"NO standard compensation: consumers owe none", withCompensation(kraviaPolicy()), ola, "NOK", "2500", "compensation", on2025, nil, "0.00", fees.Compensation},
		{"NO compensation deducted from the light salær: 420 - 470", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "payment-demand", on2025,
			[]Entry{entry("compensation", nok("470"), fees.Compensation)}, "0.00", fees.LightSalary},
		{"NO compensation deducted from the heavy salær: 840 - 470", withCompensation(kraviaPolicy()), olaAS, "NOK", "2500", "handover", on2025,
			[]Entry{entry("compensation", nok("470"), fees.Compensation), demandedDaysBefore(on2025, 60, nok("0"))}, "370.00", fees.HeavySalary},
		// Sweden.
		{"SE reminder fee: 60", se, sven, "SEK", "5000", "reminder", on2025, nil, "60.00", fees.Reminder},
		{"SE reminder fee once per claim", se, sven, "SEK", "5000", "reminder", on2025,
			[]Entry{entry("reminder", sek("60"), fees.Reminder)}, "0.00", fees.Reminder},
		{"SE collection demand fee: 180", se, sven, "SEK", "5000", "collection-demand", on2025,
			[]Entry{entry("reminder", sek("60"), fees.Reminder)}, "180.00", fees.LightSalary},
		{"SE collection demand fee once per debt", se, sven, "SEK", "5000", "collection-demand", on2025,
			[]Entry{entry("collection-demand", sek("180"), fees.LightSalary)}, "0.00", fees.LightSalary},
		{"SE business: 450 compensation instead of the reminder fee", se, ab, "SEK", "5000", "reminder", on2025, nil, "450.00", fees.Compensation},
		{"SE business: 450 instead of the demand fee", se, ab, "SEK", "5000", "collection-demand", on2025, nil, "450.00", fees.Compensation},
		{"SE business: compensation once per debt", se, ab, "SEK", "5000", "collection-demand", on2025,
			[]Entry{entry("reminder", sek("450"), fees.Compensation)}, "0.00", fees.Compensation},
		{"SE business: fixed Kronofogden fee is not compensation", se, ab, "SEK", "5000", "payment-order", on2025,
			[]Entry{entry("reminder", sek("450"), fees.Compensation)}, "300.00", ""},
		// Finland, consumers: reminder 5, demand 14 / 24 / 50 by capital; all costs capped 60 / 120 / 210.
		{"FI consumer reminder: 5", fi, liisa, "EUR", "100", "reminder", on2025, nil, "5.00", fees.Reminder},
		{"FI consumer demand, capital <= 100: 14", fi, liisa, "EUR", "100", "demand-letter", on2025, nil, "14.00", fees.LightSalary},
		{"FI consumer demand, capital <= 1,000: 24", fi, liisa, "EUR", "1000", "demand-letter", on2025, nil, "24.00", fees.LightSalary},
		{"FI consumer demand, capital above 1,000: 50", fi, liisa, "EUR", "1000.01", "demand-letter", on2025, nil, "50.00", fees.LightSalary},
		{"FI consumer, capital <= 100: what the 60 cap leaves (60 - 52)", fi, liisa, "EUR", "100", "demand-letter-4", on2025,
			[]Entry{entry("reminder", eur("5"), fees.Reminder), entry("second-reminder", eur("5"), fees.Reminder),
				entry("demand-letter", eur("14"), fees.LightSalary), entry("demand-letter-2", eur("14"), fees.LightSalary),
				entry("demand-letter-3", eur("14"), fees.LightSalary)}, "8.00", fees.LightSalary},
		{"FI consumer, capital <= 100: nothing past the 60 cap", fi, liisa, "EUR", "100", "reminder", on2025,
			[]Entry{entry("demand-letter", eur("60"), fees.LightSalary)}, "0.00", fees.Reminder},
		{"FI consumer, capital <= 1,000: cap 120", fi, liisa, "EUR", "1000", "demand-letter", on2025,
			[]Entry{entry("demand-letter", eur("110"), fees.LightSalary)}, "10.00", fees.LightSalary},
		{"FI consumer, capital above 1,000: cap 210", fi, liisa, "EUR", "5000", "demand-letter", on2025,
			[]Entry{entry("demand-letter", eur("180"), fees.LightSalary)}, "30.00", fees.LightSalary},
		// Finland, businesses: reminder 12, compensation 40 once, demand by capital, later letters half.
		{"FI business reminder: 12", fi, oy, "EUR", "500", "reminder", on2025, nil, "12.00", fees.Reminder},
		{"FI business demand <= 500: 50", fi, oy, "EUR", "500", "demand-letter", on2025, nil, "50.00", fees.LightSalary},
		{"FI business demand <= 2,500: 70", fi, oy, "EUR", "2500", "demand-letter", on2025, nil, "70.00", fees.LightSalary},
		{"FI business demand <= 10,000: 90", fi, oy, "EUR", "10000", "demand-letter", on2025, nil, "90.00", fees.LightSalary},
		{"FI business demand above: 110", fi, oy, "EUR", "10000.01", "demand-letter", on2025, nil, "110.00", fees.LightSalary},
		{"FI business later demand letter: half of 110", fi, oy, "EUR", "10000.01", "demand-letter-2", on2025,
			[]Entry{entry("demand-letter", eur("110"), fees.LightSalary)}, "55.00", fees.LightSalary},
		{"FI business compensation: 40", withCompensation(finlandPolicy()), oy, "EUR", "500", "compensation", on2025, nil, "40.00", fees.Compensation},
		{"FI business compensation once", withCompensation(finlandPolicy()), oy, "EUR", "500", "compensation", on2025,
			[]Entry{entry("compensation", eur("40"), fees.Compensation)}, "0.00", fees.Compensation},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c := newClaim("inv-1", r.currency, "1.00", ymd(2025, 3, 1))
			c.State.History = r.history
			c.ReminderFeeAgreed = ptrTo(true) // Sweden's condition; TestReminderFeeConditions covers it
			step, ok := r.p.StepNamed(r.step)
			if !ok {
				t.Fatalf("no step %s", r.step)
			}
			got, err := Allowance(r.p, r.d, c, step, money.MustParse(r.principal, r.currency), r.on)
			if err != nil {
				t.Fatal(err)
			}
			wantMoney(t, "allowance", got.Amount, r.want)
			if got.Kind != r.kind {
				t.Errorf("kind %q, want %q", got.Kind, r.kind)
			}
			if got.Basis == "" {
				t.Errorf("no legal basis")
			}
		})
	}
}

func withSats(p *Policy, sats string) *Policy { p.Fees.Sats = sats; return p }

// withCompensation adds a step charging the business compensation.
func withCompensation(p *Policy) *Policy {
	p.Steps = append(p.Steps, Step{Name: "compensation", Phase: PhaseCollection, Fee: fees.Compensation})
	p.Timing.Steps = append(p.Timing.Steps, p.Timing.Steps[len(p.Timing.Steps)-1])
	p.Timing.Steps[len(p.Timing.Steps)-1].Name = "compensation"
	return p
}

func TestAllowanceErrors(t *testing.T) {
	p := kraviaPolicy()
	step, _ := p.StepNamed("collection-notice")
	c := newClaim("inv-e", "EUR", "100.00", ymd(2025, 3, 1))
	if _, err := Allowance(p, consumer("ola", "NO"), c, step, eur("100"), on2025); err == nil {
		t.Error("Norwegian fee tables gave a fee in EUR")
	}
	bad := kraviaPolicy()
	bad.Fees.Sats = "7.5.0"
	if _, err := Allowance(bad, consumer("ola", "NO"), kClaim(), step, nok("100"), on2025); err == nil {
		t.Error("a malformed sats override was accepted")
	}
	if _, err := Allowance(p, consumer("ola", "NO"), kClaim(), step, nok("100"), local(oslo, 2019, 1, 1, 9, 0)); err == nil {
		t.Error("a fee before the tables' first sats was computed")
	}
}

// The Swedish business compensation is charged once per debt, also for
// records written before fee kinds counted it (they say Reminder, or
// nothing and the policy step says Reminder): lagen om ersättning för
// inkassokostnader 4 §, 450 SEK instead of the reminder and demand fees.
func TestSwedishBusinessCompensationOnceOverLegacyRecords(t *testing.T) {
	p := swedenPolicy()
	step, _ := p.StepNamed("collection-demand")
	var bugs []string
	for _, legacy := range []Entry{
		entry("reminder", sek("450"), fees.Reminder),
		{Step: "reminder", Time: on2025, Fee: sek("450"), HasFee: true},
	} {
		c := newClaim("f-1", "SEK", "5000.00", ymd(2025, 3, 14))
		c.State.History = []Entry{legacy}
		got, err := Allowance(p, business("ab", "SE"), c, step, sek("5000"), on2025)
		if err != nil {
			t.Fatal(err)
		}
		if got.Amount.IsPositive() {
			bugs = append(bugs, fmt.Sprintf("reminder record with feeKind %q and 450 SEK: collection-demand allowance %s", legacy.FeeKind, got.Amount))
		}
	}
	if len(bugs) > 0 {
		t.Errorf("a Swedish business claim whose reminder was recorded before fees.CountedAs is charged the 450 SEK "+
			"compensation again (the law allows it once per debt): %s", strings.Join(bugs, "; "))
	}
}

// A Swedish business debtor's claim walked alone through the sample policy
// pays the 450 SEK compensation once, plus the fixed Kronofogden fee.
func TestSwedishBusinessClaimAlonePaysCompensationOnce(t *testing.T) {
	p := alone(swedenPolicy())
	c := newClaim("f-1", "SEK", "5000.00", ymd(2025, 3, 14))
	c.CreditDecision = Solvent // to Legal: the payment order's Kronofogden fee applies
	runAlone(t, p, business("ab", "SE"), c, local(stockholm, 2025, 3, 14, 12, 0), 120)
	n, sum := feesOfKind(p, c, fees.Compensation)
	if n != 1 || sum.String() != "450.00" {
		t.Errorf("compensation charged %d times, %s SEK; want once, 450.00", n, sum)
	}
	if r, _ := feesOfKind(p, c, fees.Reminder); r != 0 {
		t.Errorf("%d reminder fees on top of the compensation", r)
	}
	if d, _ := feesOfKind(p, c, fees.LightSalary); d != 0 {
		t.Errorf("%d demand fees on top of the compensation", d)
	}
	wantMoney(t, "every fee", feeSum(c), "750.00") // 450 + 300 (Kronofogden application)
}

// A Swedish consumer who agreed to reminder fees pays one 60 SEK reminder
// fee and one 180 SEK demand fee, and Kronofogden's 300 when handed to
// Legal; without the agreement and sent to Surveillance, only the 180.
func TestSwedishConsumerClaimAlone(t *testing.T) {
	p := alone(swedenPolicy())
	c := newClaim("f-2", "SEK", "5000.00", ymd(2025, 3, 14))
	c.ReminderFeeAgreed, c.CreditDecision = ptrTo(true), Solvent
	runAlone(t, p, consumer("sven", "SE"), c, local(stockholm, 2025, 3, 14, 12, 0), 120)
	wantMoney(t, "every fee", feeSum(c), "540.00") // 60 + 180 + 300

	plain := newClaim("f-3", "SEK", "5000.00", ymd(2025, 3, 14))
	plain.CreditDecision = Insolvent
	runAlone(t, p, consumer("sven", "SE"), plain, local(stockholm, 2025, 3, 14, 12, 0), 120)
	wantMoney(t, "every fee", feeSum(plain), "180.00") // no agreement: no reminder fee; Surveillance: no Kronofogden fee
}

func ptrTo[T any](v T) *T { return &v }

// A Norwegian claim under a policy with three reminder-type steps pays two.
func TestNorwegianClaimAlonePaysTwoReminderTypeFees(t *testing.T) {
	p := alone(threeReminderPolicy())
	c := newClaim("inv-3", "NOK", "1000.00", ymd(2025, 3, 15))
	runAlone(t, p, consumer("ola", "NO"), c, local(oslo, 2025, 3, 16, 12, 0), 200)
	n, sum := feesOfKind(p, c, fees.Reminder)
	if n != 2 || sum.String() != "70.00" {
		t.Errorf("%d reminder-type fees, %s NOK; want 2, 70.00 (history %+v)", n, sum, c.State.History)
	}
	if !c.HasStep("second-notice") {
		t.Errorf("the third reminder-type step was not carried out")
	}
}

// A Finnish consumer claim of 100 EUR never pays more than 60 EUR of costs,
// whatever the number of letters; the letters stop costing at the cap.
func TestFinnishConsumerClaimAloneCapped(t *testing.T) {
	p := alone(finlandManyLettersPolicy())
	c := newClaim("lasku-1", "EUR", "100.00", ymd(2025, 3, 14))
	runAlone(t, p, consumer("liisa", "FI"), c, local(helsinki, 2025, 3, 14, 12, 0), 200)
	// 5 + 5 + 14 + 14 + 14 + 8 (the cap's rest) + 0.
	wantMoney(t, "every fee", feeSum(c), "60.00")
	if !c.HasStep("demand-letter-5") {
		t.Errorf("not every letter was sent")
	}
}

// runAlone reconciles a claim daily (at its policy's step time + 1 h) for days.
func runAlone(t *testing.T, p *Policy, d *Debtor, c *Claim, from time.Time, days int) {
	t.Helper()
	now := from
	for i := 0; i < days; i++ {
		dec := DecideClaim(ClaimFacts{Claim: c, Debtor: d, Policy: p, Now: now, Notice: allNotices, TransferGrace: 10 * time.Minute})
		if dec.Stalled != nil {
			t.Fatalf("%s: stalled %v", now, dec.Stalled)
		}
		applyDecision(c, dec)
		now = now.AddDate(0, 0, 1)
	}
}

// Norway, inkassoforskriften § 1-2: a reminder fee may only be charged if
// the reminder is sent at least 14 days after the due date.
func TestNorwegianReminderFeeNotBefore14DaysAfterDue(t *testing.T) {
	early := newPolicy("early-purring", "NO", oslo, 14, 14,
		stepDef{name: "reminder", phase: PhaseReminder, after: 1, channels: letter, fee: "Reminder", deadline: 14},
		stepDef{name: "collection-notice", phase: PhaseCollection, after: 14, gap: 7, channels: letter, fee: "Reminder", deadline: 14},
	)
	var bugs []string
	for _, tc := range []struct {
		p    *Policy
		at   time.Time
		step string
	}{
		{early, local(oslo, 2025, 3, 16, 9, 1), "reminder"},                     // day 1
		{alone(collectorsPolicy()), local(oslo, 2025, 3, 26, 9, 1), "reminder"}, // day 11 (seed 004 sample)
		{early, local(oslo, 2025, 3, 29, 9, 1), "reminder"},                     // day 14: allowed
	} {
		c := kClaim()
		c.State.CreditorNotices[CreditorOverdueWarning] = local(oslo, 2025, 3, 16, 10, 0)
		dec := DecideClaim(facts(tc.p, consumer("ola", "NO"), c, tc.at))
		e := record(t, dec)
		if e.Step != tc.step {
			t.Fatalf("%s: step %s", tc.p.Name, e.Step)
		}
		day := int(tc.at.Sub(kOverdueAt).Hours()/24) + 1
		switch {
		case day >= 14 && e.Fee.String() != "35.00":
			t.Errorf("policy %s: reminder on day %d charged %s, want 35.00", tc.p.Name, day, e.Fee)
		case day < 14 && e.Fee.IsPositive():
			bugs = append(bugs, fmt.Sprintf("policy %s, claim due %s: step %s sent %s (day %d) charged %s NOK",
				tc.p.Name, kDue, tc.step, tc.at.Format(time.DateOnly), day, e.Fee))
		}
	}
	if len(bugs) > 0 {
		t.Errorf("inkassoforskriften § 1-2 allows a reminder fee only when the reminder is sent at least 14 days after the due date: %s",
			strings.Join(bugs, "; "))
	}
}

// Finland, perintälaki 10 e §: the consumer caps bound all collection
// costs together, a payment plan's fee included.
func TestFinnishConsumerCapIncludesThePlanFee(t *testing.T) {
	p := alone(finlandPolicy())
	p.PlanFee = "50.00"
	c := newClaim("lasku-2", "EUR", "100.00", ymd(2025, 3, 14))
	did(c, p, "reminder", local(helsinki, 2025, 3, 28, 9, 0), eur("5"))
	did(c, p, "second-reminder", local(helsinki, 2025, 4, 11, 9, 0), eur("5"))
	did(c, p, "demand-letter", local(helsinki, 2025, 4, 25, 9, 0), eur("14"))
	c.HasPlan = true
	c.Installments = []plan.Installment{{Due: civil.New(2025, 6, 1), Amount: eur("124.00")}}
	dec := DecideClaim(facts(p, consumer("liisa", "FI"), c, local(helsinki, 2025, 5, 2, 10, 0)))
	if dec.State.Plan == nil {
		t.Fatalf("no plan: %+v %v", dec.Ready, dec.Stalled)
	}
	total := feeSum(c).Add(dec.State.Plan.Fee)
	if total.Amount.GreaterThan(decimal.NewFromInt(60)) {
		t.Errorf("a Finnish consumer claim of 100 EUR with 24 EUR of fees agrees a plan with PlanFee 50.00: plan fee %s, "+
			"costs %s EUR, above the 60 EUR cap (the plan fee is neither capped nor counted by Charged)", dec.State.Plan.Fee, total)
	}
}

// SplitCapped: examples.
func TestSplitCapped(t *testing.T) {
	for _, tc := range []struct {
		name             string
		fee              string
		principals, caps []string
		want             []string
	}{
		{"proportional to principals", "35", []string{"1000", "3000"}, []string{"35", "35"}, []string{"8.75", "26.25"}},
		{"a claim with no room left pays nothing, the other up to its cap", "35", []string{"1000", "3000"}, []string{"0", "35"}, []string{"0.00", "35.00"}},
		{"what no claim can carry is not charged", "35", []string{"1000", "3000"}, []string{"10", "10"}, []string{"10.00", "10.00"}},
		{"the excess goes to the others in proportion", "90", []string{"1000", "1000", "2000"}, []string{"5", "90", "90"}, []string{"5.00", "28.33", "56.67"}},
		{"minor units: odd öre to the largest remainder", "0.01", []string{"1", "1", "1"}, []string{"1", "1", "1"}, []string{"0.01", "0.00", "0.00"}},
		{"zero principals split evenly", "10", []string{"0", "0"}, []string{"10", "10"}, []string{"5.00", "5.00"}},
		{"one claim", "245", []string{"1000"}, []string{"100"}, []string{"100.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ps, cs []money.Money
			for i := range tc.principals {
				ps, cs = append(ps, nok(tc.principals[i])), append(cs, nok(tc.caps[i]))
			}
			got, err := SplitCapped(nok(tc.fee), ps, cs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i].Amount.Cmp(nok(tc.want[i]).Amount) != 0 {
					t.Errorf("shares %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
	if _, err := SplitCapped(nok("1"), []money.Money{nok("1")}, nil); err == nil {
		t.Error("caps of another length accepted")
	}
	if _, err := SplitCapped(nok("1"), nil, nil); err == nil {
		t.Error("a split over no claims accepted")
	}
}

// splitInput is a random case fee over 1 to 6 claims, in minor units.
type splitInput struct {
	Fee              int64
	Principals, Caps []int64
	Currency         string
}

func (splitInput) Generate(r *rand.Rand, _ int) reflect.Value {
	n := 1 + r.Intn(6)
	in := splitInput{Fee: r.Int63n(2_000_000), Currency: []string{"NOK", "SEK", "EUR", "JPY", "KWD"}[r.Intn(5)]}
	for i := 0; i < n; i++ {
		p := r.Int63n(100_000_000)
		if r.Intn(5) == 0 {
			p = 0
		}
		c := r.Int63n(in.Fee + 1)
		switch r.Intn(4) {
		case 0:
			c = 0
		case 1:
			c = in.Fee
		}
		in.Principals, in.Caps = append(in.Principals, p), append(in.Caps, c)
	}
	return reflect.ValueOf(in)
}

// SplitCapped's properties: the shares never exceed the fee nor any
// claim's cap, are whole minor units and never negative, and sum exactly
// to the fee whenever the caps together allow it.
func TestSplitCappedProperties(t *testing.T) {
	prop := func(in splitInput) bool {
		unit := decimal.New(1, -money.MinorDigits(in.Currency))
		m := func(units int64) money.Money {
			return money.Money{Currency: in.Currency, Amount: decimal.NewFromInt(units).Mul(unit)}
		}
		var ps, cs []money.Money
		capSum := money.Zero(in.Currency)
		for i := range in.Principals {
			ps, cs = append(ps, m(in.Principals[i])), append(cs, m(in.Caps[i]))
			capSum = capSum.Add(m(in.Caps[i]))
		}
		fee := m(in.Fee)
		shares, err := SplitCapped(fee, ps, cs)
		if err != nil {
			t.Logf("%+v: %v", in, err)
			return false
		}
		sum := money.Zero(in.Currency)
		for i, s := range shares {
			if s.Currency != in.Currency || s.Amount.IsNegative() || s.Cmp(cs[i]) > 0 || !s.Amount.Mod(unit).IsZero() {
				t.Logf("%+v: share %d = %s (cap %s)", in, i, s, cs[i])
				return false
			}
			sum = sum.Add(s)
		}
		if sum.Cmp(fee) > 0 {
			t.Logf("%+v: shares %v sum %s above the fee", in, shares, sum)
			return false
		}
		if capSum.Cmp(fee) >= 0 && sum.Cmp(fee) != 0 {
			t.Logf("%+v: shares %v sum %s, the caps allow the whole fee %s", in, shares, sum, fee)
			return false
		}
		if capSum.Cmp(fee) < 0 && sum.Cmp(capSum) != 0 {
			t.Logf("%+v: shares %v sum %s; the caps (%s) are below the fee, so every claim should carry its cap", in, shares, sum, capSum)
			return false
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
}

// FuzzSplitCapped checks the same properties on fuzzed figures.
func FuzzSplitCapped(f *testing.F) {
	f.Add(int64(3500), int64(100000), int64(300000), int64(0), int64(3500), int64(3500), int64(3500))
	f.Add(int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1))
	f.Add(int64(9000), int64(100000), int64(100000), int64(200000), int64(500), int64(9000), int64(9000))
	f.Fuzz(func(t *testing.T, fee, p1, p2, p3, c1, c2, c3 int64) {
		abs := func(x int64) int64 {
			if x < 0 {
				x = -x
			}
			return x % 1_000_000_000
		}
		fee = abs(fee)
		ps := []money.Money{nokMinor(abs(p1)), nokMinor(abs(p2)), nokMinor(abs(p3))}
		cs := []money.Money{nokMinor(abs(c1)), nokMinor(abs(c2)), nokMinor(abs(c3))}
		shares, err := SplitCapped(nokMinor(fee), ps, cs)
		if err != nil {
			t.Fatal(err)
		}
		sum, capSum := nok("0"), nok("0")
		for i, s := range shares {
			if s.Amount.IsNegative() || s.Cmp(cs[i]) > 0 {
				t.Fatalf("share %d = %s, cap %s", i, s, cs[i])
			}
			sum, capSum = sum.Add(s), capSum.Add(cs[i])
		}
		want := nokMinor(fee)
		if capSum.Cmp(want) < 0 {
			want = capSum
		}
		if sum.Cmp(want) != 0 {
			t.Fatalf("fee %s caps %v principals %v: shares %v sum %s, want %s", nokMinor(fee), cs, ps, shares, sum, want)
		}
	})
}

func nokMinor(units int64) money.Money {
	return money.Money{Currency: "NOK", Amount: decimal.New(units, -2)}
}

// When the law allows a reminder-type fee at all (domain.md): Norway only
// on a reminder sent at least 14 days after the due date (inkassoforskriften
// § 1-2); Finnish consumers likewise and 14 days after the previous reminder
// fee; Sweden only when agreed when the debt arose, on the claim or, failing
// that, the debtor.
func TestReminderFeeConditions(t *testing.T) {
	due := ymd(2025, 3, 1)
	no, se, fi := threeReminderPolicy(), swedenPolicy(), finlandPolicy()
	agreedDebtor := consumer("sven", "SE")
	agreedDebtor.ReminderFeeAgreed = true
	for _, tc := range []struct {
		name    string
		p       *Policy
		d       *Debtor
		cur     string
		step    string
		on      time.Time
		agreed  *bool
		history []Entry
		want    string
	}{
		{"NO 13 days after due: none", no, consumer("ola", "NO"), "NOK", "reminder", local(oslo, 2025, 3, 14, 9, 0), nil, nil, "0.00"},
		{"NO 14 days after due: 35", no, consumer("ola", "NO"), "NOK", "reminder", local(oslo, 2025, 3, 15, 9, 0), nil, nil, "35.00"},
		{"NO business, 13 days: none", no, business("as", "NO"), "NOK", "reminder", local(oslo, 2025, 3, 14, 9, 0), nil, nil, "0.00"},
		{"SE not agreed: none", se, consumer("sven", "SE"), "SEK", "reminder", local(stockholm, 2025, 3, 20, 9, 0), nil, nil, "0.00"},
		{"SE agreed on the debtor: 60", se, agreedDebtor, "SEK", "reminder", local(stockholm, 2025, 3, 20, 9, 0), nil, nil, "60.00"},
		{"SE agreed on the claim: 60", se, consumer("sven", "SE"), "SEK", "reminder", local(stockholm, 2025, 3, 20, 9, 0), ptrTo(true), nil, "60.00"},
		{"SE the claim says not agreed: none", se, agreedDebtor, "SEK", "reminder", local(stockholm, 2025, 3, 20, 9, 0), ptrTo(false), nil, "0.00"},
		{"FI consumer 13 days after due: none", fi, consumer("liisa", "FI"), "EUR", "reminder", local(helsinki, 2025, 3, 14, 9, 0), nil, nil, "0.00"},
		{"FI consumer second fee 13 days after the first: none", fi, consumer("liisa", "FI"), "EUR", "second-reminder", local(helsinki, 2025, 3, 28, 9, 0), nil,
			[]Entry{{Step: "reminder", Time: local(helsinki, 2025, 3, 15, 9, 0), Fee: eur("5"), HasFee: true, FeeKind: fees.Reminder}}, "0.00"},
		{"FI consumer second fee 14 days after the first: 5", fi, consumer("liisa", "FI"), "EUR", "second-reminder", local(helsinki, 2025, 3, 29, 9, 0), nil,
			[]Entry{{Step: "reminder", Time: local(helsinki, 2025, 3, 15, 9, 0), Fee: eur("5"), HasFee: true, FeeKind: fees.Reminder}}, "5.00"},
		{"FI business 13 days after due: 12", fi, business("oy", "FI"), "EUR", "reminder", local(helsinki, 2025, 3, 14, 9, 0), nil, nil, "12.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClaim("inv-1", tc.cur, "1000.00", due)
			c.ReminderFeeAgreed, c.State.History = tc.agreed, tc.history
			step, _ := tc.p.StepNamed(tc.step)
			got, err := Allowance(tc.p, tc.d, c, step, money.MustParse("1000", tc.cur), tc.on)
			if err != nil {
				t.Fatal(err)
			}
			wantMoney(t, "allowance", got.Amount, tc.want)
			if got.Amount.IsZero() && !strings.HasPrefix(got.Basis, "no reminder fee") {
				t.Errorf("basis %q: want the reason no fee is allowed", got.Basis)
			}
		})
	}
}

// A fixed amount on a Reminder-phase step is still a reminder fee in law:
// the conditions and the maximum of the reminder fee apply to it (Norway:
// inkassoforskriften § 1-2; Sweden: lag om ersättning för
// inkassokostnader m.m. 2 §, 60 SEK, agreed when the debt arose).
func TestFixedReminderFeeIsStillAReminderFee(t *testing.T) {
	fixed := func(p *Policy, amount string) *Policy {
		p.Steps[0].Fee, p.Steps[0].FixedFee = "", amount // the reminder
		return p
	}
	agreed, plain := ptrTo(true), ptrTo(false)
	due := ymd(2025, 3, 1)
	for _, r := range []struct {
		name   string
		p      *Policy
		d      *Debtor
		agreed *bool
		on     time.Time
		prior  []Entry
		want   string
	}{
		{"SE fixed 400, not agreed: none", fixed(swedenPolicy(), "400"), consumer("sven", "SE"), plain, on2025, nil, "0.00"},
		{"SE fixed 400, agreed: the law's 60", fixed(swedenPolicy(), "400"), consumer("sven", "SE"), agreed, on2025, nil, "60.00"},
		{"SE fixed 50, agreed: 50", fixed(swedenPolicy(), "50"), consumer("sven", "SE"), agreed, on2025, nil, "50.00"},
		{"NO fixed 35 a day after the due date: none", fixed(threeReminderPolicy(), "35"), consumer("ola", "NO"), nil, local(oslo, 2025, 3, 2, 9, 0), nil, "0.00"},
		{"NO fixed 35 after two reminder-type fees: none", fixed(threeReminderPolicy(), "35"), consumer("ola", "NO"), nil, on2025,
			[]Entry{entry("second-reminder", nok("35"), fees.Reminder), entry("collection-notice", nok("35"), fees.Reminder)}, "0.00"},
		{"NO fixed 35 on time: 35", fixed(threeReminderPolicy(), "35"), consumer("ola", "NO"), nil, on2025, nil, "35.00"},
	} {
		t.Run(r.name, func(t *testing.T) {
			cur := "NOK"
			if r.p.Jurisdiction == "SE" {
				cur = "SEK"
			}
			c := newClaim("inv-1", cur, "5000.00", due)
			c.ReminderFeeAgreed = r.agreed
			c.State.History = r.prior
			got, err := Allowance(r.p, r.d, c, r.p.Steps[0], c.Amount, r.on)
			if err != nil {
				t.Fatal(err)
			}
			wantMoney(t, "allowance", got.Amount, r.want)
			if got.Basis == "" {
				t.Errorf("no basis")
			}
		})
	}
	// Counted as a reminder fee: after two fixed ones, a third reminder-type fee is refused.
	p := fixed(threeReminderPolicy(), "35")
	c := newClaim("inv-1", "NOK", "5000.00", due)
	c.State.History = []Entry{{Step: "reminder", Time: on2025, Fee: nok("35"), HasFee: true}, {Step: "reminder", Time: on2025, Fee: nok("35"), HasFee: true}}
	step, _ := p.StepNamed("collection-notice")
	if got, err := Allowance(p, consumer("ola", "NO"), c, step, c.Amount, on2025.AddDate(0, 1, 0)); err != nil || got.Amount.IsPositive() {
		t.Errorf("a third reminder-type fee after two fixed ones: %v %v, want none", got.Amount, err)
	}
}
