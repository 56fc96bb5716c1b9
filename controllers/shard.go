package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/shard"
)

// Debtor shards (docs/performance.md, "Shards inside a namespace"): a
// manager started with --shard i/N caches and reconciles only the Debtors,
// Claims and Notices labelled collection.inkasso.dev/shard=i, the debtors
// whose hash(namespace/debtor) mod N is i. Policies, channels and
// Settlements are cached whole by every shard.
//
// Who writes the label:
//   - the shard labeller of the shard an object hashes to, for objects
//     without a valid label (new Claims and Debtors as applied by a
//     creditor or GitOps; a Settlement's statement notices; objects from
//     before sharding was turned on);
//   - the controllers, on the notices they create: the owner's label is
//     copied, so a case's notices are in the case's shard from birth;
//   - the claim and debtor controllers of the shard an object is labelled
//     with, when the label is valid but wrong (N changed, or a claim's
//     debtor was changed before collection started): they move it to its
//     shard, the debtor with its notices.
//
// At any time one shard holds an object (its label), and only that shard's
// leader writes its label: the labeller never touches a labelled object.

// ShardCacheOptions narrows the manager's cache to one shard's Debtors,
// Claims and Notices.
func ShardCacheOptions(o cache.Options, s shard.Shard) cache.Options {
	if !s.Enabled() {
		return o
	}
	if o.ByObject == nil {
		o.ByObject = map[client.Object]cache.ByObject{}
	}
	sel := s.Selector()
	for _, obj := range []client.Object{&inkassov1.Claim{}, &inkassov1.Debtor{}, &inkassov1.Notice{}} {
		var by cache.ByObject
		for k, v := range o.ByObject { // keep the notice transform
			if fmt.Sprintf("%T", k) == fmt.Sprintf("%T", obj) {
				by = v
				delete(o.ByObject, k)
			}
		}
		by.Label = sel
		o.ByObject[obj] = by
	}
	return o
}

// copyShardLabel gives a notice its owner's shard.
func copyShardLabel(owner client.Object, n *inkassov1.Notice) {
	if owner == nil {
		return
	}
	if v, ok := owner.GetLabels()[shard.Label]; ok {
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[shard.Label] = v
	}
}

// setShardLabel patches obj's shard label to v (a JSON merge patch of that
// one label: it conflicts with no other writer).
func setShardLabel(ctx context.Context, c client.Client, obj client.Object, v string) error {
	base := obj.DeepCopyObject().(client.Object)
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[shard.Label] = v
	obj.SetLabels(l)
	if err := c.Patch(ctx, obj, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("labelling %T %s with shard %s: %w", obj, client.ObjectKeyFromObject(obj), v, err)
	}
	return nil
}

// moveToShard relabels obj, held by this shard, when its debtor hashes to
// another shard; it reports whether it moved it (the caller then leaves
// the object to its new shard).
func moveToShard(ctx context.Context, c client.Client, s shard.Shard, obj client.Object, debtor string) (bool, error) {
	if !s.Enabled() {
		return false, nil
	}
	want := s.ValueFor(obj.GetNamespace(), debtor)
	if obj.GetLabels()[shard.Label] == want {
		return false, nil
	}
	log.FromContext(ctx).Info("moving to another shard", "kind", fmt.Sprintf("%T", obj), "from", obj.GetLabels()[shard.Label], "to", want)
	return true, setShardLabel(ctx, c, obj, want)
}

// moveNotices relabels the notices in this shard's cache that a moving
// debtor or claim takes along to the debtor's shard: those with the
// debtor's label when withDebtorLabel, and those named.
func moveNotices(ctx context.Context, c client.Client, s shard.Shard, namespace, debtor string, withDebtorLabel bool, names []string) error {
	want := s.ValueFor(namespace, debtor)
	var list inkassov1.NoticeList
	if withDebtorLabel {
		if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{noticeDebtorIndex: debtor}); err != nil {
			return fmt.Errorf("listing the notices of debtor %s: %w", debtor, err)
		}
	}
	for _, name := range names {
		var n inkassov1.Notice
		if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &n); err == nil {
			list.Items = append(list.Items, n)
		}
	}
	for i := range list.Items {
		n := &list.Items[i]
		if n.Labels[shard.Label] == want {
			continue
		}
		// The cache strips a notice's content; the merge patch sends only the label.
		if err := setShardLabel(ctx, c, n, want); err != nil {
			return err
		}
	}
	return nil
}

