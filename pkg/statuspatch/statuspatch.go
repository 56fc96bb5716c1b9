// Package statuspatch writes an object's status as a JSON merge patch of
// the status alone, built without decoding either version into generic
// maps, and reads back only the object's metadata.
//
// controller-runtime's client.MergeFrom marshals both whole objects,
// decodes both into map[string]interface{} trees and diffs those; the
// apiserver then answers with the whole patched object, which the client
// decodes again. For the manager's large statuses (a claim's history and
// ledger, a debtor's cases) that was a fifth of the manager's CPU under
// load (docs/performance.md, "Fourth figures"), CPU taken from the
// apiserver on a small control plane. Here only the two statuses are
// marshalled, unchanged subtrees are compared as bytes, and the response
// is PartialObjectMetadata (the apiserver encodes less too). The caller
// keeps its status in memory: it is what was written.
package statuspatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Lock says whether the write carries orig's resourceVersion as a
// precondition (a conflict then fails it, as client.MergeFromWithOptimisticLock).
type Lock bool

const (
	// Optimistic fails the write when the object changed since orig was read.
	Optimistic Lock = true
	// LastWriteWins writes whatever the object's current version.
	LastWriteWins Lock = false
)

// Patch writes obj's status as changed from orig's (both of the same
// kind, with a Status field) to the status subresource. Nothing is sent
// when the statuses marshal alike. On success obj's resourceVersion is the
// new one; obj's status is not re-read (server-side defaults of status
// fields are not reflected).
func Patch(ctx context.Context, c client.Client, obj, orig client.Object, lock Lock) error {
	data, changed, err := Data(obj, orig, lock)
	if err != nil || !changed {
		return err
	}
	gvk, err := apiutil.GVKForObject(obj, c.Scheme())
	if err != nil {
		return fmt.Errorf("status patch: %w", err)
	}
	pom := &metav1.PartialObjectMetadata{}
	pom.SetGroupVersionKind(gvk)
	pom.SetNamespace(obj.GetNamespace())
	pom.SetName(obj.GetName())
	if err := c.Status().Patch(ctx, pom, client.RawPatch(types.MergePatchType, data)); err != nil {
		return err
	}
	obj.SetResourceVersion(pom.GetResourceVersion())
	return nil
}

// Data is the merge patch Patch sends: {"metadata":{"resourceVersion":…},
// "status":…} with only the status fields that differ, or changed false
// when none do.
func Data(obj, orig client.Object, lock Lock) (patch []byte, changed bool, err error) {
	now, err := statusJSON(obj)
	if err != nil {
		return nil, false, err
	}
	was, err := statusJSON(orig)
	if err != nil {
		return nil, false, err
	}
	diff, changed, err := Diff(was, now)
	if err != nil || !changed {
		return nil, false, err
	}
	var b bytes.Buffer
	b.Grow(len(diff) + 64)
	b.WriteByte('{')
	if lock {
		rv := orig.GetResourceVersion()
		if rv == "" {
			return nil, false, fmt.Errorf("status patch of %s: an optimistic lock needs the resourceVersion the status was read at, and %T has none", orig.GetName(), orig)
		}
		q, err := json.Marshal(rv)
		if err != nil {
			return nil, false, err
		}
		b.WriteString(`"metadata":{"resourceVersion":`)
		b.Write(q)
		b.WriteString(`},`)
	}
	b.WriteString(`"status":`)
	b.Write(diff)
	b.WriteByte('}')
	return b.Bytes(), true, nil
}

// statusJSON marshals the object's Status field.
func statusJSON(obj client.Object) ([]byte, error) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("status patch: %T is not a pointer to a struct", obj)
	}
	st := v.Elem().FieldByName("Status")
	if !st.IsValid() {
		return nil, fmt.Errorf("status patch: %T has no Status field", obj)
	}
	b, err := json.Marshal(st.Interface())
	if err != nil {
		return nil, fmt.Errorf("status patch: marshalling the status of %T: %w", obj, err)
	}
	return b, nil
}

// Diff is the JSON merge patch (RFC 7386) that turns document a into b:
// for two objects, the members of b that differ (objects diffed member by
// member, anything else replaced whole), and null for each member of a
// that b lacks; anything else is b itself. changed is false when a and b
// are the same bytes. Members are compared as the bytes encoding/json
// wrote, which is deterministic for one Go type.
func Diff(a, b []byte) (patch []byte, changed bool, err error) {
	if bytes.Equal(a, b) {
		return nil, false, nil
	}
	if !isObject(a) || !isObject(b) {
		return b, true, nil
	}
	var am, bm map[string]json.RawMessage
	if err := json.Unmarshal(a, &am); err != nil {
		return nil, false, fmt.Errorf("merge diff: %w", err)
	}
	if err := json.Unmarshal(b, &bm); err != nil {
		return nil, false, fmt.Errorf("merge diff: %w", err)
	}
	out := make(map[string]json.RawMessage)
	for k, bv := range bm {
		av, ok := am[k]
		switch {
		case ok && bytes.Equal(av, bv):
		case ok && isObject(av) && isObject(bv):
			sub, ch, err := Diff(av, bv)
			if err != nil {
				return nil, false, err
			}
			if ch {
				out[k] = sub
			}
		case !ok && isNull(bv):
			// Absent and null decode alike.
		default:
			out[k] = bv
		}
	}
	for k := range am {
		if _, ok := bm[k]; !ok && !isNull(am[k]) {
			out[k] = json.RawMessage("null")
		}
	}
	if len(out) == 0 {
		// Different bytes, same members (only whitespace or order):
		// nothing to write.
		return nil, false, nil
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(out[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), true, nil
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func isNull(b []byte) bool {
	return string(bytes.TrimSpace(b)) == "null"
}
