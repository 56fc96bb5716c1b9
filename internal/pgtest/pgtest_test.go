package pgtest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

func TestServerRunsSQL(t *testing.T) {
	s := pgtest.New(t)
	ctx := context.Background()
	dsn, err := s.CreateDatabase(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "15") && os.Getenv("PGTEST_BIN") == "" {
		t.Errorf("server version %s, want 15", v)
	}
}
