// Package rebalance lets the replicas of a manager share N debtor shards
// (--shards N): each replica holds any number of the shards, one Lease
// each, and the shards move to the replicas that are alive.
//
// Every replica renews a member Lease of its own. From the live members
// every replica computes the same preferred holder of each shard
// (shard.Assign). A replica contends for the shards it is preferred for,
// and releases a shard it holds when another live member is preferred:
// it stops the shard's controllers first, then gives the shard's Lease
// up, so that a shard is never run by two replicas. A replica that stops
// (or dies: its member Lease expires) leaves its shards to the others; one
// that comes back gets its share again.
//
// The shard Leases are the same as those of --shard i/N, so that "each
// case handled by exactly one replica" rests on client-go's leader
// election as before; the member Leases only decide who tries.
package rebalance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/inkasso-operator/inkasso-operator/internal/shard"
	"github.com/inkasso-operator/inkasso-operator/pkg/leasefence"
)

// Rebalancer runs the shards this replica holds. It is a controller-runtime
// Runnable of a manager without leader election (the top manager, which
// serves metrics and probes).
type Rebalancer struct {
	// Leases is the client of the Leases in Namespace.
	Leases    coordinationclient.LeasesGetter
	Namespace string
	// Identity names this replica: unique per process (a restarted process
	// is a new member), a DNS label.
	Identity string
	// Count is N.
	Count int
	// LeaseName is the name of shard i's Lease.
	LeaseName func(i int) string
	// MemberSuffix ends the names of the member Leases of this set of
	// replicas: "<identity>.<MemberSuffix>".
	MemberSuffix string
	// LeaseDuration, RenewDeadline and RetryPeriod are those of the shard
	// Leases and of the member Lease (renewed every RetryPeriod).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Run runs shard s — its cache and controllers — until ctx is done,
	// and returns only once all it started has stopped; an error wrapping
	// ErrNotStopped when it could not make sure of that. fence says whether
	// this replica still holds the shard's Lease fresh enough to send
	// (pkg/leasefence): the shard's channels ask it before each send.
	Run func(ctx context.Context, s shard.Shard, fence Fence) error
	// Lost is called when a shard's Lease was lost without being given up
	// (a missed renew deadline), or a shard did not stop in time: the
	// shard may still be running, so the process must exit (as
	// controller-runtime's manager does when it loses its Lease).
	Lost func(shard int, err error)
	Log  logr.Logger

	mu      sync.Mutex
	slots   []*slot
	members map[string]*seen // member name -> last change seen
	now     func() time.Time
}

// seen is when this replica saw a Lease change last (its own clock, as
// client-go's leader election does: the clocks of nodes may differ).
type seen struct {
	version string
	at      time.Time
}

// slot is one shard's elector and, while this replica leads it, its run.
type slot struct {
	index  int
	wanted bool // contend (the gate of the Lease lock)

	leading, releasing bool
	cancelElect        context.CancelFunc
	cancelRun          context.CancelFunc
	runDone            chan struct{}
	runErr             error
	done               chan struct{} // the elector loop ended
	// failures counts the runs in a row that stopped on their own soon
	// after starting; retryAt holds the gate shut until then.
	failures int
	retryAt  time.Time
}

// maxEarlyFailures is how many runs of a shard in a row may stop on their
// own within earlyRun lease durations of starting (RBAC, a missing CRD,
// caches that never sync) before the replica exits: otherwise its
// preferred replica would take and give the shard up forever and no other
// would try. Between them the gate waits failures × the lease duration.
const (
	maxEarlyFailures = 3
	earlyRun         = 10
)

// Fence is a shard Lease's fence (pkg/leasefence.Lock): whether this
// replica may still send for the shard, and when another replica may take
// the shard over.
type Fence interface {
	Open() (bool, string)
	Deadline() time.Time
}

// ErrNotStopped says a shard's run returned while some of it may still
// be running (its graceful shutdown timed out).
var ErrNotStopped = errors.New("the shard's controllers did not stop in time")

// ErrNotPreferred refuses to take a Lease this replica does not contend for.
var ErrNotPreferred = errors.New("another replica is preferred for this shard")

// NeedLeaderElection: the Rebalancer elects per shard itself.
func (r *Rebalancer) NeedLeaderElection() bool { return false }

