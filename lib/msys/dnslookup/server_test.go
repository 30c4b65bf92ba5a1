package dnslookup_test

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// zone is what a test server answers: records by owner name, in the order
// it sends them. Modelled on an authoritative server (BIND, NSD):
//   - a name with no records at all is NXDOMAIN; a name with records of
//     other types is NOERROR with an empty answer (NODATA);
//   - a CNAME is followed inside the zone and the chain is put in the
//     answer before the target's records;
//   - over UDP the answer is cut at the client's EDNS buffer size (512
//     without EDNS) at a record boundary and the TC bit set, as
//     dns.Msg.Truncate does;
//   - servfail names answer SERVFAIL (a broken recursive server).
type zone struct {
	records  map[string][]dns.RR
	servfail bool // answer SERVFAIL to everything
}

func newZone(t testing.TB, rrs ...string) *zone {
	z := &zone{records: map[string][]dns.RR{}}
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("test zone record %q: %v", s, err)
		}
		name := strings.ToLower(rr.Header().Name)
		z.records[name] = append(z.records[name], rr)
	}
	return z
}

func (z *zone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if z.servfail || len(req.Question) != 1 {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	for hops := 0; hops < 8; hops++ {
		rrs, ok := z.records[name]
		if !ok {
			if hops == 0 {
				m.Rcode = dns.RcodeNameError
			}
			break
		}
		var next string
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			} else if c, ok := rr.(*dns.CNAME); ok && q.Qtype != dns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
				next = strings.ToLower(c.Target)
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// serve starts z on 127.0.0.1, UDP and TCP on one port, and returns the
// address.
func serve(t testing.TB, z *zone) string {
	t.Helper()
	for tries := 0; ; tries++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			pc.Close()
			if tries < 10 {
				continue
			}
			t.Fatal(err)
		}
		udp := &dns.Server{PacketConn: pc, Handler: z}
		tcp := &dns.Server{Listener: ln, Handler: z}
		go udp.ActivateAndServe()
		go tcp.ActivateAndServe()
		t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
		return addr
	}
}

// blackhole is a UDP address that reads queries and never answers (a
// firewalled or dead server).
func blackhole(t testing.TB) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}
