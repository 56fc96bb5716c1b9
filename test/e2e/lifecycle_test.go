package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// claimView is the part of a Claim the scenario reads through kubectl.
type claimView struct {
	Status struct {
		Phase   string `json:"phase"`
		Step    string `json:"step"`
		CaseID  string `json:"caseID"`
		History []struct {
			Step    string    `json:"step"`
			Time    time.Time `json:"time"`
			Notices []string  `json:"notices"`
		} `json:"history"`
		Balance *struct {
			Outstanding    string `json:"outstanding"`
			Paid           string `json:"paid"`
			CreditorCharge string `json:"creditorCharge"`
		} `json:"balance"`
		Ledger []struct {
			Date string `json:"date"`
		} `json:"ledger"`
		Conditions []struct {
			Type, Status, Reason, Message string
		} `json:"conditions"`
	} `json:"status"`
}

func (v claimView) done(step string) bool {
	for _, h := range v.Status.History {
		if h.Step == step {
			return true
		}
	}
	return false
}

func (v claimView) stepTime(step string) time.Time {
	for _, h := range v.Status.History {
		if h.Step == step {
			return h.Time
		}
	}
	return time.Time{}
}

func (v claimView) ready() (reason, msg string) {
	for _, c := range v.Status.Conditions {
		if c.Type == "Ready" {
			return c.Reason, c.Message
		}
	}
	return "", ""
}

