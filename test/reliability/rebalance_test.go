package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
)

// TestShardRebalancing runs two managers with --shards 4 on ONE namespace,
// no standbys: the replicas share the four debtor shards.
//
//  1. Both start: each holds two shards (read from the shard Leases), no
//     shard unheld.
//  2. Replica B is SIGKILLed while claims move: A takes B's shards over,
//     within a bound tied to the lease duration, and goes on with them.
//  3. B starts again (a new member): A gives B two shards back, stopping
//     their controllers before it releases their Leases.
//  4. B is stopped with SIGTERM: it releases its shards and leaves, and A
//     takes them within a few retry periods, no Lease to wait out.
//
// Every claim must then finish, each step's notice exist once and be
// delivered once (verify: a case run by two replicas at once would send
// twice), and every object carry its debtor's shard label.
func TestShardRebalancing(t *testing.T) {
	const n = 4
	lease := 8 * time.Second
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "rebalance", claims: size(80, 300), debtors: size(40, 120)}
	c.populate(t, w, p.url(), clockStart)
	// Half the other tests' speed: the claims must still be moving when B
	// dies and when it comes back.
	tl := newTimeline(t, 100000)
	replica := func(name string) *manager {
		return newManager(t, c, name, tl, "--shards", fmt.Sprint(n), "--leader-election-namespace", "default",
			"--leader-elect-lease-duration", lease.String(), "--leader-elect-renew-deadline", "6s", "--leader-elect-retry-period", "1s",
			"--zap-time-encoding", "rfc3339nano") // heldIntervals compares the replicas' log times
	}
	a, b := replica("replica-a"), replica("replica-b")
	ctx := context.Background()

	// holders reads who holds each shard's Lease now ("" unheld or expired).
	holders := func() []string {
		t.Helper()
		var leases coordinationv1.LeaseList
		if err := c.k8s.List(ctx, &leases, client.InNamespace("default")); err != nil {
			return nil
		}
		out := make([]string, n)
		for _, l := range leases.Items {
			var i int
			if _, err := fmt.Sscanf(l.Name, "shard-%d-of-4.inkasso-operator.collection.inkasso.dev", &i); err != nil || i < 0 || i >= n {
				continue
			}
			if l.Spec.HolderIdentity == nil || l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
				continue
			}
			if time.Since(l.Spec.RenewTime.Time) < time.Duration(*l.Spec.LeaseDurationSeconds)*time.Second {
				out[i] = *l.Spec.HolderIdentity
			}
		}
		return out
	}
	// who names the replica of a member identity (each logs its own).
	who := func(id string) string {
		for _, m := range []*manager{a, b} {
			if id != "" && contains(m.log(), "debtor shards shared between replicas", id) {
				return m.name
			}
		}
		return "?" + id
	}
	byReplica := func(h []string) map[string][]int {
		out := map[string][]int{}
		for i, id := range h {
			if id == "" {
				out[""] = append(out[""], i)
			} else {
				out[who(id)] = append(out[who(id)], i)
			}
		}
		return out
	}
	// waitSplit waits until the shards are held as want says, and returns
	// how long that took.
	waitSplit := func(what string, within time.Duration, want func(map[string][]int) bool) time.Duration {
		t.Helper()
		start := time.Now()
		var got map[string][]int
		for time.Since(start) < within {
			if h := holders(); h != nil {
				if got = byReplica(h); want(got) {
					return time.Since(start)
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: after %s the shards are held %v", what, within, got)
		return 0
	}
	even := func(h map[string][]int) bool {
		return len(h[""]) == 0 && len(h[a.name]) == 2 && len(h[b.name]) == 2
	}

	// A replica that loses a Lease exits (it could still run the shard);
	// restart it as a kubelet would, except B while it is meant to be down.
	var mu sync.Mutex
	bDown := false
	supervise := func(m *manager, down *bool) {
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) })
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(500 * time.Millisecond):
					mu.Lock()
					skip := down != nil && *down
					mu.Unlock()
					if !skip && !m.running() {
						m.start()
					}
				}
			}
		}()
	}

	// 1. Both replicas share the shards.
	a.start()
	b.start()
	supervise(a, nil)
	supervise(b, &bDown)
	split := waitSplit("two replicas", 90*time.Second, even)
	t.Logf("shards split %v %s after the start", byReplica(holders()), split.Round(100*time.Millisecond))
	c.waitSteps(t, w.ns, w.claims/2, 120*time.Second)
	if _, done, total := c.progress(t, w.ns); done == total {
		t.Fatal("every claim finished before replica B was stopped: the test would show no takeover")
	}

	// 2. B dies; A takes its shards over.
	mu.Lock()
	bDown = true
	mu.Unlock()
	steps, done, total := c.progress(t, w.ns)
	t.Logf("killing B at %d claim steps, %d of %d claims finished", steps, done, total)
	b.stop(syscall.SIGKILL)
	bKilledAt := time.Now() // B is gone: stop waited for its exit
	bound := 3*lease + stretch(5*time.Second)
	takeover := waitSplit("after B was killed", bound, func(h map[string][]int) bool { return len(h[a.name]) == n })
	t.Logf("replica A holds all %d shards %s after B was killed (lease duration %s, bound %s)", n, takeover.Round(100*time.Millisecond), lease, bound)
	stepsAfterKill, _, _ := c.progress(t, w.ns)
	c.waitSteps(t, w.ns, stepsAfterKill+1, 60*time.Second) // A moves B's claims as well as its own

	// 3. B comes back and gets its share.
	steps, done, total = c.progress(t, w.ns)
	t.Logf("starting B again at %d claim steps, %d of %d claims finished", steps, done, total)
	if done == total {
		t.Log("every claim finished before B came back: the return is shown on an idle namespace")
	}
	mu.Lock()
	bDown = false
	mu.Unlock()
	b.start()
	back := waitSplit("after B came back", 3*lease+30*time.Second, even)
	t.Logf("shards split %v again %s after B was started again", byReplica(holders()), back.Round(100*time.Millisecond))

	// 4. B stops cleanly: it releases its shards and deletes its member
	// Lease, so A takes them without waiting for a Lease to expire.
	mu.Lock()
	bDown = true
	mu.Unlock()
	b.stop(syscall.SIGTERM)
	clean := waitSplit("after B was stopped", 3*lease, func(h map[string][]int) bool { return len(h[a.name]) == n })
	t.Logf("replica A holds all %d shards %s after B stopped cleanly (SIGTERM)", n, clean.Round(100*time.Millisecond))
	if !contains(b.log(), "gave every shard up") {
		t.Error("replica B did not give its shards up on SIGTERM")
	}

	c.waitFinished(t, w.ns, time.Duration(size(180, 420))*time.Second)
	c.verify(t, w.ns, p)

	// Every object carries its debtor's shard of 4.
	four := shard.Shard{Count: n}
	var claims inkassov1.ClaimList
	if err := c.k8s.List(ctx, &claims, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for _, cl := range claims.Items {
		if want := four.ValueFor(w.ns, cl.Spec.DebtorRef.Name); cl.Labels[shard.Label] != want {
			t.Errorf("claim %s labelled shard %q, want %s", cl.Name, cl.Labels[shard.Label], want)
		}
	}
	var debtors inkassov1.DebtorList
	if err := c.k8s.List(ctx, &debtors, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	for _, d := range debtors.Items {
		if want := four.ValueFor(w.ns, d.Name); d.Labels[shard.Label] != want {
			t.Errorf("debtor %s labelled shard %q, want %s", d.Name, d.Labels[shard.Label], want)
		}
	}
	// The shards held, by the logs: each replica held some, B's were taken
	// by A, and two were given back.
	for _, m := range []*manager{a, b} {
		if !contains(m.log(), "holding the shard: starting its controllers") {
			t.Errorf("%s never held a shard", m.name)
		}
	}
	if !contains(a.log(), "giving the shard to the preferred replica") {
		t.Error("replica A never gave a shard back to B")
	}
	if contains(a.log(), "moving to another shard") || contains(b.log(), "moving to another shard") {
		t.Error("an object was moved between shards although N never changed")
	}
	if strings.Contains(a.log(), "exiting: a shard may still run") {
		t.Log("replica A lost a Lease and restarted (a missed renew deadline on a busy machine)")
	}
	shardsLog := func(m *manager) string {
		var lines []string
		for _, l := range strings.Split(m.log(), "\n") {
			if strings.Contains(l, "holding the shard") || strings.Contains(l, "giving the shard") {
				lines = append(lines, l)
			}
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	t.Logf("replica A's shard moves:\n%s", shardsLog(a))

	// No shard ran in two replicas at once: from each replica's log, when
	// it started a shard's controllers and when it had stopped them (or
	// died), and no two such intervals of one shard overlap.
	logs := map[string]string{a.name: a.log(), b.name: b.log()}
	kills := map[string][]time.Time{b.name: {bKilledAt}}
	all, overlaps := holdings(t, logs, kills)
	for _, o := range overlaps {
		t.Error(o)
	}
	t.Logf("%d holdings of a shard, none overlapping", len(all))
}

// holding is one replica's run of one shard.
type holding struct {
	who        string
	shard      int
	start, end time.Time
}

// holdings reads the replicas' logs and returns every holding of a shard
// and, as messages, each pair of holdings of one shard that overlap.
func holdings(t *testing.T, logs map[string]string, kills map[string][]time.Time) (all []holding, overlaps []string) {
	t.Helper()
	for who, log := range logs {
		for i, iv := range heldIntervals(t, log, kills[who]) {
			for _, h := range iv {
				all = append(all, holding{who: who, shard: i, start: h[0], end: h[1]})
			}
		}
	}
	for i, x := range all {
		for _, y := range all[i+1:] {
			if x.shard == y.shard && x.start.Before(y.end) && y.start.Before(x.end) {
				overlaps = append(overlaps, fmt.Sprintf("shard %d ran twice at once: in %s from %s to %s, in %s from %s to %s", x.shard,
					x.who, x.start.Format(time.StampMicro), x.end.Format(time.StampMicro), y.who, y.start.Format(time.StampMicro), y.end.Format(time.StampMicro)))
			}
		}
	}
	return all, overlaps
}

// heldIntervals reads a manager's log (all its runs) and returns, per shard
// index, when it started the shard's controllers and when they had stopped:
// its "releasing" line, the process's exit on a lost Lease, a SIGKILL of
// that run (kills), else the next run's start (the process was gone by
// then) or now for the run still going.
func heldIntervals(t *testing.T, log string, kills []time.Time) map[int][][2]time.Time {
	t.Helper()
	out := map[int][][2]time.Time{}
	open := map[int]time.Time{}
	var runStart time.Time
	closeRun := func(at time.Time) {
		for _, k := range kills {
			if k.After(runStart) && k.Before(at) {
				at = k
			}
		}
		for i, from := range open {
			out[i] = append(out[i], [2]time.Time{from, at})
		}
		open = map[int]time.Time{}
	}
	for _, l := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(l, "===== "); ok {
			f := strings.Fields(rest) // name run N at TIME
			if at, err := time.Parse(time.RFC3339Nano, f[len(f)-1]); err == nil {
				closeRun(at)
				runStart = at
			}
			continue
		}
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var e struct {
			TS    string `json:"ts"`
			Msg   string `json:"msg"`
			Shard any    `json:"shard"`
		}
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, e.TS)
		if err != nil {
			continue
		}
		idx := -1
		if s, ok := e.Shard.(string); ok {
			_, _ = fmt.Sscanf(s, "%d/", &idx)
		}
		switch {
		case e.Msg == "holding the shard: starting its controllers" && idx >= 0:
			if _, dup := open[idx]; dup {
				t.Errorf("a replica started shard %d twice at %s", idx, at)
			}
			open[idx] = at
		case e.Msg == "shard stopped: releasing its Lease" && idx >= 0:
			if from, ok := open[idx]; ok {
				out[idx] = append(out[idx], [2]time.Time{from, at})
				delete(open, idx)
			}
		case strings.HasPrefix(e.Msg, "exiting: a shard may still run"):
			closeRun(at)
		}
	}
	closeRun(time.Now())
	return out
}

// TestHoldingsOverlap: the overlap check of TestShardRebalancing finds a
// shard started by one replica before another had stopped it, and counts
// a SIGKILL as the end of the killed run's shards.
func TestHoldingsOverlap(t *testing.T) {
	line := func(ts, msg, s string) string {
		return fmt.Sprintf(`{"level":"info","ts":%q,"logger":"shards","msg":%q,"shard":%q}`, ts, msg, s)
	}
	const start, stop = "holding the shard: starting its controllers", "shard stopped: releasing its Lease"
	a := strings.Join([]string{
		"===== a run 1 at 2026-11-30T10:00:00Z",
		line("2026-11-30T10:00:01Z", start, "0/4"),
		line("2026-11-30T10:00:05Z", stop, "0/4"),
	}, "\n")
	handedOver := strings.Join([]string{
		"===== b run 1 at 2026-11-30T10:00:00Z",
		line("2026-11-30T10:00:06Z", start, "0/4"),
	}, "\n")
	if _, o := holdings(t, map[string]string{"a": a, "b": handedOver}, nil); len(o) != 0 {
		t.Errorf("a clean handover reported: %v", o)
	}
	early := strings.Join([]string{
		"===== b run 1 at 2026-11-30T10:00:00Z",
		line("2026-11-30T10:00:04.5Z", start, "0/4"),
	}, "\n")
	if _, o := holdings(t, map[string]string{"a": a, "b": early}, nil); len(o) != 1 {
		t.Errorf("b started shard 0 before a stopped it: %v", o)
	}
	killed := strings.Join([]string{
		"===== a run 1 at 2026-11-30T10:00:00Z",
		line("2026-11-30T10:00:01Z", start, "0/4"),
		"===== a run 2 at 2026-11-30T10:00:30Z",
	}, "\n")
	kill := time.Date(2026, 11, 30, 10, 0, 5, 0, time.UTC)
	if _, o := holdings(t, map[string]string{"a": killed, "b": handedOver}, map[string][]time.Time{"a": {kill}}); len(o) != 0 {
		t.Errorf("the kill did not end a's holding: %v", o)
	}
	if _, o := holdings(t, map[string]string{"a": killed, "b": handedOver}, nil); len(o) != 1 {
		t.Errorf("without the kill a held shard 0 until its next run: %v", o)
	}
}
