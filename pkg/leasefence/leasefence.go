// Package leasefence lets a replica act on the outside world only while it
// holds its leader election lease.
//
// controller-runtime stops a manager that lost its lease only after the renew
// deadline passes and its context is cancelled; a replica that was paused (a
// stopped process, a long GC, a cut network) wakes up still inside its
// reconciles, while another replica may already lead. Lock wraps the lease
// lock the manager elects with and remembers when this replica last wrote
// the lease as its holder (acquired or renewed it); Open says no once that is
// longer ago than the lease duration less a safety margin. A channel checks
// it right before it sends (channelkit.Controller.Fence).
package leasefence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/leaderelection"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
)

// Lock is a resourcelock.Interface that records this replica's renewals.
// Pass it as manager.Options.LeaderElectionResourceLockInterface.
type Lock struct {
	resourcelock.Interface
	// window is how long after a renewal sending is still safe: the lease
	// duration less the margin.
	window time.Duration
	lease  time.Duration
	// now reads the local clock. Leases run in real time, so this is the
	// wall clock with its monotonic reading, never a simulated clock.
	now func() time.Time

	mu      sync.Mutex
	renewed time.Time // zero: not holding the lease
	// holder is the holder the last Get read ("" after a failed one):
	// client-go releases on a stale view of who leads, so a release
	// passes only when this read showed this replica.
	holder string
}

// ErrNotHolder refuses to release a Lease the last read did not show
// this replica holding.
var ErrNotHolder = errors.New("lease fence: not releasing a lease this replica was not last seen holding")

// Wrap wraps inner. The fence is open for leaseDuration-margin after each
// renewal: another replica may take the lease leaseDuration after it last
// saw it renewed, and margin leaves a send begun just before the fence
// closes that long to reach its provider (the manager uses the renew
// deadline).
func Wrap(inner resourcelock.Interface, leaseDuration, margin time.Duration) (*Lock, error) {
	if margin <= 0 || margin >= leaseDuration {
		return nil, fmt.Errorf("lease fence: the margin %v must be above 0 and below the lease duration %v", margin, leaseDuration)
	}
	return &Lock{Interface: inner, window: leaseDuration - margin, lease: leaseDuration, now: time.Now}, nil
}

// NewResourceLock builds the lock controller-runtime would build for opts
// (a Lease named opts.LeaderElectionID in opts.LeaderElectionNamespace, the
// identity hostname_uuid, a client timeout of half the renew deadline) and
// wraps it. Its leader election events go to the Lease as controller-runtime's do.
func NewResourceLock(cfg *rest.Config, opts leaderelection.Options, leaseDuration time.Duration) (*Lock, error) {
	opts.LeaderElection = true
	cs, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(cfg), "leader-election"))
	if err != nil {
		return nil, fmt.Errorf("lease fence: %w", err)
	}
	inner, err := leaderelection.NewResourceLock(rest.CopyConfig(cfg), eventsOnLease{cs}, opts) // it sets the config's timeout
	if err != nil {
		return nil, fmt.Errorf("lease fence: building the leader election lock: %w", err)
	}
	return Wrap(inner, leaseDuration, opts.RenewDeadline)
}

// eventsOnLease records leader election events with the core events API,
// as controller-runtime's own recorder for them does.
type eventsOnLease struct{ cs kubernetes.Interface }

func (e eventsOnLease) GetEventRecorderFor(name string) record.EventRecorder {
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: e.cs.CoreV1().Events("")})
	return b.NewRecorder(clientgoscheme.Scheme, corev1.EventSource{Component: name})
}

func (e eventsOnLease) GetEventRecorder(string) recorder.EventRecorder { return nil }

// Get reads the lease and remembers its holder. Seeing another holder
// closes the fence at once: the lease is no longer this replica's, however
// recent its last renewal.
func (l *Lock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	ler, raw, err := l.Interface.Get(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holder = ""
	if err == nil && ler != nil {
		l.holder = ler.HolderIdentity
		if ler.HolderIdentity != l.Identity() {
			l.renewed = time.Time{}
		}
	}
	return ler, raw, err
}

// Create acquires a free lease.
func (l *Lock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	start := l.now()
	err := l.Interface.Create(ctx, ler)
	l.record(ler, start, err)
	return err
}

// Update acquires, renews or releases the lease.
//
// A release (no holder) closes the fence before it writes, and is refused
// unless the last Get showed this replica as the holder: client-go's
// tryRelease checks IsLeader against the record it observed last, so a
// replica that was paused past its lease would otherwise clear the Lease
// another replica took meanwhile, and a third could take it while the
// second still sends.
func (l *Lock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if ler.HolderIdentity == "" {
		l.mu.Lock()
		l.renewed = time.Time{}
		mine := l.holder == l.Identity()
		l.mu.Unlock()
		if !mine {
			return ErrNotHolder
		}
	}
	start := l.now()
	err := l.Interface.Update(ctx, ler)
	l.record(ler, start, err)
	return err
}

// record keeps the time a write as holder began: the others count the lease
// from when they see it, which is later, so this errs on the safe side.
func (l *Lock) record(ler resourcelock.LeaderElectionRecord, start time.Time, err error) {
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ler.HolderIdentity == l.Identity() {
		l.renewed = start
	} else {
		l.renewed = time.Time{} // released
	}
}

// Deadline is when another replica may take the lease over: the start of
// this replica's last renewal plus the lease duration (zero when it holds
// none). A send still under way then must be cancelled
// (channelkit.Controller.FenceDeadline).
func (l *Lock) Deadline() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.renewed.IsZero() {
		return time.Time{}
	}
	return l.renewed.Add(l.lease)
}

// Open reports whether this replica may act as the leader now, and if not, why.
func (l *Lock) Open() (bool, string) {
	l.mu.Lock()
	renewed := l.renewed
	l.mu.Unlock()
	if renewed.IsZero() {
		return false, "this replica does not hold the leader election lease"
	}
	if age := l.now().Sub(renewed); age >= l.window {
		return false, fmt.Sprintf("this replica last renewed its lease %s ago: another may take it over %s after a renewal", age.Round(time.Millisecond), l.lease)
	}
	return true, ""
}
