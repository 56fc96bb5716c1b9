package reliability

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// TestAtMostOnceWithAProviderThatDoesNotDeduplicate: every request the
// provider accepts is a delivery (a repeated key too), and one request in
// six is accepted but answered after the channel's timeout. The channels
// deliver at most once and may ask the provider (checkURL). The manager is
// killed mid-run and the apiserver restarted: no notice may reach the
// provider twice (verify fails on a second delivery of a key) and none may
// be lost (verify fails on a notice not Sent).
func TestAtMostOnceWithAProviderThatDoesNotDeduplicate(t *testing.T) {
	c, p, w := startAtMostOnce(t, "atmostonce")
	p.misbehave(0.1, 0.15)
	// An attempt left by a killed manager is settled after 3 s (above the
	// channels' 1 s request timeout), not the default 2 minutes.
	m := newManager(t, c, "manager", newTimeline(t, size(100000, 50000)), "--delivery-attempt-timeout", "3s")
	m.start()
	c.waitSteps(t, w.ns, w.claims, 60*time.Second)
	// A cut between the manager and the apiserver: answers that came while
	// it was away are recorded when it is back.
	restartAPIServer(t, c, 3*time.Second)
	steps, _, _ := c.progress(t, w.ns)
	c.waitSteps(t, w.ns, steps+w.claims/2, 90*time.Second)
	killRandomly(t, m, size(2, 6), rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2)))
	p.misbehave(0, 0)
	c.waitFinished(t, w.ns, time.Duration(size(240, 600))*time.Second)
	c.verify(t, w.ns, p)
	p.mu.Lock()
	late := p.late
	p.mu.Unlock()
	if late == 0 {
		t.Errorf("no request was answered too late: the test tested nothing")
	}
	t.Logf("%d requests accepted and answered after the timeout, each settled by asking the provider", late)
}

// startAtMostOnce starts a control plane with a workload in namespace ns
// whose channels deliver at most once and may ask the provider
// (checkURL), and a strict provider: every request it accepts is a
// delivery, a repeated key too.
func startAtMostOnce(t *testing.T, ns string) (*cluster, *provider, workload) {
	t.Helper()
	c := startCluster(t)
	p := newProvider(t)
	p.mu.Lock()
	p.strict = true
	p.mu.Unlock()
	w := workload{ns: ns, claims: size(40, 200), debtors: size(20, 80)}
	c.populate(t, w, p.url(), clockStart)
	ctx := context.Background()
	var chans inkassov1.NoticeChannelList
	if err := c.k8s.List(ctx, &chans, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for i := range chans.Items {
		ch := &chans.Items[i]
		ch.Spec.Redelivery = inkassov1.AtMostOnce
		ch.Spec.Webhook.CheckURL = p.url() + "/check"
		if err := c.k8s.Update(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	return c, p, w
}
