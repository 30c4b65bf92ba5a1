// Package smtpclient delivers messages by SMTP (RFC 5321): to the route
// the config gives the recipient's domain (Routes, Gateway), else to the
// smarthost of MSYSHOST_SMARTHOST, with STARTTLS when the server offers it
// (RFC 3207), PIPELINING (RFC 2920) and connection reuse. Every reply and
// network failure comes back as a *status.Error (code, enhanced code,
// temporary or permanent) for the spool to retry or bounce. With no route
// at all, mail for a domain is held: a temporary status that says why.
package smtpclient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

var _ channel.Channel = (*Client)(nil)

// Resolver is what DNS lookups need; *net.Resolver is one.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Options configure a Client.
type Options struct {
	// Config returns the config routes and options are read from; nil
	// means none (everything held unless Smarthost is set).
	Config func() *config.Config
	// Smarthost is host:port for mail the config gives no route, usually
	// from MSYSHOST_SMARTHOST.
	Smarthost string
	// Resolver looks up MX and address records; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// Hostname is the EHLO name when the config sets no Hostname; empty
	// means the machine's.
	Hostname string
	// RootCAs are the authorities TLS_Verify = ca or host trust when the
	// config names no TLS_CA; nil means the system's.
	RootCAs *x509.CertPool
	// Listeners returns the addresses this process listens on (host:port):
	// a route to one of them is a mail loop and is never taken. Nil means
	// none.
	Listeners func() []string
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// maxEndpoints bounds the addresses one delivery attempt tries.
const maxEndpoints = 10

// Client is the SMTP channel.
type Client struct {
	opts Options
	log  *slog.Logger
	lim  limits
	cas  caCache

	mu   sync.Mutex
	idle map[string][]*session // by pool key, most recently used last
	stop chan struct{}
	done chan struct{}
}

// New returns a client; Start runs its idle-connection reaper.
func New(opts Options) *Client {
	c := &Client{opts: opts, log: opts.Logger, idle: map[string][]*session{}, lim: newLimits()}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.opts.Resolver == nil {
		c.opts.Resolver = net.DefaultResolver
	}
	return c
}

// Name names the client as a component of the process.
func (c *Client) Name() string { return "smtp out" }

// Start closes idle connections once they outlive idle_timeout.
func (c *Client) Start(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		return errors.New("smtp out: already started")
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.reap(c.stop, c.done)
	return nil
}

// Stop says QUIT on every idle connection and stops the reaper.
func (c *Client) Stop(context.Context) error {
	c.mu.Lock()
	stop, done := c.stop, c.done
	c.stop = nil
	idle := c.idle
	c.idle = map[string][]*session{}
	c.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	for _, ss := range idle {
		for _, s := range ss {
			s.quit()
		}
	}
	return nil
}

func (c *Client) reap(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var old []*session
		c.mu.Lock()
		for k, ss := range c.idle {
			keep := ss[:0]
			for _, s := range ss {
				if time.Since(s.used) > s.idleFor {
					old = append(old, s)
				} else {
					keep = append(keep, s)
				}
			}
			c.idle[k] = keep
		}
		c.mu.Unlock()
		for _, s := range old {
			s.quit()
		}
		c.lim.prune()
	}
}

