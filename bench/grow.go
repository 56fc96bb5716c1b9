package main

import (
	"context"
	"fmt"
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

// cut is the first ceil(f × len) entries of l.
func cut[T any](l []T, f float64) []T {
	if len(l) == 0 {
		return l
	}
	return l[:min(len(l), int(math.Ceil(f*float64(len(l)))))]
}

func cutClaimStatus(st inkassov1.ClaimStatus, f float64) inkassov1.ClaimStatus {
	st.History = cut(st.History, f)
	st.Ledger = cut(st.Ledger, f)
	st.CreditorNotices = cut(st.CreditorNotices, f)
	return st
}

func cutDebtorStatus(st inkassov1.DebtorStatus, f float64) inkassov1.DebtorStatus {
	st.Cases = cut(st.Cases, f)
	st.ClosedInvoices = cut(st.ClosedInvoices, f)
	return st
}

// grow writes the cut statuses to the replay's claims and debtors (a
// status update each, before the replay's informers start and its clock
// runs). A status the apiserver refuses leaves its object fresh and is
// counted, never hidden.
func grow(ctx context.Context, k client.Client, g grownStatuses, f float64) (grown, refused int, firstRefusal error, err error) {
	if f <= 0 {
		return 0, 0, nil, nil
	}
	var claims inkassov1.ClaimList
	if err := k.List(ctx, &claims, client.InNamespace("bench")); err != nil {
		return 0, 0, nil, err
	}
	var debtors inkassov1.DebtorList
	if err := k.List(ctx, &debtors, client.InNamespace("bench")); err != nil {
		return 0, 0, nil, err
	}
	var objs []client.Object
	for i := range claims.Items {
		if st, ok := g.claims[claims.Items[i].Name]; ok {
			claims.Items[i].Status = cutClaimStatus(st, f)
			objs = append(objs, &claims.Items[i])
		}
	}
	for i := range debtors.Items {
		if st, ok := g.debtors[debtors.Items[i].Name]; ok {
			debtors.Items[i].Status = cutDebtorStatus(st, f)
			objs = append(objs, &debtors.Items[i])
		}
	}
	for _, o := range objs {
		if ctx.Err() != nil {
			return grown, refused, firstRefusal, ctx.Err()
		}
		if e := k.Status().Update(ctx, o); e != nil {
			refused++
			if firstRefusal == nil {
				firstRefusal = fmt.Errorf("%T %s: %w", o, o.GetName(), e)
			}
			continue
		}
		grown++
	}
	return grown, refused, firstRefusal, nil
}
