package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// clockStart is the operator date the claims fall due on.
var clockStart = time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC)

// newTimeline starts the shared accelerated clock now. At scale 200,000 a
// day of operator time is 0.43 wall seconds: the 80-day policy takes ~35 s,
// and a notice's 30-day delivery deadline (DeliveryDeadlineHours 720) is
// 13 wall seconds: a fault longer than that fails notices, as it would
// with a month-long outage in real time.
//
// On a busy machine the clock runs slower by its load per core (slowdown):
// at 200,000x the 30-day delivery window is 13 wall seconds, and a manager
// sharing its cores with other work fell behind by more than that (notices
// failed by their deadline, claims stalled on them, as they should).
func newTimeline(t *testing.T, scale int) timeline {
	_, _ = buildOnce() // build first, or the build's minutes pass on the clock; newManager reports errors
	clockSlowdown = 1
	if f := slowdown(); f > 1 {
		t.Logf("load %.1f on %d cores: the operator's clock runs at %dx instead of %dx", loadAverage(), runtime.NumCPU(), int(float64(scale)/f), scale)
		scale = int(float64(scale) / f)
		clockSlowdown = f
	}
	return timeline{start: clockStart.Format(time.RFC3339), anchor: time.Now(), scale: scale}
}

// TestSIGKILLAtRandomMoments kills the manager with SIGKILL at random moments
// while claims move through the policy and restarts it each time.
func TestSIGKILLAtRandomMoments(t *testing.T) {
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "sigkill", claims: size(60, 300), debtors: size(30, 120)}
	c.populate(t, w, p.url(), clockStart)
	// The long run restarts the manager a dozen times under a heavier load;
	// a slower clock keeps a notice's 30-day delivery window (13 s at
	// 200,000x) longer than a restart with its backlog.
	m := newManager(t, c, "manager", newTimeline(t, size(200000, 100000)))
	m.start()
	c.waitSteps(t, w.ns, w.claims/2, 60*time.Second)
	kills := size(4, 12)
	killRandomly(t, m, kills, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)))
	c.waitFinished(t, w.ns, time.Duration(size(180, 480))*time.Second)
	c.verify(t, w.ns, p)
	if m.runs != kills+1 {
		t.Errorf("manager ran %d times, want %d", m.runs, kills+1)
	}
}

