package main

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
)

func TestOwnedPayments(t *testing.T) {
	mf := []metav1.ManagedFieldsEntry{
		{Manager: paymentsManager, Operation: metav1.ManagedFieldsOperationApply, FieldsV1: &metav1.FieldsV1{Raw: []byte(
			`{"f:spec":{"f:payments":{"k:{\"id\":\"NO1\"}":{".":{},"f:amount":{},"f:date":{},"f:id":{}},"k:{\"id\":\"NO2:0a1b2c3d\"}":{".":{}}}}}`)}},
		// Another manager's entries and this manager's status writes are not its payments.
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:payments":{"k:{\"id\":\"bank-1\"}":{}}}}`)}},
		{Manager: paymentsManager, Operation: metav1.ManagedFieldsOperationUpdate, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:payments":{"k:{\"id\":\"U\"}":{}}}}`)}},
		{Manager: paymentsManager, Operation: metav1.ManagedFieldsOperationApply, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{}}}`)}},
	}
	got, err := ownedPayments(mf, paymentsManager)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"NO1": true, "NO2:0a1b2c3d": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("owned %v, want %v", got, want)
	}
}

func TestBookOf(t *testing.T) {
	claim := func(name, phase, outstanding string, refs ...string) inkassov1.Claim {
		c := inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: inkassov1.ClaimSpec{
			DebtorRef: inkassov1.LocalObjectReference{Name: "d"}, Currency: "NOK", Amount: "1000.00", DueDate: "2026-01-15",
			Payments: []inkassov1.Payment{{ID: "bank-1", Amount: "100.00", Date: "2026-02-01"}},
			Credits:  []inkassov1.Credit{{ID: "kn-1", Amount: "50.00", Date: "2026-02-01"}}}}
		c.Status.Phase = inkassov1.ClaimPhase(phase)
		if outstanding != "" {
			c.Status.Balance = &inkassov1.Balance{Outstanding: outstanding}
		}
		if len(refs) > 0 {
			c.Status.PaymentReference, c.Status.PaymentReferences = refs[0], refs
		}
		return c
	}
	debtor := inkassov1.Debtor{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: inkassov1.DebtorSpec{DisplayName: "Ola", OrganizationNumber: "987654321"},
		Status: inkassov1.DebtorStatus{Cases: []inkassov1.CollectionCase{{ID: "d-1a2b3c4d", Policy: "kravia", Claims: []string{"a", "b"}},
			{ID: "d-gone", Policy: "deleted", Claims: []string{"a"}}}}}
	policy := inkassov1.CollectionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "kravia"}, Spec: inkassov1.CollectionPolicySpec{Jurisdiction: "NO"}}
	b, err := bookOf("acme", []inkassov1.Claim{claim("a", "Collection", "1234.50", "111", "222"), claim("b", "", ""), claim("c", "Withdrawn", "10.00")},
		[]inkassov1.Debtor{debtor}, []inkassov1.CollectionPolicy{policy})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := collection.CaseReference(&collection.Policy{Jurisdiction: "NO"}, "acme", "d-1a2b3c4d")
	if len(b.Cases) != 1 || b.Cases[0].Reference != ref || !reflect.DeepEqual(b.Cases[0].Claims, []string{"a", "b"}) {
		t.Errorf("cases %+v, want one with reference %s (a case whose policy is gone is left to its claims' references)", b.Cases, ref)
	}
	a, bb, c := b.Claims[0], b.Claims[1], b.Claims[2]
	if a.Open.String() != "1234.50" || !reflect.DeepEqual(a.References, []string{"111", "111", "222"}) || a.Recorded["bank-1"].String() != "100.00" {
		t.Errorf("claim a: %+v", a)
	}
	if bb.Open.String() != "850.00" {
		t.Errorf("claim b without a status: open %s, want the amount less payments and credits (850.00)", bb.Open)
	}
	if !c.Closed || a.Closed || bb.Closed {
		t.Errorf("closed: a %v, b %v, c %v: want only the withdrawn c", a.Closed, bb.Closed, c.Closed)
	}
	if len(b.Debtors) != 1 || b.Debtors[0].OrganizationNumber != "987654321" {
		t.Errorf("debtors %+v", b.Debtors)
	}
}
