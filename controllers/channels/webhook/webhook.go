// Package webhook is the in-tree webhook channel (controllerName
// inkasso.dev/webhook): it POSTs each notice as JSON to an HTTPS endpoint — an
// SMS gateway, a dialer, a print-and-post service — signed by the Standard
// Webhooks scheme (pkg/standardwebhooks) and carrying the notice's
// idempotency key.
//
// Outcomes: 2xx is delivered; 408, 425, 429 and 5xx, timeouts and connection
// errors are retried with backoff; any other 4xx, a redirect and a refused
// destination (egress.go) are permanent (the notice is Failed), since
// sending the same request again cannot succeed. Only the status code is
// recorded of an answer, never its text: a provider's answer may echo the
// debtor's data.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
	"github.com/inkasso-operator/inkasso-operator/pkg/standardwebhooks"
)

// Headers of a webhook request besides the Standard Webhooks ones
// (webhook-id, the idempotency key; webhook-timestamp; webhook-signature).
const (
	HeaderIdempotencyKey = "Idempotency-Key" // the same on every retry of one notice
	// SecretKey is the key of the signing secret ("whsec_" and base64) in
	// the channel's Secret; PreviousSecretKey optionally holds the secret
	// being rotated out: requests are signed with both.
	SecretKey         = "signingSecret"
	PreviousSecretKey = "previousSigningSecret"
	// PayloadVersion identifies the JSON payload's shape.
	PayloadVersion = "inkasso.dev/webhook/v1"
)

// Payload is the JSON body of a webhook request (docs/channel-contract.md).
type Payload struct {
	Version          string                   `json:"version"`
	IdempotencyKey   string                   `json:"idempotencyKey"`
	Attempt          int32                    `json:"attempt"`
	Namespace        string                   `json:"namespace"`
	Notice           string                   `json:"notice"`
	Channel          string                   `json:"channel"`
	CaseID           string                   `json:"caseID,omitempty"`
	Step             string                   `json:"step"`
	Claims           []string                 `json:"claims"`
	Language         inkassov1.Language       `json:"language"`
	Recipient        inkassov1.Recipient      `json:"recipient"`
	Subject          string                   `json:"subject"`
	Body             string                   `json:"body"`
	Amounts          *inkassov1.NoticeAmounts `json:"amounts,omitempty"`
	PaymentReference string                   `json:"paymentReference,omitempty"`
	PayBy            inkassov1.Date           `json:"payBy,omitempty"`
}

