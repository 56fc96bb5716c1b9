// Package letter is the in-tree letter channel (controllerName
// inkasso.dev/letter): it renders each notice as a PDF letter and stores it
// in an outbox folder, for a print-and-post service to pick up.
package letter

import (
	"context"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/letter"
	"github.com/inkasso-operator/inkasso-operator/internal/notice"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Channel renders letters into the manager's outbox.
type Channel struct {
	// Outbox is the manager's outbox folder (--outbox-dir); a channel's
	// outboxDir is a folder inside its namespace's part of it.
	Outbox channelkit.Outbox
}

// PDF renders a notice as a letter on paper ("A4" or "Letter").
func PDF(n *inkassov1.Notice, paper string) ([]byte, letter.Info, error) {
	s := n.Spec
	lang := string(s.Language)
	title, _, found := strings.Cut(s.Subject, ":")
	if !found {
		title = s.Subject
	}
	l := letter.Letter{
		Language: lang, Paper: paper, Date: n.CreationTimestamp.Time,
		Recipient: letter.Party{Name: s.Recipient.Name, Lines: addressLines(s.Recipient.Address, "")},
		Title:     strings.TrimSpace(title), Body: s.Body,
		Reference: s.PaymentReference, Footer: n.Name,
	}
	if p := s.Sender; p != nil {
		l.Sender = letter.Party{Name: p.Name, Lines: addressLines(p.Address, "")}
		l.Account = p.BankAccount
		for _, x := range []string{p.OrganizationNumber, p.Phone, p.Email} {
			if x != "" {
				l.Sender.Extra = append(l.Sender.Extra, x)
			}
		}
	}
	if a := s.Amounts; a != nil && a.Outstanding != "" {
		l.Amount = notice.FormatMoney(lang, a.Outstanding) + " " + a.Currency
	}
	if s.PayBy != "" {
		l.PayBy = notice.FormatDate(lang, string(s.PayBy))
	}
	pdf, info, err := letter.Render(l)
	if err != nil {
		return nil, info, fmt.Errorf("rendering letter for notice %s: %w", n.Name, err)
	}
	return pdf, info, nil
}

func addressLines(a *inkassov1.Address, home string) []string {
	if a == nil {
		return nil
	}
	lines := append([]string{}, a.Lines...)
	lines = append(lines, a.PostalCode+" "+a.City)
	if string(a.Country) != home {
		lines = append(lines, string(a.Country))
	}
	return lines
}

// Send renders the notice and writes it to the outbox. The file is named
// after the notice, so a retry replaces it and never makes a second letter.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n, spec := req.Notice, req.Channel.Spec.Letter
	paper, dir := "A4", ""
	if spec != nil {
		if spec.PaperSize != "" {
			paper = spec.PaperSize
		}
		if spec.OutboxDir != "" {
			dir = spec.OutboxDir
		}
	}
	if n.Spec.Recipient.Address == nil && n.Spec.DebtorRef != nil {
		return "", channelkit.Permanent(fmt.Errorf("the debtor has no postal address (spec.address): a letter cannot be sent"))
	}
	if c.Outbox.Root == "" {
		return "", channelkit.Permanent(fmt.Errorf("channel %s: %w", req.Channel.Name, channelkit.ErrNoOutbox))
	}
	if err := channelkit.CheckDir("spec.letter.outboxDir", dir); err != nil {
		return "", channelkit.Permanent(err)
	}
	pdf, info, err := PDF(n, paper)
	if err != nil {
		return "", channelkit.Permanent(err)
	}
	path, err := c.Outbox.Write(n.Namespace, "spec.letter.outboxDir", dir, n.Name+".pdf", pdf)
	if err != nil {
		return "", fmt.Errorf("letter: %w", err)
	}
	log.FromContext(ctx).Info("letter written", "notice", n.Name, "step", n.Spec.Step, "pages", info.Pages, "bytes", info.Bytes)
	return "file://" + path, nil
}

// SetupWithManager registers the letter channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	kit.ControllerName = inkassov1.ControllerLetter
	kit.Send = c.Send
	return kit.SetupWithManager(mgr)
}
