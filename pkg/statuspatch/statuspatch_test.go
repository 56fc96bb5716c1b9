package statuspatch

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// applies checks that patch turns a into b as RFC 7386 says (evanphx's
// implementation, the apiserver's), comparing decoded documents with
// nulls removed (absent and null decode alike).
func applies(t *testing.T, a, b, patch []byte) {
	t.Helper()
	got, err := jsonpatch.MergePatch(a, patch)
	if err != nil {
		t.Fatalf("applying %s to %s: %v", patch, a, err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dropNulls(g), dropNulls(w)) {
		t.Fatalf("patch %s applied to %s gives %s, want %s", patch, a, got, b)
	}
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

func TestDiffCases(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
		changed          bool
	}{
		{"same", `{"a":1}`, `{"a":1}`, "", false},
		{"member changed", `{"a":1,"b":2}`, `{"a":1,"b":3}`, `{"b":3}`, true},
		{"member removed", `{"a":1,"b":2}`, `{"a":1}`, `{"b":null}`, true},
		{"member added", `{"a":1}`, `{"a":1,"c":[1]}`, `{"c":[1]}`, true},
		{"nested", `{"x":{"p":1,"q":2},"y":3}`, `{"x":{"p":1,"q":5},"y":3}`, `{"x":{"q":5}}`, true},
		{"nested removed", `{"x":{"p":1,"q":2}}`, `{"x":{"p":1}}`, `{"x":{"q":null}}`, true},
		{"array replaced whole", `{"h":[1,2]}`, `{"h":[1,2,3]}`, `{"h":[1,2,3]}`, true},
		{"object becomes scalar", `{"x":{"p":1}}`, `{"x":7}`, `{"x":7}`, true},
		{"null added is nothing", `{"a":1}`, `{"a":1,"n":null}`, "", false},
		{"null removed is nothing", `{"a":1,"n":null}`, `{"a":1}`, "", false},
		{"to null", `{"a":1}`, `{"a":null}`, `{"a":null}`, true},
		{"not objects", `[1]`, `[2]`, `[2]`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := Diff([]byte(tc.a), []byte(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed || string(got) != tc.want {
				t.Fatalf("Diff(%s, %s) = %s, %v; want %s, %v", tc.a, tc.b, got, changed, tc.want, tc.changed)
			}
			if changed {
				applies(t, []byte(tc.a), []byte(tc.b), got)
			}
		})
	}
}

// randomDoc makes a JSON object a few levels deep; mutate changes, drops
// and adds members of one at random, so Diff meets every shape.
func randomDoc(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for i := range r.IntN(5) {
		k := fmt.Sprintf("k%d", r.IntN(6)+i)
		m[k] = randomValue(r, depth)
	}
	return m
}

func randomValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(6); {
	case n == 0 && depth > 0:
		return randomDoc(r, depth-1)
	case n == 1:
		return []any{float64(r.IntN(3)), "x"}
	case n == 2:
		return nil
	case n == 3:
		return r.IntN(2) == 0
	case n == 4:
		return fmt.Sprintf("s%d", r.IntN(3))
	default:
		return float64(r.IntN(4))
	}
}

func mutate(r *rand.Rand, m map[string]any, depth int) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch r.IntN(5) {
		case 0: // dropped
		case 1:
			out[k] = randomValue(r, depth)
		case 2:
			if sub, ok := v.(map[string]any); ok {
				out[k] = mutate(r, sub, depth-1)
				continue
			}
			out[k] = v
		default:
			out[k] = v
		}
	}
	if r.IntN(3) == 0 {
		out[fmt.Sprintf("n%d", r.IntN(4))] = randomValue(r, depth)
	}
	return out
}

func TestDiffAppliesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 1))
	for i := range 5000 {
		a := randomDoc(r, 3)
		b := mutate(r, a, 3)
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		patch, changed, err := Diff(aj, bj)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !changed {
			// No change must mean the same document.
			applies(t, aj, bj, []byte(`{}`))
			continue
		}
		applies(t, aj, bj, patch)
	}
}