// Channel sends notices to webhooks.
type Channel struct {
	// Secrets reads the channel's Secret (live, so no cluster-wide Secret watch is needed).
	Secrets client.Reader
	// HTTP is the client (default: Egress.Client()). The per-request
	// timeout comes from the channel.
	HTTP *http.Client
	// Egress limits the destinations of the default client.
	Egress Egress
	// Now stamps requests; defaults to time.Now (signatures use real time).
	Now func() time.Time
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Send posts the notice.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	cfg := req.Channel.Spec.Webhook
	if cfg == nil || cfg.URL == "" {
		return "", channelkit.Permanent(fmt.Errorf("NoticeChannel %s has no spec.webhook.url", req.Channel.Name))
	}
	keys, err := c.secret(ctx, req.Channel)
	if err != nil {
		return "", err
	}
	n := req.Notice
	p := Payload{Version: PayloadVersion, IdempotencyKey: req.IdempotencyKey, Attempt: req.Attempt, Namespace: n.Namespace,
		Notice: n.Name, Channel: req.Channel.Name, CaseID: n.Spec.CaseID, Step: n.Spec.Step, Language: n.Spec.Language,
		Recipient: n.Spec.Recipient, Subject: n.Spec.Subject, Body: n.Spec.Body, Amounts: n.Spec.Amounts,
		PaymentReference: n.Spec.PaymentReference, PayBy: n.Spec.PayBy}
	for _, r := range n.Spec.ClaimRefs {
		p.Claims = append(p.Claims, r.Name)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", channelkit.Permanent(fmt.Errorf("encoding payload: %w", err))
	}

	timeout := 10 * time.Second
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", channelkit.Permanent(fmt.Errorf("spec.webhook.url: %w", err))
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "inkasso-operator/webhook")
	hreq.Header.Set(HeaderIdempotencyKey, req.IdempotencyKey)
	if len(keys) > 0 {
		standardwebhooks.Sign(hreq.Header, req.IdempotencyKey, now(), body, keys...)
	}
	hc := c.HTTP
	if hc == nil {
		hc = c.Egress.Client()
	}
	// Whether the request left decides what an error means: before, the
	// provider certainly has nothing (retried); after, it may have the
	// notice (an ambiguous outcome, settled by the channel's redelivery).
	var wrote atomic.Bool
	hreq = hreq.WithContext(httptrace.WithClientTrace(hreq.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}))
	resp, err := hc.Do(hreq)
	switch {
	case errors.Is(err, ErrDestination):
		return "", channelkit.Permanent(fmt.Errorf("spec.webhook.url of channel %s: %w", req.Channel.Name, unwrapURLError(err)))
	case err != nil:
		// The url.Error is unwrapped: it would repeat the URL, which may
		// carry a token.
		err = fmt.Errorf("posting to the webhook of channel %s: %w", req.Channel.Name, unwrapURLError(err))
		if wrote.Load() {
			return "", channelkit.Ambiguous(err) // sent, no answer: a timeout or a dropped connection
		}
		return "", err // not sent: retried
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return deliveryID(resp, answer, req.IdempotencyKey), nil
	case code == http.StatusGatewayTimeout:
		// A proxy gave up waiting for the provider, which may have it.
		return "", channelkit.Ambiguous(fmt.Errorf("webhook answered %s", summary(code)))
	case code >= 300 && code < 400:
		return "", channelkit.Permanent(fmt.Errorf("webhook answered %s, a redirect: redirects are not followed, set spec.webhook.url to the final address", summary(code)))
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		return "", fmt.Errorf("webhook answered %s", summary(code))
	default:
		return "", channelkit.Permanent(fmt.Errorf("webhook refused the notice with %s", summary(code)))
	}
}

// summary is what status records of an answer: the code and its standard
// text, never the provider's text (which may echo the debtor's data).
func summary(code int) string {
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("HTTP %d (%s)", code, text)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// unwrapURLError drops the method and URL net/http puts around an error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c Channel) secret(ctx context.Context, ch *inkassov1.NoticeChannel) ([]standardwebhooks.Secret, error) {
	if ch.Spec.SecretRef == nil {
		return nil, nil // unsigned: allowed, for endpoints behind mTLS
	}
	s, err := channelkit.ChannelSecret(ctx, c.Secrets, ch)
	if err != nil {
		return nil, err
	}
	var keys []standardwebhooks.Secret
	for _, k := range []string{SecretKey, PreviousSecretKey} {
		v, ok := s.Data[k]
		if !ok {
			continue
		}
		key, err := standardwebhooks.ParseSecret(string(v))
		if err != nil {
			return nil, channelkit.Permanent(fmt.Errorf("secret %q key %s: %w", s.Name, k, err))
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 || s.Data[SecretKey] == nil {
		return nil, channelkit.Permanent(fmt.Errorf("secret %q has no %q key (\"whsec_\" and base64) for the webhook signature", s.Name, SecretKey))
	}
	return keys, nil
}

// deliveryID is the provider's id: the JSON answer's "id", the
// X-Delivery-Id header, or else the idempotency key. A provider's id that
// is not a short token is not recorded.
func deliveryID(resp *http.Response, answer []byte, key string) string {
	var a struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(answer, &a) == nil && isToken(a.ID) {
		return a.ID
	}
	if id := resp.Header.Get("X-Delivery-Id"); isToken(id) {
		return id
	}
	return "webhook/" + key
}

func isToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/", r)) {
			return false
		}
	}
	return true
}

// SetupWithManager registers the webhook channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	if c.Secrets == nil {
		c.Secrets = mgr.GetAPIReader()
	}
	if c.HTTP == nil {
		c.HTTP = c.Egress.Client()
	}
	kit.ControllerName = inkassov1.ControllerWebhook
	kit.Send, kit.Check = c.Send, c.Check
	return kit.SetupWithManager(mgr)
}
