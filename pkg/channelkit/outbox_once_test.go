package channelkit

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteOnceFindsTheDeliveryByKey (issue 21): a second WriteOnce under the
// same key writes nothing and returns the first file; Find has the key by
// its marker, by the file alone when the marker is missing (a crash between
// the two), and not from a partial file (a .tmp never renamed).
func TestWriteOnceFindsTheDeliveryByKey(t *testing.T) {
	o := Outbox{Root: filepath.Join(t.TempDir(), "outbox")}
	if _, ok, err := o.Find("ns", "dir", "print", "n-1.pdf", "k1"); ok || err != nil {
		t.Fatalf("found %v, %v in an empty outbox", ok, err)
	}
	calls := 0
	data := func() ([]byte, error) { calls++; return []byte("letter"), nil }
	p1, existed, err := o.WriteOnce("ns", "dir", "print", "n-1.pdf", "k1", data)
	if err != nil || existed {
		t.Fatalf("first write: %v, existed %v", err, existed)
	}
	p2, existed, err := o.WriteOnce("ns", "dir", "print", "n-1.pdf", "k1", data)
	if err != nil || !existed || p2 != p1 || calls != 1 {
		t.Fatalf("second write: %s %v %v, %d renders; want %s found, one render", p2, existed, err, calls, p1)
	}
	must(t, os.Remove(filepath.Join(o.Root, "ns", "print", ".delivered", "k1")))
	if p, ok, err := o.Find("ns", "dir", "print", "n-1.pdf", "k1"); !ok || err != nil || p != p1 {
		t.Fatalf("without the marker: %s %v %v, want the file by its name", p, ok, err)
	}
	must(t, os.WriteFile(filepath.Join(o.Root, "ns", "print", "n-2.pdf.tmp"), []byte("half"), 0o640))
	if _, ok, err := o.Find("ns", "dir", "print", "n-2.pdf", "k2"); ok || err != nil {
		t.Fatalf("a partial file counted: %v %v", ok, err)
	}
	must(t, os.Remove(p1)) // the print service took the letter; the marker stays
	must(t, os.WriteFile(filepath.Join(o.Root, "ns", "print", ".delivered", "k1"), []byte("n-1.pdf"), 0o640))
	if _, ok, err := o.Find("ns", "dir", "print", "n-1.pdf", "k1"); !ok || err != nil {
		t.Fatalf("the marker of a letter taken away: %v %v, want found", ok, err)
	}
	if _, _, err := o.Find("ns", "dir", "../other", "n-1.pdf", "k1"); err == nil || !IsPermanent(err) {
		t.Errorf("a dir out of the namespace: %v, want a permanent error", err)
	}
}

// TestFindByNameChecksTheKey: without its marker a file counts only when its
// key record names the key asked about and the file's content. A file of
// the same name written for another key (a notice re-created under the same
// name), or an older file under a key record whose writer died before the
// rename, is not this key's delivery: a wrong "found" would lose a letter.
func TestFindByNameChecksTheKey(t *testing.T) {
	o := Outbox{Root: filepath.Join(t.TempDir(), "outbox")}
	data := func(s string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(s), nil } }
	if _, _, err := o.WriteOnce("ns", "dir", "", "n-1.pdf", "old", data("old letter")); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(o.Root, "ns", ".delivered", "old")))
	if _, ok, err := o.Find("ns", "dir", "", "n-1.pdf", "new"); ok || err != nil {
		t.Fatalf("another key's file of the same name: found %v, %v; want not found", ok, err)
	}
	if _, ok, err := o.Find("ns", "dir", "", "n-1.pdf", "old"); !ok || err != nil {
		t.Fatalf("its own key, marker missing: found %v, %v; want found", ok, err)
	}
	// The writer for "new" died after its key record, before the rename:
	// the file there is still the old one.
	must(t, os.WriteFile(filepath.Join(o.Root, "ns", ".keys", "n-1.pdf"), keyRecord("new", []byte("new letter")), 0o640))
	if _, ok, err := o.Find("ns", "dir", "", "n-1.pdf", "new"); ok || err != nil {
		t.Fatalf("key record without its file: found %v, %v; want not found", ok, err)
	}
	p, existed, err := o.WriteOnce("ns", "dir", "", "n-1.pdf", "new", data("new letter"))
	if err != nil || existed {
		t.Fatalf("writing for the new key: %v, existed %v; want written", err, existed)
	}
	if b, _ := os.ReadFile(p); string(b) != "new letter" {
		t.Errorf("file holds %q, want the new letter", b)
	}
}
