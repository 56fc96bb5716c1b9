// Package standardwebhooks signs and verifies webhook requests by the
// Standard Webhooks specification (https://www.standardwebhooks.com): the
// headers webhook-id, webhook-timestamp and webhook-signature, where a
// signature is "v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>"
// under a secret written "whsec_" and base64. A header may carry several
// space-separated signatures: a sender rotating its secret signs with the old
// and the new one, and a receiver holding either accepts the request.
//
// The operator's webhook channel signs with it; receivers (a provider's
// adapter, the tests) verify with Verifier. The spec's reference libraries
// are not published as a Go module the project can depend on, and the
// scheme is a few lines of crypto/hmac.
package standardwebhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names (lower case in the spec; net/http canonicalises them).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	// SecretPrefix starts every secret.
	SecretPrefix = "whsec_"
	// DefaultTolerance is how far a request's timestamp may be from the
	// receiver's clock, either way: the replay window.
	DefaultTolerance = 5 * time.Minute
)

// Secret is a signing key.
type Secret []byte

// ParseSecret reads "whsec_<base64>" (the prefix may be left out).
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix))
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("a webhook secret is \"whsec_\" followed by base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("a webhook secret must decode to 24 to 64 bytes, this one has %d", len(key))
	}
	return Secret(key), nil
}

// NewSecret returns a fresh random secret.
func NewSecret() Secret {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return key
}

// String is the secret as "whsec_<base64>".
func (s Secret) String() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s) }

// signature is "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
func (s Secret) signature(id, ts string, body []byte) string {
	m := hmac.New(sha256.New, s)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign sets the three headers on h for body, signed with every secret.
func Sign(h http.Header, id string, at time.Time, body []byte, secrets ...Secret) {
	ts := strconv.FormatInt(at.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, s.signature(id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Errors of Verify.
var (
	ErrMissingHeaders = errors.New("webhook-id, webhook-timestamp or webhook-signature is missing")
	ErrTimestamp      = errors.New("webhook-timestamp is outside the replay window")
	ErrSignature      = errors.New("no webhook-signature matches")
)

// Verifier checks requests signed with Sign. Give it the current secret and,
// while a rotation is under way, the previous one.
type Verifier struct {
	Secrets []Secret
	// Tolerance is the replay window (default DefaultTolerance).
	Tolerance time.Duration
	// Now is the receiver's clock (default time.Now).
	Now func() time.Time
}

// NewVerifier parses "whsec_" secrets: the current one and optionally the
// previous one.
func NewVerifier(secrets ...string) (*Verifier, error) {
	v := &Verifier{}
	for i, s := range secrets {
		key, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		v.Secrets = append(v.Secrets, key)
	}
	if len(v.Secrets) == 0 {
		return nil, errors.New("no secret to verify with")
	}
	return v, nil
}

// Verify checks the headers of a request against its body: the timestamp
// within the replay window, and one v1 signature by one of the secrets
// (compared in constant time).
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id, ts, header := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || header == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	now, tol := time.Now, v.Tolerance
	if v.Now != nil {
		now = v.Now
	}
	if tol <= 0 {
		tol = DefaultTolerance
	}
	if d := now().Sub(time.Unix(sec, 0)); d > tol || d < -tol {
		return ErrTimestamp
	}
	for _, s := range v.Secrets {
		want := []byte(s.signature(id, ts, body))
		for _, got := range strings.Fields(header) {
			if hmac.Equal(want, []byte(got)) {
				return nil
			}
		}
	}
	return ErrSignature
}
