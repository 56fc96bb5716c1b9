package channelkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Outbox is the folder the manager writes files to (--outbox-dir), one
// subfolder per namespace. A creditor namespace is a tenant: whoever writes
// a NoticeChannel chooses only a relative folder inside its own namespace's
// subfolder. Files are written through os.Root, which refuses paths and
// symbolic links that lead out of the folder, so neither an absolute path,
// "..", nor a symlink planted in the outbox reaches another namespace's
// folder or anything else on the disk.
type Outbox struct {
	// Root is the outbox folder; empty means no outbox.
	Root string
	// Shared says every replica of the manager writes to this same folder
	// (--outbox-shared: one ReadWriteMany volume mounted by all pods).
	// Without it the folder may be this pod's own (an emptyDir), and a
	// file missing from it says nothing about another replica's attempt.
	Shared bool
}

// Sees reports whether this outbox is the one the attempt req asks about
// wrote to, so that a file missing from it means the attempt never wrote
// it: the outbox is shared by all replicas, or this process made the
// attempt. A file found is a delivery either way.
func (o Outbox) Sees(req Request) bool { return o.Shared || req.SameProcess }

// ErrNoOutbox is returned by Write when the manager has no outbox folder.
var ErrNoOutbox = errors.New("the manager runs without an outbox (--outbox-dir)")

