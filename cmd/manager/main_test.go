package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/inkasso-operator/inkasso-operator/internal/shard"
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
		got, err := namespaceShard(tc.flag)
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
	ab, _ := namespaceShard("a,b")
	ba, _ := namespaceShard("b, a")
	c, _ := namespaceShard("c")
	if leaderElectionID(ab, shard.Shard{}) != leaderElectionID(ba, shard.Shard{}) {
		t.Error("the same shard written in another order got another Lease")
	}
	ids := map[string]bool{leaderElectionID(nil, shard.Shard{}): true, leaderElectionID(ab, shard.Shard{}): true, leaderElectionID(c, shard.Shard{}): true}
	if len(ids) != 3 {
		t.Errorf("shards share a Lease: %v", ids)
	}
	for id := range ids {
		if len(id) > 253 || strings.ToLower(id) != id {
			t.Errorf("%q is not a valid Lease name", id)
		}
	}
	if leaderElectionID(nil, shard.Shard{}) != "inkasso-operator.collection.inkasso.dev" {
		t.Error("the unsharded Lease name changed: upgrades would run two leaders")
	}
	// One Lease per debtor shard, also within a namespace shard.
	s0, s1 := shard.Shard{Index: 0, Count: 2}, shard.Shard{Index: 1, Count: 2}
	if got := leaderElectionID(nil, s1); got != "shard-1-of-2.inkasso-operator.collection.inkasso.dev" {
		t.Errorf("debtor shard 1/2: Lease %q", got)
	}
	debtorIDs := map[string]bool{leaderElectionID(nil, s0): true, leaderElectionID(nil, s1): true, leaderElectionID(ab, s0): true, leaderElectionID(ab, s1): true}
	if len(debtorIDs) != 4 {
		t.Errorf("debtor shards share a Lease: %v", debtorIDs)
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

// A member identity is a DNS label (it names the member Lease) and differs
// between two processes on one host.
func TestMemberIdentity(t *testing.T) {
	a, err := memberIdentity()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := memberIdentity()
	if a == b {
		t.Errorf("two processes got the same identity %q", a)
	}
	if errs := validation.IsDNS1123Label(a); len(errs) > 0 {
		t.Errorf("identity %q: %v", a, errs)
	}
}
