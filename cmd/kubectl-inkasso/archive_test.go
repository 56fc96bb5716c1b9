package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

func archived(t *testing.T, ns, name string, phase inkassov1.ClaimPhase, outstanding string) archive.Record {
	t.Helper()
	c := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name)},
		Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: strings.ToUpper(name),
			InvoiceDate: "2026-01-05", DueDate: "2026-01-19", Amount: "1000.00", Currency: "NOK"},
		Status: inkassov1.ClaimStatus{Phase: phase, Balance: &inkassov1.Balance{Principal: "1000.00", Fees: "35.00", Interest: "0.00", Paid: "1035.00", Outstanding: outstanding},
			Ledger:  []inkassov1.LedgerEntry{{Date: "2026-01-05", Kind: "Invoice", Amount: "1000.00", Creditor: "1000.00", Agency: "0.00"}},
			History: []inkassov1.HistoryEntry{{Step: "reminder", Time: metav1.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC)}}},
	}
	r, err := archive.RecordOf(c, archive.KindFinished, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(genericclioptions.IOStreams{Out: &out, ErrOut: &errOut})
	root.SetArgs(args)
	root.SetOut(&errOut)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), err
}

// TestArchiveCommands: `kubectl inkasso archive list|get` read a real
// PostgreSQL archive directly.
func TestArchiveCommands(t *testing.T) {
	pg := pgtest.New(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range []archive.Record{archived(t, "acme", "inv-1", inkassov1.PhasePaid, "0.00"), archived(t, "acme", "inv-2", inkassov1.PhaseWithdrawn, "1035.00"),
		archived(t, "other", "inv-9", inkassov1.PhasePaid, "0.00")} {
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, "archive", "list", "-n", "acme", "--archive-dsn", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "inv-1") || !strings.Contains(out, "inv-2") || strings.Contains(out, "inv-9") || !strings.Contains(out, "Withdrawn") {
		t.Errorf("archive list -n acme:\n%s", out)
	}
	t.Setenv(archiveDSNEnv, pg.DSN)
	out, err = run(t, "archive", "list", "-A", "--phase", "Paid")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "other") || !strings.Contains(out, "inv-9") || strings.Contains(out, "inv-2") {
		t.Errorf("archive list -A --phase Paid:\n%s", out)
	}
	out, err = run(t, "archive", "get", "inv-2", "-n", "acme", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v archivedView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if v.Phase != inkassov1.PhaseWithdrawn || v.Status.Balance.Outstanding != "1035.00" || len(v.Status.Ledger) != 1 || v.Spec.InvoiceNumber != "INV-2" || v.Writes != 1 {
		t.Errorf("archive get: %+v", v)
	}
	if out, err = run(t, "archive", "get", "inv-2", "-n", "acme"); err != nil || !strings.Contains(out, "invoiceNumber: INV-2") {
		t.Errorf("archive get as yaml: %v\n%s", err, out)
	}
	if _, err := run(t, "archive", "get", "inv-404", "-n", "acme"); err == nil || !strings.Contains(err.Error(), "not in the archive") {
		t.Errorf("a missing claim: %v", err)
	}
	t.Setenv(archiveDSNEnv, "")
	if _, err := run(t, "archive", "list", "-n", "acme"); err == nil || !strings.Contains(err.Error(), "--archive-dsn") {
		t.Errorf("without a DSN: %v", err)
	}
}

// TestMergeArchived: status, report and ledger count a claim once: a
// claim in the cluster (restored, or back for its re-check) is its object.
func TestMergeArchived(t *testing.T) {
	recs := []archive.Record{archived(t, "acme", "inv-1", inkassov1.PhasePaid, "0.00"), archived(t, "acme", "inv-2", inkassov1.PhaseWithdrawn, "1035.00")}
	live := []inkassov1.Claim{{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "inv-2"}}, {ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "inv-1"}}}
	got := mergeArchived(live, recs)
	if len(got) != 1 || got[0].Name != "inv-1" || got[0].Namespace != "acme" || got[0].Status.Phase != inkassov1.PhasePaid || got[0].Status.Balance.Outstanding != "0.00" {
		t.Errorf("merged %+v", got)
	}
}
