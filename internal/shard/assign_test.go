package shard

import (
	"fmt"
	"slices"
	"testing"
)

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  bool
	}{
		{in: "", want: 0},
		{in: "1", want: 1},
		{in: " 4 ", want: 4},
		{in: "64", want: 64},
		{in: "0", err: true},
		{in: "65", err: true},
		{in: "-2", err: true},
		{in: "1/4", err: true},
	} {
		got, err := ParseCount(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseCount(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestAssignBalanced: every shard has a member, every member is within one
// shard of the others, whatever the names and counts.
func TestAssignBalanced(t *testing.T) {
	for n := 1; n <= 16; n++ {
		for m := 1; m <= 6; m++ {
			var members []string
			for i := range m {
				members = append(members, fmt.Sprintf("manager-7d9f-%c%d", 'a'+i, n))
			}
			a := Assign(members, n)
			load := map[string]int{}
			for i, who := range a {
				if !slices.Contains(members, who) {
					t.Fatalf("n=%d m=%d: shard %d assigned to %q", n, m, i, who)
				}
				load[who]++
			}
			lo, hi := n, 0
			for _, who := range members {
				lo, hi = min(lo, load[who]), max(hi, load[who])
			}
			if hi-lo > 1 {
				t.Errorf("n=%d m=%d: loads %v differ by more than one", n, m, load)
			}
		}
	}
}

// TestAssignAgrees: replicas that list the members in another order, with
// repeats, compute the same assignment.
func TestAssignAgrees(t *testing.T) {
	a := Assign([]string{"b", "a", "c"}, 8)
	b := Assign([]string{"c", "a", "b", "a", ""}, 8)
	if !slices.Equal(a, b) {
		t.Fatalf("%v != %v", a, b)
	}
}

func TestAssignEdges(t *testing.T) {
	if got := Assign(nil, 3); !slices.Equal(got, []string{"", "", ""}) {
		t.Errorf("no members: %v", got)
	}
	if got := Assign([]string{"only"}, 3); !slices.Equal(got, []string{"only", "only", "only"}) {
		t.Errorf("one member: %v", got)
	}
	if got := Assign([]string{"a", "b"}, 0); len(got) != 0 {
		t.Errorf("no shards: %v", got)
	}
}

// TestAssignTakeOverAndBack: when a member leaves, the others take its
// shards, and when it comes back it gets the same shards as before.
func TestAssignTakeOverAndBack(t *testing.T) {
	both := Assign([]string{"replica-a", "replica-b"}, 4)
	if len(Held(both, "replica-a")) != 2 || len(Held(both, "replica-b")) != 2 {
		t.Fatalf("2 members, 4 shards: %v", both)
	}
	alone := Assign([]string{"replica-a"}, 4)
	if len(Held(alone, "replica-a")) != 4 {
		t.Fatalf("survivor holds %v", alone)
	}
	if again := Assign([]string{"replica-b", "replica-a"}, 4); !slices.Equal(again, both) {
		t.Fatalf("after the return %v, before %v", again, both)
	}
}

// TestAssignMovesLittle: a fourth member joining 3 on 16 shards moves
// about its share (4 of 16), not the whole map as a modulo would.
func TestAssignMovesLittle(t *testing.T) {
	before := Assign([]string{"m-1", "m-2", "m-3"}, 16)
	after := Assign([]string{"m-1", "m-2", "m-3", "m-4"}, 16)
	moved := 0
	for i := range before {
		if before[i] != after[i] {
			moved++
		}
	}
	if got := len(Held(after, "m-4")); got != 4 {
		t.Errorf("the new member holds %d shards, want 4", got)
	}
	if moved > 8 {
		t.Errorf("%d of 16 shards moved: %v -> %v", moved, before, after)
	}
	t.Logf("%d of 16 shards moved when a fourth member joined", moved)
}

// TestAssignPinned: the hash is fixed; replicas of different releases must
// agree during a rolling upgrade.
func TestAssignPinned(t *testing.T) {
	got := Assign([]string{"a", "b"}, 4)
	want := []string{"b", "b", "a", "a"}
	if !slices.Equal(got, want) {
		t.Errorf("Assign(a, b; 4) = %v, want %v (a changed hash reshuffles shards on upgrade)", got, want)
	}
}
