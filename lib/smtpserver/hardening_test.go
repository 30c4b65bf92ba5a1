package smtpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
	"msyshost/lib/tlstest"
)

// TestRecipientsShareContent: one message to many recipients is held once
// and spooled once. Before the fix every recipient's copy was copied
// again (a 4 MiB message to 50 recipients peaked at 1.24 GB of heap and
// made a 216 MiB spool); here 1 MiB to 50 recipients made a 66 MiB spool.
func TestRecipientsShareContent(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool.db"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	l := listen()
	l.MaxMessageSize = 4 << 20
	addr := serve(t, l, Options{Queue: sp})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	for i := range 50 {
		c.do(fmt.Sprintf("RCPT TO:<r%d@example.net>", i), 250, "")
	}
	c.data("Subject: big\r\n\r\n"+strings.Repeat(strings.Repeat("x", 78)+"\r\n", 1<<20/80), 250, "")
	fi, err := os.Stat(filepath.Join(dir, "spool.db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 4<<20 {
		t.Fatalf("1 MiB to 50 recipients made a %d MiB spool", fi.Size()>>20)
	}
	list, _ := sp.List("all")
	if len(list) != 50 {
		t.Fatalf("%d queued, want 50", len(list))
	}
	q := &queue{}
	addr = serve(t, listen(), Options{Queue: q})
	c = dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.do("RCPT TO:<c@example.net>", 250, "")
	c.data(body, 250, "")
	b := q.batches[0]
	if &b[0].Raw()[0] != &b[1].Raw()[0] {
		t.Fatal("the copies of one message hold copies of its bytes")
	}
}

// TestSizeTimesRecipients: once the declared SIZE times the recipients
// passes the transaction bound, further recipients get 452 4.5.3 (the
// client sends them in another transaction).
func TestSizeTimesRecipients(t *testing.T) {
	l := listen()
	l.MaxMessageSize = 30_000_000
	addr := serve(t, l, Options{})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com> SIZE=30000000", 250, "")
	n := maxTransactionBytes / 30_000_000
	for i := range n {
		c.do(fmt.Sprintf("RCPT TO:<r%d@example.net>", i), 250, "")
	}
	c.do("RCPT TO:<one.too.many@example.net>", 452, "4.5.3")
}

// blockingQueue holds Enqueue until released.
type blockingQueue struct {
	queue
	entered chan struct{}
	release chan struct{}
}

func (b *blockingQueue) Enqueue(ctx context.Context, msgs ...*message.Message) error {
	close(b.entered)
	<-b.release
	return b.queue.Enqueue(ctx, msgs...)
}

// TestStopEndsSessions: at shutdown a client waiting between commands is
// told 421 4.3.2 at once, and one whose message is being queued gets its
// 250, then the same. Before the fix Stop waited for idle clients until
// its budget ran out (they never got a 421) and the spool's Stop then had
// none left.
func TestStopEndsSessions(t *testing.T) {
	q := &blockingQueue{entered: make(chan struct{}), release: make(chan struct{})}
	s := New(Options{Listens: []Listen{listen()}, Queue: q, Hostname: "mx.msyshost.test"})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := s.Listeners()[0]
	idle := dial(t, addr)
	idle.do("EHLO idle.test", 250, "")
	busy := dial(t, addr)
	busy.do("EHLO busy.test", 250, "")
	busy.do("MAIL FROM:<a@example.com>", 250, "")
	busy.do("RCPT TO:<b@example.net>", 250, "")
	busy.do("DATA", 354, "")
	w := busy.tp.DotWriter()
	w.Write([]byte(body))
	w.Close()
	<-q.entered
	stopped := make(chan time.Duration, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		begin := time.Now()
		s.Stop(ctx)
		stopped <- time.Since(begin)
	}()
	idle.nc.SetDeadline(time.Now().Add(2 * time.Second))
	idle.want(421, "4.3.2")
	close(q.release)
	busy.want(250, "")
	busy.want(421, "4.3.2")
	if d := <-stopped; d > 2*time.Second {
		t.Fatalf("Stop took %v", d)
	}
	if n := len(q.all()); n != 1 {
		t.Fatalf("%d messages queued", n)
	}
}

// TestBareLineEndRefused: a message with a bare CR or LF is refused
// (550 5.6.0), so a client cannot hide a second message behind one for a
// next hop that reads line ends differently. Before the fix it was
// accepted and relayed as it was.
func TestBareLineEndRefused(t *testing.T) {
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q})
	for _, raw := range []string{
		"Subject: a\r\n\r\nfirst\n.\r\nMAIL FROM:<x@example.com>\r\n",
		"Subject: a\r\n\r\nfirst\r.\r\nMAIL FROM:<x@example.com>\r\n",
	} {
		c := dial(t, addr)
		c.do("EHLO client.test", 250, "")
		c.do("MAIL FROM:<a@example.com>", 250, "")
		c.do("RCPT TO:<b@example.net>", 250, "")
		c.do("DATA", 354, "")
		c.nc.Write([]byte(raw + ".\r\n")) // as sent: a dot writer would mend it
		c.want(550, "5.6.0")
	}
	if n := len(q.all()); n != 0 {
		t.Fatalf("%d messages with bare line ends queued", n)
	}
}

