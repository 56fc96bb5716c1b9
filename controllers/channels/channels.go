// Package channels registers the in-tree channel controllers: log, webhook,
// letter and smtp.
package channels

import (
	"fmt"
	"net/netip"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/inkasso-operator/inkasso-operator/controllers/channels/letter"
	logchannel "github.com/inkasso-operator/inkasso-operator/controllers/channels/log"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/smtp"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/webhook"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Options configure the in-tree channels.
type Options struct {
	// OutboxDir is the outbox folder of the log and letter channels: each
	// namespace writes only below <OutboxDir>/<namespace>/.
	OutboxDir string
	// OutboxShared says all replicas write to the same OutboxDir (see
	// channelkit.Outbox.Shared).
	OutboxShared bool
	// WebhookAllowNetworks are loopback, private or link-local networks the
	// webhook channel may nevertheless dial (default: public addresses only).
	WebhookAllowNetworks []netip.Prefix
}

// Setup registers every in-tree channel controller with mgr; kit carries
// the settings they share (clock, concurrency, recorder).
func Setup(mgr ctrl.Manager, kit channelkit.Controller, o Options) error {
	for name, setup := range map[string]func() error{
		"log": func() error {
			return logchannel.Channel{Outbox: channelkit.Outbox{Root: o.OutboxDir, Shared: o.OutboxShared}}.SetupWithManager(mgr, kit)
		},
		"webhook": func() error {
			return webhook.Channel{Egress: webhook.Egress{Allow: o.WebhookAllowNetworks}}.SetupWithManager(mgr, kit)
		},
		"letter": func() error {
			return letter.Channel{Outbox: channelkit.Outbox{Root: o.OutboxDir, Shared: o.OutboxShared}}.SetupWithManager(mgr, kit)
		},
		"smtp": func() error { return smtp.Channel{}.SetupWithManager(mgr, kit) },
	} {
		if err := setup(); err != nil {
			return fmt.Errorf("setting up the %s channel: %w", name, err)
		}
	}
	return nil
}
