package controllers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"k8s.io/client-go/tools/cache"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestCacheTransformsSlimClaimsAndDebtors: a Claim or Debtor enters the
// cache without kubectl's last-applied copy and without the spare room the
// JSON decoder leaves in its lists, and with everything else as it was.
func TestCacheTransformsSlimClaimsAndDebtors(t *testing.T) {
	var hist []inkassov1.HistoryEntry
	for i := range 9 {
		hist = append(hist, inkassov1.HistoryEntry{Step: fmt.Sprintf("step-%d", i), Notices: []string{"n"}, Fee: "70.00"})
	}
	in := inkassov1.Claim{}
	in.Name, in.Namespace = "c", "ns"
	in.Annotations = map[string]string{lastApplied: `{"spec":{}}`, "team": "ar"}
	in.Status.History = hist
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var decoded inkassov1.Claim
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	if cap(decoded.Status.History) == len(decoded.Status.History) {
		t.Fatalf("the decoder left no spare room (cap %d): the test does not test the trim", cap(decoded.Status.History))
	}
	transforms := CacheOptions(nil).ByObject
	var claimT, debtorT cache.TransformFunc
	for o, b := range transforms {
		switch o.(type) {
		case *inkassov1.Claim:
			claimT = b.Transform
		case *inkassov1.Debtor:
			debtorT = b.Transform
		}
	}
	if claimT == nil || debtorT == nil {
		t.Fatalf("CacheOptions has no transform for claims (%v) or debtors (%v)", claimT != nil, debtorT != nil)
	}
	out, err := claimT(&decoded)
	if err != nil {
		t.Fatal(err)
	}
	c := out.(*inkassov1.Claim)
	if _, ok := c.Annotations[lastApplied]; ok || c.Annotations["team"] != "ar" {
		t.Errorf("annotations after the transform: %v; want only team=ar", c.Annotations)
	}
	if cap(c.Status.History) != len(c.Status.History) || !reflect.DeepEqual(c.Status.History, hist) {
		t.Errorf("history after the transform: len %d cap %d, equal %v", len(c.Status.History), cap(c.Status.History), reflect.DeepEqual(c.Status.History, hist))
	}

	d := inkassov1.Debtor{}
	d.Annotations = map[string]string{lastApplied: "{}"}
	d.Status.Cases = []inkassov1.CollectionCase{{ID: "k", Claims: append(make([]string, 0, 8), "a", "b")}}
	out, err = debtorT(&d)
	if err != nil {
		t.Fatal(err)
	}
	if dd := out.(*inkassov1.Debtor); dd.Annotations != nil || cap(dd.Status.Cases[0].Claims) != 2 {
		t.Errorf("debtor after the transform: annotations %v, case claims cap %d", dd.Annotations, cap(dd.Status.Cases[0].Claims))
	}

	// Another kind is refused; a tombstone of a deleted object passes.
	if _, err := claimT(&inkassov1.Debtor{}); err == nil {
		t.Error("the claim transform took a Debtor")
	}
	tomb := cache.DeletedFinalStateUnknown{Key: "ns/c"}
	if got, err := claimT(tomb); err != nil || got != tomb {
		t.Errorf("a tombstone: %v, %v", got, err)
	}
}

// TestCacheVocabularyIsSharedAndBounded: two cached claims decoded apart
// share one copy of their step and phase names; names stay their own; the
// table takes no more words than its bound.
func TestCacheVocabularyIsSharedAndBounded(t *testing.T) {
	decode := func() *inkassov1.Claim {
		var c inkassov1.Claim
		raw := `{"metadata":{"name":"c","namespace":"tenant-a","labels":{"collection.inkasso.dev/debtor":"d"}},
			"status":{"phase":"CollectionNotice","history":[{"step":"collection-notice","phase":"CollectionNotice","time":"2026-01-02T00:00:00Z","fee":"70.00"}]}}`
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	a, b := decode(), decode()
	if unsafe.StringData(a.Status.History[0].Step) == unsafe.StringData(b.Status.History[0].Step) {
		t.Fatal("the decoder shared a string: the test does not test interning")
	}
	for _, c := range []*inkassov1.Claim{a, b} {
		if _, err := slimClaim(c); err != nil {
			t.Fatal(err)
		}
	}
	same := func(what, x, y string) {
		t.Helper()
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q and %q are not one copy", what, x, y)
		}
	}
	same("history step", a.Status.History[0].Step, b.Status.History[0].Step)
	same("phase", string(a.Status.Phase), string(b.Status.Phase))
	same("fee", a.Status.History[0].Fee, b.Status.History[0].Fee)
	same("namespace", a.Namespace, b.Namespace)
	for k := range a.Labels {
		for k2 := range b.Labels {
			same("label key", k, k2)
		}
	}
	if a.Labels["collection.inkasso.dev/debtor"] != "d" {
		t.Errorf("labels after interning: %v", a.Labels)
	}

	v := &vocabulary{words: map[string]string{}, max: 2}
	for _, w := range []string{"a", "b", "c", "d"} {
		v.word(w)
	}
	if len(v.words) != 2 {
		t.Errorf("the vocabulary holds %d words, bound 2", len(v.words))
	}
	long := string(make([]byte, maxWord+1))
	v2 := &vocabulary{words: map[string]string{}, max: 10}
	v2.word(long)
	if len(v2.words) != 0 {
		t.Error("the vocabulary took a string longer than maxWord")
	}
}
