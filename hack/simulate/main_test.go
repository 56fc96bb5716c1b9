package main

import (
	"context"
	"testing"

	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

// TestSimulateSmall runs the simulation on 30 days of 20 claims a day into
// a throw-away PostgreSQL: every claim is decided, the paying ones end
// Paid and reach the archive, and the lookups find them.
func TestSimulateSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := pgtest.New(t)
	dsn, err := srv.CreateDatabase(context.Background(), "simulate")
	if err != nil {
		t.Fatal(err)
	}
	o := options{days: 30, tail: 120, perDay: 20, national: 27000, copies: 2, creditors: 3, workers: 2, queries: 10,
		dsn: dsn, root: "../..", seed: 1}
	st, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if st.claims != 600 || st.decisions < st.claims || st.steps == 0 || st.notices == 0 {
		t.Errorf("%d claims, %d decisions, %d steps, %d notices", st.claims, st.decisions, st.steps, st.notices)
	}
	if st.phases["Paid"] == 0 || st.phases["Paid"] != st.payments {
		t.Errorf("%d claims Paid after %d payments in full (phases %v)", st.phases["Paid"], st.payments, st.phases)
	}
	if got := st.archived.Load(); got < int64(2*st.phases["Paid"]) {
		t.Errorf("%d archive writes for %d paid claims × 2 copies", got, st.phases["Paid"])
	}
}
