package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Check asks the provider's spec.webhook.checkURL whether it has the notice
// with the request's idempotency key: 200 (with the delivery id, as a
// send's answer) is delivered, 404 is not, anything else is asked again.
func (c Channel) Check(ctx context.Context, req channelkit.Request) (channelkit.CheckResult, error) {
	cfg := req.Channel.Spec.Webhook
	if cfg == nil || cfg.CheckURL == "" {
		return channelkit.CheckResult{}, channelkit.ErrCannotCheck
	}
	timeout := 10 * time.Second
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.CheckURL, nil)
	if err != nil {
		return channelkit.CheckResult{}, fmt.Errorf("spec.webhook.checkURL: %w", err)
	}
	hreq.Header.Set("User-Agent", "inkasso-operator/webhook")
	hreq.Header.Set(HeaderIdempotencyKey, req.IdempotencyKey)
	hc := c.HTTP
	if hc == nil {
		hc = c.Egress.Client() // the same destination rules as a send
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return channelkit.CheckResult{}, fmt.Errorf("asking the checkURL of channel %s: %w", req.Channel.Name, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		return channelkit.CheckResult{Delivered: true, DeliveryID: deliveryID(resp, answer, req.IdempotencyKey)}, nil
	case http.StatusNotFound:
		return channelkit.CheckResult{}, nil
	}
	return channelkit.CheckResult{}, fmt.Errorf("the checkURL of channel %s answered %s", req.Channel.Name, summary(resp.StatusCode))
}
