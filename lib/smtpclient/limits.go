package smtpclient

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/status"
)

// What the client remembers of servers, so that one that does not answer
// costs one connection timeout, not one per queued message: Momentum
// likewise moves a domain it cannot reach to the delayed queue.
const (
	// hostDownFor is how long a server whose connection failed is not
	// tried again; deliveries to it fail at once, temporarily.
	hostDownFor = time.Minute
	// aliveFor is how long a server that answered counts as answering:
	// until then any number of deliveries may connect to it at once;
	// after it, one connects first and the others wait for its outcome.
	aliveFor = 10 * time.Minute
	// DefaultMaxOutboundConnections is Momentum's default of
	// Max_Outbound_Connections: deliveries under way to one domain.
	DefaultMaxOutboundConnections = 32
)

// errProbing says a server's first connection is being made by another
// delivery.
var errProbing = errors.New("a first connection to the server is under way")

// deferred is a delivery not tried (channel.ErrDeferred): the spool offers
// the message again shortly, counting no attempt.
func deferred(why string) error {
	return &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.4.5", Temporary: true, Component: "smtp out",
		Text: "not tried: " + why, Err: channel.ErrDeferred}
}

// limits holds the deliveries under way per domain and what is known of
// each server address.
type limits struct {
	mu     sync.Mutex
	active map[string]int
	hosts  map[string]*hostState
	now    func() time.Time
}

type hostState struct {
	downUntil  time.Time
	downAt     time.Time
	downErr    error
	aliveAt    time.Time
	connecting int
}

func newLimits() limits {
	return limits{active: map[string]int{}, hosts: map[string]*hostState{}, now: time.Now}
}

// acquire counts a delivery to domain, unless max are under way already.
func (l *limits) acquire(domain string, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if max > 0 && l.active[domain] >= max {
		return false
	}
	l.active[domain]++
	return true
}

func (l *limits) release(domain string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[domain]--; l.active[domain] <= 0 {
		delete(l.active, domain)
	}
}

func (l *limits) host(addr string) *hostState {
	h := l.hosts[addr]
	if h == nil {
		h = &hostState{}
		l.hosts[addr] = h
	}
	return h
}

// down returns the failure of a server that could not be reached within
// hostDownFor: the delivery is not tried there.
func (l *limits) down(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[addr]
	now := l.now()
	if h == nil || !now.Before(h.downUntil) {
		return nil
	}
	st := &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.4.1", Temporary: true, Component: "smtp out [" + addr + "]",
		Text: fmt.Sprintf("not tried: %s could not be reached %s ago", addr, now.Sub(h.downAt).Round(time.Second)), Err: h.downErr}
	return st
}

// startConnect says whether a delivery may connect to addr now: always to
// a server that answered lately, otherwise only when no other delivery is
// connecting to it.
func (l *limits) startConnect(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.host(addr)
	if h.connecting > 0 && l.now().Sub(h.aliveAt) > aliveFor {
		return false
	}
	h.connecting++
	return true
}

// endConnect records a connection's outcome: a network failure (no
// answer, a refused or broken connection) marks the server down.
func (l *limits) endConnect(addr string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.host(addr)
	h.connecting--
	now := l.now()
	var broken *brokenError
	switch {
	case err == nil:
		h.aliveAt, h.downUntil, h.downErr = now, time.Time{}, nil
	case errors.As(err, &broken):
		h.downAt, h.downUntil, h.downErr = now, now.Add(hostDownFor), err
	}
}

// prune forgets servers nothing is known of any more.
func (l *limits) prune() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for addr, h := range l.hosts {
		if h.connecting == 0 && !now.Before(h.downUntil) && now.Sub(h.aliveAt) > aliveFor {
			delete(l.hosts, addr)
		}
	}
}

// notLocal drops the addresses this process listens on: an MX (or a
// route) that points back here would loop the message until its Received
// headers ran out.
func (c *Client) notLocal(eps []endpoint) []endpoint {
	if c.opts.Listeners == nil {
		return eps
	}
	var own []netip.AddrPort
	for _, l := range c.opts.Listeners() {
		if ap, err := netip.ParseAddrPort(l); err == nil {
			own = append(own, ap)
		}
	}
	if len(own) == 0 {
		return eps
	}
	var local []netip.Addr // this host's addresses, read once a wildcard listener needs them
	out := eps[:0:0]
	for _, ep := range eps {
		ap, err := netip.ParseAddrPort(ep.addr)
		if err != nil {
			out = append(out, ep)
			continue
		}
		mine := false
		for _, o := range own {
			if o.Port() != ap.Port() {
				continue
			}
			switch {
			case o.Addr().Unmap() == ap.Addr().Unmap():
				mine = true
			case o.Addr().IsUnspecified():
				if local == nil {
					local = interfaceAddrs()
				}
				for _, a := range local {
					mine = mine || a == ap.Addr().Unmap()
				}
				mine = mine || ap.Addr().IsLoopback()
			}
		}
		if mine {
			c.log.Warn("smtp out: a route points at this host's own listener; skipped", "server", ep.host, "addr", ep.addr)
			continue
		}
		out = append(out, ep)
	}
	return out
}

func interfaceAddrs() []netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	out := []netip.Addr{}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}
