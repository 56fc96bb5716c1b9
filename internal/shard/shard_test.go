package shard

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{in: "", want: Shard{}},
		{in: "0/1", want: Shard{0, 1}},
		{in: " 3/4 ", want: Shard{3, 4}},
		{in: "4/4", err: true},
		{in: "-1/4", err: true},
		{in: "0/0", err: true},
		{in: "0/65", err: true},
		{in: "1", err: true},
		{in: "a/b", err: true},
	} {
		got, err := Parse(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestOfIsStableAndSpread: the hash is a fixed function (a changed hash
// would move every debtor between shards on upgrade), and 10,000 debtors
// spread evenly over 4 shards.
func TestOfIsStableAndSpread(t *testing.T) {
	if got := Of("acme", "debtor-1", 4); got != Of("acme", "debtor-1", 4) {
		t.Fatal("not deterministic")
	}
	// Pinned: a changed hash would move
	// every labelled debtor to another shard on upgrade.
	if a, b := Of("acme", "debtor-1", 1000), Of("acme", "ola-nordmann", 1000); a != 308 || b != 322 {
		t.Fatalf("hash changed: %d, %d; want 308, 322", a, b)
	}
	if Of("acme", "d", 4) == Of("globex", "d", 4) && Of("acme", "e", 4) == Of("globex", "e", 4) && Of("acme", "f", 4) == Of("globex", "f", 4) {
		t.Error("the namespace does not enter the hash")
	}
	counts := make([]int, 4)
	for i := range 10000 {
		counts[Of("acme", fmt.Sprintf("debtor-%d", i), 4)]++
	}
	for i, c := range counts {
		if c < 2300 || c > 2700 {
			t.Errorf("shard %d has %d of 10000 debtors: %v", i, c, counts)
		}
	}
	// Names that differ in one character each land in both of 2 shards
	// (plain FNV-1a mod 2 is the parity of the odd bytes: never).
	seen := map[int]bool{}
	for _, d := range []string{"d-1", "d-3", "d-5", "d-7", "d-9", "d-11", "d-13", "d-15"} {
		seen[Of("acme", d, 2)] = true
	}
	if len(seen) != 2 {
		t.Errorf("debtors d-1, d-3, … all in shard %v of 2", seen)
	}
}

func TestSelectors(t *testing.T) {
	s := Shard{Index: 1, Count: 3}
	for _, tc := range []struct {
		labels       map[string]string
		own, unowned bool
	}{
		{labels: nil, unowned: true},
		{labels: map[string]string{Label: "1"}, own: true},
		{labels: map[string]string{Label: "2"}},
		{labels: map[string]string{Label: "7"}, unowned: true},
		{labels: map[string]string{Label: "x"}, unowned: true},
	} {
		set := labels.Set(tc.labels)
		if got := s.Selector().Matches(set); got != tc.own {
			t.Errorf("Selector %s matches %v = %v", s.Selector(), tc.labels, got)
		}
		if got := s.Unassigned().Matches(set); got != tc.unowned {
			t.Errorf("Unassigned %s matches %v = %v", s.Unassigned(), tc.labels, got)
		}
	}
	if !(Shard{}).Owns("a", "b") {
		t.Error("an unsharded manager owns every debtor")
	}
	n := 0
	for i := range 3 {
		if (Shard{Index: i, Count: 3}).Owns("acme", "debtor-9") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("debtor-9 owned by %d of 3 shards", n)
	}
}
