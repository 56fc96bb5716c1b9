package controllers_test

import (
	"testing"
	"time"

	"github.com/inkasso-operator/inkasso-operator/controllers"
)

// TestCreatedMemoryIsPrunedOncePerMinute: the memory of created case
// notices forgets entries older than a minute, and is walked for them at
// most once a minute (not on every case step).
func TestCreatedMemoryIsPrunedOncePerMinute(t *testing.T) {
	var m controllers.CreatedMemory
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m.Remember("a", "case-1", "notice", t0)
	m.Prune(t0.Add(2 * time.Minute)) // the first walk: a stale entry goes
	if n := m.Len(); n != 0 {
		t.Fatalf("%d entries after the first walk, want 0", n)
	}
	m.Remember("a", "case-2", "notice", t0)
	m.Prune(t0.Add(2*time.Minute + 30*time.Second)) // 30 s after the last walk: none
	if n := m.Len(); n != 1 {
		t.Fatalf("%d entries 30 s after the last walk, want 1 (not walked)", n)
	}
	m.Prune(t0.Add(3*time.Minute + time.Second)) // 61 s after it: walked
	if n := m.Len(); n != 0 {
		t.Fatalf("%d entries a minute after the last walk, want 0", n)
	}
}