// Start renews the member Lease and moves shards until ctx is done, then
// stops every shard, gives their Leases up and deletes the member Lease.
func (r *Rebalancer) Start(ctx context.Context) error {
	if r.now == nil {
		r.now = time.Now
	}
	r.members = map[string]*seen{}
	r.slots = make([]*slot, r.Count)
	for i := range r.slots {
		s := &slot{index: i, done: make(chan struct{})}
		r.slots[i] = s
		go r.elect(ctx, s)
	}
	r.Log.Info("sharing debtor shards with the other replicas", "shards", r.Count, "identity", r.Identity)
	tick := time.NewTicker(r.RetryPeriod)
	defer tick.Stop()
	for {
		if err := r.step(ctx); err != nil {
			r.Log.Error(err, "rebalancing")
		}
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case <-tick.C:
		}
	}
}

// step renews the member Lease, reads who is alive and sets which shards
// to contend for, releasing those now preferred elsewhere.
func (r *Rebalancer) step(ctx context.Context) error {
	// A slow apiserver must not hold the loop past a renew deadline.
	ctx, cancel := context.WithTimeout(ctx, r.RenewDeadline)
	defer cancel()
	if err := r.renewMember(ctx); err != nil {
		return err
	}
	live, err := r.liveMembers(ctx)
	if err != nil {
		return err
	}
	pref := shard.Assign(live, r.Count)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range r.slots {
		want := pref[i] == r.Identity
		if want != s.wanted {
			r.Log.V(1).Info("shard preference changed", "shard", i, "preferred", pref[i] == r.Identity)
		}
		s.wanted = want
		if !want && s.leading && !s.releasing {
			s.releasing = true
			r.Log.Info("giving the shard to the preferred replica", "shard", fmt.Sprintf("%d/%d", i, r.Count), "to", pref[i])
			go r.release(s)
		}
	}
	return nil
}

// memberName is this replica's member Lease.
func (r *Rebalancer) memberName(identity string) string {
	return identity + "." + r.MemberSuffix
}

// renewMember creates or renews this replica's member Lease.
func (r *Rebalancer) renewMember(ctx context.Context) error {
	leases := r.Leases.Leases(r.Namespace)
	now := metav1.NewMicroTime(r.now())
	secs := int32(r.LeaseDuration / time.Second)
	l, err := leases.Get(ctx, r.memberName(r.Identity), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: r.memberName(r.Identity), Namespace: r.Namespace},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &r.Identity, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now}}
		if _, err := leases.Create(ctx, l, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating the member Lease: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the member Lease: %w", err)
	}
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &r.Identity, &secs, &now
	if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("renewing the member Lease: %w", err)
	}
	return nil
}

// liveMembers lists the member Leases and returns the identities of those
// renewed within a lease duration (this replica's always). A member Lease
// expired for long (its process was killed) is deleted.
func (r *Rebalancer) liveMembers(ctx context.Context) ([]string, error) {
	list, err := r.Leases.Leases(r.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the member Leases: %w", err)
	}
	now := r.now()
	live := []string{r.Identity}
	present := map[string]bool{}
	for i := range list.Items {
		l := &list.Items[i]
		id, ok := strings.CutSuffix(l.Name, "."+r.MemberSuffix)
		if !ok || id == r.Identity || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != id {
			continue
		}
		present[l.Name] = true
		s := r.members[l.Name]
		switch {
		case s == nil:
			// First sight: trust its renew time once, so that a Lease left
			// by a replica killed long ago is not taken for a live one.
			s = &seen{version: l.ResourceVersion, at: now}
			if l.Spec.RenewTime != nil && now.Sub(l.Spec.RenewTime.Time) > r.LeaseDuration {
				s.at = now.Add(-r.LeaseDuration)
			}
			r.members[l.Name] = s
		case s.version != l.ResourceVersion:
			s.version, s.at = l.ResourceVersion, now
		}
		age := now.Sub(s.at)
		if age < r.LeaseDuration {
			live = append(live, id)
		} else if age > 4*r.LeaseDuration {
			err := r.Leases.Leases(r.Namespace).Delete(ctx, l.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &l.ResourceVersion}})
			if err == nil {
				r.Log.Info("deleted the member Lease of a replica gone", "lease", l.Name)
			}
		}
	}
	for name := range r.members {
		if !present[name] {
			delete(r.members, name)
		}
	}
	return live, nil
}

