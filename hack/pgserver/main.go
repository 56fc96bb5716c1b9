// Command pgserver runs a local PostgreSQL for `make run ARCHIVE=1`: the
// machine's PostgreSQL 15 binaries (internal/pgtest) on a data directory
// kept between runs, listening only on a unix socket in it. It writes the
// DSN to a file and stops the server on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/inkasso-operator/inkasso-operator/internal/pgtest"
)

func main() {
	dir := flag.String("dir", ".local/postgres", "directory of the database cluster (created when missing)")
	dsnFile := flag.String("write-dsn", "", "write the DSN to this file once the server accepts connections")
	flag.Parse()
	s, err := pgtest.StartIn(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		os.Exit(1)
	}
	if *dsnFile != "" {
		if err := os.WriteFile(*dsnFile, []byte(s.DSN+"\n"), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "pgserver:", err)
			_ = s.Stop()
			os.Exit(1)
		}
	}
	fmt.Printf("PostgreSQL is up in %s\n", s.Dir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		os.Exit(1)
	}
}
