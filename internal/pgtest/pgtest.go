// Package pgtest runs a real, throwaway PostgreSQL server for tests and
// `make run`: the machine's PostgreSQL binaries (initdb, postgres; version
// 15 from Debian's postgresql package by default) on a data directory of
// its own, listening only on a unix socket in that directory, so nothing
// collides with another server or test run. No mock: the archive's SQL
// runs against the database it runs against in production.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBinDir is where Debian's postgresql-15 package installs the server.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// ErrNotInstalled is returned when initdb or postgres is missing.
var ErrNotInstalled = errors.New("PostgreSQL server binaries not found")

// BinDir is $PGTEST_BIN or DefaultBinDir, when it holds initdb and postgres.
func BinDir() (string, error) {
	dir := os.Getenv("PGTEST_BIN")
	if dir == "" {
		dir = DefaultBinDir
	}
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%w in %s (install Debian's postgresql package, or set PGTEST_BIN): %v", ErrNotInstalled, dir, err)
		}
	}
	return dir, nil
}

// Server is a running PostgreSQL server.
type Server struct {
	// DSN connects as the superuser "postgres" to database "postgres"
	// through the unix socket.
	DSN string
	// Dir holds the data directory (data/), the socket (sock/) and the log.
	Dir  string
	cmd  *exec.Cmd
	done chan error
	temp bool
}

// Start starts a server in a new temporary directory; Stop removes it.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s, err := StartIn(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.temp = true
	return s, nil
}

// StartIn starts a server on dir, creating the database cluster when dir
// holds none yet (so `make run` keeps its archive between runs).
func StartIn(dir string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the server's user must reach data/ and sock/
		return nil, err
	}
	for _, d := range []string{data, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %w: %s", err, out)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	// Unix socket only (listen_addresses empty): no port to collide on.
	// Durability settings off: a test database is thrown away.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", sock, "-p", "5432",
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=50", "-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	// Pdeathsig: a test binary killed mid-run takes its server with it
	// (fast shutdown) instead of leaving it running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	logf.Close()
	s := &Server{DSN: fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", sock), Dir: dir, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(30 * time.Second); err != nil {
		_ = s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		return nil, fmt.Errorf("%w; postgres.log:\n%s", err, log)
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("postgres exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.DSN)
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %v: %w", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down (fast shutdown) and, for a temporary server,
// removes its directory.
func (s *Server) Stop() error {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	if s.temp {
		return os.RemoveAll(s.Dir)
	}
	return nil
}

// CreateDatabase creates a fresh database and returns its DSN, so tests
// sharing one server do not see each other's tables.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return strings.Replace(s.DSN, "dbname=postgres", "dbname="+name, 1), nil
}

// New starts a server for one test and stops it when the test ends; it
// skips the test, saying why, when PostgreSQL is not installed.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// credential is who runs the server: initdb and postgres refuse to run as
// root, so under root (a CI container) they run as the postgres user the
// Debian package creates.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: no user postgres to run it as (install Debian's postgresql package): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
