package smtpclient

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"msyshost/lib/smtpclient/smtpsink"
	"msyshost/lib/status"
)

// dnsServer is an authoritative server on 127.0.0.1 answering from zone
// (owner name → records) and NXDOMAIN for any other name, as a real one
// does; names it knows without records of the asked type get an empty
// answer (NODATA).
func dnsServer(t *testing.T, zone map[string][]string) *net.Resolver {
	t.Helper()
	records := map[string][]dns.RR{}
	for name, rrs := range zone {
		for _, text := range rrs {
			rr, err := dns.NewRR(dns.Fqdn(name) + " 300 IN " + text)
			if err != nil {
				t.Fatal(err)
			}
			records[dns.Fqdn(name)] = append(records[dns.Fqdn(name)], rr)
		}
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		rrs, known := records[strings.ToLower(q.Name)]
		if !known {
			m.Rcode = dns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// TestMXDelivery resolves MX hosts through a DNS server: the best MX that
// answers takes the mail, an unreachable better one is skipped, a domain
// without MX is its own, a null MX and a domain that does not exist are
// permanent failures.
func TestMXDelivery(t *testing.T) {
	s := sink(t, smtpsink.Options{})
	_, port, _ := net.SplitHostPort(s.Addr)
	res := dnsServer(t, map[string][]string{
		"example.test":     {"MX 10 mx1.example.test.", "MX 20 mx2.example.test."},
		"mx1.example.test": {"A 127.0.0.3"}, // nothing listens there
		"mx2.example.test": {"A 127.0.0.1"},
		"nomx.test":        {"A 127.0.0.1"},
		"nullmx.test":      {"MX 0 ."},
	})
	c := client(t, Options{Resolver: res, Config: cfgOf(t, `Routes = ( "__mx__" )
Remote_SMTP_Port = `+port+`
Connect_Timeout = 2s`)})
	for _, to := range []string{"u@example.test", "u@nomx.test"} {
		if err := deliver(c, "a@example.com", to, body); err != nil {
			t.Fatalf("%s: %v", to, err)
		}
	}
	if msgs := s.Messages(); len(msgs) != 2 || msgs[0].To[0] != "u@example.test" || msgs[1].To[0] != "u@nomx.test" {
		t.Fatalf("arrived %+v", msgs)
	}
	for _, tc := range []struct{ to, enhanced string }{
		{"u@nullmx.test", "5.1.10"},
		{"u@nowhere.test", "5.1.2"},
	} {
		err := deliver(c, "a@example.com", tc.to, body)
		if st, ok := status.Of(err); !ok || st.Temporary || st.Enhanced != tc.enhanced {
			t.Errorf("%s: %v, want permanent %s", tc.to, err, tc.enhanced)
		}
	}
}
