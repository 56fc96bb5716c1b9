package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jackc/pgx/v5"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
	"github.com/inkasso-operator/inkasso-operator/internal/archive/postgres"
	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

// server is one real PostgreSQL for the package; each test has a database.
var server *pgtest.Server

func TestMain(m *testing.M) {
	s, err := pgtest.Start()
	switch {
	case errors.Is(err, pgtest.ErrNotInstalled):
		fmt.Fprintln(os.Stderr, "PostgreSQL tests skip:", err)
	case err != nil:
		fmt.Fprintln(os.Stderr, "starting PostgreSQL:", err)
		os.Exit(1)
	}
	server = s
	code := m.Run()
	if server != nil {
		_ = server.Stop()
	}
	os.Exit(code)
}

func open(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	if server == nil {
		t.Skip("skipping: PostgreSQL is not installed (see the message above the tests)")
	}
	ctx := context.Background()
	dsn, err := server.CreateDatabase(ctx, strings.ToLower(t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, dsn
}

func record(t testing.TB, uid, name, invoiceDate string, phase inkassov1.ClaimPhase) archive.Record {
	t.Helper()
	c := &inkassov1.Claim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: name, UID: types.UID(uid), CreationTimestamp: metav1.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		Spec: inkassov1.ClaimSpec{DebtorRef: inkassov1.LocalObjectReference{Name: "ola"}, InvoiceNumber: "INV-" + name,
			InvoiceDate: inkassov1.Date(invoiceDate), DueDate: inkassov1.Date(invoiceDate), Amount: "1250.00", Currency: "NOK"},
		Status: inkassov1.ClaimStatus{Phase: phase, Balance: &inkassov1.Balance{Principal: "1250.00", Fees: "70.00", Interest: "3.10", Paid: "1323.10", Outstanding: "0.00"},
			History: []inkassov1.HistoryEntry{{Step: "reminder", Time: metav1.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC), Notices: []string{"n1"}}},
			Ledger:  []inkassov1.LedgerEntry{{Date: "2026-01-01", Kind: "Invoice", Amount: "1250.00", Creditor: "1250.00", Agency: "0.00"}}},
	}
	r, err := archive.RecordOf(c, archive.KindFinished, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMigrateTwice: a second Open (a second replica, a restart) applies
// nothing again.
func TestMigrateTwice(t *testing.T) {
	s, dsn := open(t)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var versions int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM inkasso_archive_schema`).Scan(&versions); err != nil || versions != postgres.SchemaVersion() {
		t.Fatalf("%d version rows (%v), want one per version (%d)", versions, err, postgres.SchemaVersion())
	}
	// A schema from a newer operator is refused, not written to.
	if _, err := conn.Exec(ctx, `INSERT INTO inkasso_archive_schema (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("open on a newer schema: %v", err)
	}
	if _, err := postgres.OpenReadOnly(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("read-only open on a newer schema: %v", err)
	}
}

// TestPutTwiceIsOneRow: writing the same claim again (a crash between the
// commit and the finalizer's removal) updates its row; a second claim with
// the same invoice is a row of its own.
func TestPutTwiceIsOneRow(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	r := record(t, "uid-1", "inv-1", "2026-01-15", inkassov1.PhasePaid)
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Status.Balance.Outstanding = "0.00"
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx, "acme"); err != nil || n != 1 {
		t.Fatalf("count %d (%v), want 1 row after two writes of one claim", n, err)
	}
	got, err := s.Get(ctx, "uid-1")
	if err != nil || got == nil {
		t.Fatalf("get: %v %v", got, err)
	}
	if got.Writes != 2 || got.Phase != inkassov1.PhasePaid || got.Amount != "1250.00" || got.Outstanding != "0.00" ||
		len(got.Status.Ledger) != 1 || got.Status.History[0].Notices[0] != "n1" || got.Spec.InvoiceNumber != "INV-inv-1" ||
		len(got.Notices) != 1 || got.Notices[0].State != archive.NoticeGone {
		t.Errorf("read back %+v", got)
	}
	other := record(t, "uid-2", "inv-1b", "2026-02-03", inkassov1.PhaseWithdrawn)
	if err := s.Put(ctx, other); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx, ""); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	parts, err := s.Partitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{postgres.Table + "_y2026m01", postgres.Table + "_y2026m02"}
	if fmt.Sprint(parts) != fmt.Sprint(want) {
		t.Errorf("partitions %v, want %v (one per invoice month, created on demand)", parts, want)
	}
}