// TestMailLoopRefused: a message that already carries 50 Received fields
// is refused with 554 5.4.6. Before the fix it was accepted, however many.
func TestMailLoopRefused(t *testing.T) {
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q})
	hops := func(n int) string {
		return strings.Repeat("Received: from a.example by b.example; Mon, 1 Jan 2026 00:00:00 +0000\r\n", n)
	}
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(hops(maxReceived)+body, 554, "5.4.6")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(hops(maxReceived-1)+body, 250, "")
}

// TestPerClientLimits: Listener_Sessions_Per_IP turns away a client's
// connection past it (421 4.7.0), and Data_Timeout ends a message sent a
// byte at a time, however often bytes come. Before the fix neither limit
// existed and Listener_Sessions was unlimited by default.
func TestPerClientLimits(t *testing.T) {
	l := listen()
	l.SessionsPerIP, l.DataTimeout = 2, 300*time.Millisecond
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	a, b := dial(t, addr), dial(t, addr)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	third := &client{t: t, nc: nc, tp: textproto.NewConn(nc)}
	third.want(421, "4.7.0")
	b.do("QUIT", 221, "")
	a.do("EHLO client.test", 250, "")
	a.do("MAIL FROM:<a@example.com>", 250, "")
	a.do("RCPT TO:<b@example.net>", 250, "")
	a.do("DATA", 354, "")
	begin := time.Now()
	go func() {
		for range 20 {
			if _, err := a.nc.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	a.want(421, "4.4.2")
	if d := time.Since(begin); d > 800*time.Millisecond {
		t.Fatalf("a slow message was cut after %v, want Data_Timeout (300ms)", d)
	}
	if n := len(q.all()); n != 0 {
		t.Fatalf("%d messages queued", n)
	}
}

// TestReceivedNamesQueuedID: the id in the Received header is the id of
// the first queued copy, so a log line and the message can be matched.
// Before the fix it was a batch id no queued message had.
func TestReceivedNamesQueuedID(t *testing.T) {
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	addr := serve(t, listen(), Options{Queue: sp})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.do("RCPT TO:<c@example.net>", 250, "")
	c.data(body, 250, "")
	list, _ := sp.List("all")
	if len(list) != 2 {
		t.Fatalf("%d queued", len(list))
	}
	_, raw, _ := sp.Get(list[0].ID)
	if !strings.Contains(string(raw), " id "+list[0].ID+";") || list[1].BatchID != list[0].ID {
		t.Fatalf("queued %s and %s (batch %s); trace %q", list[0].ID, list[1].ID, list[1].BatchID, raw[:120])
	}
}

// TestSTARTTLSForgetsRelay: after STARTTLS the connection context no
// longer says the client may relay (RFC 3207 4.2), as CanRelay does not.
// Before the fix can_relay = "true" from AUTH survived.
func TestSTARTTLSForgetsRelay(t *testing.T) {
	certFile, keyFile := tlstest.New(t, "mx.msyshost.test", "127.0.0.1").Files(t, t.TempDir(), "mx")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l := listen()
	l.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	l.Users, l.Mechanisms = map[string]string{"app": "pw"}, []string{"PLAIN"}
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("AUTH PLAIN "+b64("\x00app\x00pw"), 235, "")
	c.do("STARTTLS", 220, "")
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.tp = textproto.NewConn(tc)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(body, 250, "")
	ctx := q.all()[0].ConnContext
	for _, k := range []string{"can_relay", "auth_user", "auth_name", "auth_status"} {
		if v, ok := ctx[k]; ok {
			t.Errorf("after STARTTLS the connection context still has %s = %q", k, v)
		}
	}
}

// TestSpool421ClosesConnection: when the spool answers 421 (shutting
// down) the connection closes after the reply, as RFC 5321 3.8 says. Before
// the fix it stayed open.
func TestSpool421ClosesConnection(t *testing.T) {
	q := &queue{fail: &status.Error{Protocol: status.Spool, Code: 421, Enhanced: "4.3.2", Text: "spool is shutting down", Temporary: true}}
	addr := serve(t, listen(), Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(body, 421, "4.3.2")
	c.send("NOOP")
	if code, msg, err := c.tp.ReadResponse(0); err == nil {
		t.Fatalf("connection still open after 421: %d %s", code, msg)
	}
}

// TestAuthFailuresEndConnection: the third failed AUTH ends the
// connection (421 4.7.0). Before the fix a client could guess forever.
func TestAuthFailuresEndConnection(t *testing.T) {
	l := listen()
	l.Users, l.Mechanisms = map[string]string{"app": "pw"}, []string{"PLAIN"}
	addr := serve(t, l, Options{})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("AUTH PLAIN "+b64("\x00app\x00guess1"), 535, "5.7.8")
	c.do("AUTH PLAIN "+b64("\x00app\x00guess2"), 535, "5.7.8")
	c.do("AUTH PLAIN "+b64("\x00app\x00guess3"), 421, "4.7.0")
	c.send("NOOP")
	if code, msg, err := c.tp.ReadResponse(0); err == nil {
		t.Fatalf("connection still open after 3 failed AUTH: %d %s", code, msg)
	}
}

// FuzzReadMessage: whatever a client sends as a message, readMessage never
// panics, and what it accepts has no bare CR or LF and fewer Received
// fields than the limit, with the trace header first.
func FuzzReadMessage(f *testing.F) {
	f.Add([]byte("Subject: a\r\n\r\nbody\r\n"))
	f.Add([]byte("Received: x\r\nReceived: y\r\n\r\n\r.\r\n"))
	f.Add([]byte("a\nb\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		prefix := []byte("Received: by test\r\n")
		raw, err := readMessage(bytes.NewReader(b), prefix, int64(len(b)), 1<<20)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(raw, prefix) || !bytes.Equal(raw[len(prefix):], b) {
			t.Fatalf("read %q from %q", raw, b)
		}
		if bareLineEnd(b) >= 0 || received(b) >= maxReceived {
			t.Fatalf("accepted %q", b)
		}
	})
}

// TestDeclaredSizeIsNotReserved: sessions that declare SIZE at the limit,
// open DATA and send nothing hold next to no memory. Before the fix each
// reserved the declared 20 MiB at DATA, for the whole Data_Timeout: fifty
// such sessions from one address held a gigabyte.
func TestDeclaredSizeIsNotReserved(t *testing.T) {
	l := listen()
	l.MaxMessageSize = 20 << 20
	addr := serve(t, l, Options{})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	const sessions = 50
	for range sessions {
		c := dial(t, addr)
		c.do("EHLO client.test", 250, "")
		c.do("MAIL FROM:<a@example.com> SIZE=20971520", 250, "")
		c.do("RCPT TO:<b@example.net>", 250, "")
		c.do("DATA", 354, "")
	}
	// The last DATA was answered, so its session is reading the message.
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grown := int64(ms.HeapAlloc) - int64(before); grown > 64<<20 {
		t.Errorf("%d sessions in DATA that sent nothing hold %d MiB", sessions, grown>>20)
	}
}

// TestBareLFEndOfDataAnsweredAtOnce: a client whose lines end in bare LFs
// ends its message with "\n.\n" and waits. It gets 521 5.5.2 at once and
// the connection closes; before, it waited for Idle_Time and got 421.
// A dot line after CRLF with only its own end bare is refused the same
// way, and a dot-stuffed line is no end.
func TestBareLFEndOfDataAnsweredAtOnce(t *testing.T) {
	addr := serve(t, listen(), Options{})
	for name, data := range map[string]string{
		"all bare":       "Subject: x\n\nhello\n.\n",
		"bare before":    "Subject: x\r\n\r\nhello\n.\r\n",
		"at the start":   ".\n",
		"after stuffing": "Subject: x\r\n\r\n..\r\nhello\n.\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			c.do("EHLO client.test", 250, "")
			c.do("MAIL FROM:<a@example.com>", 250, "")
			c.do("RCPT TO:<b@example.net>", 250, "")
			c.do("DATA", 354, "")
			c.nc.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := io.WriteString(c.nc, data); err != nil {
				t.Fatal(err)
			}
			c.want(521, "5.5.2")
			if _, err := c.tp.ReadLine(); err == nil {
				t.Error("the connection stayed open")
			}
		})
	}
	// A STARTTLS the server refused (no certificate) leaves the session
	// in clear text: its bare-LF end is still answered at once. Whether
	// the bytes are TLS records is the session's TLS state, not a sniffed
	// STARTTLS line (pipelined after a message, the line was missed, and
	// the records of later messages were scanned as text).
	t.Run("after a refused STARTTLS", func(t *testing.T) {
		c := dial(t, addr)
		c.do("EHLO client.test", 250, "")
		c.send("STARTTLS")
		if code, _ := c.reply(); code < 400 {
			t.Fatalf("STARTTLS without a certificate answered %d", code)
		}
		c.do("MAIL FROM:<a@example.com>", 250, "")
		c.do("RCPT TO:<b@example.net>", 250, "")
		c.do("DATA", 354, "")
		c.nc.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c.nc, "hello\n.\n")
		c.want(521, "5.5.2")
	})
	// A proper end still works on a fresh connection.
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(body+"..a dot-stuffed line\r\n", 250, "")
}
