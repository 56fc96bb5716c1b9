package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceIsUpToDate fails when docs/api.md was not regenerated after
// an API change (make manifests).
func TestReferenceIsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	var buf bytes.Buffer
	if err := Write(&buf, filepath.Join(root, "config", "crd", "bases")); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join(root, "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, buf.Bytes()) {
		t.Error("docs/api.md is out of date: run make manifests")
	}
	for _, want := range []string{"## Claim", "`spec.dueDate`", "`spec.steps[].afterDueDays`", "## NoticeChannel"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("reference lacks %s", want)
		}
	}
}
