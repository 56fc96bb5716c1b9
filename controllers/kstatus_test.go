package controllers_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

func kstatusOf(t *testing.T, obj client.Object) status.Status {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	return compute(t, obj)
}

func compute(t *testing.T, obj client.Object) status.Status {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

// TestKstatusReadsClaimsAsGitOpsToolsDo: what Flux and `kubectl wait`
// (sigs.k8s.io/cli-utils kstatus) conclude from real claims: Current when
// the latest spec is handled, InProgress right after a change, Failed when
// stalled, Current again once fixed.
func TestKstatusReadsClaimsAsGitOpsToolsDo(t *testing.T) {
	ns := newNamespace(t)
	create(t, samplePolicy(t, ns), logChannel(ns, "letter"), logChannel(ns, "sms"), logChannel(ns, "phone"),
		debtor(ns, "ks", inkassov1.DebtorConsumer), claimDue(ns, "waiting", "ks", "900.00", 10),
		claimDue(ns, "orphan", "nobody", "900.00", -1))
	waiting := &inkassov1.Claim{}
	waiting.Namespace, waiting.Name = ns, "waiting"
	orphan := &inkassov1.Claim{}
	orphan.Namespace, orphan.Name = ns, "orphan"
	eventually(t, 10e9, func() error {
		if s := kstatusOf(t, waiting); s != status.CurrentStatus {
			return fmt.Errorf("waiting claim: %s, want Current", s)
		}
		if s := kstatusOf(t, orphan); s != status.FailedStatus {
			return fmt.Errorf("claim of a missing debtor: %s, want Failed", s)
		}
		return nil
	})
	// The apiserver's answer to a spec change, before the operator saw it: InProgress.
	changed := getClaim(t, ns, "waiting")
	if err := k8s.Patch(context.Background(), changed, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"suspend":true}}`))); err != nil {
		t.Fatal(err)
	}
	if s := compute(t, changed); changed.Status.ObservedGeneration >= changed.Generation || s != status.InProgressStatus {
		t.Errorf("claim just changed (generation %d, observed %d): %s, want InProgress", changed.Generation, changed.Status.ObservedGeneration, s)
	}
	create(t, debtor(ns, "nobody", inkassov1.DebtorConsumer))
	eventually(t, 10e9, func() error {
		if s := kstatusOf(t, orphan); s != status.CurrentStatus {
			return fmt.Errorf("claim once its debtor exists: %s, want Current", s)
		}
		if s := kstatusOf(t, waiting); s != status.CurrentStatus {
			return fmt.Errorf("suspended claim: %s, want Current", s)
		}
		return nil
	})
	for _, o := range []client.Object{&inkassov1.Debtor{}, &inkassov1.NoticeChannel{}} {
		name := map[bool]string{true: "ks", false: "letter"}[fmt.Sprintf("%T", o) == "*v1alpha1.Debtor"]
		o.SetNamespace(ns)
		o.SetName(name)
		eventually(t, 10e9, func() error {
			if s := kstatusOf(t, o); s != status.CurrentStatus {
				return fmt.Errorf("%T %s: %s, want Current", o, name, s)
			}
			return nil
		})
	}
}
