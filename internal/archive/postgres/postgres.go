// Package postgres is the claim archive in PostgreSQL, through pgx: one
// table of archived claims, partitioned by invoice month with declarative
// partitioning (a partition is created the first time a month is written),
// and schema migrations versioned in code (Migrate, run by Open).
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/archive"
)

// Table is the partitioned table of archived claims.
const Table = "inkasso_archived_claims"

// migrations are applied in order, each once, in one transaction with its
// version row in inkasso_archive_schema; migration N is version N+1. Never
// change an applied one; append.
var migrations = [][]string{
	// Version 1: archived claims, partitioned by invoice month. The key
	// includes the partition key (PostgreSQL requires it of a partitioned
	// table's unique constraints); both are fixed for a claim, so an upsert
	// of the same claim always finds its row. Indexes on the parent are
	// created on every partition.
	{`CREATE TABLE ` + Table + ` (
		uid             text        NOT NULL,
		invoice_month   date        NOT NULL,
		namespace       text        NOT NULL,
		name            text        NOT NULL,
		invoice_number  text        NOT NULL,
		debtor          text        NOT NULL,
		phase           text        NOT NULL,
		kind            text        NOT NULL,
		currency        text        NOT NULL,
		amount          numeric     NOT NULL,
		outstanding     numeric,
		created_at      timestamptz,
		finished_at     timestamptz NOT NULL,
		archived_at     timestamptz NOT NULL,
		wake_at         timestamptz,
		writes          integer     NOT NULL DEFAULT 1,
		restored_uid    text,
		restored_at     timestamptz,
		restored_reason text,
		labels          jsonb,
		annotations     jsonb,
		spec            jsonb       NOT NULL,
		status          jsonb       NOT NULL,
		notices         jsonb       NOT NULL,
		PRIMARY KEY (uid, invoice_month)
	) PARTITION BY RANGE (invoice_month)`,
		`CREATE INDEX ` + Table + `_reapply ON ` + Table + ` (namespace, invoice_number, debtor)`,
		`CREATE INDEX ` + Table + `_name ON ` + Table + ` (namespace, name)`,
		`CREATE INDEX ` + Table + `_wake ON ` + Table + ` (wake_at) WHERE wake_at IS NOT NULL AND restored_uid IS NULL`},
	// Version 2: a namespace's newest records (List, `kubectl inkasso
	// archive list`) by index. Without it each list sorted all of the
	// namespace's rows: seconds at a million rows (docs/scale.md).
	{`CREATE INDEX ` + Table + `_recent ON ` + Table + ` (namespace, archived_at DESC, name)`},
}

// Store is the archive.
type Store struct {
	pool *pgxpool.Pool
	// partitions already known to exist.
	partitions sync.Map
}

var _ archive.Store = (*Store)(nil)

// Open connects (the DSN is never logged or put in an error) and migrates
// the schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("parsing the archive DSN: malformed connection string") // pgx's error may quote the password
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the archive database %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	s := &Store{pool: pool}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly connects without migrating, for readers (the kubectl
// plugin) whose database role may only SELECT; it refuses a schema newer
// than this code knows.
func OpenReadOnly(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("parsing the archive DSN: malformed connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the archive database %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	var have int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM inkasso_archive_schema`).Scan(&have); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reading the archive schema version (has the operator run with this archive yet?): %w", err)
	}
	if have > len(migrations) {
		pool.Close()
		return nil, fmt.Errorf("the archive schema is at version %d, newer than this program's %d: upgrade it", have, len(migrations))
	}
	return &Store{pool: pool}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// SchemaVersion is the schema version this code migrates to.
func SchemaVersion() int { return len(migrations) }

// Migrate applies the migrations not applied yet. An advisory lock keeps
// replicas starting together from applying one twice.
func (s *Store) Migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7234001)`); err != nil {
			return fmt.Errorf("locking the archive schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS inkasso_archive_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("creating the schema version table: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM inkasso_archive_schema`).Scan(&have); err != nil {
			return fmt.Errorf("reading the archive schema version: %w", err)
		}
		if have > len(migrations) {
			return fmt.Errorf("the archive schema is at version %d, newer than this operator's %d: upgrade the operator", have, len(migrations))
		}
		for v := have + 1; v <= len(migrations); v++ {
			for _, stmt := range migrations[v-1] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("archive schema migration to version %d: %w", v, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO inkasso_archive_schema (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("recording archive schema migration %d: %w", v, err)
			}
		}
		return nil
	})
}

