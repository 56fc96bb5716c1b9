package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// ControllerName is what NoticeChannels name to be handled by the dialer.
const ControllerName = "example.com/dialer"

// Dialer queues call tasks with a call centre's HTTP API.
type Dialer struct {
	URL    string
	Client *http.Client
}

// Task is what the dialer API receives.
type Task struct {
	Reference string `json:"reference"` // the idempotency key: one call per notice
	Phone     string `json:"phone"`
	Name      string `json:"name"`
	Script    string `json:"script"`
	Language  string `json:"language"`
	CallAfter string `json:"callAfter,omitempty"`
}

// Send queues one call. Everything channelkit needs is the delivery id or
// an error; Permanent marks errors no retry can fix.
func (d Dialer) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n := req.Notice
	if n.Spec.Recipient.Phone == "" {
		return "", channelkit.Permanent(errors.New("the debtor has no phone number"))
	}
	task := Task{Reference: req.IdempotencyKey, Phone: n.Spec.Recipient.Phone, Name: n.Spec.Recipient.Name,
		Script: n.Spec.Body, Language: string(n.Spec.Language)}
	if n.Spec.NotBefore != nil {
		task.CallAfter = n.Spec.NotBefore.UTC().Format(time.RFC3339)
	}
	body, err := json.Marshal(task)
	if err != nil {
		return "", channelkit.Permanent(err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return "", channelkit.Permanent(fmt.Errorf("dialer url: %w", err))
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", req.IdempotencyKey)
	hc := d.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(r)
	if err != nil {
		return "", fmt.Errorf("dialer: %w", err) // retried
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		var out struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out.ID, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", fmt.Errorf("dialer answered %s", resp.Status)
	default:
		return "", channelkit.Permanent(fmt.Errorf("dialer refused the call: %s", resp.Status))
	}
}

// Setup registers the dialer as a channel controller.
func Setup(mgr ctrl.Manager, d Dialer, kit channelkit.Controller) error {
	kit.ControllerName = ControllerName
	kit.Send = d.Send
	return kit.SetupWithManager(mgr)
}
