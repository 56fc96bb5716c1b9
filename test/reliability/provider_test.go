package reliability

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// provider is an SMS gateway or print service on a loopback port that, as
// docs/channel-contract.md asks of providers, de-duplicates by idempotency
// key. It can be told to fail, hang or go away.
type provider struct {
	addr string

	mu         sync.Mutex
	deliveries map[string]int // idempotency key -> deliveries made (must end at 1)
	// keysOf is, per notice (namespace/name from the payload), the keys it
	// was delivered under: a debtor got one letter per key. More than one
	// key for a notice is a letter sent twice (a restore gave the notice a
	// new UID, and the key was the UID).
	keysOf   map[string]map[string]bool
	acks     int // requests answered 2xx, repeats of a delivered key included
	requests int
	failRate float64 // share of requests answered 503
	hangRate float64 // share of requests that never answer in time
	rng      *rand.Rand
	ln       net.Listener
	srv      *http.Server
	hang     chan struct{} // closed when hanging requests may return
	// strict: no de-duplication (every accepted request is a delivery, a
	// repeat of a key included), and a hanging request is accepted first
	// and answered too late; GET /check tells whether a key was delivered.
	strict bool
	late   int // requests accepted and answered after the client gave up
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{addr: ln.Addr().String(), deliveries: map[string]int{}, keysOf: map[string]map[string]bool{}, rng: rand.New(rand.NewPCG(3, 5)), hang: make(chan struct{})}
	p.serve(ln)
	t.Cleanup(func() {
		p.down()
		p.mu.Lock()
		close(p.hang)
		p.mu.Unlock()
	})
	return p
}

func (p *provider) url() string { return "http://" + p.addr }

func (p *provider) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.handle), ReadHeaderTimeout: 5 * time.Second}
	p.mu.Lock()
	p.ln, p.srv = ln, srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (p *provider) handle(w http.ResponseWriter, r *http.Request) {
	var body struct{ Namespace, Notice string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	_, _ = io.Copy(io.Discard, r.Body)
	key := r.Header.Get("Idempotency-Key")
	p.mu.Lock()
	if r.Method == http.MethodGet {
		n := p.deliveries[key]
		p.mu.Unlock()
		if n == 0 {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, `{"id":"gw-`+key[:8]+`"}`)
		return
	}
	p.requests++
	roll := p.rng.Float64()
	hang := p.hang
	switch {
	case key == "":
		p.mu.Unlock()
		http.Error(w, "no Idempotency-Key", http.StatusBadRequest)
		return
	case roll < p.failRate:
		p.mu.Unlock()
		http.Error(w, "gateway overloaded", http.StatusServiceUnavailable)
		return
	case roll < p.failRate+p.hangRate:
		if p.strict {
			p.deliveries[key]++ // taken, answered too late
			p.late++
		}
		p.mu.Unlock()
		// Answer long after the channel's 1 s timeout: the client gives up,
		// and this request must not count as a delivery.
		select {
		case <-hang:
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		return
	}
	p.acks++
	if p.deliveries[key] == 0 || p.strict {
		p.deliveries[key]++ // unless strict, a repeat of a delivered key is acknowledged, not delivered again
		id := body.Namespace + "/" + body.Notice
		if p.keysOf[id] == nil {
			p.keysOf[id] = map[string]bool{}
		}
		p.keysOf[id][key] = true
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"gw-`+key[:8]+`"}`)
}

// misbehave sets the share of failing and hanging requests.
func (p *provider) misbehave(fail, hang float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failRate, p.hangRate = fail, hang
}

// down closes the port: connections are refused until up.
func (p *provider) down() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up listens on the same port again.
func (p *provider) up(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger for a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("provider cannot listen on %s again: %v", p.addr, errors.Join(err))
}

// repeats is how many delivered notices were sent again (under the same key,
// so the provider did not deliver them twice): sends cut off by a kill.
func (p *provider) repeats() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks + p.late - len(p.deliveries) // late is counted only when strict
}

// counts returns the deliveries per key and the requests seen.
func (p *provider) counts() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.deliveries))
	for k, v := range p.deliveries {
		out[k] = v
	}
	return out, p.requests
}

// letters returns, per notice (namespace/name), how many times the provider
// delivered it: under how many distinct keys.
func (p *provider) letters() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.keysOf))
	for id, keys := range p.keysOf {
		out[id] = len(keys)
	}
	return out
}
