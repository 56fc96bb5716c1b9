// Package argocd tests the Argo CD health checks shipped in health/ with
// their health_test.yaml cases, in a Lua VM as Argo CD runs them
// (github.com/yuin/gopher-lua, the interpreter Argo CD uses).
package argocd

import (
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

type healthCase struct {
	HealthStatus struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"healthStatus"`
	InputPath string `json:"inputPath"`
}

func TestHealthChecks(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("health", "*", "*", "health.lua"))
	if err != nil || len(scripts) < 4 {
		t.Fatalf("health checks: %v %v", scripts, err)
	}
	for _, script := range scripts {
		dir := filepath.Dir(script)
		var tests struct {
			Tests []healthCase `json:"tests"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			t.Fatalf("%s has no health_test.yaml: %v", dir, err)
		}
		if err := yaml.UnmarshalStrict(b, &tests); err != nil || len(tests.Tests) == 0 {
			t.Fatalf("%s/health_test.yaml: %v", dir, err)
		}
		for _, tc := range tests.Tests {
			t.Run(filepath.Join(filepath.Base(dir), tc.InputPath), func(t *testing.T) {
				raw, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
				if err != nil {
					t.Fatal(err)
				}
				var obj map[string]any
				if err := yaml.Unmarshal(raw, &obj); err != nil {
					t.Fatal(err)
				}
				status, message := run(t, script, obj)
				if status != tc.HealthStatus.Status || message != tc.HealthStatus.Message {
					t.Errorf("got %s %q, want %s %q", status, message, tc.HealthStatus.Status, tc.HealthStatus.Message)
				}
			})
		}
	}
}

// run executes a health script with obj as the global `obj`, the way Argo
// CD does, and returns the status and message of the table it returns.
func run(t *testing.T, script string, obj map[string]any) (string, string) {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoFile(script); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("%s returned %v, want a table", script, L.Get(-1))
	}
	return ret.RawGetString("status").String(), ret.RawGetString("message").String()
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		tbl := L.NewTable()
		for k, e := range x {
			tbl.RawSetString(k, toLua(L, e))
		}
		return tbl
	case []any:
		tbl := L.NewTable()
		for _, e := range x {
			tbl.Append(toLua(L, e))
		}
		return tbl
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case nil:
		return lua.LNil
	}
	return lua.LString("")
}
