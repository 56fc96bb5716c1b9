// Package webhook is the in-tree webhook channel (controllerName
// inkasso.dev/webhook): it POSTs each notice as JSON to an HTTPS endpoint — an
// SMS gateway, a dialer, a print-and-post service — signed with HMAC-SHA256
// and carrying the notice's idempotency key.
//
// Outcomes: 2xx is delivered; 408, 425, 429 and 5xx, timeouts and connection
// errors are retried with backoff; any other 4xx is permanent (the notice is
// Failed), since sending the same request again cannot succeed.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Headers of a webhook request.
const (
	HeaderSignature      = "X-Inkasso-Signature" // "sha256=" + hex HMAC-SHA256 of timestamp + "." + body
	HeaderTimestamp      = "X-Inkasso-Timestamp" // Unix seconds, part of the signed text against replays
	HeaderIdempotencyKey = "Idempotency-Key"     // the same on every retry of one notice
	// SecretKey is the key of the HMAC secret in the channel's Secret.
	SecretKey = "hmacKey"
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
	// HTTP is the client; its Transport may be replaced in tests. The
	// per-request timeout comes from the channel.
	HTTP *http.Client
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
	key, err := c.secret(ctx, req.Channel)
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
	ts := strconv.FormatInt(now().Unix(), 10)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "inkasso-operator/webhook")
	hreq.Header.Set(HeaderIdempotencyKey, req.IdempotencyKey)
	hreq.Header.Set(HeaderTimestamp, ts)
	if key != nil {
		hreq.Header.Set(HeaderSignature, Sign(key, ts, body))
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	// Whether the request left decides what an error means: before, the
	// provider certainly has nothing (retried); after, it may have the
	// notice (an ambiguous outcome, settled by the channel's redelivery).
	var wrote atomic.Bool
	hreq = hreq.WithContext(httptrace.WithClientTrace(hreq.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}))
	resp, err := hc.Do(hreq)
	if err != nil {
		err = fmt.Errorf("posting to the webhook: %w", err)
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
		return "", channelkit.Ambiguous(fmt.Errorf("webhook answered %s: %s", resp.Status, snippet(answer)))
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		return "", fmt.Errorf("webhook answered %s: %s", resp.Status, snippet(answer))
	default:
		return "", channelkit.Permanent(fmt.Errorf("webhook refused the notice with %s: %s", resp.Status, snippet(answer)))
	}
}

// Sign is the signature header value for body sent at timestamp ts.
func Sign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time; receivers use it.
func Verify(key []byte, ts string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(key, ts, body)), []byte(header))
}

func (c Channel) secret(ctx context.Context, ch *inkassov1.NoticeChannel) ([]byte, error) {
	if ch.Spec.SecretRef == nil {
		return nil, nil // unsigned: allowed, for endpoints on loopback or behind mTLS
	}
	var s corev1.Secret
	err := c.Secrets.Get(ctx, types.NamespacedName{Namespace: ch.Namespace, Name: ch.Spec.SecretRef.Name}, &s)
	if apierrors.IsNotFound(err) {
		// Not permanent: the Secret may be created next; the notice waits until its deadline.
		return nil, fmt.Errorf("secret %q named by spec.secretRef of NoticeChannel %s does not exist", ch.Spec.SecretRef.Name, ch.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret %s: %w", ch.Spec.SecretRef.Name, err)
	}
	key, ok := s.Data[SecretKey]
	if !ok || len(key) == 0 {
		return nil, fmt.Errorf("secret %q has no %q key for the webhook signature", s.Name, SecretKey)
	}
	return key, nil
}

// deliveryID is the provider's id: the JSON answer's "id", the
// X-Delivery-Id header, or else the idempotency key.
func deliveryID(resp *http.Response, answer []byte, key string) string {
	var a struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(answer, &a) == nil && a.ID != "" {
		return a.ID
	}
	if id := resp.Header.Get("X-Delivery-Id"); id != "" {
		return id
	}
	return "webhook/" + key
}

func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(bytes.TrimSpace(b))
}

// SetupWithManager registers the webhook channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	if c.Secrets == nil {
		c.Secrets = mgr.GetAPIReader()
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{}
	}
	kit.ControllerName = inkassov1.ControllerWebhook
	kit.Send, kit.Check = c.Send, c.Check
	return kit.SetupWithManager(mgr)
}
