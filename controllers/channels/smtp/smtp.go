// Package smtp is the in-tree e-mail channel (controllerName
// inkasso.dev/smtp): each notice becomes a multipart mail with a text and an
// HTML part and, by default, the PDF letter attached. It speaks STARTTLS or
// implicit TLS, authenticates with credentials from the channel's Secret, and
// sets the Message-ID from the notice UID so a retried send is recognisable
// as the same message.
//
// It uses github.com/wneessen/go-mail: maintained, built for sending (MIME,
// attachments, STARTTLS, AUTH, context-aware), and it classifies SMTP replies
// into temporary (4xx) and permanent (5xx) errors.
package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"net"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/controllers/channels/letter"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// Keys of the channel's Secret.
const (
	UsernameKey = "username"
	PasswordKey = "password"
	CAKey       = "ca.crt"
)

// Channel sends notices by SMTP.
type Channel struct {
	// Secrets reads the channel's Secret (live: no cluster-wide Secret cache).
	Secrets client.Reader
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Send mails the notice.
func (c Channel) Send(ctx context.Context, req channelkit.Request) (string, error) {
	n, ch := req.Notice, req.Channel
	cfg := ch.Spec.SMTP
	if cfg == nil {
		return "", channelkit.Permanent(fmt.Errorf("channel %s has no spec.smtp", ch.Name))
	}
	if n.Spec.Recipient.Email == "" {
		return "", channelkit.Permanent(fmt.Errorf("the recipient has no e-mail address (debtor spec.email): the notice cannot be mailed"))
	}
	secret, err := c.secret(ctx, ch)
	if err != nil {
		return "", err
	}
	msg, err := message(n, cfg, req.IdempotencyKey)
	if err != nil {
		return "", channelkit.Permanent(err)
	}
	opts, err := clientOptions(cfg, secret)
	if err != nil {
		return "", channelkit.Permanent(fmt.Errorf("channel %s: %w", ch.Name, err))
	}
	cl, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return "", channelkit.Permanent(fmt.Errorf("channel %s: %w", ch.Name, err))
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		return "", classify(err)
	}
	log.FromContext(ctx).V(1).Info("notice mailed", "notice", n.Name, "step", n.Spec.Step, "server", cfg.Host)
	return messageID(req.IdempotencyKey), nil
}

func messageID(key string) string { return key + "@inkasso.dev" }

// message builds the mail: text and HTML alternatives, the letter attached.
func message(n *inkassov1.Notice, cfg *inkassov1.SMTPChannel, key string) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(cfg.From); err != nil {
		return nil, fmt.Errorf("spec.smtp.from: %w", err)
	}
	if err := m.To(n.Spec.Recipient.Email); err != nil {
		return nil, errors.New("the recipient's e-mail address (debtor spec.email) is not a valid address")
	}
	m.Subject(n.Spec.Subject)
	m.SetMessageIDWithValue(messageID(key))
	m.SetGenHeader("X-Inkasso-Notice", n.Name)
	m.SetGenHeader("Idempotency-Key", key)
	m.SetDateWithValue(n.CreationTimestamp.Time)
	m.SetGenHeader(mail.HeaderContentLang, string(n.Spec.Language))
	m.SetBodyString(mail.TypeTextPlain, n.Spec.Body)
	m.AddAlternativeString(mail.TypeTextHTML, toHTML(n.Spec.Subject, n.Spec.Body, string(n.Spec.Language)))
	if (cfg.AttachLetter == nil || *cfg.AttachLetter) && n.Spec.Amounts != nil {
		pdf, _, err := letter.PDF(n, "A4")
		if err != nil {
			return nil, err
		}
		m.AttachReadSeeker(n.Spec.Step+".pdf", bytes.NewReader(pdf), mail.WithFileContentType("application/pdf"))
	}
	return m, nil
}

