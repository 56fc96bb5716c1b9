package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// memLimitShare is the part of the container's memory limit given to Go's
// heap target: the rest is for stacks, the runtime and what the kernel
// counts against the container (page cache of the outbox files).
const memLimitShare = 0.9

// cgroupMemoryFiles hold the container's memory limit (cgroup v2, then v1).
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// setMemoryLimit gives Go's garbage collector a soft limit below the
// container's memory limit, so a heap that grows near it is collected
// harder instead of being killed by the kernel. GOMEMLIMIT, when set,
// wins (the runtime has read it already). It returns the limit set, or 0.
func setMemoryLimit() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	for _, f := range cgroupMemoryFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if limit, ok := parseCgroupLimit(string(data)); ok {
			soft := int64(float64(limit) * memLimitShare)
			debug.SetMemoryLimit(soft)
			return soft
		}
		return 0
	}
	return 0
}

// parseCgroupLimit reads a cgroup memory limit: bytes, or "max" (none). A
// cgroup v1 "no limit" is a huge number (page-rounded MaxInt64), also none.
func parseCgroupLimit(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0, false
	}
	return n, true
}
