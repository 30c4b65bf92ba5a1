package smtpserver

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/config"
)

// The ESMTP_Listener scope and the options SMTP in reads, with Momentum's
// names. Listener options may be set in ESMTP_Listener or in one of its
// Listen stanzas (which wins); Relay_Hosts may also be global.
var (
	optEnable = config.Declare(config.OptionSpec{Name: "Enable", Scopes: []string{"esmtp_listener", "listen"}, Type: config.BoolType, Default: "true",
		Help: "false leaves a listener, or one Listen address, closed"})
	optRelayHosts = config.Declare(config.OptionSpec{Name: "Relay_Hosts", Scopes: []string{config.GlobalScope, "esmtp_listener", "listen"}, Type: config.ListType,
		Help: "client networks (CIDR) that may send to any domain; default loopback only (127.0.0.0/8 ::1): a list replaces it"})
	optOpenRelay = config.Declare(config.OptionSpec{Name: "Open_Relay", Scopes: []string{"esmtp_listener", "listen"}, Type: config.BoolType, Default: "false",
		Help: "every client may send to any domain: only behind your own filtering"})
	optRelayDomains = config.Declare(config.OptionSpec{Name: "Relay_Domains", Scopes: []string{config.GlobalScope}, Type: config.ListType,
		Help: "recipient domains any client may send to (\"*.example.com\" matches subdomains)"})
	optMaxMessageSize = config.Declare(config.OptionSpec{Name: "Max_Message_Size", Scopes: []string{"esmtp_listener", "listen"}, Type: config.IntType, Default: "20971520",
		Help: "largest message in bytes (552 5.3.4 beyond; advertised with SIZE); 0 is no limit. Momentum's default is 0; msyshost holds a message in memory while it spools it"})
	optMaxRecipients = config.Declare(config.OptionSpec{Name: "Max_Recipients_Per_Message", Scopes: []string{"esmtp_listener", "listen"}, Type: config.IntType, Default: "100",
		Help: "most recipients of one message (452 4.5.3 beyond; the client sends the rest in another transaction); 0 is no limit. Momentum's default is 0"})
	optMaxLineLength = config.Declare(config.OptionSpec{Name: "Max_Line_Length", Scopes: []string{"esmtp_listener", "listen"}, Type: config.IntType, Default: "65536",
		Help: "msyshost's own: longest command or message line in bytes (500 and the connection closes beyond)"})
	optIdleTime = config.Declare(config.OptionSpec{Name: "Idle_Time", Scopes: []string{"esmtp_listener", "listen"}, Type: config.DurationType, Default: "300",
		Help: "a client silent this long is disconnected with 421 4.4.2; 0 never (Momentum's default is 0, its shipped config 300)"})
	optListenerSessions = config.Declare(config.OptionSpec{Name: "Listener_Sessions", Scopes: []string{"esmtp_listener", "listen"}, Type: config.IntType, Default: "1000",
		Help: "most connections at once (421 4.4.5 beyond); 0 is no limit. Momentum's default is 0"})
	optSessionsPerIP = config.Declare(config.OptionSpec{Name: "Listener_Sessions_Per_IP", Scopes: []string{"esmtp_listener", "listen"}, Type: config.IntType, Default: "50",
		Help: "msyshost's own: most connections at once from one client address (421 4.7.0 beyond); 0 is no limit"})
	optDataTimeout = config.Declare(config.OptionSpec{Name: "Data_Timeout", Scopes: []string{"esmtp_listener", "listen"}, Type: config.DurationType, Default: "600",
		Help: "msyshost's own: the longest a client may take to send one message, DATA to the final dot (421 4.4.2 beyond), however often it sends a little; 0 never"})
	optTLSCertificate = config.Declare(config.OptionSpec{Name: "TLS_Certificate", Scopes: []string{config.GlobalScope, "esmtp_listener", "listen"}, Type: config.StringType,
		Help: "PEM certificate file; with TLS_Key, STARTTLS is offered"})
	optTLSKey = config.Declare(config.OptionSpec{Name: "TLS_Key", Scopes: []string{config.GlobalScope, "esmtp_listener", "listen"}, Type: config.StringType,
		Help: "PEM private key file of TLS_Certificate"})
	optAuthPlain = config.Declare(config.OptionSpec{Name: "AuthPlainParameters", Scopes: []string{"esmtp_listener", "listen"}, Type: config.DictType,
		Help: "[ uri = \"file:///path\" ]: SMTP AUTH PLAIN against a file of user:password lines, over TLS or from loopback"})
	optAuthLogin = config.Declare(config.OptionSpec{Name: "AuthLoginParameters", Scopes: []string{"esmtp_listener", "listen"}, Type: config.DictType,
		Help: "[ uri = \"file:///path\" ]: SMTP AUTH LOGIN, as AuthPlainParameters"})
	optSMTPExtensions = config.Declare(config.OptionSpec{Name: "SMTP_Extensions", Scopes: []string{"esmtp_listener", "listen"}, Type: config.ListType,
		Help: "when it lists \"AUTH <mech>\" entries, only those mechanisms are offered; the other extensions are always on"})
	optGenerateBouncesMultiRcpt = config.Declare(config.OptionSpec{Name: "Generate_Bounces_For_Multi_Recipient_Policy_Rejections", Scopes: []string{config.GlobalScope}, Type: config.BoolType, Default: "true",
		Help: "bounce the recipients policy refused in data_spool_each_rcpt when others were accepted"})
)

