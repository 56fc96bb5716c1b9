package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
)

// TestDebtorShards runs managers with --shard on ONE namespace: the debtors
// are split by hash(namespace/debtor) mod 2, each case (debtor, claims,
// notices) whole in one shard.
//
//  1. Only shard 0 runs: its debtors' claims finish; shard 1's debtors,
//     claims and notices stay untouched — no status, no notices, not even
//     a shard label (only shard 1's labeller labels shard 1's objects).
//  2. Shard 1's first replica starts; once its claims move, a second
//     replica of shard 1 is started and the first is SIGKILLed: the second
//     takes the shard's Lease over and finishes the shard.
//
// verify then fails on any notice created twice or delivered twice (a case
// handled by both shards, or by both replicas of shard 1), and every
// object must carry its debtor's shard label.
func TestDebtorShards(t *testing.T) {
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "one-creditor", claims: size(40, 200), debtors: size(20, 80)}
	c.populate(t, w, p.url(), clockStart)
	// 100,000x, not 200,000x: a notice's 30-day delivery window is then 26
	// wall seconds. The takeover takes up to the 8 s lease, a retry and
	// the cache sync (about 11 s seen), so at 200,000x (13 s) the notices
	// shard-1a created in the second before it was killed could fail by
	// their deadline before shard-1b reached them (2026-12-01, 14 of 1,000
	// in one long pass): the operator doing right by its clock, the test
	// asking too much of a failover.
	tl := newTimeline(t, 100000)
	replica := func(name, s string) *manager {
		return newManager(t, c, name, tl, "--shard", s, "--leader-elect", "--leader-election-namespace", "default",
			"--leader-elect-lease-duration", "8s", "--leader-elect-renew-deadline", "6s", "--leader-elect-retry-period", "1s")
	}
	s0, s1a, s1b := replica("shard-0", "0/2"), replica("shard-1a", "1/2"), replica("shard-1b", "1/2")
	of := func(debtor string) int { return shard.Of(w.ns, debtor, 2) }

	ctx := context.Background()
	claimsOf := func() (mine, theirs []inkassov1.Claim) {
		t.Helper()
		var l inkassov1.ClaimList
		if err := c.k8s.List(ctx, &l, client.InNamespace(w.ns)); err != nil {
			t.Fatal(err)
		}
		for _, cl := range l.Items {
			if of(cl.Spec.DebtorRef.Name) == 0 {
				mine = append(mine, cl)
			} else {
				theirs = append(theirs, cl)
			}
		}
		return mine, theirs
	}
	if m, o := claimsOf(); len(m) == 0 || len(o) == 0 {
		t.Fatalf("the workload does not span both shards: %d and %d claims", len(m), len(o))
	}

	// 1. Shard 0 alone.
	s0.start()
	keepRunning(t, s0)
	// About 74 days of operator time, 64 s at 100,000x, stretched as the
	// clock is (newTimeline slows it on a loaded machine).
	deadline := time.Now().Add(stretch(time.Duration(size(180, 420)) * time.Second))
	for {
		mine, _ := claimsOf()
		done := 0
		for _, cl := range mine {
			if cl.Status.PolicyDone() {
				done++
			}
		}
		if done == len(mine) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shard 0 finished %d of its %d claims", done, len(mine))
		}
		time.Sleep(500 * time.Millisecond)
	}
	_, theirs := claimsOf()
	for _, cl := range theirs {
		if cl.Status.Phase != "" || cl.Status.ObservedGeneration != 0 || cl.Labels[shard.Label] != "" {
			t.Fatalf("shard 0 touched shard 1's claim %s: phase %q, label %q", cl.Name, cl.Status.Phase, cl.Labels[shard.Label])
		}
	}
	var debtors inkassov1.DebtorList
	if err := c.k8s.List(ctx, &debtors, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for _, d := range debtors.Items {
		if of(d.Name) == 1 && (len(d.Status.Cases) > 0 || d.Labels[shard.Label] != "") {
			t.Fatalf("shard 0 touched shard 1's debtor %s", d.Name)
		}
	}
	var notices inkassov1.NoticeList
	if err := c.k8s.List(ctx, &notices, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	if len(notices.Items) == 0 {
		t.Fatal("shard 0 sent no notices")
	}
	for _, n := range notices.Items {
		if n.Labels[shard.Label] != "0" {
			t.Fatalf("notice %s has shard label %q while only shard 0 ran", n.Name, n.Labels[shard.Label])
		}
	}

	// 2. Shard 1: a replica starts, a second stands by, the first is killed.
	s1a.start()
	before, _, _ := c.progress(t, w.ns)
	c.waitSteps(t, w.ns, before+len(theirs), time.Duration(size(120, 300))*time.Second)
	s1b.start()
	keepRunning(t, s1b)
	time.Sleep(time.Second) // a standby, not yet the leader
	s1a.stop(syscall.SIGKILL)
	if !s0.running() {
		t.Fatal("shard 0 stopped")
	}
	c.waitFinished(t, w.ns, time.Duration(size(180, 420))*time.Second)
	c.verify(t, w.ns, p)

	// Every object carries its debtor's shard.
	var claims inkassov1.ClaimList
	if err := c.k8s.List(ctx, &claims, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for _, cl := range claims.Items {
		if want := (shard.Shard{Count: 2}).ValueFor(w.ns, cl.Spec.DebtorRef.Name); cl.Labels[shard.Label] != want {
			t.Errorf("claim %s labelled shard %q, want %s", cl.Name, cl.Labels[shard.Label], want)
		}
	}
	if err := c.k8s.List(ctx, &debtors, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for _, d := range debtors.Items {
		if want := (shard.Shard{Count: 2}).ValueFor(w.ns, d.Name); d.Labels[shard.Label] != want {
			t.Errorf("debtor %s labelled shard %q, want %s", d.Name, d.Labels[shard.Label], want)
		}
	}
	if err := c.k8s.List(ctx, &notices, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	claimShard := map[string]string{}
	for _, cl := range claims.Items {
		claimShard[cl.Name] = cl.Labels[shard.Label]
	}
	for _, n := range notices.Items {
		if want := claimShard[n.Spec.ClaimRefs[0].Name]; n.Labels[shard.Label] != want {
			t.Errorf("notice %s labelled shard %q, its claim %q", n.Name, n.Labels[shard.Label], want)
		}
	}

	// One Lease per shard; shard 1's is held by the standby now.
	var leases coordinationv1.LeaseList
	if err := c.k8s.List(ctx, &leases, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, l := range leases.Items {
		if l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "" {
			held[l.Name] = true
		}
	}
	for _, name := range []string{"shard-0-of-2.inkasso-operator.collection.inkasso.dev", "shard-1-of-2.inkasso-operator.collection.inkasso.dev"} {
		if !held[name] {
			t.Errorf("Lease %s not held: %v", name, held)
		}
	}
	if !contains(strings.ToLower(s1b.log()), "successfully acquired lease", "shard-1-of-2") {
		t.Error("the standby of shard 1 never acquired the shard's Lease")
	}
	logStoredSizes(t, c, w.ns)
	if contains(s0.log(), "moving to another shard") || contains(s1b.log(), "moving to another shard") {
		t.Error("an object was moved between shards although N never changed")
	}
}

// keepRunning restarts m whenever it exits, as a kubelet restarts a pod:
// on this shared machine a replica may miss its renew deadline, and a
// manager that loses its Lease exits rather than act without it.
func keepRunning(t *testing.T, m *manager) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before newManager's cleanup stops m
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if !m.running() {
					m.start()
				}
			}
		}
	}()
}

// logStoredSizes logs the mean JSON size of each kind as the apiserver
// returns it, managedFields included: what etcd stores per object
// (custom resources are stored as JSON). docs/scale.md uses these figures.
func logStoredSizes(t *testing.T, c *cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	for _, l := range []client.ObjectList{&inkassov1.ClaimList{}, &inkassov1.DebtorList{}, &inkassov1.NoticeList{}} {
		if err := c.k8s.List(ctx, l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		total, biggest := 0, 0
		for _, o := range items {
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			total += len(b)
			biggest = max(biggest, len(b))
		}
		if len(items) > 0 {
			t.Logf("stored size %T: %d objects, mean %d bytes, largest %d", l, len(items), total/len(items), biggest)
		}
	}
}
