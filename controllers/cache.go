package controllers

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// CacheOptions is the manager's cache: what it holds of every object, and
// for which namespaces (none: all). It is the one cache configuration of
// the manager binary, the integration tests and the benchmark.
//
// managedFields are never read by the controllers. A Notice is cached
// without what was rendered for the debtor (subject, body, recipient,
// amounts, parties): the controllers need only its identity, step, claims,
// timing and status, while a channel reads the whole Notice from the API
// right before it sends (channelkit). That was most of a cached notice's
// size, and it is personal data the manager then does not hold.
func CacheOptions(namespaces []string) cache.Options {
	o := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&inkassov1.Notice{}: {Transform: stripNotice},
			&inkassov1.Claim{}:  {Transform: slimClaim},
			&inkassov1.Debtor{}: {Transform: slimDebtor},
		},
	}
	if len(namespaces) > 0 {
		o.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return o
}

// stripNotice drops a Notice's rendered content and managed fields before
// it enters the cache.
func stripNotice(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return nil, err
	}
	n, ok := obj.(*inkassov1.Notice)
	if !ok {
		return passTombstone("notice", obj)
	}
	n.Spec.Subject, n.Spec.Body = "", ""
	n.Spec.Recipient = inkassov1.Recipient{}
	n.Spec.Amounts, n.Spec.Creditor, n.Spec.Sender = nil, nil, nil
	slimMeta(n)
	n.Spec.ClaimRefs = exact(n.Spec.ClaimRefs)
	n.Status.Conditions = exact(n.Status.Conditions)
	cacheWords.notice(n)
	return n, nil
}

// lastApplied is kubectl's client-side apply record: a second copy of the
// object as last applied, which the controllers never read.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slimMeta drops what the controllers never read from a cached object's
// metadata. Only for kinds the manager patches and never replaces with an
// Update: an Update of a cached object would delete what the cache dropped.
func slimMeta(o client.Object) {
	if a := o.GetAnnotations(); a != nil {
		if _, ok := a[lastApplied]; ok {
			delete(a, lastApplied)
			if len(a) == 0 {
				o.SetAnnotations(nil)
			}
		}
	}
}

// exact returns s with its capacity cut to its length. The JSON decoder
// grows a slice by doubling, so a decoded history of 9 entries holds room
// for 16; in a cache of 100,000 claims that spare room is tens of MB.
func exact[T any](s []T) []T {
	if cap(s) == len(s) {
		return s
	}
	if len(s) == 0 {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// slimClaim drops a Claim's managed fields and kubectl's last-applied copy,
// and trims the spare room of its longest lists, before it enters the cache.
func slimClaim(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return nil, err
	}
	c, ok := obj.(*inkassov1.Claim)
	if !ok {
		return passTombstone("claim", obj)
	}
	slimMeta(c)
	st := &c.Status
	st.History = exact(st.History)
	st.Ledger = exact(st.Ledger)
	st.Conditions = exact(st.Conditions)
	st.CreditorNotices = exact(st.CreditorNotices)
	c.Spec.Payments = exact(c.Spec.Payments)
	cacheWords.claim(c)
	return c, nil
}

// slimDebtor does for a Debtor what slimClaim does for a Claim.
func slimDebtor(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*inkassov1.Debtor)
	if !ok {
		return passTombstone("debtor", obj)
	}
	slimMeta(d)
	st := &d.Status
	st.Cases = exact(st.Cases)
	for i := range st.Cases {
		st.Cases[i].History = exact(st.Cases[i].History)
		st.Cases[i].Claims = exact(st.Cases[i].Claims)
	}
	st.Conditions = exact(st.Conditions)
	cacheWords.debtor(d)
	return d, nil
}

// passTombstone lets a tombstone of a deleted object through a kind's
// transform unchanged, and refuses an object of another kind.
func passTombstone(kind string, obj any) (any, error) {
	if _, isObject := obj.(client.Object); isObject {
		return nil, fmt.Errorf("%s cache transform: unexpected %T", kind, obj)
	}
	return obj, nil
}
