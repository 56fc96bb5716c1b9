package shard

import (
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
)

// Assign is the preferred member of each of n shards (index i: shard i)
// among the live members, when replicas share the shards of a namespace
// (--shards N): rendezvous hashing with bounded load. Each shard ranks the
// members by a fixed hash of (member, shard), highest first, and goes to
// the first that still has room: floor(n/members) shards each, and one
// more for the first n mod members that reach it; shards taken in order
// 0..n-1.
//
// Every replica computes the same answer from the same set of members, in
// any order, with no coordination but the member Leases. Plain rendezvous
// moves only the leaving member's shards, but leaves the split to chance
// (4 shards on 2 members: all on one in 1 case of 8); the bound keeps
// every member within one shard of the others, at the price of moving a
// shard between two staying members now and then. No members: all "".
func Assign(members []string, n int) []string {
	ms := slices.Clone(members)
	slices.Sort(ms)
	ms = slices.Compact(ms)
	if len(ms) > 0 && ms[0] == "" {
		ms = ms[1:]
	}
	out := make([]string, n)
	if len(ms) == 0 || n <= 0 {
		return out
	}
	// n mod members of them hold one shard more than the others.
	floor, extra := n/len(ms), n%len(ms)
	load := make(map[string]int, len(ms))
	ranked := make([]string, len(ms))
	for i := range out {
		copy(ranked, ms)
		sort.SliceStable(ranked, func(a, b int) bool { return score(ranked[a], i) > score(ranked[b], i) })
		for _, m := range ranked {
			if load[m] < floor || (load[m] == floor && extra > 0) {
				if load[m] == floor {
					extra--
				}
				out[i] = m
				load[m]++
				break
			}
		}
	}
	return out
}

// score is the rendezvous weight of member for shard i: FNV-1a of
// "member\x00i", mixed like Of's hash so that similar names spread.
func score(member string, i int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(member))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(i)))
	return mix(h.Sum64())
}

// mix is MurmurHash3's 64-bit finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Held is the shards of a member in an assignment.
func Held(assignment []string, member string) []int {
	var out []int
	for i, m := range assignment {
		if m == member {
			out = append(out, i)
		}
	}
	return out
}
