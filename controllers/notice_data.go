package controllers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/ledger"
	"github.com/inkasso-operator/inkasso-operator/internal/money"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
)

// noticeData is what the templates print on in's notice: the debtor's
// language (else the jurisdiction's), the deadline (the step's payment days,
// moved to the next bank day), the amounts summed over the claims, one line
// per claim, the payment reference, the late-interest rate and the day it
// runs from, the creditor and the sender, and feeCharged, what this step
// charged (zero: nothing, and the templates drop their "of which X for this
// notice" line).
// buildNotice renders its notice from it; notice_templates_test.go checks
// every template against it.
func noticeData(in noticeInput, feeCharged money.Money) (notice.Data, error) {
	lang := in.debtor.Spec.Language
	if lang == "" {
		lang = jurisdictionDefaults[in.policy.Spec.Jurisdiction].lang
	}
	cal, err := calendar.For(string(in.policy.Spec.Jurisdiction))
	if err != nil {
		return notice.Data{}, err
	}
	payBy := ""
	step := collection.Step{Name: in.step.Name, Phase: collection.Phase(in.step.Phase), PaymentDeadlineDays: int(in.step.PaymentDeadlineDays)}
	step.Fee, step.FixedFee = collection.FeeOf(in.step.Fee)
	if d, ok := collection.PayBy(string(in.policy.Spec.Jurisdiction), step, in.now, in.release, in.tp.Location, cal, in.tp.SkewAllowance); ok {
		payBy = d.String()
	}

	cur := string(in.claims[0].Spec.Currency)
	sum := func(get func(ledger.Result) money.Money) money.Money {
		total := money.Zero(cur)
		for _, b := range in.balances {
			total = total.Add(get(b))
		}
		return total
	}
	principal, fees := sum(func(b ledger.Result) money.Money { return b.Principal }), sum(func(b ledger.Result) money.Money { return b.Fees })
	interest, paid := sum(func(b ledger.Result) money.Money { return b.Interest }), sum(func(b ledger.Result) money.Money { return b.Paid })
	outstanding := sum(func(b ledger.Result) money.Money { return b.Outstanding })

	var lines []notice.Line
	for i, c := range in.claims {
		lines = append(lines, notice.Line{InvoiceNumber: c.Spec.InvoiceNumber, DueDate: string(c.Spec.DueDate), Outstanding: in.balances[i].Outstanding.String()})
	}
	reference := in.reference
	if reference == "" {
		reference = in.claims[0].Status.PaymentReference
	}
	interestFrom := string(in.claims[0].Spec.DueDate)
	for _, c := range in.claims {
		interestFrom = min(interestFrom, string(c.Spec.DueDate))
	}
	rate, err := interestRate(in.policy, in.debtor, in.now)
	if err != nil {
		return notice.Data{}, err
	}
	data := notice.Data{
		Language: string(lang), Step: in.step.Name, Template: in.step.Template, DebtorName: in.debtor.Spec.DisplayName,
		Currency: cur, Claims: lines, Principal: principal.String(), Fees: fees.String(), Interest: interest.String(),
		Paid: paid.String(), Outstanding: outstanding.String(), PayBy: payBy, PaymentReference: reference,
		InterestRate: rate, InterestFrom: interestFrom,
	}
	if feeCharged.IsPositive() {
		// A fee in another currency is a bug upstream: fail rather than drop
		// the fee line silently.
		if feeCharged.Currency != cur {
			return notice.Data{}, fmt.Errorf("step %q charged a fee in %q on claims in %q", in.step.Name, feeCharged.Currency, cur)
		}
		data.FeeCharged = feeCharged.String()
	}
	if p := in.policy.Spec.Creditor; p != nil {
		data.CreditorName, data.CreditorOrgNo = p.Name, p.OrganizationNumber
	}
	if p := in.policy.Spec.Sender; p != nil {
		data.SenderName, data.BankAccount = p.Name, p.BankAccount
		data.SenderContact = strings.Join(slices.DeleteFunc([]string{p.Phone, p.Email}, func(s string) bool { return s == "" }), ", ")
	}
	return data, nil
}
