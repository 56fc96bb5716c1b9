package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"

	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// The fair baseline's objects are grown to the size the manager's writes
// met. A status patch costs the apiserver in proportion to the object it
// patches (it decodes, patches, coerces, validates and encodes the whole
// object, managed fields included), not to the patch: a replay on fresh
// claims, a fifth of the size the manager's claims reach, sets a ceiling the
// manager's own objects never allow. Each replay claim and debtor takes the
// run's final status of the same name with its lists cut to a fraction of
// their length (half by default: the mean over a life whose lists grow by
// one entry a step), and the report sets the replay's mean object size
// beside the manager's.

// grownStatuses are the run's final statuses by object name.
type grownStatuses struct {
	claims  map[string]inkassov1.ClaimStatus
	debtors map[string]inkassov1.DebtorStatus
}

func grownFrom(claims []inkassov1.Claim, debtors []inkassov1.Debtor) grownStatuses {
	g := grownStatuses{claims: map[string]inkassov1.ClaimStatus{}, debtors: map[string]inkassov1.DebtorStatus{}}
	for i := range claims {
		g.claims[claims[i].Name] = claims[i].Status
	}
	for i := range debtors {
		g.debtors[debtors[i].Name] = debtors[i].Status
	}
	return g
}

// cut is the first f × len entries of l, rounded down or up by u (0 to 1,
// fixed per object): over many objects the mean is f × len even where
// lists are short (a debtor has one to three cases, and rounding them all
// up or all down missed the manager's size by a fifth).
func cut[T any](l []T, f, u float64) []T {
	return l[:max(0, min(len(l), int(math.Floor(f*float64(len(l))+u))))]
}

// roundingOf is an object's fixed rounding draw, from its name, so the
// prediction and the growth cut the same.
func roundingOf(name string) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	// FNV's high bits barely differ between names that differ in their
	// last digits: mixed by splitmix64's finalizer before they are used.
	x := h.Sum64()
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func cutClaimStatus(st inkassov1.ClaimStatus, f float64, name string) inkassov1.ClaimStatus {
	u := roundingOf(name)
	st.History = cut(st.History, f, u)
	st.Ledger = cut(st.Ledger, f, u)
	st.CreditorNotices = cut(st.CreditorNotices, f, u)
	return st
}

func cutDebtorStatus(st inkassov1.DebtorStatus, f float64, name string) inkassov1.DebtorStatus {
	u := roundingOf(name)
	st.Cases = cut(st.Cases, f, u)
	st.ClosedInvoices = cut(st.ClosedInvoices, f, u)
	return st
}

// sizer predicts the mean size of a kind's objects, as the replay's
// writes meet them, were their lists cut to f.
type sizer func(f float64) float64

// claimSizer starts from the size the replay's writes met on the fresh
// claims (measured, managed fields and the replay's own condition
// included) and adds what each cut status adds to the JSON of the fresh
// one. Conditions are left out of both: the replay's merge patches replace
// them with their own.
func claimSizer(fresh []inkassov1.Claim, g grownStatuses, measured int) sizer {
	return growthSizer(measured, len(fresh), func(i int, f float64) int {
		st, ok := g.claims[fresh[i].Name]
		if !ok {
			return 0
		}
		grown, was := cutClaimStatus(st, f, fresh[i].Name), fresh[i].Status
		grown.Conditions, was.Conditions = nil, nil
		return jsonLen(grown) - jsonLen(was)
	})
}

func debtorSizer(fresh []inkassov1.Debtor, g grownStatuses, measured int) sizer {
	return growthSizer(measured, len(fresh), func(i int, f float64) int {
		st, ok := g.debtors[fresh[i].Name]
		if !ok {
			return 0
		}
		grown, was := cutDebtorStatus(st, f, fresh[i].Name), fresh[i].Status
		grown.Conditions, was.Conditions = nil, nil
		return jsonLen(grown) - jsonLen(was)
	})
}

// growthSizer is the measured size plus the mean growth of n objects.
func growthSizer(measured, n int, growth func(i int, f float64) int) sizer {
	return func(f float64) float64 {
		if n == 0 {
			return float64(measured)
		}
		total := 0
		for i := range n {
			total += growth(i, f)
		}
		return float64(measured) + float64(total)/float64(n)
	}
}

func jsonLen(o any) int {
	b, err := json.Marshal(o)
	if err != nil {
		return 0
	}
	return len(b)
}

// matchFraction is the fraction (in twentieths, 0.05 to 1) whose predicted
// mean size is nearest the size the manager's writes met; half where that
// is unknown.
func matchFraction(size sizer, target int) float64 {
	if target <= 0 {
		return 0.5
	}
	best, bestDiff := 0.5, math.Inf(1)
	for i := 1; i <= 20; i++ {
		f := float64(i) / 20
		if d := math.Abs(size(f) - float64(target)); d < bestDiff {
			best, bestDiff = f, d
		}
	}
	return best
}

// grow writes the cut statuses to the replay's claims and debtors, a status
// update each, and hands the replay the new resourceVersions. A status the
// apiserver refuses leaves its object fresh and is counted, never hidden.
func grow(ctx context.Context, k client.Client, g grownStatuses, fc, fd float64, st *replayState) (grown, refused int, firstRefusal error, err error) {
	var claims inkassov1.ClaimList
	if err := k.List(ctx, &claims, client.InNamespace("bench")); err != nil {
		return 0, 0, nil, err
	}
	var debtors inkassov1.DebtorList
	if err := k.List(ctx, &debtors, client.InNamespace("bench")); err != nil {
		return 0, 0, nil, err
	}
	type target struct {
		obj client.Object
		key string
	}
	var objs []target
	for i := range claims.Items {
		if s, ok := g.claims[claims.Items[i].Name]; ok && fc > 0 {
			claims.Items[i].Status = cutClaimStatus(s, fc, claims.Items[i].Name)
			objs = append(objs, target{&claims.Items[i], "claims/" + claims.Items[i].Name})
		}
	}
	for i := range debtors.Items {
		if s, ok := g.debtors[debtors.Items[i].Name]; ok && fd > 0 {
			debtors.Items[i].Status = cutDebtorStatus(s, fd, debtors.Items[i].Name)
			objs = append(objs, target{&debtors.Items[i], "debtors/" + debtors.Items[i].Name})
		}
	}
	for _, t := range objs {
		if ctx.Err() != nil {
			return grown, refused, firstRefusal, ctx.Err()
		}
		// The replay's own patches moved the resourceVersion since the list.
		t.obj.SetResourceVersion(st.getRV(t.key))
		if e := k.Status().Update(ctx, t.obj); e != nil {
			refused++
			if firstRefusal == nil {
				firstRefusal = fmt.Errorf("%T %s: %w", t.obj, t.obj.GetName(), e)
			}
			continue
		}
		st.setRV(t.key, t.obj.GetResourceVersion())
		grown++
	}
	return grown, refused, firstRefusal, nil
}
