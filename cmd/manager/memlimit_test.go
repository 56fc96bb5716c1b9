package main

import "testing"

func TestParseCgroupLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"536870912\n":         512 << 20, // 512Mi, cgroup v2
		"max\n":               0,         // no limit (v2)
		"9223372036854771712": 0,         // no limit (v1)
		"":                    0,
		"garbage":             0,
		"-1":                  0,
	} {
		got, ok := parseCgroupLimit(in)
		if got != want || ok != (want > 0) {
			t.Errorf("parseCgroupLimit(%q) = %d, %v; want %d, %v", in, got, ok, want, want > 0)
		}
	}
}
