package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// -memory-limit runs the manager as the chart runs it in a pod: under a
// memory limit the kernel enforces (a memory cgroup of its own, when the
// bench may make one) with Go's soft limit at 0.9 of it, as
// cmd/manager/memlimit.go sets it from the container's limit. A manager that
// needs more is killed by the kernel, as in a pod, and the run fails: the
// limit is a result the run either meets or does not, not a figure
// computed afterwards.

// goMemLimitShare is cmd/manager's memLimitShare.
const goMemLimitShare = 0.9

// memoryFence is the cgroup the bench process runs the manager in.
type memoryFence struct {
	limit   int64  // the pod's limit being modelled
	charged int64  // what the cgroup may charge: the limit less what the bench held before the manager
	dir     string // the cgroup's directory; empty when none could be made
	v2      bool
	reason  string // why there is no cgroup
}

// memoryResult is what the run reports of it.
type memoryResult struct {
	Limit      int64  `json:"limitBytes"`
	GoLimit    int64  `json:"goMemLimitBytes"`
	Enforced   bool   `json:"enforcedByCgroup"`
	NotEnforce string `json:"notEnforcedBecause,omitempty"`
	// Before is the bench's RSS when the manager started (not charged to
	// the cgroup, whose limit is the pod's limit less this).
	Before int64 `json:"rssBeforeManagerBytes"`
	// PeakRSS is the highest RSS of the process sampled once a second
	// while the manager ran, the bench's own sampler included.
	PeakRSS int64 `json:"peakRSSBytes"`
	// CgroupPeak is the kernel's high-water mark of what the cgroup was
	// charged (process memory and the page cache it caused), plus Before.
	CgroupPeak int64 `json:"cgroupPeakBytes,omitempty"`
	// Failcnt counts the times the cgroup hit its limit and the kernel had
	// to reclaim (page cache first); an OOM kill would have ended the run.
	Failcnt int64 `json:"cgroupFailcnt"`
}

func parseBytes(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("-memory-limit %q: %w (a Kubernetes quantity such as 3Gi)", s, err)
	}
	return q.Value(), nil
}

// enterMemoryFence moves this process into a new memory cgroup limited to
// limit less what it already holds, and sets Go's soft limit. Memory the
// process freed is given back to the OS first: pages Go would reuse
// without a fault are charged to the cgroup they were first touched in.
func enterMemoryFence(limit int64) (*memoryFence, int64) {
	debug.FreeOSMemory()
	before := rss()
	f := &memoryFence{limit: limit, charged: limit - before}
	debug.SetMemoryLimit(int64(float64(limit) * goMemLimitShare))
	name := fmt.Sprintf("inkasso-bench-%d", os.Getpid())
	try := []struct {
		dir, limitFile string
		v2             bool
	}{
		{filepath.Join("/sys/fs/cgroup/memory", name), "memory.limit_in_bytes", false},
		{filepath.Join("/sys/fs/cgroup", name), "memory.max", true},
	}
	var errs []string
	for _, t := range try {
		if err := os.Mkdir(t.dir, 0o755); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		pid := []byte(strconv.Itoa(os.Getpid()))
		if err := os.WriteFile(filepath.Join(t.dir, t.limitFile), []byte(strconv.FormatInt(f.charged, 10)), 0o644); err != nil {
			errs = append(errs, err.Error())
			_ = os.Remove(t.dir)
			continue
		}
		if err := os.WriteFile(filepath.Join(t.dir, "cgroup.procs"), pid, 0o644); err != nil {
			errs = append(errs, err.Error())
			_ = os.Remove(t.dir)
			continue
		}
		f.dir, f.v2 = t.dir, t.v2
		return f, before
	}
	f.reason = "no memory cgroup could be made (" + strings.Join(errs, "; ") + "): the limit is Go's soft limit only, and peak RSS is compared with it"
	return f, before
}

// leave moves the process back to the root cgroup (the bench's work after
// the manager, listing every object, is not the manager's) and reads the
// kernel's figures.
func (f *memoryFence) leave(res *memoryResult) {
	res.Limit, res.GoLimit = f.limit, int64(float64(f.limit)*goMemLimitShare)
	res.Enforced, res.NotEnforce = f.dir != "", f.reason
	debug.SetMemoryLimit(math.MaxInt64) // no soft limit from here on
	if f.dir == "" {
		return
	}
	parent := filepath.Dir(f.dir)
	_ = os.WriteFile(filepath.Join(parent, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	read := func(file string) int64 {
		b, err := os.ReadFile(filepath.Join(f.dir, file))
		if err != nil {
			return 0
		}
		s := strings.TrimSpace(string(b))
		if strings.Contains(s, " ") { // memory.events: "max N" lines
			for _, l := range strings.Split(s, "\n") {
				if v, ok := strings.CutPrefix(l, "max "); ok {
					n, _ := strconv.ParseInt(v, 10, 64)
					return n
				}
			}
			return 0
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	if f.v2 {
		res.CgroupPeak, res.Failcnt = read("memory.peak"), read("memory.events")
	} else {
		res.CgroupPeak, res.Failcnt = read("memory.max_usage_in_bytes"), read("memory.failcnt")
	}
	if res.CgroupPeak > 0 {
		res.CgroupPeak += res.Before
	}
	// Charges stay with the cgroup until its pages are freed; it is removed
	// when empty, else left for the kernel's next reclaim.
	_ = os.Remove(f.dir)
}
