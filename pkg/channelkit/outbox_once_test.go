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
