package channelkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutboxConfinesEachNamespace (issue 20): a channel's outboxDir cannot
// write outside its namespace's part of the outbox: not by an absolute path,
// "..", a symbolic link planted inside it, nor a namespace folder replaced
// by a link to another's.
func TestOutboxConfinesEachNamespace(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "outbox")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "victim"), outside, filepath.Join(root, "linked")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	// Links a tenant could have left behind (e.g. through a shared volume).
	if err := os.MkdirAll(filepath.Join(root, "attacker"), 0o750); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(outside, filepath.Join(root, "attacker", "to-outside")))
	must(t, os.Symlink(filepath.Join(root, "victim"), filepath.Join(root, "attacker", "to-victim")))
	must(t, os.Symlink("../victim", filepath.Join(root, "attacker", "relative-to-victim")))
	must(t, os.RemoveAll(filepath.Join(root, "linked")))
	must(t, os.Symlink(filepath.Join(root, "victim"), filepath.Join(root, "linked")))

	o := Outbox{Root: root}
	for _, tc := range []struct{ ns, dir, want string }{
		{"attacker", outside, "not an absolute path"},
		{"attacker", "/etc", "not an absolute path"},
		{"attacker", "../..", `".." is not allowed`},
		{"attacker", "../victim", `".." is not allowed`},
		{"attacker", "a/../../victim", `".." is not allowed`},
		{"attacker", "to-outside", "leads out of the namespace's outbox"},
		{"attacker", "to-victim", "leads out of the namespace's outbox"},
		{"attacker", "relative-to-victim", "leads out of the namespace's outbox"},
		{"attacker", "to-victim/sub", "leads out of the namespace's outbox"},
		{"linked", "", "not a folder"},
		{"../victim", "", "cannot name an outbox folder"},
	} {
		_, err := o.Write(tc.ns, "spec.letter.outboxDir", tc.dir, "n-1.pdf", []byte("letter"))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsPermanent(err) {
			t.Errorf("namespace %q outboxDir %q: error %v, want a permanent one containing %q", tc.ns, tc.dir, err, tc.want)
		}
	}
	// Nothing reached the other namespace or outside the outbox.
	for _, d := range []string{outside, filepath.Join(root, "victim")} {
		if entries, _ := os.ReadDir(d); len(entries) > 0 {
			t.Errorf("%s holds %d files written by another namespace's channel", d, len(entries))
		}
	}

	// What a channel may do: its own folder, and folders inside it.
	for _, dir := range []string{"", "print/a4", "./print"} {
		path, err := o.Write("attacker", "spec.letter.outboxDir", dir, "n-1.pdf", []byte("letter"))
		if err != nil {
			t.Fatalf("outboxDir %q: %v", dir, err)
		}
		if want := filepath.Join(root, "attacker", filepath.Clean(dir), "n-1.pdf"); path != want {
			t.Errorf("outboxDir %q wrote %s, want %s", dir, path, want)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "letter" {
			t.Errorf("%s: %q, %v", path, b, err)
		}
	}
	if _, err := (Outbox{}).Write("attacker", "f", "", "n.pdf", nil); err != ErrNoOutbox {
		t.Errorf("no root: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