// CheckDir validates a NoticeChannel's outboxDir: relative, without "..",
// at most a few folders deep. The error names field.
func CheckDir(field, dir string) error {
	if dir == "" {
		return nil
	}
	if filepath.IsAbs(dir) || strings.HasPrefix(dir, "/") || strings.HasPrefix(dir, `\`) {
		return fmt.Errorf("%s %q must be a folder relative to the namespace's outbox, not an absolute path", field, dir)
	}
	for _, part := range strings.Split(filepath.ToSlash(dir), "/") {
		if part == ".." {
			return fmt.Errorf("%s %q must stay inside the namespace's outbox: \"..\" is not allowed", field, dir)
		}
	}
	if !filepath.IsLocal(dir) {
		return fmt.Errorf("%s %q is not a plain relative folder", field, dir)
	}
	return nil
}

// Write stores data as <Root>/<namespace>/<dir>/<name>, atomically (a
// temporary file renamed into place, so a retry replaces the file and a
// reader never sees half of it), and returns its path. dir is the channel's
// outboxDir (see CheckDir); field names it in errors. Invalid paths are
// Permanent errors: no retry makes them valid.
func (o Outbox) Write(namespace, field, dir, name string, data []byte) (string, error) {
	if o.Root == "" {
		return "", ErrNoOutbox
	}
	if err := CheckDir(field, dir); err != nil {
		return "", Permanent(err)
	}
	if namespace == "" || !filepath.IsLocal(namespace) || strings.ContainsAny(namespace, `/\`) {
		return "", Permanent(fmt.Errorf("namespace %q cannot name an outbox folder", namespace))
	}
	if !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) {
		return "", Permanent(fmt.Errorf("file name %q cannot be written to the outbox", name))
	}
	if err := os.MkdirAll(o.Root, 0o750); err != nil {
		return "", fmt.Errorf("creating the outbox: %w", err)
	}
	root, err := os.OpenRoot(o.Root)
	if err != nil {
		return "", fmt.Errorf("opening the outbox: %w", err)
	}
	defer func() { _ = root.Close() }()
	// The namespace's folder must be a real folder: a symlink there (to
	// another namespace's folder, say) is refused, not followed.
	if err := root.Mkdir(namespace, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("creating the outbox of namespace %s: %w", namespace, err)
	}
	if fi, err := root.Lstat(namespace); err != nil {
		return "", fmt.Errorf("outbox of namespace %s: %w", namespace, err)
	} else if !fi.IsDir() {
		return "", Permanent(fmt.Errorf("the outbox of namespace %s is not a folder (a symbolic link?): refusing to write", namespace))
	}
	ns, err := root.OpenRoot(namespace)
	if err != nil {
		return "", fmt.Errorf("opening the outbox of namespace %s: %w", namespace, err)
	}
	defer func() { _ = ns.Close() }()
	rel := name
	if dir != "" {
		if err := ns.MkdirAll(filepath.Clean(dir), 0o750); err != nil {
			return "", outboxError(field, dir, err)
		}
		rel = filepath.Join(filepath.Clean(dir), name)
	}
	tmp := rel + ".tmp"
	if err := ns.WriteFile(tmp, data, 0o640); err != nil {
		return "", outboxError(field, dir, err)
	}
	if err := ns.Rename(tmp, rel); err != nil {
		_ = ns.Remove(tmp)
		return "", outboxError(field, dir, err)
	}
	return filepath.Join(o.Root, namespace, rel), nil
}

// deliveredDir is the folder, beside a channel's files, that records which
// idempotency keys were delivered: one empty-named marker file per key,
// holding the name of the file delivered. A print service that takes the
// letters away leaves it, so the record outlives the letter in the outbox.
const deliveredDir = ".delivered"

// keysDir is the folder, beside a channel's files, that says which key and
// content each file was written for: <name> holds "<key> <sha256 of the
// file>", written (atomically) before the file is renamed into place. It
// lets Find recognise a file whose marker is missing (a crash between the
// file and its marker) without taking a file of the same name written for
// another key (a notice re-created under the same name) for this one.
const keysDir = ".keys"

// Check answers a channel's Check from the outbox: the delivery under key
// in file name of dir, found (delivered), missing where the attempt wrote
// (not delivered: Sees), or not to be known here (ErrCannotCheck: no
// outbox, a refused dir, or another replica's pod-local outbox).
func (o Outbox) Check(req Request, field, dir, name string) (CheckResult, error) {
	if o.Root == "" {
		return CheckResult{}, ErrCannotCheck
	}
	path, ok, err := o.Find(req.Notice.Namespace, field, dir, name, req.IdempotencyKey)
	switch {
	case err != nil && IsPermanent(err):
		return CheckResult{}, ErrCannotCheck
	case err != nil:
		return CheckResult{}, err
	case !ok && !o.Sees(req):
		return CheckResult{}, ErrCannotCheck
	case !ok:
		return CheckResult{}, nil
	}
	return CheckResult{Delivered: true, DeliveryID: "file://" + path}, nil
}

// Find reports whether the delivery with idempotency key is in the outbox:
// its marker (written after the file) or, when a crash came between the two,
// the file itself, complete (files are renamed into place, so a partial one
// never counts) and recorded in .keys for this key with this content. It
// returns the file's path. A missing namespace folder is not an error:
// nothing was delivered there.
func (o Outbox) Find(namespace, field, dir, name, key string) (string, bool, error) {
	if o.Root == "" {
		return "", false, ErrNoOutbox
	}
	if err := CheckDir(field, dir); err != nil {
		return "", false, Permanent(err)
	}
	if !filepath.IsLocal(namespace) || strings.ContainsAny(namespace, `/\`) || !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) ||
		key == "" || !filepath.IsLocal(key) || strings.ContainsAny(key, `/\`) {
		return "", false, Permanent(fmt.Errorf("namespace %q, file %q or key %q cannot name an outbox file", namespace, name, key))
	}
	root, err := os.OpenRoot(o.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("opening the outbox: %w", err)
	}
	defer func() { _ = root.Close() }()
	if fi, err := root.Lstat(namespace); errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("outbox of namespace %s: %w", namespace, err)
	} else if !fi.IsDir() {
		return "", false, Permanent(fmt.Errorf("the outbox of namespace %s is not a folder (a symbolic link?): refusing to read", namespace))
	}
	ns, err := root.OpenRoot(namespace)
	if err != nil {
		return "", false, fmt.Errorf("opening the outbox of namespace %s: %w", namespace, err)
	}
	defer func() { _ = ns.Close() }()
	base := filepath.Clean(filepath.Join(dir, "."))
	if b, err := ns.ReadFile(filepath.Join(base, deliveredDir, key)); err == nil {
		if len(b) > 0 {
			name = string(b)
		}
		return filepath.Join(o.Root, namespace, base, name), true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, outboxError(field, dir, err)
	}
	if fi, err := ns.Stat(filepath.Join(base, name)); err == nil && fi.Mode().IsRegular() {
		ok, err := writtenFor(ns, base, name, key)
		if err != nil {
			return "", false, outboxError(field, dir, err)
		}
		if ok {
			return filepath.Join(o.Root, namespace, base, name), true, nil
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", false, outboxError(field, dir, err)
	}
	return "", false, nil
}

// keyRecord is what .keys/<name> holds for a file written for key.
func keyRecord(key string, data []byte) []byte {
	sum := sha256.Sum256(data)
	return []byte(key + " " + hex.EncodeToString(sum[:]))
}

// writtenFor reports whether base/name is the file WriteOnce wrote for key:
// its key record names key and the file's content. A file of that name
// written for another key, or a key record left by a writer that died
// before renaming its file into place (the file there is an older one), is
// not.
func writtenFor(ns *os.Root, base, name, key string) (bool, error) {
	rec, err := ns.ReadFile(filepath.Join(base, keysDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !bytes.HasPrefix(rec, []byte(key+" ")) {
		return false, nil
	}
	data, err := ns.ReadFile(filepath.Join(base, name))
	if err != nil {
		return false, err
	}
	return bytes.Equal(rec, keyRecord(key, data)), nil
}

// WriteOnce delivers a file to the outbox at most once per idempotency key:
// when Find has the key, it returns that file (existed true) and data is
// never called; otherwise it writes the key record (.keys/<name>), data() as
// name, then the key's marker.
// Checks of a delivery whose outcome is unknown use Find.
func (o Outbox) WriteOnce(namespace, field, dir, name, key string, data func() ([]byte, error)) (path string, existed bool, err error) {
	if path, ok, err := o.Find(namespace, field, dir, name, key); err != nil || ok {
		return path, ok, err
	}
	b, err := data()
	if err != nil {
		return "", false, err
	}
	// Before the file: a file found without its marker counts only with
	// its key record, so the record must never come after the file.
	if _, err := o.Write(namespace, field, filepath.Join(dir, keysDir), name, keyRecord(key, b)); err != nil {
		return "", false, err
	}
	if path, err = o.Write(namespace, field, dir, name, b); err != nil {
		return "", false, err
	}
	// Without its marker (a full disk, a crash) the file still counts:
	// Find finds it by name and its key record.
	_, _ = o.Write(namespace, field, filepath.Join(dir, deliveredDir), key, []byte(name))
	return path, false, nil
}

// outboxError marks an escape os.Root refused (a symlink out of the
// namespace's folder) permanent; other errors (a full disk) are retried.
func outboxError(field, dir string, err error) error {
	if strings.Contains(err.Error(), "path escapes from parent") {
		return Permanent(fmt.Errorf("%s %q leads out of the namespace's outbox (a symbolic link?): refusing to write", field, dir))
	}
	return fmt.Errorf("writing to the outbox: %w", err)
}
