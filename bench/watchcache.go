package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// The idle watch-cache measurement (-watch-cache): the run's claims,
// notices and debtors, with their statuses, are created in a fresh control
// plane with no other traffic, and kube-apiserver's live heap is read
// before and after. The busy run's own figure (Result.WatchCache) also
// holds the apiserver's buffer of recent watch events, each with the
// object's previous version, and whatever else the traffic leaves.

type objectSet struct {
	claims  []inkassov1.Claim
	notices []inkassov1.Notice
	debtors []inkassov1.Debtor
}

func snapshotObjects(ctx context.Context, k client.Client) (objectSet, error) {
	var s objectSet
	var cl inkassov1.ClaimList
	var nl inkassov1.NoticeList
	var dl inkassov1.DebtorList
	for _, l := range []client.ObjectList{&cl, &nl, &dl} {
		if err := k.List(ctx, l, client.InNamespace("bench")); err != nil {
			return s, fmt.Errorf("listing the run's objects: %w", err)
		}
	}
	s.claims, s.notices, s.debtors = cl.Items, nl.Items, dl.Items
	return s, nil
}

// fresh clears what the apiserver sets, so the object can be created anew.
func fresh(m *metav1.ObjectMeta) {
	m.ResourceVersion, m.UID, m.ManagedFields, m.CreationTimestamp, m.Generation = "", "", nil, metav1.Time{}, 0
	m.Finalizers, m.DeletionTimestamp = nil, nil
}

func watchCacheRun(ctx context.Context, c config, root string, objs objectSet) (*watchCache, error) {
	dir, err := os.MkdirTemp("", "bench-etcd-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c.etcdDataDir = dir
	env, cfg, k8s, err := startControlPlane(c, root)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = env.Stop()
		}
	}()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}); err != nil {
		return nil, err
	}
	// storedObjects lists every kind once, so the apiserver builds the
	// custom resources' storage (and watch caches) before the quiet point.
	if _, err := storedObjects(ctx, k8s, "bench"); err != nil {
		return nil, err
	}
	time.Sleep(5 * time.Second)
	probe, err := startWatchCacheProbe(ctx, env, cfg, k8s)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: watch cache: copying %d claims, %d notices, %d debtors into a fresh control plane...\n", len(objs.claims), len(objs.notices), len(objs.debtors))
	var jobs []func() error
	for i := range objs.debtors {
		o := &objs.debtors[i]
		st := o.Status
		jobs = append(jobs, func() error {
			return createWithStatus(ctx, k8s, o, func() { fresh(&o.ObjectMeta) }, func() { o.Status = st })
		})
	}
	for i := range objs.claims {
		o := &objs.claims[i]
		st := o.Status
		jobs = append(jobs, func() error {
			return createWithStatus(ctx, k8s, o, func() { fresh(&o.ObjectMeta) }, func() { o.Status = st })
		})
	}
	for i := range objs.notices {
		o := &objs.notices[i]
		st := o.Status
		jobs = append(jobs, func() error {
			return createWithStatus(ctx, k8s, o, func() { fresh(&o.ObjectMeta) }, func() { o.Status = st })
		})
	}
	// Two halves, each with half of every kind: the first point after the
	// first half leaves out what the apiserver builds once per resource (on
	// its first write), which a small run would count as per-object cost.
	var first, second []func() error
	for i, j := range jobs {
		if i%2 == 0 {
			first = append(first, j)
		} else {
			second = append(second, j)
		}
	}
	if err := runJobs(first); err != nil {
		return nil, err
	}
	time.Sleep(10 * time.Second)
	mid, err := probeAPIServer(ctx, probe.hc, probe.host)
	if err != nil {
		return nil, err
	}
	midStored, err := storedObjects(ctx, k8s, "bench")
	if err != nil {
		return nil, err
	}
	if err := runJobs(second); err != nil {
		return nil, err
	}
	time.Sleep(10 * time.Second) // the watch caches catch up
	w, err := probe.finish(ctx)
	if err != nil {
		return nil, err
	}
	w.setMid(mid, midStored)
	fmt.Fprintf(os.Stderr, "bench: watch cache (idle copy): %s\n", w)

	// The same etcd under a new kube-apiserver: its watch caches start from
	// a list, with no buffer of recent events (the copy's creates and status
	// writes, whose first versions the buffer above still holds).
	stopped = true
	if err := env.Stop(); err != nil {
		return nil, fmt.Errorf("stopping the copy's control plane: %w", err)
	}
	env2, cfg2, k8s2, err := startControlPlane(c, root)
	if err != nil {
		return nil, fmt.Errorf("restarting on the copy's etcd: %w", err)
	}
	defer env2.Stop()
	hc2, err := rest.HTTPClientFor(cfg2)
	if err != nil {
		return nil, err
	}
	st, err := storedObjects(ctx, k8s2, "bench") // builds the custom resources' storage and watch caches
	if err != nil {
		return nil, err
	}
	time.Sleep(10 * time.Second)
	restarted, err := probeAPIServer(ctx, hc2, cfg2.Host)
	if err != nil {
		return nil, err
	}
	w.setRestarted(restarted, st)
	fmt.Fprintf(os.Stderr, "bench: watch cache (restarted apiserver, %.1f MB stored): live heap %.0f MB, %.1f heap bytes per stored byte over the empty apiserver's\n",
		float64(st.total())/1e6, restarted.HeapInuse/1e6, w.RestartedFactor)
	return w, nil
}

// createWithStatus creates obj (after prepare) and then writes its status
// (restored by setStatus), which a create through the API drops.
func createWithStatus(ctx context.Context, k client.Client, obj client.Object, prepare, setStatus func()) error {
	prepare()
	if err := k.Create(ctx, obj); err != nil {
		return fmt.Errorf("creating %s: %w", obj.GetName(), err)
	}
	if setStatus == nil {
		return nil
	}
	setStatus()
	if err := k.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("writing the status of %s: %w", obj.GetName(), err)
	}
	return nil
}

// runJobs runs the jobs on 16 workers and returns the first error.
func runJobs(jobs []func() error) error {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) || firstErr.Load() != nil {
					return
				}
				if err := jobs[i](); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}
