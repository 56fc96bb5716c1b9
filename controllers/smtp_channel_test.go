package controllers_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/pkg/channelkit"
)

// mailServer is a real SMTP server (github.com/emersion/go-smtp) on
// loopback: STARTTLS with a test CA, AUTH PLAIN only over TLS, and scripted
// refusals of recipients.
type mailServer struct {
	addr   string
	caPEM  []byte
	mu     sync.Mutex
	msgs   [][]byte
	tlsOK  []bool
	users  []string
	refuse map[string]*gosmtp.SMTPError // recipient -> reply
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	caPEM, cert := testCertificate(t)
	ms := &mailServer{caPEM: caPEM, refuse: map[string]*gosmtp.SMTPError{}}
	s := gosmtp.NewServer(ms)
	s.Domain = "mail.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.AllowInsecureAuth = false
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ms
}

func (ms *mailServer) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &mailSession{ms: ms, conn: c}, nil
}

func (ms *mailServer) received() ([][]byte, []bool, []string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([][]byte(nil), ms.msgs...), append([]bool(nil), ms.tlsOK...), append([]string(nil), ms.users...)
}

type mailSession struct {
	ms   *mailServer
	conn *gosmtp.Conn
	user string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "inkasso" || pass != "s3cret" {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		s.user = user
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *gosmtp.MailOptions) error {
	if s.user == "" {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if e := s.ms.refuse[to]; e != nil {
		return e
	}
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	s.ms.msgs, s.ms.tlsOK, s.ms.users = append(s.ms.msgs, b), append(s.ms.tlsOK, isTLS), append(s.ms.users, s.user)
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// testCertificate makes a self-signed CA that is also the server's
// certificate for 127.0.0.1.
func testCertificate(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "inkasso test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, cert
}

func smtpChannel(ns, name, addr, secret string) *inkassov1.NoticeChannel {
	host, port, _ := net.SplitHostPort(addr)
	var p int32
	fmt.Sscan(port, &p)
	return &inkassov1.NoticeChannel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: inkassov1.NoticeChannelSpec{ControllerName: inkassov1.ControllerSMTP,
			SMTP:      &inkassov1.SMTPChannel{Host: host, Port: p, From: "inkasso@nordic-collect.example", TimeoutSeconds: 5},
			SecretRef: &inkassov1.LocalObjectReference{Name: secret}}}
}

func mailNotice(ns, name, channel, email string) *inkassov1.Notice {
	n := testNotice(ns, name, channel)
	n.Spec.Step = "payment-demand"
	n.Spec.Subject = "Betalingsoppfordring: 1 803,12 NOK å betale innen 12.02.2026"
	n.Spec.Body = "Til Ola Nordmann,\n\nBetalingsoppfordring.\n  Faktura 1001: 1 803,12 NOK\n\nBetal innen 12.02.2026.\n"
	n.Spec.Recipient = inkassov1.Recipient{Name: "Ola Nordmann", Email: email,
		Address: &inkassov1.Address{Lines: []string{"Storgata 1"}, PostalCode: "0155", City: "Oslo", Country: "NO"}}
	n.Spec.Amounts = &inkassov1.NoticeAmounts{Currency: "NOK", Principal: "1730.00", Fees: "70.00", Interest: "3.12", Paid: "0.00", Outstanding: "1803.12"}
	n.Spec.PaymentReference, n.Spec.PayBy = "1000170427", "2026-02-12"
	n.Spec.Sender = &inkassov1.Party{Name: "Nordic Collect AS", BankAccount: "1503.12.34567"}
	return n
}

// TestSMTPChannelDeliversToARealServer: STARTTLS with a private CA from the
// channel's Secret, AUTH PLAIN, a text and an HTML part, the PDF letter
// attached; a refused recipient (550) fails the notice, a greylisting reply
// (451) is retried, and wrong credentials fail it.
func TestSMTPChannelDeliversToARealServer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ms := startMailServer(t)
	ms.refuse["gone@example.org"] = &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	ms.refuse["later@example.org"] = &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again"}
	allow := func(channels string) map[string]string {
		return map[string]string{channelkit.SecretChannelsAnnotation: channels}
	}
	create(t,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mail", Annotations: allow("mail")},
			Data: map[string][]byte{"username": []byte("inkasso"), "password": []byte("s3cret"), "ca.crt": ms.caPEM}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong", Annotations: allow("other, badauth")},
			Data: map[string][]byte{"username": []byte("inkasso"), "password": []byte("nope"), "ca.crt": ms.caPEM}},
		smtpChannel(ns, "mail", ms.addr, "mail"), smtpChannel(ns, "badauth", ms.addr, "wrong"),
		mailNotice(ns, "ok", "mail", "ola@example.org"), mailNotice(ns, "gone", "mail", "gone@example.org"),
		mailNotice(ns, "grey", "mail", "later@example.org"), mailNotice(ns, "auth", "badauth", "ola@example.org"))

	sent := waitNotice(t, ns, "ok", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	msgs, tlsOK, users := ms.received()
	if len(msgs) != 1 || !tlsOK[0] || users[0] != "inkasso" {
		t.Fatalf("server got %d message(s), TLS %v, users %v: want one, over STARTTLS, authenticated", len(msgs), tlsOK, users)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Header.Get("Message-Id"); id != "<"+sent.Status.IdempotencyKey+"@inkasso.dev>" || sent.Status.DeliveryID != sent.Status.IdempotencyKey+"@inkasso.dev" {
		t.Errorf("Message-ID %q, deliveryID %q: want the notice's idempotency key", id, sent.Status.DeliveryID)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.HasPrefix(subject, "Betalingsoppfordring") || m.Header.Get("To") != "<ola@example.org>" {
		t.Errorf("subject %q to %q", subject, m.Header.Get("To"))
	}
	parts := mimeParts(t, m.Header.Get("Content-Type"), m.Body)
	for _, want := range []string{"text/plain", "text/html", "application/pdf"} {
		body, ok := parts[want]
		if !ok {
			t.Errorf("no %s part; parts: %v", want, keys(parts))
			continue
		}
		if want == "application/pdf" && !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("the attachment is not a PDF: %q", body[:min(20, len(body))])
		}
		if want == "text/plain" && !strings.Contains(string(body), "1 803,12 NOK") {
			t.Errorf("text part %q", body)
		}
	}

	waitNotice(t, ns, "gone", func(n *inkassov1.Notice) error {
		if err := readyReason(n, inkassov1.NoticeReasonFailed); err != nil {
			return err
		}
		if !strings.Contains(readyMessage(n), "550") || !strings.Contains(readyMessage(n), "5.1.1") {
			return fmt.Errorf("message %q does not give the server's reply code", readyMessage(n))
		}
		return nil
	})
	// Issue 20: the refusal names the code, not the debtor's address, in
	// the notice's condition and its events.
	noPersonalData(t, ns, "gone@example.org", "Ola Nordmann", "Storgata 1")
	waitNotice(t, ns, "auth", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonFailed) })
	// Greylisted: retried, not failed; accepted once the server lets it in.
	waitNotice(t, ns, "grey", func(n *inkassov1.Notice) error {
		if n.Status.Attempts < 2 {
			return errors.New("not retried yet")
		}
		return readyReason(n, inkassov1.NoticeReasonPending)
	})
	ms.mu.Lock()
	delete(ms.refuse, "later@example.org")
	ms.mu.Unlock()
	waitNotice(t, ns, "grey", func(n *inkassov1.Notice) error { return readyReason(n, inkassov1.NoticeReasonSent) })
	_ = ctx
}