// TestLeaderFailover runs two managers with leader election; the leader is
// killed mid-run (SIGKILL: no lease release) and the standby must take over
// within the lease time, with nothing sent twice.
func TestLeaderFailover(t *testing.T) {
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "failover", claims: size(40, 200), debtors: size(20, 80)}
	c.populate(t, w, p.url(), clockStart)
	const lease = 4 * time.Second
	// A leader killed between recording a case step and creating its
	// notices leaves them to the next leader, which creates them after the
	// takeovers and its start-up backlog: 30 s later in one long run, 70
	// days at 200,000x and past the 30-day window, so the letter failed by
	// its deadline, as a letter that late should. The long run, with three
	// takeovers, runs at 50,000x (a 52 s window).
	tl := newTimeline(t, size(200000, 50000))
	election := []string{"--leader-elect", "--leader-election-id", "reliability", "--leader-election-namespace", "default", "--leader-elect-lease-duration", lease.String(),
		"--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms"}
	a := newManager(t, c, "manager-a", tl, election...)
	b := newManager(t, c, "manager-b", tl, election...)
	a.start()
	waitLeader(t, c, a, b)
	b.start()
	c.waitSteps(t, w.ns, w.claims, 60*time.Second)

	for i := 0; i < size(1, 3); i++ {
		leader, standby := waitLeader(t, c, a, b)
		ensureStandby(t, standby)
		before := holder(t, c)
		killed := time.Now()
		leader.stop(syscall.SIGKILL)
		// The standby takes the lease once it expires: within the lease
		// duration plus a retry period, and some slack for a loaded machine.
		limit := lease + 500*time.Millisecond + stretch(3*time.Second)
		for holder(t, c) == before {
			if time.Since(killed) > limit {
				t.Fatalf("failover %d: nobody took the lease from %s within %s", i+1, before, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(killed)
		t.Logf("failover %d: %s took over %.1fs after %s was killed (lease %s)", i+1, standby.name, took.Seconds(), leader.name, lease)
		if !standby.running() {
			t.Fatalf("the standby %s is not running", standby.name)
		}
		leader.start() // back as the standby
		time.Sleep(2 * time.Second)
	}
	c.waitFinished(t, w.ns, time.Duration(size(180, 420))*time.Second)
	c.verify(t, w.ns, p)
}

// ensureStandby starts the standby again if it has exited: a replica that
// missed its renew deadline on this shared machine loses its lease and
// exits (as it must; a kubelet would restart it), and a failover test
// would otherwise take down the one replica left. It gives the standby a
// moment to start and reach the election.
func ensureStandby(t *testing.T, standby *manager) {
	t.Helper()
	if standby.running() {
		return
	}
	t.Logf("the standby %s had exited (a lost lease); starting it again", standby.name)
	standby.start()
	time.Sleep(2 * time.Second)
}

// holder is the current holder of the leader election Lease.
func holder(t *testing.T, c *cluster) string {
	t.Helper()
	var l coordinationv1.Lease
	if err := c.k8s.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "reliability"}, &l); err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// waitLeader waits until one of the running managers says it leads, and
// returns it and the other one.
func waitLeader(t *testing.T, c *cluster, a, b *manager) (leader, standby *manager) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if h := holder(t, c); h != "" {
			for _, m := range []*manager{a, b} {
				if m.running() && leads(m) {
					if m == a {
						return a, b
					}
					return b, a
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	var said []string
	for _, m := range []*manager{a, b} {
		for _, l := range strings.Split(m.log(), "\n") {
			if strings.Contains(strings.ToLower(l), "lease") {
				said = append(said, m.name+": "+l)
			}
		}
	}
	t.Fatalf("no manager became the leader; the Lease holder is %q; the managers said:\n%s", holder(t, c), strings.Join(said, "\n"))
	return nil, nil
}

// leads reports whether the manager's current run acquired the lease.
func leads(m *manager) bool {
	log := m.log()
	last := strings.LastIndex(log, "===== "+m.name+" run ")
	return last >= 0 && strings.Contains(strings.ToLower(log[last:]), "successfully acquired lease")
}

// TestAPIServerRestart kills the kube-apiserver mid-run and starts it again
// on the same port and storage: the manager must go on without a restart.
func TestAPIServerRestart(t *testing.T) {
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "apiserver", claims: size(40, 200), debtors: size(20, 80)}
	c.populate(t, w, p.url(), clockStart)
	// After an apiserver outage client-go's reflectors re-list with their own
	// backoff, 0.8 s doubling to 30 s (jittered up to 60 s) and reset only
	// after two quiet minutes; it is not configurable. Three restarts within
	// a minute drive it to the cap: the notice informer was measured dark for
	// 62 s after the last one. At 100,000x that is 72 days, past the longest
	// delivery window (30 days, 26 s), so notices failed by their deadline,
	// as they should. The long run, with three restarts, runs the clock at
	// 25,000x: a 104 s window. Each restart waits until the notices open
	// after the last one are out: a restart that hit a notice informer
	// still waiting out its backoff kept it dark for about 100 s, past that
	// window (seen once on 2026-11-30), which tests the reflector's backoff
	// more than the manager.
	m := newManager(t, c, "manager", newTimeline(t, size(100000, 25000)))
	m.start()
	c.waitSteps(t, w.ns, w.claims, 60*time.Second)
	for i := 0; i < size(1, 3); i++ {
		restartAPIServer(t, c, 3*time.Second)
		steps, _, _ := c.progress(t, w.ns)
		c.waitSteps(t, w.ns, steps+w.claims/2, 60*time.Second)
		c.waitNoticesOut(t, w.ns, 90*time.Second)
	}
	c.waitFinished(t, w.ns, time.Duration(size(180, 720))*time.Second)
	c.verify(t, w.ns, p)
	if m.runs != 1 || !m.running() {
		t.Errorf("the manager had to be restarted (runs %d, exits %v)", m.runs, m.exits)
	}
}

// restartAPIServer kills envtest's kube-apiserver (a child of this process)
// and runs it again with the same arguments after outage, as a crashed static
// pod comes back. etcd keeps running, so nothing stored is lost.
func restartAPIServer(t *testing.T, c *cluster, outage time.Duration) {
	t.Helper()
	pid, args := childProcess(t, "kube-apiserver")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for alive(pid) { // envtest, or the goroutine below, reaps it
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: kube-apiserver killed", time.Now().Format(time.RFC3339Nano))
	time.Sleep(outage)
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Reap it whenever it ends, so that the next restart, which kills this
	// one, sees it gone rather than a zombie.
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, total := c.progress(t, "default"); total >= 0 {
			var l coordinationv1.LeaseList
			if c.k8s.List(context.Background(), &l) == nil {
				t.Logf("%s: kube-apiserver back", time.Now().Format(time.RFC3339Nano))
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the apiserver did not come back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// alive reports whether the process runs: present and not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	end := strings.LastIndexByte(s, ')')
	fields := strings.Fields(s[end+1:])
	return end >= 0 && len(fields) > 0 && fields[0] != "Z"
}

// childProcess finds this process's running child named name and its
// command line.
func childProcess(t *testing.T, name string) (int, []string) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("needs /proc to find the apiserver process")
	}
	me := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		end := strings.LastIndexByte(s, ')')
		if end < 0 || !strings.Contains(s[:end], "("+name) {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(me) || fields[0] == "Z" {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		return pid, strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	}
	t.Fatalf("no %s child process", name)
	return 0, nil
}

// TestFailingProvider: the channel provider answers 503 to a share of the
// requests, lets others hang past the channel's timeout, and is down for a
// while: every notice is retried with backoff and delivered once in the end.
func TestFailingProvider(t *testing.T) {
	c := startCluster(t)
	p := newProvider(t)
	w := workload{ns: "provider", claims: size(40, 200), debtors: size(20, 80)}
	c.populate(t, w, p.url(), clockStart)
	p.misbehave(0.3, 0.1)
	// Every claim's reminder is due at once. With four sends at a time and
	// one request in ten hanging for the 1 s timeout, the long run's 200
	// reminders queued past their 30-day window at 100,000x (26 s) and 12
	// failed by their deadline after 7 attempts. The long run delivers 16 at
	// a time, as a slow provider calls for, at 50,000x.
	m := newManager(t, c, "manager", newTimeline(t, size(100000, 50000)), "--max-concurrent-sends", fmt.Sprint(size(4, 16)))
	m.start()
	c.waitSteps(t, w.ns, w.claims, 60*time.Second)
	p.down()
	time.Sleep(time.Duration(size(4, 10)) * time.Second)
	p.up(t)
	c.waitSteps(t, w.ns, w.claims*3, 120*time.Second)
	p.misbehave(0, 0) // the gateway recovers
	c.waitFinished(t, w.ns, time.Duration(size(240, 480))*time.Second)
	c.verify(t, w.ns, p)
	_, requests := p.counts()
	if n := c.noticeCount(t, w.ns); requests <= n {
		t.Errorf("%d requests for %d notices: the faults caused no retries, so this test tested nothing", requests, n)
	}
	if line := panicLine(m.log()); line != "" {
		t.Errorf("the manager panicked: %s", line)
	}
}

func (c *cluster) noticeCount(t *testing.T, ns string) int {
	t.Helper()
	var l inkassov1.NoticeList
	if err := c.k8s.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}