// elect runs shard s's leader election again and again until ctx is done:
// it always watches the shard's Lease (so that an expired one is taken at
// once), but takes it only while s is wanted.
func (r *Rebalancer) elect(ctx context.Context, s *slot) {
	defer close(s.done)
	name := r.LeaseName(s.index)
	log := r.Log.WithValues("shard", fmt.Sprintf("%d/%d", s.index, r.Count), "lease", name)
	for ctx.Err() == nil {
		gated := &gatedLock{Interface: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: r.Namespace, Name: name},
			Client:     r.Leases,
			LockConfig: resourcelock.ResourceLockConfig{Identity: r.Identity},
		}, open: func() bool { return r.contend(s) }}
		// The shard's channels send only while its Lease is fresh, as a
		// single manager's do (a paused replica wakes up inside its sends).
		lock, err := leasefence.Wrap(gated, r.LeaseDuration, r.RenewDeadline)
		if err != nil {
			r.Lost(s.index, fmt.Errorf("configuring the lease fence of shard %d: %w", s.index, err))
			return
		}
		electCtx, cancel := context.WithCancel(context.Background()) // ended by release or shutdown, after the run
		r.mu.Lock()
		s.cancelElect = cancel
		r.mu.Unlock()
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: lock, Name: name, ReleaseOnCancel: true,
			LeaseDuration: r.LeaseDuration, RenewDeadline: r.RenewDeadline, RetryPeriod: r.RetryPeriod,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(leadCtx context.Context) { r.run(leadCtx, s, lock, log) },
				OnStoppedLeading: func() { r.stopped(s, log) },
			},
		})
		if err != nil {
			cancel()
			r.Lost(s.index, fmt.Errorf("configuring the election of shard %d: %w", s.index, err))
			return
		}
		le.Run(logr.NewContext(electCtx, quietGate(log)))
		cancel()
	}
}

// contend says whether shard s's elector may take its Lease now.
func (r *Rebalancer) contend(s *slot) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return s.wanted && !r.now().Before(s.retryAt)
}

// run runs the shard while this replica leads it.
func (r *Rebalancer) run(leadCtx context.Context, s *slot, fence Fence, log logr.Logger) {
	runCtx, cancel := context.WithCancel(leadCtx)
	done := make(chan struct{})
	r.mu.Lock()
	if leadCtx.Err() != nil {
		// client-go starts OnStartedLeading in a goroutine and, when the
		// lead ends, cancels leadCtx before it calls OnStoppedLeading: a
		// lead that ended before this ran has been (or is being) handled
		// by stopped, and must not leave the slot marked as leading.
		r.mu.Unlock()
		cancel()
		return
	}
	s.leading, s.releasing, s.cancelRun, s.runDone, s.runErr = true, false, cancel, done, nil
	r.mu.Unlock()
	log.Info("holding the shard: starting its controllers")
	start := r.now()
	err := r.Run(runCtx, shard.Shard{Index: s.index, Count: r.Count}, fence)
	r.mu.Lock()
	s.runErr = err
	stoppedEarly := runCtx.Err() == nil && !s.releasing
	failures := 0
	if stoppedEarly {
		s.releasing = true
		if r.now().Sub(start) < earlyRun*r.LeaseDuration {
			s.failures++
		} else {
			s.failures = 1
		}
		s.retryAt = r.now().Add(time.Duration(s.failures) * r.LeaseDuration)
		failures = s.failures
	} else {
		s.failures = 0
	}
	r.mu.Unlock()
	close(done)
	if !stoppedEarly {
		return
	}
	if failures >= maxEarlyFailures {
		// Restarting the process (CrashLoopBackOff) makes the failure
		// visible and lets the other replicas take the shard.
		log.Error(err, "the shard's controllers failed to run several times in a row: exiting", "failures", failures)
		r.Lost(s.index, fmt.Errorf("shard %d/%d: its controllers stopped on their own %d times in a row: %w", s.index, r.Count, failures, err))
		return
	}
	// Holding a Lease without running its shard helps no one.
	log.Error(err, "the shard's controllers stopped: giving the shard up", "failures", failures, "retryIn", time.Duration(failures)*r.LeaseDuration)
	go r.release(s)
}