// Deliver sends m to its domain's route. A refusal by the server is its
// status; when no route is configured the message is held (a temporary
// status naming what to set).
func (c *Client) Deliver(ctx context.Context, m *message.Message) error {
	var cfg *config.Config
	if c.opts.Config != nil {
		cfg = c.opts.Config()
	}
	domain := m.RoutingDomainOf()
	p, err := c.params(cfg, config.Scope{Domain: domain, Binding: m.Binding, BindingGroup: m.BindingGroup}, domain, m.MailFrom)
	if err != nil {
		return &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.3.5", Temporary: true, Component: "smtp out",
			Text: "route options malformed", Err: err}
	}
	if len(p.routes) == 0 {
		return &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.3.5", Temporary: true, Component: "smtp out",
			Text: fmt.Sprintf("held: no route for mail to %s: set %s or Gateway for a smarthost, or Routes = (\"__mx__\") to deliver to its MX hosts", domain, SmarthostEnv)}
	}
	if !c.lim.acquire(domain, p.maxConns) {
		return deferred(fmt.Sprintf("%d deliveries to %s under way (Max_Outbound_Connections)", p.maxConns, domain))
	}
	defer c.lim.release(domain)
	eps, err := c.endpoints(ctx, p.routes)
	if err != nil {
		return err
	}
	if eps = c.notLocal(eps); len(eps) == 0 {
		return &status.Error{Protocol: status.SMTP, Code: 554, Enhanced: "5.4.6", Component: "smtp out",
			Text: fmt.Sprintf("mail for %s loops back to myself: its servers are this host's own listeners", domain)}
	}
	t := transaction{from: m.MailFrom, to: m.RcptTo, raw: m.Raw()}
	var last error
	probing := false
	for _, ep := range eps {
		if err := c.lim.down(ep.addr); err != nil {
			last = err
			continue
		}
		err := c.deliverTo(ctx, ep, p, t)
		if errors.Is(err, errProbing) {
			probing = true
			continue
		}
		var unreachable *unreachableError
		if !errors.As(err, &unreachable) {
			return err
		}
		last = unreachable.err
		c.log.Info("smtp out: server unreachable; trying the next", "server", ep.host, "addr", ep.addr, "error", last)
	}
	if probing {
		// Another delivery is finding out whether a server answers:
		// this one waits for that rather than tie up a worker too.
		return deferred("a first connection to the servers of " + domain + " is under way")
	}
	return last
}

// endpoint is one address to try.
type endpoint struct {
	host string // MX host or gateway name
	addr string // ip:port
}

// endpoints resolves routes into addresses, in order: MX hosts by
// preference (RFC 5321 5.1), each host's addresses as the resolver gives
// them.
func (c *Client) endpoints(ctx context.Context, routes []target) ([]endpoint, error) {
	var eps []endpoint
	var last error
	for _, r := range routes {
		hosts := []string{r.host}
		if r.mx {
			var err error
			if hosts, err = c.mxHosts(ctx, r.host); err != nil {
				if st, ok := status.Of(err); ok && !st.Temporary || len(routes) == 1 {
					return nil, err
				}
				last = err
				continue
			}
		}
		for _, h := range hosts {
			addrs := []string{h}
			if net.ParseIP(h) == nil {
				var err error
				if addrs, err = c.opts.Resolver.LookupHost(ctx, h); err != nil {
					last = dnsError(h, "address", err)
					continue
				}
			}
			for _, a := range addrs {
				eps = append(eps, endpoint{host: h, addr: net.JoinHostPort(a, strconv.Itoa(r.port))})
			}
		}
	}
	if len(eps) == 0 {
		if last == nil {
			last = &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.4.4", Temporary: true, Component: "smtp out", Text: "no address to deliver to"}
		}
		return nil, last
	}
	return eps[:min(len(eps), maxEndpoints)], nil
}

// mxHosts returns the MX hosts of domain, best first; a domain without MX
// records is its own (the implicit MX of RFC 5321 5.1), one with a null
// MX (RFC 7505) takes no mail, and one that does not exist is permanent.
func (c *Client) mxHosts(ctx context.Context, domain string) ([]string, error) {
	mxs, err := c.opts.Resolver.LookupMX(ctx, domain)
	var de *net.DNSError
	if err != nil && !(errors.As(err, &de) && de.IsNotFound) {
		return nil, dnsError(domain, "MX", err)
	}
	if len(mxs) == 0 {
		if _, herr := c.opts.Resolver.LookupHost(ctx, domain); herr != nil {
			if errors.As(herr, &de) && de.IsNotFound {
				return nil, &status.Error{Protocol: status.SMTP, Code: 550, Enhanced: "5.1.2", Component: "smtp out",
					Text: fmt.Sprintf("domain %s has no MX and no address", domain)}
			}
			return nil, dnsError(domain, "address", herr)
		}
		return []string{domain}, nil
	}
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, &status.Error{Protocol: status.SMTP, Code: 556, Enhanced: "5.1.10", Component: "smtp out",
			Text: fmt.Sprintf("domain %s accepts no mail (null MX)", domain)}
	}
	hosts := make([]string, 0, len(mxs))
	for _, mx := range mxs {
		hosts = append(hosts, trimDot(mx.Host))
	}
	return hosts, nil
}