// toHTML sets the text as HTML: paragraphs as <p>, indented lines (the
// claims and amounts tables) as preformatted blocks.
func toHTML(subject, body, lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html><html lang=%q><head><meta charset=\"utf-8\"><title>%s</title></head><body style=\"font-family:sans-serif;max-width:40em\">\n",
		html.EscapeString(lang), html.EscapeString(subject))
	var pre bool
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		indented := strings.HasPrefix(line, "  ")
		if pre && !indented {
			b.WriteString("</pre>\n")
			pre = false
		}
		switch {
		case indented && !pre:
			b.WriteString("<pre>")
			pre = true
			fallthrough
		case indented:
			b.WriteString(html.EscapeString(strings.TrimPrefix(line, "  ")) + "\n")
		case strings.TrimSpace(line) != "":
			b.WriteString("<p>" + html.EscapeString(line) + "</p>\n")
		}
	}
	if pre {
		b.WriteString("</pre>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func clientOptions(cfg *inkassov1.SMTPChannel, secret *corev1.Secret) ([]mail.Option, error) {
	port := int(cfg.Port)
	if port == 0 {
		port = 587
	}
	timeout := 30 * time.Second
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout), mail.WithoutNoop()}
	if secret != nil {
		if ca := secret.Data[CAKey]; len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("secret %s key %s holds no PEM certificate", secret.Name, CAKey)
			}
			tlsCfg.RootCAs = pool
		}
	}
	opts = append(opts, mail.WithTLSConfig(tlsCfg))
	switch cfg.TLS {
	case inkassov1.SMTPImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case inkassov1.SMTPNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if secret != nil && len(secret.Data[UsernameKey]) > 0 {
		if cfg.TLS == inkassov1.SMTPNoTLS {
			return nil, errors.New("refusing to send credentials without TLS (spec.smtp.tls None)")
		}
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain),
			mail.WithUsername(string(secret.Data[UsernameKey])), mail.WithPassword(string(secret.Data[PasswordKey])))
	}
	return opts, nil
}

// classify marks SMTP 5xx replies, authentication and TLS certificate
// failures permanent; connection errors, timeouts and 4xx replies are
// retried. The error says at which command and with which code the server
// refused, never the server's text or go-mail's list of affected
// recipients: both carry the debtor's e-mail address.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		if code == 0 {
			code = replyCode(err)
		}
		msg := fmt.Sprintf("smtp server refused at %s (%s)", se.Reason, codeText(code, enhancedCode(err)))
		if se.IsTemp() || (code > 0 && code < 500) {
			return errors.New(msg)
		}
		if code >= 500 {
			return channelkit.Permanent(errors.New(msg))
		}
		return errors.New(msg)
	}
	var reply *textproto.Error // e.g. 535 authentication failed while dialing
	if errors.As(err, &reply) {
		msg := fmt.Sprintf("smtp server refused (%s)", codeText(reply.Code, enhancedCode(err)))
		if reply.Code >= 500 {
			return channelkit.Permanent(errors.New(msg))
		}
		return errors.New(msg)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return channelkit.Permanent(fmt.Errorf("smtp server certificate not trusted (add its CA as %s to the channel's Secret): %w", CAKey, err))
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return fmt.Errorf("smtp connection: %w", err)
	}
	return fmt.Errorf("smtp: %s", channelkit.Redact(err.Error(), nil))
}

// replyCode is the SMTP reply code in err, 0 if none.
func replyCode(err error) int {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code
	}
	if m := smtpCode.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		return code
	}
	return 0
}

var (
	smtpCode     = regexp.MustCompile(`\b([245]\d\d)\b`)
	enhancedCore = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
)

// enhancedCode is the RFC 3463 status (5.1.1: bad mailbox) in err's text,
// which names the problem without the address.
func enhancedCode(err error) string {
	return enhancedCore.FindString(err.Error())
}

func codeText(code int, enhanced string) string {
	s := "no reply code"
	if code > 0 {
		s = "reply " + strconv.Itoa(code)
	}
	if enhanced != "" {
		s += " " + enhanced
	}
	return s
}

func (c Channel) secret(ctx context.Context, ch *inkassov1.NoticeChannel) (*corev1.Secret, error) {
	return channelkit.ChannelSecret(ctx, c.Secrets, ch)
}

// SetupWithManager registers the SMTP channel controller.
func (c Channel) SetupWithManager(mgr ctrl.Manager, kit channelkit.Controller) error {
	if c.Secrets == nil {
		c.Secrets = mgr.GetAPIReader()
	}
	kit.ControllerName = inkassov1.ControllerSMTP
	kit.Send = c.Send
	return kit.SetupWithManager(mgr)
}
