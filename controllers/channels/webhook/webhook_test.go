package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func request(url string) channelkit.Request {
	return channelkit.Request{
		Notice: &inkassov1.Notice{ObjectMeta: metav1.ObjectMeta{Name: "n-1", Namespace: "acme"},
			Spec: inkassov1.NoticeSpec{Step: "sms-reminder", Recipient: inkassov1.Recipient{Name: "Ola Nordmann", Phone: "+4791234567"}, Body: "Betal"}},
		Channel:        &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Name: "sms", Namespace: "acme"}, Spec: inkassov1.NoticeChannelSpec{Webhook: &inkassov1.WebhookChannel{URL: url, TimeoutSeconds: 2}}},
		IdempotencyKey: "uid-1", Attempt: 1,
	}
}

// TestRedirectsAreNotFollowed (issue 20): an https endpoint answering 307
// to plain http delivered the debtor's JSON there. Now the redirect fails
// the notice and the second server never hears of it.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked.Add(1) }))
	defer sink.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, sink.URL+"/collect", code)
		}))
		c := Channel{Egress: Egress{Allow: loopback}}
		c.HTTP = c.Egress.Client()
		c.HTTP.Transport.(*http.Transport).TLSClientConfig = redirect.Client().Transport.(*http.Transport).TLSClientConfig
		_, err := c.Send(context.Background(), request(redirect.URL))
		redirect.Close()
		if err == nil || !channelkit.IsPermanent(err) || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("%d: %v, want a permanent failure naming the redirect", code, err)
		}
		if strings.Contains(err.Error(), sink.URL) {
			t.Errorf("%d: the error repeats the redirect's target: %v", code, err)
		}
	}
	if n := leaked.Load(); n > 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

// TestInternalDestinationsAreRefused: by default the client dials no
// loopback, private, link-local or cluster address — checked on the address
// actually dialled, so a public-looking name that resolves to loopback is
// refused too — and nothing reaches the server.
func TestInternalDestinationsAreRefused(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, url := range []string{
		srv.URL,                             // 127.0.0.1
		"http://localhost:" + port,          // a name resolving to loopback
		"http://[::ffff:127.0.0.1]:" + port, // IPv4-mapped IPv6
	} {
		_, err := Channel{}.Send(context.Background(), request(url))
		if !errors.Is(err, ErrDestination) || !channelkit.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent ErrDestination", url, err)
		}
	}
	if reached.Load() > 0 {
		t.Errorf("the internal server received %d requests", reached.Load())
	}
	// With the allow-list, the same server is reached.
	c := Channel{Egress: Egress{Allow: loopback}}
	if _, err := c.Send(context.Background(), request(srv.URL)); err != nil || reached.Load() != 1 {
		t.Errorf("allowed loopback: %v, %d requests", err, reached.Load())
	}

	e := Egress{}
	for addr, refused := range map[string]bool{
		"10.96.0.1": true, "172.20.1.1": true, "192.168.1.1": true, "169.254.169.254": true, "100.64.0.10": true,
		"fd00::1": true, "fe80::1": true, "::1": true, "0.0.0.0": true, "127.0.0.53": true,
		"93.184.216.34": false, "2606:2800:220:1::1": false,
	} {
		if err := e.Check(netip.MustParseAddr(addr)); (err != nil) != refused {
			t.Errorf("%s: %v, refused want %v", addr, err, refused)
		}
	}
	if nets, err := ParseNetworks(" 10.0.0.0/8, 127.0.0.1 ,::1"); err != nil || len(nets) != 3 || nets[1].Bits() != 32 {
		t.Errorf("ParseNetworks: %v %v", nets, err)
	}
	if _, err := ParseNetworks("10.0.0.0/33"); err == nil {
		t.Error("a bad CIDR was accepted")
	}
}

// TestProviderAnswersAreSummarized: what a provider answers is not copied
// into status (it may echo the debtor): the error holds the status code and
// its standard text only; an id that is not a short token is not recorded.
func TestProviderAnswersAreSummarized(t *testing.T) {
	echo := "<html>Ola Nordmann +4791234567 is not a customer\r\nInjected: header</html>"
	for code, permanent := range map[int]bool{422: true, 503: false, 429: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			fmt.Fprint(w, echo)
		}))
		_, err := Channel{Egress: Egress{Allow: loopback}}.Send(context.Background(), request(srv.URL))
		srv.Close()
		if err == nil || channelkit.IsPermanent(err) != permanent || !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d (%s)", code, http.StatusText(code))) {
			t.Errorf("%d: %v (permanent %v)", code, err, permanent)
		}
		if strings.Contains(err.Error(), "Ola") || strings.Contains(err.Error(), "Injected") {
			t.Errorf("%d: the provider's text reached the error: %v", code, err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"Ola Nordmann, Storgata 1"}`)
	}))
	defer srv.Close()
	if id, err := (Channel{Egress: Egress{Allow: loopback}}).Send(context.Background(), request(srv.URL)); err != nil || id != "webhook/uid-1" {
		t.Errorf("delivery id %q, %v: want the idempotency key when the provider's id is not a token", id, err)
	}
}
