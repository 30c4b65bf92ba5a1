package smtpclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
)

// SmarthostEnv names the environment variable giving the smarthost
// (host:port) mail goes to when the config names no route.
const SmarthostEnv = "MSYSHOST_SMARTHOST"

// Options read from the config scopes of the message's routing domain
// (binding, binding_group, domain and global unless noted), Momentum's
// names (conf.ref.*).
const (
	// OptRoutes lists where mail goes, in order: "__mx__" (the domain's
	// MX hosts), "smtp://host[:port][?port=N&pref=P&type=mx|a]" or "host".
	OptRoutes = "routes"
	// OptGateway is one smarthost, "host" or "host:port" ("[v6]:port").
	OptGateway = "gateway"
	// OptRemoteSMTPPort is the port of routes without one; default 25.
	OptRemoteSMTPPort = "remote_smtp_port"
	// OptTLS is no, ifavailable or required. Momentum's default is no;
	// msyshost's is ifavailable: STARTTLS whenever the server offers it.
	OptTLS = "tls"
	// OptTLSVerify is no (the default), ca, host or optional.
	OptTLSVerify = "tls_verify"
	// OptTLSCA names a PEM file of the authorities ca and host trust;
	// without it the system's.
	OptTLSCA = "tls_ca"
	// OptEHLOHostname is __hostname__ (the default), __message__ (the
	// sender's domain) or a name.
	OptEHLOHostname = "ehlo_hostname"
	// Timeouts, in seconds or with a unit: connect (default 30; Momentum's
	// is 300, which one server that does not answer would make the cost of
	// every delivery to it before it is known to be down), the
	// greeting and commands (the longest of ehlo_timeout, mailfrom_timeout
	// and rcptto_timeout, default 300), the final dot (body_timeout, 600),
	// and how long an idle connection is kept for the next message
	// (idle_timeout, 5).
	OptConnectTimeout  = "connect_timeout"
	OptEHLOTimeout     = "ehlo_timeout"
	OptMailfromTimeout = "mailfrom_timeout"
	OptRcpttoTimeout   = "rcptto_timeout"
	OptBodyTimeout     = "body_timeout"
	OptIdleTimeout     = "idle_timeout"
)

func init() {
	for _, o := range []config.OptionSpec{
		{Name: "Gateway", Type: config.StringType,
			Help: "one smarthost for a domain's mail, host or host:port; below Routes, above MSYSHOST_SMARTHOST"},
		{Name: "Remote_SMTP_Port", Type: config.IntType, Default: "25", Help: "port of routes that name none"},
		{Name: "TLS", Type: config.EnumType, Values: []string{"no", "ifavailable", "required"}, Default: "ifavailable",
			Help: "STARTTLS on SMTP out; Momentum's default is no, msyshost's ifavailable (TLS whenever offered, clear if it fails)"},
		{Name: "TLS_Verify", Type: config.EnumType, Values: []string{"no", "ca", "host", "optional"}, Default: "no",
			Help: "checking the server's certificate on SMTP out"},
		{Name: "TLS_CA", Type: config.StringType, Help: "PEM file of the authorities TLS_Verify trusts; default the system's"},
		{Name: "EHLO_Hostname", Type: config.StringType, Default: "__hostname__",
			Help: "the EHLO name of SMTP out: __hostname__, __message__ (the sender's domain) or a name"},
		{Name: "Connect_Timeout", Type: config.DurationType, Default: "30", Help: "SMTP out: time to connect (Momentum's default is 300)"},
		{Name: "EHLO_Timeout", Type: config.DurationType, Default: "300", Help: "SMTP out: time for the greeting and EHLO replies"},
		{Name: "Mailfrom_Timeout", Type: config.DurationType, Default: "300", Help: "SMTP out: time for the MAIL FROM reply"},
		{Name: "Rcptto_Timeout", Type: config.DurationType, Default: "300", Help: "SMTP out: time for the RCPT TO reply"},
		{Name: "Body_Timeout", Type: config.DurationType, Default: "600", Help: "SMTP out: time for the reply to the final dot"},
		{Name: "Idle_Timeout", Type: config.DurationType, Default: "5", Help: "SMTP out: how long an idle connection is kept for the next message"},
	} {
		o.Scopes = config.Fallback
		config.Declare(o)
	}
}

