// Package letter is the in-tree letter channel (controllerName
// inkasso.dev/letter): it renders each notice as a PDF letter and stores it
// in an outbox folder, for a print-and-post service to pick up.
package letter

import (
	"context"
	"errors"
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

// outbox returns the channel's paper size and outboxDir, or why it cannot write.
func (c Channel) outbox(req channelkit.Request) (paper, dir string, err error) {
	paper = "A4"
	if spec := req.Channel.Spec.Letter; spec != nil {
		if spec.PaperSize != "" {
			paper = spec.PaperSize
		}
		dir = spec.OutboxDir
	}
	if c.Outbox.Root == "" {
		return "", "", channelkit.Permanent(fmt.Errorf("channel %s: %w", req.Channel.Name, channelkit.ErrNoOutbox))
	}
	if err := channelkit.CheckDir("spec.letter.outboxDir", dir); err != nil {
		return "", "", channelkit.Permanent(err)
	}
	return paper, dir, nil
}

// Send renders the notice and writes it to the outbox, once per idempotency
// key: a letter already there for the key (a retry after a crash between the
// file and the status write) is reported as the delivery, not written again.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n := req.Notice
	if n.Spec.Recipient.Address == nil && n.Spec.DebtorRef != nil {
		return "", channelkit.Permanent(fmt.Errorf("the debtor has no postal address (spec.address): a letter cannot be sent"))
	}
	paper, dir, err := c.outbox(req)
	if err != nil {
		return "", err
	}
	var info letter.Info
	path, existed, err := c.Outbox.WriteOnce(n.Namespace, "spec.letter.outboxDir", dir, n.Name+".pdf", req.IdempotencyKey, func() ([]byte, error) {
		pdf, i, err := PDF(n, paper)
		if err != nil {
			return nil, channelkit.Permanent(err)
		}
		info = i
		return pdf, nil
	})
	if err != nil {
		return "", fmt.Errorf("letter: %w", err)
	}
	if existed {
		log.FromContext(ctx).Info("letter already in the outbox: not written again", "notice", n.Name, "step", n.Spec.Step)
	} else {
		log.FromContext(ctx).Info("letter written", "notice", n.Name, "step", n.Spec.Step, "pages", info.Pages, "bytes", info.Bytes)
	}
	return "file://" + path, nil
}

// Check settles an attempt whose outcome is unknown by looking in the
// outbox: the letter (complete: it is renamed into place) or its key's
// marker means delivered. Neither means it was never written only when this
// outbox is the one the attempt wrote to (shared by all replicas, or the
// attempt was this process's); an attempt another replica made into its own
// emptyDir cannot be checked here, so the channel's policy decides (at most
// once: DeliveryUnknown, for a person).
func (c Channel) Check(_ context.Context, req channelkit.Request) (channelkit.CheckResult, error) {
	_, dir, err := c.outbox(req)
	if err != nil {
		return channelkit.CheckResult{}, channelkit.ErrCannotCheck
	}
	r, err := c.Outbox.Check(req, "spec.letter.outboxDir", dir, req.Notice.Name+".pdf")
	if err != nil && !errors.Is(err, channelkit.ErrCannotCheck) {
		return r, fmt.Errorf("letter: %w", err)
	}
	return r, err
}

// SetupWithManager registers the letter channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	kit.ControllerName = inkassov1.ControllerLetter
	kit.Send = c.Send
	kit.Check = c.Check
	return kit.SetupWithManager(mgr)
}
