package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
)

// TestShardLabellerAndCache runs a second manager with shard 1/2's cache
// and labeller next to the suite's (unsharded) manager: the labeller labels
// the unlabelled and out-of-range objects of its own debtors — and only
// those — and the shard's cache holds only its own objects.
func TestShardLabellerAndCache(t *testing.T) {
	ns := newNamespace(t)
	s := shard.Shard{Index: 1, Count: 2}
	var mine, theirs string
	for i := 0; mine == "" || theirs == ""; i++ {
		n := fmt.Sprintf("debtor-%d", i)
		switch {
		case s.Owns(ns, n) && mine == "":
			mine = n
		case !s.Owns(ns, n) && theirs == "":
			theirs = n
		}
	}
	skip := true
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:      controllers.ShardCacheOptions(controllers.CacheOptions([]string{ns}), s),
		Controller: config.Controller{SkipNameValidation: &skip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&controllers.ShardLabeller{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Shard: s, Namespaces: []string{ns}}).SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	stray := claimDue(ns, "c-stray", mine, "100.00", 30)
	stray.Labels = map[string]string{shard.Label: "7"} // not a shard of 2
	create(t, debtor(ns, mine, inkassov1.DebtorConsumer), debtor(ns, theirs, inkassov1.DebtorConsumer),
		claimDue(ns, "c-mine", mine, "100.00", 30), claimDue(ns, "c-theirs", theirs, "100.00", 30), stray)

	label := func(o client.Object) string {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		return o.GetLabels()[shard.Label]
	}
	eventually(t, 20*time.Second, func() error {
		for _, c := range []struct {
			obj  client.Object
			name string
		}{{&inkassov1.Debtor{}, mine}, {&inkassov1.Claim{}, "c-mine"}, {&inkassov1.Claim{}, "c-stray"}} {
			c.obj.SetNamespace(ns)
			c.obj.SetName(c.name)
			if got := label(c.obj); got != "1" {
				return fmt.Errorf("%s labelled %q, want 1", c.name, got)
			}
		}
		return nil
	})
	// Shard 0's objects are shard 0's labeller's to label: none runs here.
	time.Sleep(2 * time.Second)
	for _, o := range []client.Object{&inkassov1.Debtor{}, &inkassov1.Claim{}} {
		o.SetNamespace(ns)
		o.SetName(theirs)
		if _, ok := o.(*inkassov1.Claim); ok {
			o.SetName("c-theirs")
		}
		if got := label(o); got != "" {
			t.Errorf("shard 1's labeller labelled %s of shard 0: %q", o.GetName(), got)
		}
	}
	// A valid but wrong label (N changed, or a debtor changed before
	// collection): the shard holding the object moves it, and stops.
	if t.Failed() {
		return
	}
	wrongClaim := claimDue(ns, "c-wrong", mine, "100.00", 30)
	wrongClaim.Labels = map[string]string{shard.Label: "0"}
	moved := ""
	for i := 0; moved == "" || !s.Owns(ns, moved); i++ {
		moved = fmt.Sprintf("moved-%d", i)
	}
	wrongDebtor := debtor(ns, moved, inkassov1.DebtorConsumer)
	wrongDebtor.Labels = map[string]string{shard.Label: "0"}
	create(t, wrongClaim, wrongDebtor)
	shard0 := shard.Shard{Index: 0, Count: 2}
	claims0 := &controllers.ClaimReconciler{Client: cached, Clock: fclock, Shard: shard0}
	debtors0 := &controllers.DebtorReconciler{Client: cached, Clock: fclock, Shard: shard0}
	eventually(t, 10*time.Second, func() error {
		if _, err := claims0.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(wrongClaim)}); err != nil {
			return err
		}
		if _, err := debtors0.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(wrongDebtor)}); err != nil {
			return err
		}
		if got := label(wrongClaim); got != "1" {
			return fmt.Errorf("claim c-wrong labelled %q, want 1", got)
		}
		if got := label(wrongDebtor); got != "1" {
			return fmt.Errorf("debtor %s labelled %q, want 1", wrongDebtor.Name, got)
		}
		return nil
	})

	eventually(t, 10*time.Second, func() error {
		var claims inkassov1.ClaimList
		if err := mgr.GetCache().List(context.Background(), &claims, client.InNamespace(ns)); err != nil {
			return err
		}
		var names []string
		for _, c := range claims.Items {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, []string{"c-mine", "c-stray", "c-wrong"}) {
			return fmt.Errorf("shard 1's cache holds claims %v, want [c-mine c-stray c-wrong]", names)
		}
		return nil
	})
}