// +kubebuilder:rbac:groups=collection.inkasso.dev,resources=claims;debtors;notices,verbs=get;list;watch;patch

// ShardLabeller labels the Claims, Debtors and Notices without a valid
// shard label that hash to its shard. It watches them through a cache of
// its own that selects only objects without a valid label, so it holds
// just the few not yet labelled (new arrivals), never the shard's claims.
type ShardLabeller struct {
	Client client.Client
	// APIReader finds a legacy creditor notice's claim (not in any cache).
	APIReader client.Reader
	Shard     shard.Shard
	// Namespaces limits the labeller to a namespace shard (empty: all).
	Namespaces []string
}

// SetupWithManager starts the labeller's cache and one controller per kind.
func (l *ShardLabeller) SetupWithManager(mgr ctrl.Manager) error {
	opts := cache.Options{
		Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), HTTPClient: mgr.GetHTTPClient(),
		DefaultLabelSelector: l.Shard.Unassigned(),
		DefaultTransform:     cache.TransformStripManagedFields(),
		ByObject:             map[client.Object]cache.ByObject{&inkassov1.Notice{}: {Transform: stripNotice}},
	}
	if len(l.Namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range l.Namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return fmt.Errorf("creating the shard labeller's cache: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return fmt.Errorf("adding the shard labeller's cache: %w", err)
	}
	if err := labelKind(mgr, c, l, "claim", func() *inkassov1.Claim { return &inkassov1.Claim{} },
		func(_ context.Context, o *inkassov1.Claim) string { return o.Spec.DebtorRef.Name }); err != nil {
		return err
	}
	if err := labelKind(mgr, c, l, "debtor", func() *inkassov1.Debtor { return &inkassov1.Debtor{} },
		func(_ context.Context, o *inkassov1.Debtor) string { return o.Name }); err != nil {
		return err
	}
	return labelKind(mgr, c, l, "notice", func() *inkassov1.Notice { return &inkassov1.Notice{} }, l.noticeDebtor)
}

// noticeDebtor is the debtor whose case a notice belongs to: its debtor
// label or reference, its owning Debtor, or its owning Claim's debtor; a
// Settlement's notice has none ("").
func (l *ShardLabeller) noticeDebtor(ctx context.Context, n *inkassov1.Notice) string {
	if d := n.Labels[debtorLabel]; d != "" {
		return d
	}
	if n.Spec.DebtorRef != nil {
		return n.Spec.DebtorRef.Name
	}
	for _, ref := range n.OwnerReferences {
		switch ref.Kind {
		case "Debtor":
			return ref.Name
		case "Claim":
			var cl inkassov1.Claim
			if err := l.APIReader.Get(ctx, types.NamespacedName{Namespace: n.Namespace, Name: ref.Name}, &cl); err == nil {
				return cl.Spec.DebtorRef.Name
			}
		}
	}
	return ""
}

// labelKind runs the labeller of one kind: only objects of this shard are
// queued (the others are their own shard's to label).
func labelKind[T client.Object](mgr ctrl.Manager, c cache.Cache, l *ShardLabeller, kind string, newObj func() T, debtorOf func(context.Context, T) string) error {
	ctx := context.Background()
	mine := predicate.NewTypedPredicateFuncs(func(o T) bool {
		return l.Shard.Owns(o.GetNamespace(), debtorOf(ctx, o))
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("shard-labeller-" + kind).
		WatchesRawSource(source.Kind(c, newObj(), &handler.TypedEnqueueRequestForObject[T]{}, mine)).
		Complete(reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
			obj := newObj()
			if err := c.Get(ctx, req.NamespacedName, obj); err != nil {
				return reconcile.Result{}, client.IgnoreNotFound(err) // labelled (it left this cache) or deleted
			}
			d := debtorOf(ctx, obj)
			if !l.Shard.Owns(obj.GetNamespace(), d) || obj.GetLabels()[shard.Label] == l.Shard.Value() {
				return reconcile.Result{}, nil
			}
			return reconcile.Result{}, setShardLabel(ctx, l.Client, obj, l.Shard.Value())
		}))
}