// TestLifecycleScenario runs the built manager on an accelerated clock
// through issue #5's scenario, every action a kubectl patch as a person or a
// GitOps pipeline would make it:
//   - a three-invoice business debtor collected as one case;
//   - a consumer claim paid in two parts;
//   - a disputed claim resolved for the creditor;
//   - a claim withdrawn inside the free-cancellation window;
//   - a debtor abroad forwarded at transfer;
//   - a four-year-old claim refused as time-barred.
func TestLifecycleScenario(t *testing.T) {
	c := start(t)
	manager := buildManager(t, c.root)
	const ns = "scenario"
	c.kubectlOut(t, "create", "namespace", ns)
	for _, f := range []string{"collection_v1alpha1_noticechannel.yaml", "collection_v1alpha1_collectionpolicy_kravia.yaml"} {
		c.kubectlOut(t, "apply", "-n", ns, "-f", filepath.Join(c.root, "config", "samples", f))
	}
	c.kubectlOut(t, "apply", "-n", ns, "-f", filepath.Join("testdata", "lifecycle.yaml"))
	// 150000x: a day passes in about 0.6 s, so a patch made on seeing a
	// step lands well inside the step's window.
	runManager(t, c, manager, "2026-03-01T00:00:00+01:00", 150000)

	get := func(name string) claimView {
		t.Helper()
		var v claimView
		if err := json.Unmarshal([]byte(c.kubectlOut(t, "get", "claim", "-n", ns, name, "-o", "json")), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitFor := func(name, what string, ok func(claimView) bool) claimView {
		t.Helper()
		deadline := time.Now().Add(4 * time.Minute)
		for {
			v := get(name)
			if ok(v) {
				return v
			}
			if time.Now().After(deadline) {
				reason, msg := v.ready()
				t.Fatalf("claim %s: %s did not happen; phase %s step %s, Ready %s: %s", name, what, v.Status.Phase, v.Status.Step, reason, msg)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	patch := func(name, p string) {
		t.Helper()
		c.kubectlOut(t, "patch", "claim", "-n", ns, name, "--type", "merge", "-p", p)
	}
	oslo, _ := time.LoadLocation("Europe/Oslo")
	day := func(ts time.Time) string { return ts.In(oslo).Format(time.DateOnly) }
	finished := func(v claimView) bool {
		switch v.Status.Phase {
		case "Legal", "Surveillance":
			reason, _ := v.ready()
			return v.done("handover") && reason != "Waiting"
		case "Paid", "Withdrawn", "WrittenOff", "TimeBarred", "Forwarded":
			return true
		}
		return false
	}

	// A four-year-old claim: refused as time-barred, with the reason.
	old := waitFor("o-1", "time-barred", func(v claimView) bool { return v.Status.Phase == "TimeBarred" })
	if _, msg := old.ready(); !strings.Contains(msg, "time-barred since 2025-01-16") || len(old.Status.History) != 0 {
		t.Errorf("o-1: Ready %q, %d steps: want time-barred since 2025-01-16 (three years after due) and nothing sent", msg, len(old.Status.History))
	}

	// Withdrawn right after the reminder: inside the 10 free days.
	waitFor("w-1", "reminder", func(v claimView) bool { return v.done("reminder") })
	patch("w-1", `{"spec":{"withdraw":true}}`)
	w := waitFor("w-1", "withdrawal", func(v claimView) bool { return v.Status.Phase == "Withdrawn" })
	if _, msg := w.ready(); !strings.Contains(msg, "no cost") || w.Status.Balance.CreditorCharge != "0.00" {
		t.Errorf("w-1 withdrawn: %q, creditor charge %s: want it free", msg, w.Status.Balance.CreditorCharge)
	}

	// c-1 and d-1 fall due together. After their collection notices, the
	// consumer pays 400 and the other debtor disputes the claim.
	d := waitFor("d-1", "collection notice", func(v claimView) bool { return v.done("collection-notice") })
	p := waitFor("c-1", "collection notice", func(v claimView) bool { return v.done("collection-notice") })
	first := day(p.stepTime("collection-notice"))
	patch("c-1", fmt.Sprintf(`{"spec":{"payments":[{"id":"bank-1","amount":"400.00","date":%q}]}}`, first))
	patch("d-1", fmt.Sprintf(`{"spec":{"dispute":{"raisedOn":%q,"reason":"the goods were never delivered"}}}`, day(d.stepTime("collection-notice"))))
	d = waitFor("d-1", "dispute", func(v claimView) bool { return v.Status.Phase == "Disputed" })
	stepsWhenDisputed := len(d.Status.History)

	// The consumer pays the rest as the payment demand states it, on its date.
	p = waitFor("c-1", "payment demand", func(v claimView) bool { return v.done("payment-demand") })
	demand := p.Status.History[len(p.Status.History)-1]
	if demand.Step != "payment-demand" || len(demand.Notices) == 0 {
		t.Fatalf("c-1 last step %+v", demand)
	}
	stated := c.kubectlOut(t, "get", "ntc", "-n", ns, demand.Notices[0], "-o", "jsonpath={.spec.amounts.outstanding}")
	patch("c-1", fmt.Sprintf(`{"spec":{"payments":[{"id":"bank-1","amount":"400.00","date":%q},{"id":"bank-2","amount":%q,"date":%q}]}}`,
		first, stated, day(demand.Time)))
	p = waitFor("c-1", "paid", func(v claimView) bool { return v.Status.Phase == "Paid" || finished(v) })
	if p.Status.Phase != "Paid" || p.Status.Balance.Outstanding != "0.00" {
		t.Errorf("c-1: phase %s, outstanding %s after two payments (the demand stated %s): want Paid, 0.00\n%s\n%s", p.Status.Phase, p.Status.Balance.Outstanding, stated,
			c.kubectlOut(t, "get", "claim", "-n", ns, "c-1", "-o", "yaml"), c.kubectlOut(t, "get", "ntc", "-n", ns, demand.Notices[0], "-o", "yaml"))
	}

	// Nothing happened to d-1 while disputed, though its payment demand was
	// due long ago; resolved for the creditor, collection resumes.
	if d = get("d-1"); d.Status.Phase != "Disputed" || len(d.Status.History) != stepsWhenDisputed {
		t.Fatalf("d-1 moved on while disputed: phase %s, %d steps", d.Status.Phase, len(d.Status.History))
	}
	patch("d-1", `{"spec":{"dispute":{"resolution":"Creditor"}}}`)
	waitFor("d-1", "collection resumed", func(v claimView) bool { return v.done("payment-demand") })

	// Abroad: forwarded to a partner at transfer.
	f := waitFor("f-1", "forwarding", finished)
	if f.Status.Phase != "Forwarded" {
		t.Errorf("f-1 (debtor in SE) ended %s, want Forwarded", f.Status.Phase)
	}

	// The business debtor's three invoices: one case, one notice per step listing all three.
	var caseID string
	for _, n := range []string{"b-1", "b-2", "b-3"} {
		b := waitFor(n, "the end of the policy", finished)
		if caseID == "" {
			caseID = b.Status.CaseID
		}
		if b.Status.CaseID != caseID || caseID == "" {
			t.Errorf("claim %s in case %q, want all three in %q", n, b.Status.CaseID, caseID)
		}
	}
	// Each invoice gets exactly one payment demand: the case's, or its own
	// when it missed the case's collection notice (it never skips its own
	// notice and deadline, inkassoloven §§ 9-10).
	notices := c.kubectlOut(t, "get", "ntc", "-n", ns, "-l", "collection.inkasso.dev/step=payment-demand",
		"-o", `jsonpath={range .items[*]}{.spec.caseID}={range .spec.claimRefs[*]}{.name},{end}{"\n"}{end}`)
	for _, n := range []string{"b-1", "b-2", "b-3"} {
		if got := strings.Count(notices, n+","); got != 1 {
			t.Errorf("payment demands %q: claim %s listed %d times, want once", notices, n, got)
		}
	}
	// The claims that took the case's collection notice take its payment
	// demand. Which they are follows from when each was reminded: on this
	// clock (a day is 0.6 s) a claim reminded a day after the others under
	// load (two busy loops on two cores) falls due for transfer later,
	// misses the case's collection notice and by law has its own notice and
	// demand first, so the grouping is read from the histories.
	var tookCaseNotice []string
	for _, n := range []string{"b-1", "b-2", "b-3"} {
		for _, h := range get(n).Status.History {
			if h.Step == "collection-notice" && len(h.Notices) > 0 && strings.HasPrefix(h.Notices[0], caseID+"-") {
				tookCaseNotice = append(tookCaseNotice, n)
			}
		}
	}
	if len(tookCaseNotice) == 0 {
		t.Errorf("no claim took the case %s's collection notice", caseID)
	}
	caseDemand := ""
	for _, line := range strings.Split(notices, "\n") {
		if id, claims, ok := strings.Cut(line, "="); ok && id == caseID {
			caseDemand = claims
		}
	}
	for _, n := range tookCaseNotice {
		if !strings.Contains(caseDemand, n+",") {
			t.Errorf("payment demands %q: the case %s's lists %q, want %s, which took the case's collection notice (%v did)", notices, caseID, caseDemand, n, tookCaseNotice)
		}
	}
	dd := waitFor("d-1", "the end of the policy", finished)
	if dd.Status.Phase != "Surveillance" && dd.Status.Phase != "Legal" {
		t.Errorf("d-1 after the dispute ended %s", dd.Status.Phase)
	}
	events := c.kubectlOut(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name=d-1", "-o", "jsonpath={.items[*].reason}")
	for _, want := range []string{"PhaseReminder", "PhaseDisputed"} {
		if !strings.Contains(events, want) {
			t.Errorf("d-1 events %q lack %s", events, want)
		}
	}
	// A step is in the claim's history; an event per step is opt-in
	// (--step-events).
	if strings.Contains(events, "StepCompleted") {
		t.Errorf("d-1 events %q: StepCompleted without --step-events", events)
	}
}