// TestDataClaimStatus: a claim's step (history appended, phase, balance
// and a condition changed, a field cleared) round-trips through the patch,
// which carries the precondition and nothing of the spec or metadata.
func TestDataClaimStatus(t *testing.T) {
	orig := &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "n", ResourceVersion: "41"}}
	orig.Spec.InvoiceNumber = "INV-1"
	orig.Status.Phase = inkassov1.ClaimPhase("Reminder")
	orig.Status.History = []inkassov1.HistoryEntry{{Step: "reminder"}}
	meta.SetStatusCondition(&orig.Status.Conditions, metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Waiting", LastTransitionTime: metav1.Time{Time: time.Unix(100, 0)}})
	meta.SetStatusCondition(&orig.Status.Conditions, metav1.Condition{Type: "Stalled", Status: metav1.ConditionTrue, Reason: "NoChannel", LastTransitionTime: metav1.Time{Time: time.Unix(100, 0)}})
	obj := orig.DeepCopy()
	obj.Spec.InvoiceNumber = "changed in memory, never written"
	obj.Status.Phase = inkassov1.ClaimPhase("CollectionNotice")
	obj.Status.History = append(obj.Status.History, inkassov1.HistoryEntry{Step: "collection-notice"})
	meta.RemoveStatusCondition(&obj.Status.Conditions, "Stalled")

	for _, lock := range []Lock{Optimistic, LastWriteWins} {
		data, changed, err := Data(obj, orig, lock)
		if err != nil || !changed {
			t.Fatalf("Data: %v, changed %v", err, changed)
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("patch %s: %v", data, err)
		}
		if _, ok := p["spec"]; ok {
			t.Fatalf("patch %s carries the spec", data)
		}
		rv := string(p["metadata"])
		if lock && rv != `{"resourceVersion":"41"}` || !lock && rv != "" {
			t.Fatalf("lock %v: metadata %s", lock, rv)
		}
		was, _ := json.Marshal(orig.Status)
		want, _ := json.Marshal(obj.Status)
		applies(t, was, want, p["status"])
	}
	noRV := orig.DeepCopy()
	noRV.ResourceVersion = ""
	if _, _, err := Data(obj, noRV, Optimistic); err == nil {
		t.Fatal("an optimistic lock without a resourceVersion was not refused")
	}
	if _, changed, err := Data(orig.DeepCopy(), orig, Optimistic); err != nil || changed {
		t.Fatalf("an unchanged status gives changed %v, %v", changed, err)
	}
}

// bigClaim is a claim late in its process: many history entries and
// conditions, a step about to be added.
func bigClaim() (orig, obj *inkassov1.Claim) {
	orig = &inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "n", ResourceVersion: "41", Labels: map[string]string{"a": "b"}}}
	for i := range 12 {
		orig.Status.History = append(orig.Status.History, inkassov1.HistoryEntry{Step: fmt.Sprintf("step-%d", i), Phase: "Reminder", Time: metav1.Time{Time: time.Unix(int64(i)*86400, 0)}})
	}
	for _, c := range []string{"Ready", "Stalled", "Reconciling"} {
		meta.SetStatusCondition(&orig.Status.Conditions, metav1.Condition{Type: c, Status: metav1.ConditionFalse, Reason: "Waiting", Message: "waiting for the next step of the policy", LastTransitionTime: metav1.Time{Time: time.Unix(100, 0)}})
	}
	obj = orig.DeepCopy()
	obj.Status.History = append(obj.Status.History, inkassov1.HistoryEntry{Step: "next", Phase: "CollectionNotice", Time: metav1.Time{Time: time.Unix(13*86400, 0)}})
	obj.Status.Phase = "CollectionNotice"
	return orig, obj
}

func BenchmarkData(b *testing.B) {
	orig, obj := bigClaim()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Data(obj, orig, Optimistic); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeFrom is what the writes cost before (controller-runtime's
// merge patch of the whole objects), for comparison.
func BenchmarkMergeFrom(b *testing.B) {
	orig, obj := bigClaim()
	p := client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Data(obj); err != nil {
			b.Fatal(err)
		}
	}
}