// release stops the shard's controllers, waits until they have stopped,
// and only then gives its Lease up.
func (r *Rebalancer) release(s *slot) {
	r.mu.Lock()
	cancelRun, runDone, cancelElect := s.cancelRun, s.runDone, s.cancelElect
	r.mu.Unlock()
	if cancelRun != nil {
		cancelRun()
		<-runDone
	}
	r.mu.Lock()
	err := s.runErr
	r.mu.Unlock()
	if errors.Is(err, ErrNotStopped) {
		// It may not have stopped (a graceful shutdown that timed out):
		// keep the Lease until this process is gone.
		r.Lost(s.index, fmt.Errorf("shard %d did not stop cleanly: %w", s.index, err))
		return
	}
	r.Log.Info("shard stopped: releasing its Lease", "shard", fmt.Sprintf("%d/%d", s.index, r.Count))
	cancelElect()
}

// stopped is client-go's OnStoppedLeading: after a release, or when the
// Lease was lost. A release gives the Lease up only once the run has
// finished, so leading with a run not finished means lost, even while a
// release is stopping it.
func (r *Rebalancer) stopped(s *slot, log logr.Logger) {
	r.mu.Lock()
	lost := s.leading && (!s.releasing || !closed(s.runDone))
	s.leading, s.releasing, s.cancelRun, s.runDone = false, false, nil, nil
	r.mu.Unlock()
	if lost {
		r.Lost(s.index, fmt.Errorf("lost the Lease of shard %d/%d", s.index, r.Count))
		return
	}
	log.V(1).Info("not holding the shard")
}

func closed(c chan struct{}) bool {
	if c == nil {
		return true
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// shutdown stops every shard, then gives the Leases up and deletes the
// member Lease, so that the others take the shards over at once.
func (r *Rebalancer) shutdown() {
	r.mu.Lock()
	for _, s := range r.slots {
		s.wanted = false
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range r.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.mu.Lock()
			leading := s.leading && !s.releasing
			s.releasing = s.releasing || s.leading
			r.mu.Unlock()
			if leading {
				r.release(s)
			}
			// Stop the elector that contends (behind a closed gate) — the
			// loop may have started a new one after a release — but never
			// one whose shard is still stopping: that would release early.
			for {
				r.mu.Lock()
				cancelElect := s.cancelElect
				idle := !s.leading
				r.mu.Unlock()
				if idle && cancelElect != nil {
					cancelElect()
				}
				select {
				case <-s.done:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), r.RenewDeadline)
	defer cancel()
	if err := r.Leases.Leases(r.Namespace).Delete(ctx, r.memberName(r.Identity), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		r.Log.Error(err, "deleting the member Lease")
	}
	r.Log.Info("gave every shard up")
}

// gatedLock is a Lease lock that takes the Lease (create, or update to
// this holder) only while open; renewing and releasing a held Lease, and
// reading it, always pass. The elector behind it keeps watching the Lease,
// so it knows when the holder stopped renewing and takes it the moment
// this replica is preferred.
type gatedLock struct {
	resourcelock.Interface
	open func() bool
	mu   sync.Mutex
	held bool
}

func (l *gatedLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if !l.open() {
		return ErrNotPreferred
	}
	err := l.Interface.Create(ctx, ler)
	if err == nil {
		l.mu.Lock()
		l.held = true
		l.mu.Unlock()
	}
	return err
}

func (l *gatedLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	l.mu.Lock()
	held := l.held
	l.mu.Unlock()
	if ler.HolderIdentity != "" && !held && !l.open() {
		return ErrNotPreferred
	}
	err := l.Interface.Update(ctx, ler)
	if err == nil {
		l.mu.Lock()
		l.held = ler.HolderIdentity != ""
		l.mu.Unlock()
	}
	return err
}

// quietGate drops client-go's error logs of a Lease the gate kept this
// replica from taking: that is the design, not a failure.
func quietGate(log logr.Logger) logr.Logger {
	return logr.New(gateSink{log.GetSink()})
}

type gateSink struct{ logr.LogSink }

func (s gateSink) Error(err error, msg string, kv ...any) {
	if errors.Is(err, ErrNotPreferred) {
		return
	}
	s.LogSink.Error(err, msg, kv...)
}

func (s gateSink) WithValues(kv ...any) logr.LogSink { return gateSink{s.LogSink.WithValues(kv...)} }
func (s gateSink) WithName(n string) logr.LogSink    { return gateSink{s.LogSink.WithName(n)} }
