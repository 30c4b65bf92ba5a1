package smtpclient

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/smtpclient/smtpsink"
	"msyshost/lib/status"
	"msyshost/lib/tlstest"
)

// oldServer is an RFC 821-era server that offers only what ext lists
// (no 8BITMIME unless asked), accepts every message and keeps the bytes
// it read between DATA's 354 and the final dot, as they came on the wire.
type oldServer struct {
	addr string
	mu   sync.Mutex
	wire [][]byte
}

func startOldServer(t *testing.T, ext ...string) *oldServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := &oldServer{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go o.serve(c, ext)
		}
	}()
	return o
}

func (o *oldServer) serve(c net.Conn, ext []string) {
	defer c.Close()
	r := bufio.NewReader(c)
	c.Write([]byte("220 old.test ready\r\n"))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
		case "EHLO":
			reply := "250-old.test\r\n"
			for _, e := range ext {
				reply += "250-" + e + "\r\n"
			}
			c.Write([]byte(reply + "250 HELP\r\n"))
		case "DATA":
			c.Write([]byte("354 go ahead\r\n"))
			var data []byte
			for !bytes.HasSuffix(data, []byte("\r\n.\r\n")) {
				b, err := r.ReadByte()
				if err != nil {
					return
				}
				data = append(data, b)
			}
			o.mu.Lock()
			o.wire = append(o.wire, data)
			o.mu.Unlock()
			c.Write([]byte("250 2.0.0 queued\r\n"))
		case "QUIT":
			c.Write([]byte("221 bye\r\n"))
			return
		default:
			c.Write([]byte("250 2.0.0 ok\r\n"))
		}
	}
}

// TestNoSmuggling: a bare CR in a message (from a script, or an old
// spool) is sent as a line end, so "\r.\r\n" inside it is dot-stuffed and
// cannot end the message early at a server that takes a bare CR for a
// line end. Before the fix it went on the wire as it was.
func TestNoSmuggling(t *testing.T) {
	o := startOldServer(t, "8BITMIME")
	c := client(t, Options{Smarthost: o.addr})
	raw := "Subject: x\r\n\r\nfirst\r.\r\nMAIL FROM:<evil@example.com>\r\nlast\r\n"
	if err := deliver(c, "a@example.com", "b@example.net", raw); err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.wire) != 1 {
		t.Fatalf("%d messages on the wire", len(o.wire))
	}
	w := o.wire[0]
	for i, b := range w {
		if b == '\r' && (i+1 == len(w) || w[i+1] != '\n') {
			t.Fatalf("bare CR on the wire at %d: %q", i, w)
		}
	}
	if !bytes.Contains(w, []byte("first\r\n..\r\nMAIL FROM")) {
		t.Fatalf("the dot after the bare CR was not stuffed: %q", w)
	}
}

// TestEightBitNeeds8BITMIME: 8-bit content is not sent to a server that
// does not offer 8BITMIME (RFC 6152 3): a permanent 5.6.3. Before the fix
// it was sent all the same.
func TestEightBitNeeds8BITMIME(t *testing.T) {
	o := startOldServer(t)
	c := client(t, Options{Smarthost: o.addr})
	err := deliver(c, "a@example.com", "b@example.net", "Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n")
	if st, ok := status.Of(err); !ok || st.Temporary || st.Enhanced != "5.6.3" {
		t.Fatalf("8-bit message to a server without 8BITMIME: %v", err)
	}
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatalf("7-bit message: %v", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.wire) != 1 {
		t.Fatalf("%d messages reached the server, want the 7-bit one only", len(o.wire))
	}
}

// TestBrokenAfterDotNotResent: a reused connection that breaks after the
// final dot (the reply comes too late) fails the attempt; the message is
// not sent again at once on a fresh connection, which would make the
// server take it twice. Before the fix the server processed DATA 3 times
// for 2 messages.
func TestBrokenAfterDotNotResent(t *testing.T) {
	var n atomic.Int32
	s := sink(t, smtpsink.Options{Data: func(*smtpsink.Message) error {
		if n.Add(1) == 2 {
			time.Sleep(700 * time.Millisecond) // taken, but the reply is late
		}
		return nil
	}})
	c := client(t, Options{Smarthost: s.Addr, Config: cfgOf(t, "body_timeout = 300ms")})
	if err := deliver(c, "a@example.com", "first@example.net", body); err != nil {
		t.Fatal(err)
	}
	err := deliver(c, "a@example.com", "second@example.net", body)
	if st, ok := status.Of(err); !ok || !st.Temporary {
		t.Fatalf("reply to the dot timed out: %v, want a temporary failure", err)
	}
	time.Sleep(time.Second)
	if got := n.Load(); got != 2 {
		t.Fatalf("the server processed DATA %d times for 2 messages", got)
	}
}

// TestStaleConnectionReplaced: an idle connection the server closed is
// replaced by a fresh one and the message goes through.
func TestStaleConnectionReplaced(t *testing.T) {
	s := sink(t, smtpsink.Options{})
	c := client(t, Options{Smarthost: s.Addr, Config: cfgOf(t, "idle_timeout = 1m")})
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	for _, ss := range c.idle {
		for _, x := range ss {
			x.nc.Close() // the server went away while the connection idled
		}
	}
	c.mu.Unlock()
	if err := deliver(c, "a@example.com", "b@example.net", body); err != nil {
		t.Fatalf("delivery over a stale connection: %v", err)
	}
	if msgs, _ := s.Wait(2, time.Second); len(msgs) != 2 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
}

