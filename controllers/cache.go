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
		// A tombstone of a deleted object passes unchanged.
		if _, isObject := obj.(client.Object); isObject {
			return nil, fmt.Errorf("notice cache transform: unexpected %T", obj)
		}
		return obj, nil
	}
	n.Spec.Subject, n.Spec.Body = "", ""
	n.Spec.Recipient = inkassov1.Recipient{}
	n.Spec.Amounts, n.Spec.Creditor, n.Spec.Sender = nil, nil, nil
	return n, nil
}
