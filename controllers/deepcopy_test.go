package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// copyingLists records the cache lists that would deep-copy what they read.
type copyingLists struct {
	client.Client
	mu     sync.Mutex
	copied []string
}

func (c *copyingLists) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := (&client.ListOptions{}).ApplyOptions(opts)
	if o.UnsafeDisableDeepCopy == nil || !*o.UnsafeDisableDeepCopy {
		c.mu.Lock()
		c.copied = append(c.copied, fmt.Sprintf("%T %+v", list, o))
		c.mu.Unlock()
	}
	return c.Client.List(ctx, list, opts...)
}

// TestWatchMappersDoNotDeepCopy: a channel or policy change maps to the
// claims and debtors it concerns by listing the cache; such a list must
// not deep-copy a namespace of claims (at 100,000 claims that is most of a
// gigabyte at once). Each mapper must read the cache's own objects, and
// the stalled ones only the stalled objects.
func TestWatchMappersDoNotDeepCopy(t *testing.T) {
	ns := newNamespace(t)
	// c-stuck names a policy that does not exist: it stalls. The others
	// use the namespace's default.
	stuck := claimDue(ns, "c-stuck", "d-1", "500.00", 10)
	stuck.Spec.PolicyRef = &inkassov1.LocalObjectReference{Name: "missing"}
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), debtor(ns, "d-1", inkassov1.DebtorConsumer),
		claimDue(ns, "c-1", "d-1", "500.00", 10), claimDue(ns, "c-2", "d-1", "700.00", 10), stuck)
	eventually(t, 15*time.Second, func() error {
		var c inkassov1.Claim
		if err := cached.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "c-stuck"}, &c); err != nil {
			return err
		}
		return expectCondition(c.Status.Conditions, inkassov1.ConditionStalled, metav1.ConditionTrue, "PolicyNotFound")
	})

	rec := &copyingLists{Client: cached}
	mappers := controllers.WatchMappers(rec)
	names := func(reqs []reconcile.Request) []string {
		var out []string
		for _, r := range reqs {
			out = append(out, r.Name)
		}
		slices.Sort(out)
		return out
	}
	policy := &inkassov1.CollectionPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kravia"}}
	channel := &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "letter"}}
	if got := names(mappers["stalledClaims"](context.Background(), channel)); !slices.Equal(got, []string{"c-stuck"}) {
		t.Errorf("stalled claims: %v, want [c-stuck]", got)
	}
	if got := names(mappers["claimsOfPolicy"](context.Background(), policy)); !slices.Equal(got, []string{"c-1", "c-2"}) {
		t.Errorf("claims of the default policy: %v, want [c-1 c-2]", got)
	}
	if got := mappers["stalledDebtors"](context.Background(), channel); len(got) != 0 {
		t.Errorf("stalled debtors: %v, want none", got)
	}
	if len(rec.copied) > 0 {
		t.Errorf("watch mappers deep-copied the lists they read:\n%v", rec.copied)
	}
}
