package controllers

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// vocabulary interns the short strings that repeat across the cached
// objects: API versions and kinds, namespaces, label and annotation keys,
// condition types and reasons, step and phase names, fees. The JSON decoder
// gives every object its own copy of each; a cached claim with its notices
// held about two thousand such bytes. Names and UIDs, which do not repeat,
// are left alone.
//
// The table is bounded: once full, strings it has not seen stay the
// decoder's own (a tenant with endless step names costs itself memory, not
// the manager's correctness).
type vocabulary struct {
	mu    sync.Mutex
	words map[string]string
	max   int
}

// cacheWords is the manager's one vocabulary, shared by every cache
// transform.
var cacheWords = &vocabulary{words: map[string]string{}, max: 8192}

// maxWord is the longest string the vocabulary takes.
const maxWord = 64

func (v *vocabulary) word(s string) string {
	if s == "" || len(s) > maxWord {
		return s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if w, ok := v.words[s]; ok {
		return w
	}
	if len(v.words) < v.max {
		v.words[s] = s
	}
	return s
}

// keys returns m with its keys interned (values too when values is set),
// as a new map: a map's keys cannot be replaced in place.
func (v *vocabulary) keys(m map[string]string, values bool) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		if values {
			val = v.word(val)
		}
		out[v.word(k)] = val
	}
	return out
}

func (v *vocabulary) meta(o *metav1.ObjectMeta, t *metav1.TypeMeta) {
	t.APIVersion, t.Kind = v.word(t.APIVersion), v.word(t.Kind)
	o.Namespace = v.word(o.Namespace)
	o.Labels = v.keys(o.Labels, false)
	o.Annotations = v.keys(o.Annotations, false)
	for i := range o.OwnerReferences {
		r := &o.OwnerReferences[i]
		r.APIVersion, r.Kind = v.word(r.APIVersion), v.word(r.Kind)
	}
	for i := range o.Finalizers {
		o.Finalizers[i] = v.word(o.Finalizers[i])
	}
}

func (v *vocabulary) conditions(cs []metav1.Condition) {
	for i := range cs {
		c := &cs[i]
		c.Type, c.Status, c.Reason = v.word(c.Type), metav1.ConditionStatus(v.word(string(c.Status))), v.word(c.Reason)
	}
}

func (v *vocabulary) claim(c *inkassov1.Claim) {
	v.meta(&c.ObjectMeta, &c.TypeMeta)
	c.Spec.Currency = inkassov1.CurrencyCode(v.word(string(c.Spec.Currency)))
	if c.Spec.PolicyRef != nil {
		c.Spec.PolicyRef.Name = v.word(c.Spec.PolicyRef.Name)
	}
	st := &c.Status
	st.Phase = inkassov1.ClaimPhase(v.word(string(st.Phase)))
	st.Step, st.NextStep = v.word(st.Step), v.word(st.NextStep)
	for i := range st.History {
		h := &st.History[i]
		h.Step, h.Phase = v.word(h.Step), inkassov1.ClaimPhase(v.word(string(h.Phase)))
		h.Fee, h.FeeKind = v.word(h.Fee), v.word(h.FeeKind)
	}
	for i := range st.Ledger {
		l := &st.Ledger[i]
		l.Date, l.Kind = v.word(l.Date), v.word(l.Kind)
	}
	v.conditions(st.Conditions)
}

func (v *vocabulary) debtor(d *inkassov1.Debtor) {
	v.meta(&d.ObjectMeta, &d.TypeMeta)
	for i := range d.Status.Cases {
		k := &d.Status.Cases[i]
		k.Policy, k.Currency = v.word(k.Policy), v.word(k.Currency)
		k.Step, k.NextStep, k.DueDate = v.word(k.Step), v.word(k.NextStep), v.word(k.DueDate)
		for j := range k.History {
			h := &k.History[j]
			h.Step, h.Fee, h.FeeKind = v.word(h.Step), v.word(h.Fee), v.word(h.FeeKind)
		}
	}
	v.conditions(d.Status.Conditions)
}

func (v *vocabulary) notice(n *inkassov1.Notice) {
	v.meta(&n.ObjectMeta, &n.TypeMeta)
	s := &n.Spec
	s.Step, s.ChannelRef.Name = v.word(s.Step), v.word(s.ChannelRef.Name)
	s.Language = inkassov1.Language(v.word(string(s.Language)))
	n.Status.ControllerName = v.word(n.Status.ControllerName)
	v.conditions(n.Status.Conditions)
}
