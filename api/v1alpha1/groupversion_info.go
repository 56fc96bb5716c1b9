// Package v1alpha1 contains the API of inkasso-operator: invoice collection as
// Kubernetes resources in the group collection.inkasso.dev.
//
// The package depends only on k8s.io/apimachinery so that channel controllers
// and other clients can import it without pulling in the operator.
//
// +kubebuilder:object:generate=true
// +groupName=collection.inkasso.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "collection.inkasso.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&Claim{}, &ClaimList{},
		&Debtor{}, &DebtorList{},
		&CollectionPolicy{}, &CollectionPolicyList{},
		&Notice{}, &NoticeList{},
		&NoticeChannel{}, &NoticeChannelList{},
		&Settlement{}, &SettlementList{},
	)
	metav1AddToGroupVersion(scheme)
	return nil
}