func init() {
	config.DeclareScope(config.ScopeSpec{Kind: "ESMTP_Listener", Parents: []string{config.GlobalScope}, Name: config.NameForbidden,
		Help: "SMTP in: ESMTP_Listener { Listen \"127.0.0.1:2525\" { } }; without a Listen stanza 127.0.0.1:2525"})
}

// DefaultAddr is where SMTP in listens when ESMTP_Listener names no Listen.
const DefaultAddr = "127.0.0.1:2525"

// Listen is the settings of one listening address.
type Listen struct {
	Addr           string
	RelayHosts     []netip.Prefix
	OpenRelay      bool
	RelayDomains   []string
	MaxMessageSize int64
	MaxRecipients  int
	MaxLineLength  int
	IdleTime       time.Duration
	Sessions       int
	SessionsPerIP  int
	DataTimeout    time.Duration
	TLS            *tls.Config
	// Users are the credentials of SMTP AUTH, by user; Mechanisms the
	// mechanisms offered (PLAIN, LOGIN).
	Users      map[string]string
	Mechanisms []string
	// BounceRejected is Generate_Bounces_For_Multi_Recipient_Policy_Rejections.
	BounceRejected bool
}

// loopback is who may relay when Relay_Hosts is not set.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// ListensOf reads the ESMTP_Listener scope of cfg: one Listen per
// address, or none when the config has no ESMTP_Listener (SMTP in is off)
// or it is disabled. Errors name where the bad value was set.
func ListensOf(cfg *config.Config) ([]Listen, error) {
	scopes := cfg.Root().Scopes("ESMTP_Listener")
	if len(scopes) == 0 {
		return nil, nil
	}
	if len(scopes) > 1 {
		return nil, &config.Error{Pos: scopes[1].Pos, Msg: fmt.Sprintf("ESMTP_Listener is a singleton: a second one (the first is at %s)", scopes[0].Pos)}
	}
	lst := scopes[0]
	enable, _ := optEnable.In(lst)
	if on, err := enable.Bool(); err != nil || !on {
		return nil, err
	}
	listens := lst.Scopes("Listen")
	if len(listens) == 0 {
		listens = []*config.Node{{Kind: "Listen", Name: DefaultAddr, Named: true, Pos: lst.Pos}}
	}
	var out []Listen
	for _, n := range listens {
		l, on, err := readListen(cfg, lst, n)
		if err != nil {
			return nil, err
		}
		if on {
			out = append(out, l)
		}
	}
	return out, nil
}

// value reads an option set in the Listen stanza, else in the listener,
// else (global options) at the top level, else its default.
func value(cfg *config.Config, lst, n *config.Node, o *config.OptionSpec) (config.Value, bool) {
	for _, s := range []*config.Node{n, lst, cfg.Root()} {
		if opt, ok := s.Get(o.Name); ok {
			return opt.Value, true
		}
	}
	return o.In(nil)
}

