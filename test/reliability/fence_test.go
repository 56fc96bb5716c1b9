package reliability

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPausedLeaderSendsNothing (issue 21): two managers with leader
// election, channels that deliver at most once, and a provider that does
// not de-duplicate (every request is a delivery). The leader is stopped
// (SIGSTOP: it keeps its lease and its reconciles, as after a long GC pause
// or a frozen VM) past its lease, the standby takes over, and the old
// leader is continued (SIGCONT): it wakes up inside its reconciles with a
// stale lease, and its lease fence must keep it from sending beside the new
// leader. verify fails on a key the provider got twice, or a notice lost.
// With the fence always open, one run delivered 3 of 180 notices twice
// (the fenced run: none, 13 sends held back).
func TestPausedLeaderSendsNothing(t *testing.T) {
	c, p, w := startAtMostOnce(t, "fence")
	const lease = 4 * time.Second
	tl := newTimeline(t, size(100000, 50000))
	election := []string{"--leader-elect", "--leader-election-id", "reliability", "--leader-election-namespace", "default", "--leader-elect-lease-duration", lease.String(),
		"--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms", "--delivery-attempt-timeout", "3s"}
	a := newManager(t, c, "manager-a", tl, election...)
	b := newManager(t, c, "manager-b", tl, election...)
	a.start()
	waitLeader(t, c, a, b)
	b.start()
	c.waitSteps(t, w.ns, w.claims/2, 60*time.Second)

	for i := 0; i < size(2, 4); i++ {
		leader, standby := waitLeader(t, c, a, b)
		ensureStandby(t, standby)
		before := holder(t, c)
		leader.signal(syscall.SIGSTOP)
		paused := time.Now()
		limit := lease + stretch(5*time.Second)
		for holder(t, c) == before {
			if time.Since(paused) > limit {
				leader.signal(syscall.SIGCONT)
				t.Fatalf("pause %d: nobody took the lease from the stopped %s within %s", i+1, leader.name, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("pause %d: %s took over %.1fs after %s was stopped", i+1, standby.name, time.Since(paused).Seconds(), leader.name)
		time.Sleep(time.Second) // the new leader is at work
		leader.signal(syscall.SIGCONT)
		// It finds it lost the lease and exits; back as the standby.
		deadline := time.Now().Add(20 * time.Second)
		for leader.running() && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		leader.stop(syscall.SIGTERM)
		leader.start()
		time.Sleep(2 * time.Second)
	}
	c.waitFinished(t, w.ns, time.Duration(size(180, 420))*time.Second)
	c.verify(t, w.ns, p)
	fenced := 0
	for _, m := range []*manager{a, b} {
		fenced += strings.Count(m.log(), "not sending: this replica may have lost its lease")
	}
	t.Logf("%d sends held back by the lease fence", fenced)
}

// signal sends sig to the running process without waiting for it.
func (m *manager) signal(sig syscall.Signal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		_ = m.cmd.Process.Signal(sig)
	}
}