// TLS policies.
const (
	tlsNo          = "no"
	tlsIfAvailable = "ifavailable"
	tlsRequired    = "required"
)

// target is one place mail for a domain may go.
type target struct {
	host string // host name or IP; for mx routes, the domain whose MX to use
	port int
	mx   bool
	pref int
}

// params is everything one delivery reads from the config.
type params struct {
	routes   []target
	tls      string
	verify   string
	ca       *x509.CertPool
	caPath   string // TLS_CA, "" for RootCAs: connections are reused only under the same
	ehlo     string
	timeout  timeouts
	idle     time.Duration
	maxConns int // Max_Outbound_Connections of the domain
}

func (c *Client) params(cfg *config.Config, s config.Scope, domain, mailFrom string) (params, error) {
	p := params{
		tls:      tlsIfAvailable,
		verify:   "no",
		timeout:  timeouts{connect: 30 * time.Second, command: 300 * time.Second, body: 600 * time.Second},
		idle:     5 * time.Second,
		ca:       c.opts.RootCAs,
		maxConns: DefaultMaxOutboundConnections,
	}
	hostname := config.Hostname(cfg, c.opts.Hostname)
	p.ehlo = hostname
	get := func(name string) (config.Value, bool) {
		if cfg == nil {
			return config.Value{}, false
		}
		return cfg.Eval(s, name)
	}
	port := 25
	if v, ok := get(OptRemoteSMTPPort); ok {
		n, err := v.Int()
		if err != nil || n < 1 || n > 65535 {
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: expected a port, found %q", OptRemoteSMTPPort, v.String())}
		}
		port = n
	}
	if v, ok := get(OptRoutes); ok {
		for _, item := range v.List() {
			r, err := parseRoute(item, domain, port)
			if err != nil {
				return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %v", OptRoutes, err)}
			}
			p.routes = append(p.routes, r)
		}
		sort.SliceStable(p.routes, func(i, j int) bool { return p.routes[i].pref < p.routes[j].pref })
	} else if v, ok := get(OptGateway); ok {
		r, err := parseHostPort(v.String(), port)
		if err != nil {
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %v", OptGateway, err)}
		}
		p.routes = []target{r}
	} else if c.opts.Smarthost != "" {
		r, err := parseHostPort(c.opts.Smarthost, port)
		if err != nil {
			return p, fmt.Errorf("%s=%q: %w", SmarthostEnv, c.opts.Smarthost, err)
		}
		p.routes = []target{r}
	}
	if v, ok := get(OptTLS); ok {
		switch t := strings.ToLower(v.String()); t {
		case tlsNo, tlsIfAvailable, tlsRequired:
			p.tls = t
		default:
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: expected no, ifavailable or required, found %q", OptTLS, v.String())}
		}
	}
	if v, ok := get(OptTLSVerify); ok {
		switch t := strings.ToLower(v.String()); t {
		case "no", "ca", "host", "optional":
			p.verify = t
		default:
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: expected no, ca, host or optional, found %q", OptTLSVerify, v.String())}
		}
	}
	if v, ok := get(OptTLSCA); ok {
		pool, err := c.cas.pool(v.String())
		if err != nil {
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %v", OptTLSCA, err)}
		}
		p.ca, p.caPath = pool, v.String()
	}
	if v, ok := get(config.MaxOutboundConnections); ok {
		n, err := v.Int()
		if err != nil || n < 1 {
			return p, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("Max_Outbound_Connections: expected a positive number, found %q", v.String())}
		}
		p.maxConns = n
	}
	if v, ok := get(OptEHLOHostname); ok {
		switch n := v.String(); strings.ToLower(n) {
		case "__hostname__":
		case "__message__":
			if d := message.DomainOf(mailFrom); d != "" {
				p.ehlo = d
			}
		default:
			p.ehlo = n
		}
	}
	durs := []struct {
		name string
		dst  *time.Duration
	}{
		{OptConnectTimeout, &p.timeout.connect}, {OptBodyTimeout, &p.timeout.body}, {OptIdleTimeout, &p.idle},
	}
	var cmdSet bool
	for _, name := range []string{OptEHLOTimeout, OptMailfromTimeout, OptRcpttoTimeout} {
		if v, ok := get(name); ok {
			d, err := v.Duration()
			if err != nil {
				return p, err
			}
			if !cmdSet || d > p.timeout.command {
				p.timeout.command, cmdSet = d, true
			}
		}
	}
	for _, d := range durs {
		if v, ok := get(d.name); ok {
			x, err := v.Duration()
			if err != nil {
				return p, err
			}
			*d.dst = x
		}
	}
	return p, nil
}

