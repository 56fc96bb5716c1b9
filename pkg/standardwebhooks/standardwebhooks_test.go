package standardwebhooks

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestSpecExample checks the signature against the example of the Standard
// Webhooks specification and its reference libraries.
func TestSpecExample(t *testing.T) {
	secret, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	body := []byte(`{"test": 2432232314}`)
	Sign(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body, secret)
	if got, want := h.Get(HeaderSignature), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want the spec's %s", got, want)
	}
	v := &Verifier{Secrets: []Secret{secret}, Now: func() time.Time { return time.Unix(1614265330+60, 0) }}
	if err := v.Verify(h, body); err != nil {
		t.Errorf("the spec's example does not verify: %v", err)
	}
}

func TestVerifyRotationReplayAndTampering(t *testing.T) {
	old, next, other := NewSecret(), NewSecret(), NewSecret()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"notice":"n-1"}`)
	h := http.Header{}
	Sign(h, "uid-1", now, body, old, next) // during a rotation
	for name, tc := range map[string]struct {
		secrets []Secret
		at      time.Time
		body    []byte
		header  func(http.Header)
		want    error
	}{
		"receiver with the old secret":    {secrets: []Secret{old}, at: now, body: body},
		"receiver with the new secret":    {secrets: []Secret{next}, at: now, body: body},
		"receiver with both":              {secrets: []Secret{other, next}, at: now, body: body},
		"wrong secret":                    {secrets: []Secret{other}, at: now, body: body, want: ErrSignature},
		"changed body":                    {secrets: []Secret{old}, at: now, body: []byte(`{"notice":"n-2"}`), want: ErrSignature},
		"replayed after the window":       {secrets: []Secret{old}, at: now.Add(6 * time.Minute), body: body, want: ErrTimestamp},
		"from the future":                 {secrets: []Secret{old}, at: now.Add(-6 * time.Minute), body: body, want: ErrTimestamp},
		"id swapped":                      {secrets: []Secret{old}, at: now, body: body, header: func(h http.Header) { h.Set(HeaderID, "uid-2") }, want: ErrSignature},
		"timestamp moved into the window": {secrets: []Secret{old}, at: now.Add(10 * time.Minute), body: body, header: func(h http.Header) { h.Set(HeaderTimestamp, "1800000600") }, want: ErrSignature},
		"no signature":                    {secrets: []Secret{old}, at: now, body: body, header: func(h http.Header) { h.Del(HeaderSignature) }, want: ErrMissingHeaders},
		"a v1a signature is not a v1 one": {secrets: []Secret{old}, at: now, body: body, header: func(h http.Header) { h.Set(HeaderSignature, "v1a,xyz") }, want: ErrSignature},
	} {
		hh := h.Clone()
		if tc.header != nil {
			tc.header(hh)
		}
		at := tc.at
		v := &Verifier{Secrets: tc.secrets, Now: func() time.Time { return at }}
		if err := v.Verify(hh, tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := NewVerifier("not base64!"); err == nil {
		t.Error("a malformed secret was accepted")
	}
	if v, err := NewVerifier(old.String()); err != nil || !v.Secrets[0].equal(old) {
		t.Errorf("round trip of %s: %v", old, err)
	}
}

func (s Secret) equal(o Secret) bool { return string(s) == string(o) }
