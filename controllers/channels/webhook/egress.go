package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Whoever writes a NoticeChannel chooses the URL the manager POSTs debtor
// data to, from inside the cluster. Without limits that reaches what only
// the manager can reach: the apiserver, cloud metadata (169.254.169.254),
// other tenants' services, the manager's own metrics port. So by default the
// client dials only public addresses, checked on the resolved IP at dial
// time (a name that resolves to a public address when checked and to
// 127.0.0.1 when dialled — DNS rebinding — is still refused), and never
// follows a redirect (an https URL answering 307 to plain http would carry
// the debtor's data there).

// blocked are the ranges refused unless allowed: loopback, private
// (RFC 1918, where cluster pod and service networks live), shared address
// space (RFC 6598, also used for clusters), link-local (cloud metadata),
// unique-local and other non-public IPv6, and unspecified or multicast
// addresses.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// ErrDestination is a webhook address the manager refuses to dial.
var ErrDestination = errors.New("destination not allowed")

// Egress decides which addresses the webhook client may dial.
type Egress struct {
	// Allow are networks dialled although they are loopback, private or
	// link-local (--webhook-allow-networks): an in-cluster gateway, a test
	// server on loopback.
	Allow []netip.Prefix
}

// Check refuses addr unless it is public or in Allow.
func (e Egress) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	for _, p := range e.Allow {
		if p.Contains(addr) {
			return nil
		}
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return fmt.Errorf("%w: %s is a loopback, private, link-local or cluster-internal address (allow it with --webhook-allow-networks)", ErrDestination, addr)
		}
	}
	return nil
}

// control runs after name resolution, on the address actually dialled.
func (e Egress) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrDestination, address)
	}
	return e.Check(ap.Addr())
}

// Client is the webhook HTTP client: dials checked by e, no redirects
// followed, no proxy from the environment (a proxy would dial the
// destination unchecked).
func (e Egress) Client() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: e.control}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		// The 3xx answer itself is returned, and Send fails the notice.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ParseNetworks reads a comma-separated list of CIDRs or single addresses.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
