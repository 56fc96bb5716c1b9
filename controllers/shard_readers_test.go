package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// claimsReader lists fixed claims: one shard's cache.
type claimsReader struct {
	client.Reader
	names []string
}

func (r claimsReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	l := list.(*inkassov1.ClaimList)
	for _, n := range r.names {
		l.Items = append(l.Items, inkassov1.Claim{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	return nil
}

// TestShardReaders: the gauges of a replica that holds several shards
// count the claims of every shard it holds now, and no longer those of a
// shard it gave up.
func TestShardReaders(t *testing.T) {
	var rs ShardReaders
	removeA := rs.Add(claimsReader{names: []string{"a-1", "a-2"}})
	rs.Add(claimsReader{names: []string{"b-1"}})
	var l inkassov1.ClaimList
	if err := rs.List(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 3 {
		t.Fatalf("two shards: %d claims, want 3", len(l.Items))
	}
	removeA()
	l = inkassov1.ClaimList{}
	if err := rs.List(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Name != "b-1" {
		t.Fatalf("after shard a was given up: %v", l.Items)
	}
}