// TestTLSCAPartOfReuse: a connection verified against one domain's TLS_CA
// is not reused for a domain whose TLS_CA does not trust the server.
// Before the fix the second domain's mail went over the first's
// connection, unverified.
func TestTLSCAPartOfReuse(t *testing.T) {
	cert := tlstest.New(t, "sink.test", "127.0.0.1").TLS
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
	other := tlstest.New(t, "sink.test", "127.0.0.1").TLS
	bad := filepath.Join(dir, "other.pem")
	os.WriteFile(bad, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Certificate[0]}), 0o644)
	s := sink(t, smtpsink.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := client(t, Options{Smarthost: s.Addr, Config: cfgOf(t, `
TLS = required
TLS_Verify = ca
Idle_Timeout = 1m
Domain "trusting.example" { TLS_CA = "`+good+`" }
Domain "strict.example" { TLS_CA = "`+bad+`" }
`)})
	if err := deliver(c, "a@example.com", "x@trusting.example", body); err != nil {
		t.Fatal(err)
	}
	if err := deliver(c, "a@example.com", "x@strict.example", body); err == nil {
		t.Fatal("mail for a domain whose TLS_CA does not trust the server was delivered")
	}
}

// TestDeadServerCostsOneTimeout: deliveries to a server that does not
// answer do not each wait for it. While one finds out, the others are
// deferred (the spool offers them again, no attempt counted); once it is
// known down, a delivery fails at once without connecting. Before the fix
// every delivery waited its own timeout, so 16 messages for a dead MX took
// all 16 workers for up to 10 minutes.
func TestDeadServerCostsOneTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepted atomic.Int32
	go func() {
		var conns []net.Conn // held open, never greeted
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c)
		}
	}()
	c := client(t, Options{Smarthost: l.Addr().String(), Config: cfgOf(t, "EHLO_Timeout = 400ms")})
	var wg sync.WaitGroup
	var deferredN, failed atomic.Int32
	for range 6 {
		wg.Go(func() {
			err := deliver(c, "a@example.com", "b@dead.example", body)
			switch st, _ := status.Of(err); {
			case errors.Is(err, channel.ErrDeferred) && st != nil && st.Temporary:
				deferredN.Add(1)
			case st != nil && st.Temporary:
				failed.Add(1)
			default:
				t.Errorf("delivery to a dead server: %v", err)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 || deferredN.Load() != 5 || failed.Load() != 1 {
		t.Fatalf("6 deliveries at once: %d connections, %d deferred, %d failed; want 1, 5, 1", accepted.Load(), deferredN.Load(), failed.Load())
	}
	begin := time.Now()
	err = deliver(c, "a@example.com", "b@dead.example", body)
	if st, ok := status.Of(err); !ok || !st.Temporary || !strings.Contains(st.Text, "not tried") || errors.Is(err, channel.ErrDeferred) {
		t.Fatalf("delivery to a server known down: %v", err)
	}
	if d := time.Since(begin); d > 200*time.Millisecond || accepted.Load() != 1 {
		t.Fatalf("delivery to a server known down took %v and %d connections", d, accepted.Load())
	}
}

// TestMaxOutboundConnections: deliveries to one domain beyond its
// Max_Outbound_Connections are deferred, not queued behind the others.
func TestMaxOutboundConnections(t *testing.T) {
	s := sink(t, smtpsink.Options{Data: func(*smtpsink.Message) error { time.Sleep(300 * time.Millisecond); return nil }})
	c := client(t, Options{Smarthost: s.Addr, Config: cfgOf(t, `Domain "busy.example" { Max_Outbound_Connections = 2 }`)})
	if err := deliver(c, "a@example.com", "warm@busy.example", body); err != nil {
		t.Fatal(err) // the server is known to answer
	}
	var wg sync.WaitGroup
	var deferredN atomic.Int32
	for range 3 {
		wg.Go(func() {
			if err := deliver(c, "a@example.com", "b@busy.example", body); errors.Is(err, channel.ErrDeferred) {
				deferredN.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if deferredN.Load() != 1 {
		t.Fatalf("%d of 3 deliveries deferred at Max_Outbound_Connections = 2, want 1", deferredN.Load())
	}
}

// TestOwnListenerSkipped: a route to this process's own listener is a mail
// loop: never taken; when it is the only one, the message fails for good
// (554 5.4.6, as other MTAs' "loops back to myself").
func TestOwnListenerSkipped(t *testing.T) {
	s := sink(t, smtpsink.Options{})
	c := client(t, Options{Smarthost: s.Addr, Listeners: func() []string { return []string{s.Addr} }})
	err := deliver(c, "a@example.com", "b@example.net", body)
	if st, ok := status.Of(err); !ok || st.Temporary || st.Enhanced != "5.4.6" {
		t.Fatalf("route to our own listener: %v", err)
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("%d connections to our own listener", n)
	}
}

// FuzzCRLFOnly: after crlfOnly every CR is followed by LF, and the only
// change is the LFs added after bare CRs.
func FuzzCRLFOnly(f *testing.F) {
	f.Add([]byte("a\r.\r\nb\r"))
	f.Add([]byte("plain\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out := crlfOnly(raw)
		for i, c := range out {
			if c == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
				t.Fatalf("bare CR at %d of %q", i, out)
			}
		}
		noLF := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), nil) }
		added := bytes.Count(raw, []byte("\r")) - bytes.Count(raw, []byte("\r\n"))
		if !bytes.Equal(noLF(out), noLF(raw)) || len(out) != len(raw)+added {
			t.Fatalf("%q became %q", raw, out)
		}
	})
}