func readListen(cfg *config.Config, lst, n *config.Node) (Listen, bool, error) {
	l := Listen{Addr: n.Name, RelayHosts: loopback}
	var errs []error
	num := func(o *config.OptionSpec) int {
		v, _ := value(cfg, lst, n, o)
		x, err := v.Int()
		if err == nil && x < 0 {
			err = &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: must not be negative, found %d", o.Name, x)}
		}
		if err != nil {
			errs = append(errs, err)
		}
		return x
	}
	boolean := func(o *config.OptionSpec) bool {
		v, _ := value(cfg, lst, n, o)
		x, err := v.Bool()
		if err != nil {
			errs = append(errs, err)
		}
		return x
	}
	if !boolean(optEnable) {
		return l, false, nil
	}
	addr, err := listenAddr(n.Name)
	if err != nil {
		return l, false, &config.Error{Pos: n.Pos, Msg: fmt.Sprintf("Listen %q: %v", n.Name, err)}
	}
	l.Addr = addr
	l.OpenRelay = boolean(optOpenRelay)
	l.MaxMessageSize = int64(num(optMaxMessageSize))
	l.MaxRecipients = num(optMaxRecipients)
	l.MaxLineLength = num(optMaxLineLength)
	l.Sessions = num(optListenerSessions)
	l.SessionsPerIP = num(optSessionsPerIP)
	l.BounceRejected = boolean(optGenerateBouncesMultiRcpt)
	for _, d := range []struct {
		o   *config.OptionSpec
		dst *time.Duration
	}{{optIdleTime, &l.IdleTime}, {optDataTimeout, &l.DataTimeout}} {
		if v, ok := value(cfg, lst, n, d.o); ok {
			if *d.dst, err = v.Duration(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if v, ok := value(cfg, lst, n, optRelayHosts); ok {
		l.RelayHosts = nil
		for _, item := range v.List() {
			p, err := parsePrefix(item)
			if err != nil {
				errs = append(errs, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("Relay_Hosts: %v", err)})
				continue
			}
			l.RelayHosts = append(l.RelayHosts, p)
		}
	}
	if v, ok := value(cfg, lst, n, optRelayDomains); ok {
		for _, d := range v.List() {
			l.RelayDomains = append(l.RelayDomains, strings.ToLower(d))
		}
	}
	if l.TLS, err = tlsOf(cfg, lst, n); err != nil {
		errs = append(errs, err)
	}
	if l.Users, l.Mechanisms, err = authOf(cfg, lst, n); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return l, false, errs[0]
	}
	return l, true, nil
}

// listenAddr reads Momentum's Listen names: "host:port", ":port" (here
// 127.0.0.1: msyshost listens on loopback unless told an address).
func listenAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("expected host:port or :port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host == "" || host == "*" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// parsePrefix reads a CIDR block or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a CIDR block", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func tlsOf(cfg *config.Config, lst, n *config.Node) (*tls.Config, error) {
	cv, hasCert := value(cfg, lst, n, optTLSCertificate)
	kv, hasKey := value(cfg, lst, n, optTLSKey)
	switch {
	case !hasCert && !hasKey:
		return nil, nil
	case !hasCert || !hasKey:
		pos := cv.Pos()
		if !hasCert {
			pos = kv.Pos()
		}
		return nil, &config.Error{Pos: pos, Msg: "STARTTLS needs both TLS_Certificate and TLS_Key"}
	}
	cert, err := tls.LoadX509KeyPair(cv.String(), kv.String())
	if err != nil {
		return nil, &config.Error{Pos: cv.Pos(), Msg: fmt.Sprintf("TLS_Certificate/TLS_Key: %v", err)}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// authOf reads the credentials of AuthPlainParameters and
// AuthLoginParameters (`uri = "file:///path"`: lines of user:password,
// '#' starts a comment, as Momentum's file:// scheme).
func authOf(cfg *config.Config, lst, n *config.Node) (map[string]string, []string, error) {
	users := map[string]string{}
	var mechs []string
	allowed := map[string]bool{}
	if v, ok := value(cfg, lst, n, optSMTPExtensions); ok {
		for _, e := range v.List() {
			if f := strings.Fields(strings.ToUpper(e)); len(f) >= 2 && f[0] == "AUTH" {
				for _, m := range f[1:] {
					allowed[m] = true
				}
			}
		}
	}
	for _, a := range []struct {
		mech string
		opt  *config.OptionSpec
	}{{"PLAIN", optAuthPlain}, {"LOGIN", optAuthLogin}} {
		v, ok := value(cfg, lst, n, a.opt)
		if !ok || (len(allowed) > 0 && !allowed[a.mech]) {
			continue
		}
		uri := v.Dict()["uri"]
		path, found := strings.CutPrefix(uri, "file://")
		if !found || path == "" {
			return nil, nil, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: uri must be file:///path/to/passwords, found %q", a.opt.Name, uri)}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %v", a.opt.Name, err)}
		}
		file, err := parsePasswords(data)
		if err != nil {
			return nil, nil, &config.Error{Pos: v.Pos(), Msg: fmt.Sprintf("%s: %s: %v", a.opt.Name, path, err)}
		}
		for u, p := range file {
			users[u] = p
		}
		mechs = append(mechs, a.mech)
	}
	return users, mechs, nil
}

// parsePasswords reads user:password lines; blank lines and lines starting
// with '#' are skipped. The password runs to the end of the line, colons
// included.
func parsePasswords(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, pass, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d: expected user:password", i+1)
		}
		out[user] = pass
	}
	return out, nil
}