func TestFindAndRestoreMarks(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	r := record(t, "uid-3", "inv-3", "2026-01-15", inkassov1.PhaseSurveillance)
	wake := time.Date(2026, 9, 1, 7, 0, 0, 0, time.UTC)
	r.Kind, r.WakeAt = archive.KindDormant, &wake
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Find(ctx, "acme", "INV-inv-3", "ola"); err != nil || got == nil || got.UID != "uid-3" {
		t.Fatalf("find: %+v %v", got, err)
	}
	for _, miss := range [][3]string{{"other", "INV-inv-3", "ola"}, {"acme", "INV-inv-3", "kari"}, {"acme", "INV-x", "ola"}} {
		if got, err := s.Find(ctx, miss[0], miss[1], miss[2]); err != nil || got != nil {
			t.Errorf("find %v: %+v %v, want none", miss, got, err)
		}
	}
	if due, err := s.DueForWake(ctx, wake.Add(-time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("due before the re-check: %v %v", due, err)
	}
	due, err := s.DueForWake(ctx, wake, 10)
	if err != nil || len(due) != 1 || due[0].UID != "uid-3" {
		t.Fatalf("due at the re-check: %v %v", due, err)
	}
	if err := s.MarkRestored(ctx, due[0], "new-uid", inkassov1.RestoredRecheck, wake); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueForWake(ctx, wake, 10); len(due) != 0 {
		t.Fatalf("a restored record is due again: %v", due)
	}
	got, _ := s.GetByName(ctx, "acme", "inv-3")
	if got.RestoredUID != "new-uid" || got.RestoredReason != inkassov1.RestoredRecheck {
		t.Errorf("restore mark: %+v", got)
	}
	// Archived again after the re-check: the same row, restore mark cleared.
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, "uid-3")
	if got.RestoredUID != "" || got.Writes != 2 {
		t.Errorf("after archiving again: %+v", got)
	}
	list, err := s.List(ctx, postgres.ListOptions{Namespace: "acme", Phase: "Surveillance"})
	if err != nil || len(list) != 1 {
		t.Errorf("list: %v %v", list, err)
	}
}

var benchDBs int

// BenchmarkPut measures one claim's archive commit (a claim with a full
// Norwegian history and ledger) and reports the table's bytes per claim.
func BenchmarkPut(b *testing.B) {
	if server == nil {
		b.Skip("skipping: PostgreSQL is not installed")
	}
	ctx := context.Background()
	benchDBs++
	dsn, err := server.CreateDatabase(ctx, fmt.Sprintf("bench_put_%d", benchDBs))
	if err != nil {
		b.Fatal(err)
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := record(b, "uid-0", "inv-0", "2026-01-15", inkassov1.PhasePaid)
	for i := range 11 {
		base.Status.History = append(base.Status.History, inkassov1.HistoryEntry{Step: fmt.Sprintf("step-%d", i), Phase: inkassov1.PhaseCollection,
			Time: metav1.Date(2026, 2, 1+i, 8, 0, 0, 0, time.UTC), Notices: []string{fmt.Sprintf("inv-0-step-%d-letter-0123456789", i)}, Fee: "70.00", FeeKind: "Reminder"})
		base.Status.Ledger = append(base.Status.Ledger, inkassov1.LedgerEntry{Date: "2026-02-01", Kind: "Fee", Ref: fmt.Sprintf("step-%d", i), Amount: "70.00", Creditor: "0.00", Agency: "70.00"})
		base.Notices = append(base.Notices, archive.Notice{Name: fmt.Sprintf("inv-0-step-%d-letter-0123456789", i), Step: fmt.Sprintf("step-%d", i), Channel: "letter", State: "Sent", Attempts: 1, DeliveryID: "d-123456"})
	}
	b.ResetTimer()
	for i := range b.N {
		r := base
		r.UID, r.Name = fmt.Sprintf("uid-%d", i), fmt.Sprintf("inv-%d", i)
		r.InvoiceMonth = time.Date(2026, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC)
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, err := s.Count(ctx, ""); err == nil && n > 0 {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		var bytes int64
		if err := conn.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, postgres.Table).Scan(&bytes); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(bytes)/float64(n), "bytes/claim")
	}
}
