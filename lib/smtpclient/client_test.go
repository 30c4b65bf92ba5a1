package smtpclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/smtpclient/smtpsink"
	"msyshost/lib/status"
	"msyshost/lib/tlstest"
)

func sink(t *testing.T, opts smtpsink.Options) *smtpsink.Sink {
	t.Helper()
	s, err := smtpsink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func cfgOf(t *testing.T, text string) func() *config.Config {
	t.Helper()
	cfg, err := config.Parse("out.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return func() *config.Config { return cfg }
}

func client(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.Hostname == "" {
		opts.Hostname = "msyshost.test"
	}
	c := New(opts)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	return c
}

const body = "Subject: hello\r\n\r\nfirst line\r\n.a line starting with a dot\r\n.\r\nlast\r\n"

func deliver(c *Client, from, to, raw string) error {
	return c.Deliver(context.Background(), message.FromRaw(from, to, []byte(raw)))
}

// TestSmarthostDelivery checks the envelope and the content arrive as sent
// (dot-stuffing undone by the server), and that one connection carries
// several messages.
func TestSmarthostDelivery(t *testing.T) {
	s := sink(t, smtpsink.Options{})
	c := client(t, Options{Smarthost: s.Addr})
	for i := range 5 {
		if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	msgs, _ := s.Wait(5, time.Second)
	if len(msgs) != 5 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	m := msgs[0]
	if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.net" || string(m.Data) != body || m.Helo != "msyshost.test" {
		t.Fatalf("arrived %+v %q", m, m.Data)
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("5 messages took %d connections, want 1 (reuse)", n)
	}
}

// TestRepliesMapped checks server refusals become statuses with the code,
// enhanced code and text, 4xx temporary and 5xx permanent, and that the
// connection is reset and reused after one.
func TestRepliesMapped(t *testing.T) {
	s := sink(t, smtpsink.Options{
		Rcpt: func(to string) error {
			switch to {
			case "nobody@example.net":
				return smtpsink.Reply(550, [3]int{5, 1, 1}, "no such user here")
			case "full@example.net":
				return smtpsink.Reply(452, [3]int{4, 2, 2}, "mailbox full")
			}
			return nil
		},
		Mail: func(from string) error {
			if from == "spammer@example.com" {
				return smtpsink.Reply(553, [3]int{5, 7, 1}, "sender refused")
			}
			return nil
		},
		Data: func(m *smtpsink.Message) error {
			if strings.Contains(string(m.Data), "virus") {
				return smtpsink.Reply(554, [3]int{5, 7, 1}, "content rejected")
			}
			return nil
		},
	})
	c := client(t, Options{Smarthost: s.Addr})
	for _, tc := range []struct {
		from, to, raw string
		code          int
		enhanced      string
		temporary     bool
		text          string
	}{
		{"a@example.com", "nobody@example.net", body, 550, "5.1.1", false, "no such user here"},
		{"a@example.com", "full@example.net", body, 452, "4.2.2", true, "mailbox full"},
		{"spammer@example.com", "b@example.net", body, 553, "5.7.1", false, "sender refused"},
		{"a@example.com", "b@example.net", "Subject: virus\r\n\r\n", 554, "5.7.1", false, "content rejected"},
	} {
		err := deliver(c, tc.from, tc.to, tc.raw)
		st, ok := status.Of(err)
		if !ok || st.Protocol != status.SMTP || st.Code != tc.code || st.Enhanced != tc.enhanced || st.Temporary != tc.temporary || st.Text != tc.text {
			t.Errorf("%s -> %s: %v, want %d %s %q", tc.from, tc.to, err, tc.code, tc.enhanced, tc.text)
		}
	}
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("%d connections; a refusal must leave the connection usable", n)
	}
}

// TestUnreachableAndStalling checks a refused connection and a server that
// never answers the final dot are temporary failures, the second within
// body_timeout.
func TestUnreachableAndStalling(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	c := client(t, Options{Smarthost: closed})
	err = deliver(c, "a@example.com", "b@example.net", body)
	if st, ok := status.Of(err); !ok || !st.Temporary || st.Enhanced != "4.4.1" {
		t.Fatalf("refused connection: %v", err)
	}

	var s *smtpsink.Sink
	s = sink(t, smtpsink.Options{Data: func(*smtpsink.Message) error { return s.Stall() }})
	c = client(t, Options{Smarthost: s.Addr, Config: cfgOf(t, "body_timeout = 300ms")})
	start := time.Now()
	err = deliver(c, "a@example.com", "b@example.net", body)
	if st, ok := status.Of(err); !ok || !st.Temporary || !strings.Contains(st.Text, "timed out") {
		t.Fatalf("stalled server: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %v, want about body_timeout", d)
	}
}

// TestHeldWithoutRoute checks mail with no smarthost and no route is held:
// a temporary status saying what to configure.
func TestHeldWithoutRoute(t *testing.T) {
	c := client(t, Options{})
	err := deliver(c, "a@example.com", "b@example.net", body)
	st, ok := status.Of(err)
	if !ok || !st.Temporary || !strings.Contains(st.Text, "held") || !strings.Contains(st.Text, SmarthostEnv) || !strings.Contains(st.Text, "__mx__") {
		t.Fatalf("no route: %v", err)
	}
}

// TestGatewayPerDomain checks Gateway and Routes in a domain scope win
// over the smarthost, which serves the other domains.
func TestGatewayPerDomain(t *testing.T) {
	a := sink(t, smtpsink.Options{})
	b := sink(t, smtpsink.Options{})
	_, bport, _ := net.SplitHostPort(b.Addr)
	c := client(t, Options{Smarthost: a.Addr, Config: cfgOf(t, `
Domain "via-gateway.example" { Gateway = "`+b.Addr+`" }
Domain "via-routes.example" { Routes = ( "smtp://127.0.0.1?port=`+bport+`" ) }
`)})
	for _, to := range []string{"x@via-gateway.example", "x@via-routes.example", "x@other.example"} {
		if err := deliver(c, "a@example.com", to, body); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.Messages()) != 1 || a.Messages()[0].To[0] != "x@other.example" || len(b.Messages()) != 2 {
		t.Fatalf("smarthost got %v, gateway got %v", a.Messages(), b.Messages())
	}
}

// TestSTARTTLS checks TLS is used when offered, not when TLS = no, that
// TLS = required refuses a server without it, that TLS = ifavailable
// delivers in clear when the handshake fails, and that it does not when
// the failure is a certificate check TLS_Verify asked for (before the fix
// an untrusted certificate under TLS_Verify = host meant cleartext).
func TestSTARTTLS(t *testing.T) {
	sc := tlstest.New(t, "sink.test", "127.0.0.1")
	cert, pool := sc.TLS, sc.Pool
	tlsSink := sink(t, smtpsink.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	plain := sink(t, smtpsink.Options{})

	c := client(t, Options{Smarthost: tlsSink.Addr})
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	c = client(t, Options{Smarthost: tlsSink.Addr, Config: cfgOf(t, "TLS = no")})
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	c = client(t, Options{Smarthost: tlsSink.Addr, RootCAs: pool, Config: cfgOf(t, "TLS = required\nTLS_Verify = host")})
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	msgs := tlsSink.Messages()
	if len(msgs) != 3 || !msgs[0].TLS || msgs[1].TLS || !msgs[2].TLS {
		t.Fatalf("TLS use per message: %+v", msgs)
	}

	c = client(t, Options{Smarthost: plain.Addr, Config: cfgOf(t, "TLS = required")})
	err := deliver(c, "a@example.com", "b@example.net", body)
	if st, ok := status.Of(err); !ok || !st.Temporary || st.Enhanced != "4.7.5" {
		t.Fatalf("TLS required, not offered: %v", err)
	}

	// No RootCAs: the self-signed certificate does not verify.
	for _, verify := range []string{"host", "ca"} {
		c = client(t, Options{Smarthost: tlsSink.Addr, Config: cfgOf(t, "TLS = ifavailable\nTLS_Verify = "+verify)})
		err = deliver(c, "a@example.com", "b@example.net", body)
		if st, ok := status.Of(err); !ok || !st.Temporary || st.Enhanced != "4.7.5" {
			t.Fatalf("ifavailable, TLS_Verify = %s, untrusted certificate: %v, want a temporary 4.7.5", verify, err)
		}
	}
	if msgs := tlsSink.Messages(); len(msgs) != 3 {
		t.Fatalf("a certificate that failed its check still let %d messages through", len(msgs)-3)
	}
	// A handshake that fails for another reason (the server speaks only
	// TLS 1.1, below the client's floor): ifavailable delivers in clear.
	picky := sink(t, smtpsink.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS11}})
	c = client(t, Options{Smarthost: picky.Addr, Config: cfgOf(t, "TLS = ifavailable")})
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatalf("ifavailable with a failing handshake: %v", err)
	}
	if msgs := picky.Messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("fallback message: %+v", msgs)
	}
	c = client(t, Options{Smarthost: tlsSink.Addr, Config: cfgOf(t, "TLS = required\nTLS_Verify = host")})
	if err := deliver(c, "a@example.com", "b@example.net", body); err == nil {
		t.Fatal("TLS required with an untrusted certificate delivered")
	}
}

