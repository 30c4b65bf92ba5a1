package dnslookup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Resolver says where queries go and how long each may take.
type Resolver struct {
	// Servers are "host:port" addresses, tried in order.
	Servers []string
	// Timeout bounds one attempt at one server (resolv.conf timeout:,
	// default 5s); Attempts is how many rounds over the servers
	// (attempts:, default 2).
	Timeout  time.Duration
	Attempts int
	// TCPFallback asks again over TCP when a UDP answer is truncated
	// (Momentum's dns_fallback_to_tcp, default false: the truncated answer
	// is used).
	TCPFallback bool
}

// Defaults of resolv.conf(5).
const (
	defaultTimeout  = 5 * time.Second
	defaultAttempts = 2
)

// Source gives the resolver in force at the time of a lookup, so a config
// reload that names another resolv.conf takes effect.
type Source func() (Resolver, error)

// Static is a Source that always gives r.
func Static(r Resolver) Source { return func() (Resolver, error) { return r, nil } }

// ResolvConf is a Source reading the resolv.conf that path names (Momentum's
// Resolv_Conf, default /etc/resolv.conf); the file is read again when its
// name, size or modification time changes. tcp gives dns_fallback_to_tcp;
// nil means false.
func ResolvConf(path func() string, tcp func() bool) Source {
	var mu sync.Mutex
	var cached Resolver
	var key string
	return func() (Resolver, error) {
		p := path()
		fi, err := os.Stat(p)
		if err != nil {
			return Resolver{}, fmt.Errorf("reading resolver configuration: %w", err)
		}
		k := fmt.Sprintf("%s\x00%d\x00%d", p, fi.Size(), fi.ModTime().UnixNano())
		mu.Lock()
		defer mu.Unlock()
		if k != key {
			data, err := os.ReadFile(p)
			if err != nil {
				return Resolver{}, fmt.Errorf("reading resolver configuration: %w", err)
			}
			r, err := ParseResolvConf(data)
			if err != nil {
				return Resolver{}, fmt.Errorf("%s: %w", p, err)
			}
			cached, key = r, k
		}
		r := cached
		if tcp != nil {
			r.TCPFallback = tcp()
		}
		return r, nil
	}
}

// ParseResolvConf reads the resolv.conf subset Momentum's resolver uses:
// nameserver lines and the timeout/attempts options with their aliases
// retrans/retry. search, domain, sortlist, lookup and ndots are accepted
// and do not apply (msys.dnsLookup queries the name it is given).
func ParseResolvConf(data []byte) (Resolver, error) {
	r := Resolver{Timeout: defaultTimeout, Attempts: defaultAttempts}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexAny(text, "#;"); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) < 2 {
				return r, fmt.Errorf("line %d: nameserver without an address", line)
			}
			host := f[1]
			if i := strings.IndexByte(host, '%'); i >= 0 {
				host = host[:i] // a link-local zone; the address alone is dialled
			}
			if net.ParseIP(host) == nil {
				return r, fmt.Errorf("line %d: nameserver %q is not an IP address", line, f[1])
			}
			r.Servers = append(r.Servers, net.JoinHostPort(f[1], "53"))
		case "options":
			for _, o := range f[1:] {
				name, val, _ := strings.Cut(o, ":")
				n, err := strconv.Atoi(val)
				switch name {
				case "timeout", "retrans":
					if err != nil || n < 1 {
						return r, fmt.Errorf("line %d: bad %s", line, o)
					}
					r.Timeout = time.Duration(n) * time.Second
				case "attempts", "retry":
					if err != nil || n < 1 {
						return r, fmt.Errorf("line %d: bad %s", line, o)
					}
					r.Attempts = n
				}
			}
		}
	}
	if len(r.Servers) == 0 {
		// resolv.conf(5): no nameserver line means the local server.
		r.Servers = []string{"127.0.0.1:53"}
	}
	return r, sc.Err()
}

// Errors of a lookup; the message names the name and type.
var (
	ErrNotFound = errors.New("no such domain (NXDOMAIN)")
	ErrNoData   = errors.New("no records of that type")
)

// Exchange asks the resolver for name's records of type qtype and returns
// the answer section's records of that type, CNAMEs followed by the
// server. A server failure or silence moves on to the next server; a
// definite answer (records, NXDOMAIN, no data) ends the lookup.
func (r Resolver) Exchange(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	if len(r.Servers) == 0 {
		return nil, errors.New("no DNS server configured")
	}
	timeout, attempts := r.Timeout, r.Attempts
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.SetEdns0(1232, false)
	var last error
	for range attempts {
		for _, srv := range r.Servers {
			if err := ctxDone(ctx); err != nil {
				return nil, err
			}
			resp, err := r.ask(ctx, srv, q, timeout)
			if err != nil {
				if cerr := ctxDone(ctx); cerr != nil {
					return nil, cerr
				}
				last = fmt.Errorf("%s: %w", srv, err)
				continue
			}
			switch resp.Rcode {
			case dns.RcodeSuccess:
			case dns.RcodeNameError:
				return nil, ErrNotFound
			default:
				last = fmt.Errorf("%s answered %s", srv, dns.RcodeToString[resp.Rcode])
				continue
			}
			var out []dns.RR
			for _, rr := range resp.Answer {
				if rr.Header().Rrtype == qtype {
					out = append(out, rr)
				}
			}
			if len(out) == 0 {
				return nil, ErrNoData
			}
			return out, nil
		}
	}
	return nil, last
}

func (r Resolver) ask(ctx context.Context, srv string, q *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &dns.Client{Net: "udp", UDPSize: 1232}
	resp, _, err := c.ExchangeContext(actx, q, srv)
	if err != nil {
		return nil, err
	}
	if resp.Truncated && r.TCPFallback {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(actx, q, srv)
	}
	return resp, err
}

// ctxDone is ctx.Err, also when the deadline has passed but the context
// has not noticed yet (the host's watchdog closes it on its next tick,
// while the socket's deadline, taken from ctx, has already expired).
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
