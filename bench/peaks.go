package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// peakBodies keeps, for each debtor, the largest object one of the
// manager's status writes met (the write's response body). The replay
// grows its debtors from these, not from the run's final statuses:
// status.cases lists open cases only, so at the end of a run whose cases
// have closed a debtor holds a fraction of what its writes met mid-run,
// and no cut of it reached the manager's size (the replayed debtors were
// a fifth smaller, 2,226 against 2,775 B, on 2026-12-01).
type peakBodies struct {
	mu sync.Mutex
	m  map[string][]byte
}

// offer keeps body as name's peak if it is the largest seen.
func (p *peakBodies) offer(name string, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]byte{}
	}
	if len(body) > len(p.m[name]) {
		p.m[name] = bytes.Clone(body)
	}
}

// debtorStatuses decodes the peaks. A body that is not a Debtor is an
// error naming it: the replay must not grow from garbage unnoticed.
func (p *peakBodies) debtorStatuses() (map[string]inkassov1.DebtorStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]inkassov1.DebtorStatus, len(p.m))
	names := make([]string, 0, len(p.m))
	for n := range p.m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var d inkassov1.Debtor
		if err := json.Unmarshal(p.m[n], &d); err != nil {
			return nil, fmt.Errorf("the largest status write of debtor %s: %w", n, err)
		}
		if d.Name != n {
			return nil, fmt.Errorf("the largest status write of debtor %s answered with object %q", n, d.Name)
		}
		out[n] = d.Status
	}
	return out, nil
}

// debtorStatusName is the debtor a request path writes the status of.
func debtorStatusName(path string) (string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	n := len(parts)
	if n >= 4 && parts[n-1] == "status" && parts[n-3] == "debtors" && parts[n-4] != "" {
		return parts[n-2], true
	}
	return "", false
}