// PartitionName is the name of a month's partition.
func PartitionName(month time.Time) string {
	return fmt.Sprintf("%s_y%04dm%02d", Table, month.Year(), int(month.Month()))
}

// ensurePartition creates the month's partition unless it exists, in its
// own short transaction (creating a partition locks the parent table), under
// an advisory lock so replicas do not race to create the same one.
func (s *Store) ensurePartition(ctx context.Context, month time.Time) error {
	name := PartitionName(month)
	if _, ok := s.partitions.Load(name); ok {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7234002)`); err != nil {
			return err
		}
		next := month.AddDate(0, 1, 0)
		_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
			pgx.Identifier{name}.Sanitize(), Table, month.Format(time.DateOnly), next.Format(time.DateOnly)))
		return err
	})
	if err != nil {
		return fmt.Errorf("creating archive partition %s: %w", name, err)
	}
	s.partitions.Store(name, true)
	return nil
}

// Put writes r: an insert, or on a second write of the same claim (a crash
// after the commit and before the claim's finalizer was removed, or a
// dormant claim archived again after its re-check) an update of its row,
// which counts the writes and clears a restore mark.
func (s *Store) Put(ctx context.Context, r archive.Record) error {
	if err := s.ensurePartition(ctx, r.InvoiceMonth); err != nil {
		return err
	}
	var js [5][]byte
	for i, v := range []any{r.Labels, r.Annotations, r.Spec, r.Status, r.Notices} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("archiving claim %s/%s: %w", r.Namespace, r.Name, err)
		}
		js[i] = b
	}
	if r.Notices == nil {
		js[4] = []byte("[]")
	}
	var outstanding *string
	if r.Outstanding != "" {
		outstanding = &r.Outstanding
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO `+Table+` AS t (uid, invoice_month, namespace, name, invoice_number, debtor, phase, kind, currency,
			amount, outstanding, created_at, finished_at, archived_at, wake_at, labels, annotations, spec, status, notices)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (uid, invoice_month) DO UPDATE SET namespace = excluded.namespace, name = excluded.name,
			invoice_number = excluded.invoice_number, debtor = excluded.debtor, phase = excluded.phase, kind = excluded.kind,
			currency = excluded.currency, amount = excluded.amount, outstanding = excluded.outstanding,
			finished_at = excluded.finished_at, archived_at = excluded.archived_at, wake_at = excluded.wake_at,
			labels = excluded.labels, annotations = excluded.annotations, spec = excluded.spec, status = excluded.status,
			notices = excluded.notices, writes = t.writes + 1, restored_uid = NULL, restored_at = NULL, restored_reason = NULL`,
		r.UID, r.InvoiceMonth, r.Namespace, r.Name, r.InvoiceNumber, r.Debtor, string(r.Phase), string(r.Kind), r.Currency,
		r.Amount, outstanding, nullTime(r.CreatedAt), r.FinishedAt, r.ArchivedAt, r.WakeAt, js[0], js[1], js[2], js[3], js[4])
	if err != nil {
		return fmt.Errorf("archiving claim %s/%s: %w", r.Namespace, r.Name, err)
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

const columns = `uid, invoice_month, namespace, name, invoice_number, debtor, phase, kind, currency, amount::text, outstanding::text,
	created_at, finished_at, archived_at, wake_at, writes, restored_uid, restored_at, restored_reason, labels, annotations, spec, status, notices`

func scan(row pgx.Row) (*archive.Record, error) {
	var r archive.Record
	var phase, kind string
	var outstanding, restoredUID, restoredReason *string
	var created *time.Time
	var labels, annotations, spec, status, notices []byte
	if err := row.Scan(&r.UID, &r.InvoiceMonth, &r.Namespace, &r.Name, &r.InvoiceNumber, &r.Debtor, &phase, &kind, &r.Currency,
		&r.Amount, &outstanding, &created, &r.FinishedAt, &r.ArchivedAt, &r.WakeAt, &r.Writes, &restoredUID, &r.RestoredAt, &restoredReason,
		&labels, &annotations, &spec, &status, &notices); err != nil {
		return nil, err
	}
	r.Phase, r.Kind = inkassov1.ClaimPhase(phase), archive.Kind(kind)
	if outstanding != nil {
		r.Outstanding = *outstanding
	}
	if restoredUID != nil {
		r.RestoredUID = *restoredUID
	}
	if restoredReason != nil {
		r.RestoredReason = *restoredReason
	}
	if created != nil {
		r.CreatedAt = *created
	}
	for _, f := range []struct {
		b []byte
		v any
	}{{labels, &r.Labels}, {annotations, &r.Annotations}, {spec, &r.Spec}, {status, &r.Status}, {notices, &r.Notices}} {
		if len(f.b) == 0 {
			continue
		}
		if err := json.Unmarshal(f.b, f.v); err != nil {
			return nil, fmt.Errorf("reading archived claim %s/%s: %w", r.Namespace, r.Name, err)
		}
	}
	return &r, nil
}

func (s *Store) one(ctx context.Context, what, query string, args ...any) (*archive.Record, error) {
	r, err := scan(s.pool.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the archive (%s): %w", what, err)
	}
	return r, nil
}

// Find is the latest record of the claim with this invoice number and
// debtor in the namespace, or nil.
func (s *Store) Find(ctx context.Context, namespace, invoiceNumber, debtor string) (*archive.Record, error) {
	return s.one(ctx, "by invoice", `SELECT `+columns+` FROM `+Table+` WHERE namespace = $1 AND invoice_number = $2 AND debtor = $3
		ORDER BY archived_at DESC LIMIT 1`, namespace, invoiceNumber, debtor)
}

// Get is the record with this UID, or nil.
func (s *Store) Get(ctx context.Context, uid string) (*archive.Record, error) {
	return s.one(ctx, "by uid", `SELECT `+columns+` FROM `+Table+` WHERE uid = $1`, uid)
}

// GetByName is the latest record of the claim with this name, or nil.
func (s *Store) GetByName(ctx context.Context, namespace, name string) (*archive.Record, error) {
	return s.one(ctx, "by name", `SELECT `+columns+` FROM `+Table+` WHERE namespace = $1 AND name = $2
		ORDER BY archived_at DESC LIMIT 1`, namespace, name)
}

// ListOptions select records for List.
type ListOptions struct {
	// Namespace; empty lists every namespace.
	Namespace string
	// Phase, Debtor: empty for any.
	Phase, Debtor string
	// Limit (default 500; negative: no limit).
	Limit int
}

// List returns records, newest archived first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]archive.Record, error) {
	var limit *int
	switch {
	case o.Limit == 0:
		limit = new(int)
		*limit = 500
	case o.Limit > 0:
		limit = &o.Limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM `+Table+`
		WHERE ($1 = '' OR namespace = $1) AND ($2 = '' OR phase = $2) AND ($3 = '' OR debtor = $3)
		ORDER BY archived_at DESC, namespace, name LIMIT $4`, o.Namespace, o.Phase, o.Debtor, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the archive: %w", err)
	}
	return collect(rows)
}

func collect(rows pgx.Rows) ([]archive.Record, error) {
	defer rows.Close()
	var out []archive.Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the archive: %w", err)
	}
	return out, nil
}

// MarkRestored records that r came back as the claim object uid.
func (s *Store) MarkRestored(ctx context.Context, r archive.Record, uid, reason string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE `+Table+` SET restored_uid = $3, restored_at = $4, restored_reason = $5
		WHERE uid = $1 AND invoice_month = $2`, r.UID, r.InvoiceMonth, uid, at, reason)
	if err != nil {
		return fmt.Errorf("marking archived claim %s/%s restored: %w", r.Namespace, r.Name, err)
	}
	return nil
}

// DueForWake lists dormant records not restored yet whose re-check is at
// or before until, earliest first.
func (s *Store) DueForWake(ctx context.Context, until time.Time, limit int) ([]archive.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM `+Table+`
		WHERE wake_at IS NOT NULL AND restored_uid IS NULL AND wake_at <= $1 ORDER BY wake_at LIMIT $2`, until, limit)
	if err != nil {
		return nil, fmt.Errorf("listing dormant claims due: %w", err)
	}
	return collect(rows)
}

// Count is the number of records (all, or of one namespace).
func (s *Store) Count(ctx context.Context, namespace string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+Table+` WHERE $1 = '' OR namespace = $1`, namespace).Scan(&n)
	return n, err
}

// Partitions lists the table's partitions by name.
func (s *Store) Partitions(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1`, Table)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
