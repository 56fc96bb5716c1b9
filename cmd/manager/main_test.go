package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestShard(t *testing.T) {
	for _, tc := range []struct {
		flag string
		want []string
		err  string
	}{
		{flag: "", want: nil},
		{flag: " , ", want: nil},
		{flag: "b,a", want: []string{"a", "b"}},
		{flag: "a, b ,a", want: []string{"a", "b"}},
		{flag: "acme,Acme", err: `"Acme" is not a namespace name`},
		{flag: "a/b", err: `"a/b" is not a namespace name`},
	} {
		got, err := shard(tc.flag)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "--namespaces") {
				t.Errorf("shard(%q) error %v, want one naming --namespaces and %s", tc.flag, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("shard(%q) = %v, %v; want %v", tc.flag, got, err, tc.want)
		}
	}
}

// Replicas of one shard share a Lease whatever the order of --namespaces;
// different shards get different Leases, valid as object names.
func TestLeaderElectionIDPerShard(t *testing.T) {
	ab, _ := shard("a,b")
	ba, _ := shard("b, a")
	c, _ := shard("c")
	if leaderElectionID(ab) != leaderElectionID(ba) {
		t.Error("the same shard written in another order got another Lease")
	}
	ids := map[string]bool{leaderElectionID(nil): true, leaderElectionID(ab): true, leaderElectionID(c): true}
	if len(ids) != 3 {
		t.Errorf("shards share a Lease: %v", ids)
	}
	for id := range ids {
		if len(id) > 253 || strings.ToLower(id) != id {
			t.Errorf("%q is not a valid Lease name", id)
		}
	}
	if leaderElectionID(nil) != "inkasso-operator.collection.inkasso.dev" {
		t.Error("the unsharded Lease name changed: upgrades would run two leaders")
	}
}

func TestArchiveDSN(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/dsn"
	if err := os.WriteFile(file, []byte("postgres://inkasso:secret@db:5432/archive\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := dir + "/empty"
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	for _, tc := range []struct{ file, env, want, err string }{
		{"", "", "", ""},
		{"", " host=/run/pg dbname=a ", "host=/run/pg dbname=a", ""},
		{file, "ignored", "postgres://inkasso:secret@db:5432/archive", ""},
		{empty, "", "", "is empty"},
		{dir + "/missing", "", "", "--archive-dsn-file"},
	} {
		got, err := archiveDSN(tc.file, tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("archiveDSN(%q) error %v, want one with %q and no password", tc.file, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("archiveDSN(%q, %q) = %q, %v; want %q", tc.file, tc.env, got, err, tc.want)
		}
	}
}
