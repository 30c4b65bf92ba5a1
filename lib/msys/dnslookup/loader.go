// Package dnslookup is msys.dnsLookup, a function of the msys namespace
// that needs no require: a real DNS query through the resolver the
// assembly configures (Config), under the hook's deadline.
package dnslookup

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"

	"github.com/miekg/dns"
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Config is the resolver msys.dnsLookup uses. Without it, /etc/resolv.conf.
var Config = luahost.NewService[Source]("DNS resolver")

var systemResolver = ResolvConf(func() string { return "/etc/resolv.conf" }, nil)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.dnsLookup", Notes: map[string]string{
		"msys.dnsLookup": "synchronous under the hook's deadline (Momentum suspends the session); no dns_cache: " +
			"each call asks the resolver Resolv_Conf names",
	}, Open: func(L *lua.LState) lua.LValue {
		msys := L.GetGlobal("msys").(*lua.LTable)
		msys.RawSetString("dnsLookup", L.NewFunction(luahost.Func("dnsLookup", lookup, luahost.Replay)))
		return nil
	}})
}

// recordTypes are the types Momentum documents.
var recordTypes = map[string]uint16{
	"A": dns.TypeA, "AAAA": dns.TypeAAAA, "TXT": dns.TypeTXT,
	"MX": dns.TypeMX, "PTR": dns.TypePTR, "NS": dns.TypeNS,
}

// msys.dnsLookup(name [, recordtype [, {priority=bool, server="addr"}]])
// → a table of results, or nil and an error message.
//
// The results are strings in the order of the answer; MX records are
// ordered by preference (best first, the answer's order among equals) and,
// with priority = true, are {preference, host} pairs. TXT records give
// their strings joined; host names come without the final dot. PTR given
// an IP address asks for its reverse name. An unknown record type raises
// an error (the SMTP session then answers 421).
func lookup(a luahost.Args) int {
	name := a.String(1)
	typ := strings.ToUpper(a.OptString(2, "A"))
	qtype, ok := recordTypes[typ]
	if !ok {
		a.Raise("msys.dnsLookup: invalid record type '%s' (expected A, AAAA, TXT, MX, PTR or NS)", a.String(2))
	}
	var priority bool
	var server string
	if opts := a.OptTable(3); opts != nil {
		priority = lua.LVAsBool(opts.RawGetString("priority"))
		if v := opts.RawGetString("server"); v != lua.LNil {
			s, ok := luahost.ToString(v)
			if !ok {
				a.Raise("msys.dnsLookup: option 'server' must be a string, got %s", v.Type())
			}
			server = s
		}
	}
	qname, err := queryName(name, qtype)
	if err != nil {
		return a.Failf("%s %s: %v", name, typ, err)
	}
	r, err := resolver(a.L, server)
	if err != nil {
		return a.Failf("%s %s: %v", name, typ, err)
	}
	ctx := a.L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	rrs, err := r.Exchange(ctx, qname, qtype)
	if err != nil {
		return a.Failf("%s %s: %v", name, typ, err)
	}
	return a.Push(results(a.L, rrs, priority))
}

// queryName makes name absolute; for PTR an IP address becomes its
// in-addr.arpa or ip6.arpa name.
func queryName(name string, qtype uint16) (string, error) {
	if qtype == dns.TypePTR && net.ParseIP(name) != nil {
		return dns.ReverseAddr(name)
	}
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return "", errors.New("not a valid domain name")
	}
	return dns.Fqdn(name), nil
}

// resolver is the configured one, or a single server given in the call's
// options ("host" or "host:port").
func resolver(L *lua.LState, server string) (Resolver, error) {
	src, ok := Config.Get(L)
	if !ok || src == nil {
		src = systemResolver
	}
	r, err := src()
	if server == "" {
		return r, err
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	r.Servers = []string{server}
	return r, nil
}

func results(L *lua.LState, rrs []dns.RR, priority bool) *lua.LTable {
	if _, mx := rrs[0].(*dns.MX); mx {
		sort.SliceStable(rrs, func(i, j int) bool {
			return rrs[i].(*dns.MX).Preference < rrs[j].(*dns.MX).Preference
		})
	}
	t := L.CreateTable(len(rrs), 0)
	for _, rr := range rrs {
		var v lua.LValue
		switch x := rr.(type) {
		case *dns.A:
			v = lua.LString(x.A.String())
		case *dns.AAAA:
			v = lua.LString(x.AAAA.String())
		case *dns.TXT:
			var b []byte
			for _, part := range x.Txt {
				b = unescape(b, part)
			}
			v = lua.LString(b)
		case *dns.PTR:
			v = lua.LString(host(x.Ptr))
		case *dns.NS:
			v = lua.LString(host(x.Ns))
		case *dns.MX:
			v = lua.LString(host(x.Mx))
			if priority {
				pair := L.CreateTable(2, 0)
				pair.Append(lua.LNumber(x.Preference))
				pair.Append(v)
				v = pair
			}
		}
		t.Append(v)
	}
	return t
}

func host(fqdn string) string {
	if fqdn == "." {
		return fqdn
	}
	return strings.TrimSuffix(fqdn, ".")
}

// unescape undoes miekg/dns's presentation escaping of a TXT string
// (\" and \\ for themselves, \DDD for other bytes), giving the octets
// the server sent.
func unescape(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			b = append(b, (s[i+1]-'0')*100+(s[i+2]-'0')*10+(s[i+3]-'0'))
			i += 3
			continue
		}
		b = append(b, s[i+1])
		i++
	}
	return b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
