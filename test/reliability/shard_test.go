package reliability

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestTwoShards runs two managers, each with --namespaces set to its own
// namespace and leader election on. First only shard A runs: its namespace's
// claims finish while shard B's namespace stays untouched (no status, no
// notices). Then shard B starts and finishes its own. Each shard holds its
// own Lease, so the two never wait on each other.
func TestTwoShards(t *testing.T) {
	c := startCluster(t)
	pa, pb := newProvider(t), newProvider(t) // one each, so deliveries are checked per namespace
	a := workload{ns: "shard-a", claims: size(30, 150), debtors: size(15, 60)}
	b := workload{ns: "shard-b", claims: size(30, 150), debtors: size(15, 60)}
	c.populate(t, a, pa.url(), clockStart)
	c.populate(t, b, pb.url(), clockStart)
	tl := newTimeline(t, 200000)
	shard := func(name, ns string) *manager {
		return newManager(t, c, name, tl, "--namespaces", ns, "--leader-elect", "--leader-election-namespace", "default",
			"--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms")
	}
	ma, mb := shard("shard-a", a.ns), shard("shard-b", b.ns)

	ma.start()
	c.waitFinished(t, a.ns, time.Duration(size(180, 420))*time.Second)
	if steps, _, _ := c.progress(t, b.ns); steps != 0 {
		t.Fatalf("shard A took %d steps in shard B's namespace", steps)
	}
	if n := c.noticeCount(t, b.ns); n != 0 {
		t.Fatalf("shard A created %d notices in shard B's namespace", n)
	}
	var untouched inkassov1.ClaimList
	if err := c.k8s.List(context.Background(), &untouched, client.InNamespace(b.ns)); err != nil {
		t.Fatal(err)
	}
	for _, cl := range untouched.Items {
		if cl.Status.Phase != "" || cl.Status.ObservedGeneration != 0 {
			t.Fatalf("shard A wrote the status of %s/%s: phase %q", b.ns, cl.Name, cl.Status.Phase)
		}
	}

	mb.start()
	c.waitFinished(t, b.ns, time.Duration(size(180, 420))*time.Second)
	c.verify(t, a.ns, pa)
	c.verify(t, b.ns, pb)

	var leases coordinationv1.LeaseList
	if err := c.k8s.List(context.Background(), &leases, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	holders := map[string]string{}
	for _, l := range leases.Items {
		if l.Spec.HolderIdentity != nil {
			holders[l.Name] = *l.Spec.HolderIdentity
		}
	}
	if len(holders) != 2 {
		t.Errorf("want one Lease per shard, got %v", holders)
	}
	if !contains(ma.log(), "sharded", a.ns) || !contains(mb.log(), "sharded", b.ns) {
		t.Error("a shard did not log the namespaces it watches")
	}
}
