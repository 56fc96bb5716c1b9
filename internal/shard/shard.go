// Package shard splits the debtors of a namespace between a fixed number of
// shards: a debtor's case — the Debtor, its Claims and their Notices — is
// kept whole in the shard of hash(namespace/debtor) mod N, recorded in the
// Label on each object so that a manager's cache can select its own.
package shard

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Label holds an object's shard number, "0" to "N-1".
const Label = "collection.inkasso.dev/shard"

// MaxShards bounds N: a shard is a manager with its own Lease and cache,
// and the selector of the unlabelled objects lists every value.
const MaxShards = 64

// Shard is one of N shards. The zero value is "not sharded".
type Shard struct {
	Index, Count int
}

// Parse reads "i/N" (0 <= i < N <= MaxShards); empty is not sharded.
func Parse(s string) (Shard, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(is)
	n, errN := strconv.Atoi(ns)
	switch {
	case !ok || errI != nil || errN != nil:
		return Shard{}, fmt.Errorf("--shard %q: want i/N, such as 0/4", s)
	case n < 1 || n > MaxShards:
		return Shard{}, fmt.Errorf("--shard %q: N must be between 1 and %d", s, MaxShards)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("--shard %q: i must be between 0 and %d", s, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// Enabled reports whether the manager runs one shard of several.
func (s Shard) Enabled() bool { return s.Count > 0 }

// String is "i/N", or "" when not sharded.
func (s Shard) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Value is the shard's Label value.
func (s Shard) Value() string { return strconv.Itoa(s.Index) }

// Of is the shard number of a debtor: FNV-1a (64 bit) of
// "namespace/debtor", mixed by MurmurHash3's 64-bit finalizer, mod n. The
// hash is fixed (not Go's map hash) so that every replica and every
// release agrees. The finalizer matters: FNV-1a's low bits depend only on
// the bytes' low bits (mod 2 it is the parity of the odd bytes, so
// debtor-1 and debtor-3 would always share a shard). An object that names
// no debtor (a creditor's statement notice) hashes with an empty name and
// so stays in one shard per namespace.
func Of(namespace, debtor string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(namespace))
	h.Write([]byte{'/'})
	h.Write([]byte(debtor))
	return int(mix(h.Sum64()) % uint64(n))
}

// Owns reports whether the debtor's case belongs to this shard.
func (s Shard) Owns(namespace, debtor string) bool {
	return !s.Enabled() || Of(namespace, debtor, s.Count) == s.Index
}

// ValueFor is the Label value of a debtor's objects.
func (s Shard) ValueFor(namespace, debtor string) string {
	return strconv.Itoa(Of(namespace, debtor, s.Count))
}

// Selector selects this shard's objects.
func (s Shard) Selector() labels.Selector {
	r, err := labels.NewRequirement(Label, selection.Equals, []string{s.Value()})
	if err != nil {
		panic(fmt.Sprintf("shard selector: %v", err)) // Value is a number: a valid label value
	}
	return labels.NewSelector().Add(*r)
}

// Unassigned selects the objects without a valid shard label: none, or a
// value that is not a shard of N (notin also matches a missing label).
func (s Shard) Unassigned() labels.Selector {
	vals := make([]string, s.Count)
	for i := range vals {
		vals[i] = strconv.Itoa(i)
	}
	r, err := labels.NewRequirement(Label, selection.NotIn, vals)
	if err != nil {
		panic(fmt.Sprintf("shard selector: %v", err))
	}
	return labels.NewSelector().Add(*r)
}

// ParseCount reads the N of --shards (1 <= N <= MaxShards); empty is 0,
// not sharded.
func ParseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxShards {
		return 0, fmt.Errorf("--shards %q: want a number of shards between 1 and %d", s, MaxShards)
	}
	return n, nil
}