func trimDot(h string) string {
	if len(h) > 1 && h[len(h)-1] == '.' {
		return h[:len(h)-1]
	}
	return h
}

func dnsError(name, kind string, err error) error {
	return &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.4.3", Temporary: true, Component: "smtp out",
		Text: fmt.Sprintf("looking up the %s of %s failed", kind, name), Err: err}
}

// unreachableError is a failure before any transaction started (connect,
// greeting, EHLO, TLS): the next address may do better.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// deliverTo sends t through ep, on an idle connection when there is one.
// An idle connection that broke before the server answered MAIL FROM (it
// went stale in the pool) is replaced by a fresh one, once; a break after
// that may have come after the server took the message, so it is the
// attempt's failure, not resent here.
func (c *Client) deliverTo(ctx context.Context, ep endpoint, p params, t transaction) error {
	key := strings.Join([]string{ep.addr, ep.host, p.tls, p.verify, p.caPath, p.ehlo}, " ")
	for fresh := false; ; fresh = true {
		s := c.take(key)
		if s == nil {
			fresh = true
			if !c.lim.startConnect(ep.addr) {
				return errProbing
			}
			var err error
			s, err = c.connect(ctx, ep, p)
			c.lim.endConnect(ep.addr, err)
			if err != nil {
				return &unreachableError{err}
			}
		}
		err := s.send(ctx, t)
		var broken *brokenError
		switch {
		case err == nil:
			c.put(key, s, p.idle)
			return nil
		case errors.As(err, &broken):
			s.close()
			if broken.early && !fresh && ctx.Err() == nil {
				continue
			}
			return broken.st
		default:
			if s.reset() == nil {
				c.put(key, s, p.idle)
			} else {
				s.close()
			}
			return err
		}
	}
}

// connect dials ep with the TLS policy: ifavailable falls back to a plain
// connection when STARTTLS fails, required does not, and neither does a
// certificate check asked for (TLS_Verify = ca or host): a check that
// fails must not become no check at all.
func (c *Client) connect(ctx context.Context, ep endpoint, p params) (*session, error) {
	if p.tls == tlsNo {
		return dial(ctx, ep.addr, ep.host, p.ehlo, nil, false, p.timeout)
	}
	warn := func(err error) {
		c.log.Warn("smtp out: certificate not verified (TLS_Verify = optional); delivering anyway", "server", ep.host, "error", err)
	}
	s, err := dial(ctx, ep.addr, ep.host, p.ehlo, p.tlsConfig(ep.host, warn), p.tls == tlsRequired, p.timeout)
	var te *tlsError
	if p.tls == tlsIfAvailable && errors.As(err, &te) && p.verify != "ca" && p.verify != "host" {
		c.log.Warn("smtp out: STARTTLS failed; delivering without TLS (TLS = ifavailable)", "server", ep.host, "addr", ep.addr, "error", err)
		return dial(ctx, ep.addr, ep.host, p.ehlo, nil, false, p.timeout)
	}
	return s, err
}

func (c *Client) take(key string) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ss := c.idle[key]; len(ss) > 0; ss = c.idle[key] {
		s := ss[len(ss)-1]
		c.idle[key] = ss[:len(ss)-1]
		if time.Since(s.used) <= s.idleFor {
			return s
		}
		go s.quit()
	}
	return nil
}

func (c *Client) put(key string, s *session, idle time.Duration) {
	if idle <= 0 {
		s.quit()
		return
	}
	s.used, s.idleFor = time.Now(), idle
	c.mu.Lock()
	c.idle[key] = append(c.idle[key], s)
	c.mu.Unlock()
}