// noPersonalData fails when a notice condition or an event in ns carries
// one of values.
func noPersonalData(t *testing.T, ns string, values ...string) {
	t.Helper()
	var notices inkassov1.NoticeList
	if err := k8s.List(context.Background(), &notices, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var events eventsv1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, n := range notices.Items {
		for _, c := range n.Status.Conditions {
			texts = append(texts, "notice "+n.Name+" condition: "+c.Message)
		}
	}
	for _, e := range events.Items {
		texts = append(texts, "event "+e.Reason+": "+e.Note)
	}
	if len(events.Items) == 0 {
		t.Errorf("no events in %s: the check would pass on nothing", ns)
	}
	for _, text := range texts {
		for _, v := range values {
			if strings.Contains(text, v) {
				t.Errorf("personal data %q in %s", v, text)
			}
		}
	}
}

func readyMessage(n *inkassov1.Notice) string {
	for _, c := range n.Status.Conditions {
		if c.Type == inkassov1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

// mimeParts flattens a multipart message into content type -> decoded body.
func mimeParts(t *testing.T, contentType string, body io.Reader) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(body)
		out[mt] = b
		return out
	}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var content io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			content = base64Reader(p)
		case "quoted-printable":
			content = qpReader(p)
		}
		for k, v := range mimeParts(t, p.Header.Get("Content-Type"), content) {
			out[k] = v
		}
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func base64Reader(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }
func qpReader(r io.Reader) io.Reader     { return quotedprintable.NewReader(r) }

// readyReason fails unless the notice's Ready condition has reason.
func readyReason(n *inkassov1.Notice, reason string) error {
	c := meta.FindStatusCondition(n.Status.Conditions, inkassov1.ConditionReady)
	if c == nil || c.Reason != reason {
		return fmt.Errorf("notice %s: Ready %+v, want reason %s", n.Name, c, reason)
	}
	return nil
}
