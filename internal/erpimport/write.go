package erpimport

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// Manifest renders one object as YAML without status or server fields, so
// a re-import of unchanged data is byte-identical.
func Manifest(obj runtime.Object) ([]byte, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(u, "status")
	if md, ok := u["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return yaml.Marshal(u)
}

// Stream renders every object as one multi-document YAML stream.
func Stream(objs []runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := Manifest(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// FileName is where an object goes in a directory: <kind>-<name>.yaml.
func FileName(kind, name string) string { return fmt.Sprintf("%s-%s.yaml", lower(kind), name) }

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// WriteDir writes one file per object into dir, rewriting only files whose
// content changed (so their modification times, and Git, see real changes).
func WriteDir(dir string, objs []runtime.Object, names []string) (written int, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	for i, o := range objs {
		b, err := Manifest(o)
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, names[i])
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return written, err
		}
		written++
	}
	return written, nil
}