// TestParseReply checks enhanced codes are split off every line only when
// they are well formed and of the reply's class.
func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		code           int
		msg, enh, text string
	}{
		{250, "2.0.0 Ok: queued as 1234", "2.0.0", "Ok: queued as 1234"},
		{550, "5.1.1 <x@y>: user unknown\n5.1.1 see the docs", "5.1.1", "<x@y>: user unknown\nsee the docs"},
		{550, "4.1.1 wrong class", "", "4.1.1 wrong class"},
		{451, "4.3.0", "4.3.0", ""},
		{250, "mx.example.com Hello", "", "mx.example.com Hello"},
		{554, "5.7.1000 too long detail", "", "5.7.1000 too long detail"},
		{554, "5.+7.1 sign", "", "5.+7.1 sign"},
	} {
		r := parseReply(tc.code, tc.msg)
		if r.Enhanced != tc.enh || r.Text != tc.text {
			t.Errorf("%d %q: enhanced %q text %q, want %q %q", tc.code, tc.msg, r.Enhanced, r.Text, tc.enh, tc.text)
		}
	}
}

// FuzzReadReply feeds arbitrary server output to the reply reader: it must
// return a reply with a code in 200..599 or an error, never panic.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
		"550 5.1.1 unknown\r\n",
		"421-4.4.2 bye\r\n421 4.4.2 really\r\n",
		"999 x\r\n", "25", "250-a\r\n251 b\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := readReply(textproto.NewReader(bufio.NewReader(strings.NewReader(string(b)))))
		if err == nil && (r.Code < 200 || r.Code > 599) {
			t.Fatalf("reply code %d accepted", r.Code)
		}
		if err == nil && r.Enhanced != "" && !isEnhanced(r.Enhanced, r.Code) {
			t.Fatalf("enhanced code %q kept for %d", r.Enhanced, r.Code)
		}
	})
}