// parseRoute reads one Routes entry.
func parseRoute(item, domain string, port int) (target, error) {
	if item == "__mx__" {
		return target{host: domain, port: port, mx: true}, nil
	}
	if !strings.Contains(item, "://") {
		return parseHostPort(item, port)
	}
	u, err := url.Parse(item)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return target{}, fmt.Errorf("%q is not __mx__, a host or smtp://host?port=N", item)
	}
	r, err := parseHostPort(u.Host, port)
	if err != nil {
		return target{}, err
	}
	q := u.Query()
	if p := q.Get("port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return target{}, fmt.Errorf("%q: bad port %q", item, p)
		}
		r.port = n
	}
	if p := q.Get("pref"); p != "" {
		if r.pref, err = strconv.Atoi(p); err != nil {
			return target{}, fmt.Errorf("%q: bad pref %q", item, p)
		}
	}
	switch t := strings.ToLower(q.Get("type")); t {
	case "", "a":
	case "mx":
		r.mx = true
	default:
		return target{}, fmt.Errorf("%q: type must be mx or a, found %q", item, t)
	}
	return r, nil
}

// parseHostPort reads "host", "host:port", "[v6]" or "[v6]:port".
func parseHostPort(s string, port int) (target, error) {
	if s == "" {
		return target{}, fmt.Errorf("empty host")
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || h == "" || strings.ContainsFunc(h, badHostRune) {
			return target{}, fmt.Errorf("%q is not host:port", s)
		}
		return target{host: h, port: n}, nil
	}
	h := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if h == "" || strings.ContainsFunc(h, badHostRune) || strings.Count(h, ":") == 1 {
		return target{}, fmt.Errorf("%q is not a host or host:port", s)
	}
	return target{host: h, port: port}, nil
}

// badHostRune is what no host name or address literal holds.
func badHostRune(r rune) bool {
	return r <= ' ' || r == 0x7f || strings.ContainsRune("[]/\\@?#", r)
}

// tlsConfig is the client side of STARTTLS for a server named host.
func (p params) tlsConfig(host string, warn func(error)) *tls.Config {
	cfg := &tls.Config{ServerName: host, RootCAs: p.ca, MinVersion: tls.VersionTLS12}
	switch p.verify {
	case "host":
	case "no":
		// Opportunistic TLS (RFC 7435): encrypt against passive reading,
		// as Momentum's TLS_Verify = no does; most MX certificates would
		// not verify.
		cfg.InsecureSkipVerify = true
	case "ca", "optional":
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			opts := x509.VerifyOptions{Roots: p.ca, Intermediates: x509.NewCertPool()}
			if p.verify == "optional" {
				opts.DNSName = host
			}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			if err != nil && p.verify == "optional" {
				warn(err)
				return nil
			}
			return err
		}
	}
	return cfg
}

// caCache keeps the pools of TLS_CA files, read again only when a file
// changes (its size or modification time), so a delivery does not read
// and parse a PEM file each time.
type caCache struct {
	mu    sync.Mutex
	files map[string]caFile
}

type caFile struct {
	mod  time.Time
	size int64
	pool *x509.CertPool
}

func (cc *caCache) pool(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if f, ok := cc.files[path]; ok && f.mod.Equal(fi.ModTime()) && f.size == fi.Size() {
		return f.pool, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no PEM certificate in %s", path)
	}
	if cc.files == nil {
		cc.files = map[string]caFile{}
	}
	cc.files[path] = caFile{mod: fi.ModTime(), size: fi.Size(), pool: pool}
	return pool, nil
}
