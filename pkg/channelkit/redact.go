package channelkit

import (
	"regexp"
	"sort"
	"strings"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
)

// A delivery error ends up in the notice's condition, an event and the
// manager's log, which more people read than may see the debtor's data. A
// channel should not put personal data into its errors; Redact is the net
// under it: the recipient's name, e-mail, phone and address lines, and
// anything that looks like an e-mail address, are replaced before an error
// is recorded. (SMTP servers echo the refused address; HTTP clients the URL.)

// Redacted replaces what Redact removes.
const Redacted = "[redacted]"

var emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// Redact returns msg without the personal data of n's recipient.
func Redact(msg string, n *inkassov1.Notice) string {
	if n != nil {
		r := n.Spec.Recipient
		values := []string{r.Name, r.Email, r.Phone, strings.TrimPrefix(r.Phone, "+")}
		if a := r.Address; a != nil {
			values = append(values, a.Lines...)
			values = append(values, strings.TrimSpace(a.PostalCode+" "+a.City))
		}
		// Longest first: "Ola Nordmann" before a line that is part of it.
		sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
		for _, v := range values {
			if v = strings.TrimSpace(v); len(v) >= 3 {
				msg = strings.ReplaceAll(msg, v, Redacted)
			}
		}
	}
	return emailLike.ReplaceAllString(msg, Redacted)
}

// redactedError keeps the error's identity (Permanent, ErrSecretNotAllowed)
// while its text is redacted.
type redactedError struct {
	err error
	msg string
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }

func redactError(err error, n *inkassov1.Notice) error {
	if err == nil {
		return nil
	}
	return redactedError{err: err, msg: Redact(err.Error(), n)}
}