// TestParseRoute reads the Routes and Gateway forms Momentum documents.
func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want target
		err  bool
	}{
		{"__mx__", target{host: "example.org", port: 25, mx: true}, false},
		{"relay.example", target{host: "relay.example", port: 25}, false},
		{"relay.example:2525", target{host: "relay.example", port: 2525}, false},
		{"[::1]:587", target{host: "::1", port: 587}, false},
		{"[fe80::a00]", target{host: "fe80::a00", port: 25}, false},
		{"smtp://10.0.11.7?pref=10&port=26", target{host: "10.0.11.7", port: 26, pref: 10}, false},
		{"smtp://mx.example?type=mx", target{host: "mx.example", port: 25, mx: true}, false},
		{"smtp://h?port=99999", target{}, true},
		{"smtp://h?type=srv", target{}, true},
		{"apn://gateway.push.apple.com", target{}, true},
		{"host:port", target{}, true},
		{"", target{}, true},
	} {
		got, err := parseRoute(tc.in, "example.org", 25)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzParseRoute checks a Routes entry either parses to a usable target
// (a host and a port in range) or is an error, never a panic.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"__mx__", "smtp://h?port=26&pref=1&type=mx", "[::1]:25", "h:1", "smtp://[::1]:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRoute(s, "example.org", 25)
		if err == nil && (r.host == "" || r.port < 1 || r.port > 65535) {
			t.Fatalf("%q parsed to unusable %+v", s, r)
		}
	})
}
