package smtpserver

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// queue is a Queue that keeps what it was given, or fails as told.
type queue struct {
	mu      sync.Mutex
	seq     int
	batches [][]*message.Message
	fail    error
}

func (q *queue) NewID() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	return fmt.Sprintf("00/%02X-00001-%08X", q.seq, q.seq)
}

func (q *queue) Enqueue(_ context.Context, msgs ...*message.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.batches = append(q.batches, msgs)
	return nil
}

func (q *queue) all() []*message.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*message.Message
	for _, b := range q.batches {
		out = append(out, b...)
	}
	return out
}

func listen() Listen {
	return Listen{Addr: "127.0.0.1:0", RelayHosts: loopback, MaxMessageSize: 1 << 20, MaxLineLength: 2000, IdleTime: 10 * time.Second, BounceRejected: true}
}

func serve(t *testing.T, l Listen, opts Options) string {
	t.Helper()
	opts.Listens = []Listen{l}
	if opts.Queue == nil {
		opts.Queue = &queue{}
	}
	opts.Hostname = "mx.msyshost.test"
	s := New(opts)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	return s.Listeners()[0]
}

// client speaks SMTP by hand, so every reply is seen as sent.
type client struct {
	t  *testing.T
	nc net.Conn
	tp *textproto.Conn
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c := newClient(t, addr)
	c.want(220, "")
	return c
}

// newClient connects without reading the greeting.
func newClient(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, nc: nc, tp: textproto.NewConn(nc)}
}

func (c *client) reply() (int, string) {
	c.t.Helper()
	code, msg, err := c.tp.ReadResponse(0)
	if err != nil && code == 0 {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return code, msg
}

// want reads a reply and checks its code and, when given, that it begins
// with prefix (the enhanced code and text).
func (c *client) want(code int, prefix string) string {
	c.t.Helper()
	got, msg := c.reply()
	if got != code || !strings.HasPrefix(msg, prefix) {
		c.t.Fatalf("reply %d %q, want %d %q...", got, msg, code, prefix)
	}
	return msg
}

func (c *client) send(lines ...string) {
	c.t.Helper()
	for _, l := range lines {
		if err := c.tp.PrintfLine("%s", l); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *client) do(line string, code int, prefix string) string {
	c.t.Helper()
	c.send(line)
	return c.want(code, prefix)
}

func (c *client) data(body string, code int, prefix string) {
	c.t.Helper()
	c.do("DATA", 354, "")
	w := c.tp.DotWriter()
	w.Write([]byte(body))
	w.Close()
	c.want(code, prefix)
}

const body = "From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"

// TestAcceptsOneMessagePerRecipient checks EHLO advertises the required
// extensions, and that an accepted message is queued as one copy per
// recipient, in one transaction, with a Received header naming the
// transaction id, before 250.
func TestAcceptsOneMessagePerRecipient(t *testing.T) {
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q})
	c := dial(t, addr)
	ehlo := c.do("EHLO client.test", 250, "")
	for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 1048576"} {
		if !strings.Contains(ehlo, "\n"+ext) {
			t.Errorf("EHLO reply %q lacks %s", ehlo, ext)
		}
	}
	if strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Errorf("EHLO offers STARTTLS or AUTH without configuration: %q", ehlo)
	}
	c.do("MAIL FROM:<a@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<15551234@smpp.example.com>", 250, "2.0.0")
	c.do("RCPT TO:<bob@example.net>", 250, "2.0.0")
	c.data(body, 250, "2.0.0")
	if len(q.batches) != 1 || len(q.batches[0]) != 2 {
		t.Fatalf("queued %d batches: %v, want one of 2", len(q.batches), q.batches)
	}
	for i, rcpt := range []string{"15551234@smpp.example.com", "bob@example.net"} {
		m := q.batches[0][i]
		raw := string(m.Raw())
		if m.MailFrom != "a@example.com" || m.RcptTo != rcpt || m.BatchID != "00/01-00001-00000001" || m.ConnID == "" {
			t.Errorf("copy %d: <%s> -> <%s> batch %q conn %q", i, m.MailFrom, m.RcptTo, m.BatchID, m.ConnID)
		}
		if !strings.HasPrefix(raw, "Received: from client.test ([127.0.0.1])\r\n\tby mx.msyshost.test (msyshost) with ESMTP id 00/01-00001-00000001;") ||
			!strings.HasSuffix(raw, "\r\n"+body) {
			t.Errorf("copy %d content %q", i, raw)
		}
	}
	// A second message on the same connection, one recipient: the trace
	// header names it.
	c.do("MAIL FROM:<>", 250, "")
	c.do("RCPT TO:<bob@example.net>", 250, "")
	c.data(body, 250, "")
	if raw := string(q.all()[2].Raw()); !strings.Contains(raw, "\tfor <bob@example.net>;") {
		t.Errorf("single-recipient trace %q", raw)
	}
	c.do("QUIT", 221, "")
}

// TestPipelining sends the whole transaction in one write, as a
// PIPELINING client does (RFC 2920), and reads the replies in order.
func TestPipelining(t *testing.T) {
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.send("MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "DATA")
	c.want(250, "")
	c.want(250, "")
	c.want(250, "")
	c.want(354, "")
	c.send("Subject: x", "", "..dot-stuffed", ".", "QUIT")
	c.want(250, "")
	c.want(221, "")
	if got := q.all(); len(got) != 2 || !strings.HasSuffix(string(got[0].Raw()), "\r\n.dot-stuffed\r\n") {
		t.Fatalf("queued %v", got)
	}
}

// TestNotAnOpenRelay checks a client outside Relay_Hosts may send only to
// Relay_Domains, and that SMTP AUTH lets it relay.
func TestNotAnOpenRelay(t *testing.T) {
	l := listen()
	l.RelayHosts = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // not the test's loopback
	l.RelayDomains = []string{"ours.example", "*.sub.example"}
	l.Users, l.Mechanisms = map[string]string{"app": "s3cret:x"}, []string{"PLAIN", "LOGIN"}
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	c := dial(t, addr)
	ehlo := c.do("EHLO client.test", 250, "")
	if !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Fatalf("AUTH not offered to a loopback client: %q", ehlo)
	}
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<x@elsewhere.example>", 550, "5.7.1 relaying denied")
	c.do("RCPT TO:<x@ours.example>", 250, "")
	c.do("RCPT TO:<x@a.sub.example>", 250, "")
	c.do("RCPT TO:<x@sub.example>", 550, "5.7.1")
	c.do("RSET", 250, "")
	c.do("AUTH PLAIN "+b64("\x00app\x00wrong"), 535, "5.7.8")
	c.do("AUTH LOGIN", 334, b64("Username:"))
	c.do(b64("app"), 334, b64("Password:"))
	c.do(b64("s3cret:x"), 235, "2.0.0")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<x@elsewhere.example>", 250, "")
	c.data(body, 250, "")
	m := q.all()[0]
	if !strings.Contains(string(m.Raw()), "with ESMTPA id") || m.ConnContext["auth_user"] != "app" {
		t.Fatalf("authenticated message: %q context %v", m.Raw(), m.ConnContext)
	}
}

// TestAuthNeedsTLSAwayFromLoopback checks PLAIN and LOGIN are neither
// offered nor accepted on a clear connection from another host.
func TestAuthNeedsTLSAwayFromLoopback(t *testing.T) {
	l := &listener{cfg: Listen{Mechanisms: []string{"PLAIN"}, Users: map[string]string{"u": "p"}}}
	s := &session{l: l, st: &Conn{Remote: netip.MustParseAddrPort("192.0.2.7:40000"), Context: map[string]string{}}}
	if m := s.AuthMechanisms(); m != nil {
		t.Fatalf("offered %v in clear to 192.0.2.7", m)
	}
	_, err := s.Auth("PLAIN")
	if r := replyOf(err); r.Code != 538 || r.EnhancedCode != [3]int{5, 7, 11} {
		t.Fatalf("AUTH in clear from 192.0.2.7: %v", err)
	}
	s.st.TLS = true
	if m := s.AuthMechanisms(); len(m) != 1 {
		t.Fatalf("not offered over TLS: %v", m)
	}
}

// TestLimits checks the limits' replies: SIZE and a message over
// Max_Message_Size (552 5.3.4), recipients past the limit (452 4.5.3), an
// over-long line (500, then the connection closes), a malformed command.
func TestLimits(t *testing.T) {
	l := listen()
	l.MaxMessageSize, l.MaxRecipients, l.MaxLineLength = 2000, 2, 1000
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com> SIZE=5000", 552, "5.3.4")
	c.do("MAIL FROM a@example.com", 501, "5.5.2")
	c.do("FROB", 500, "5.5.2")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.do("RCPT TO:<c@example.net>", 250, "")
	c.do("RCPT TO:<d@example.net>", 452, "4.5.3")
	c.data("Subject: big\r\n\r\n"+strings.Repeat("0123456789abcdef\r\n", 200), 552, "5.3.4")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data("Subject: long\r\n\r\n"+strings.Repeat("x", 1500)+"\r\n", 500, "5.5.2 line too long")
	if n := len(q.all()); n != 0 {
		t.Fatalf("%d messages queued past the limits", n)
	}
	c.want(500, "5.4.0") // go-smtp's parting words
	if _, _, err := c.tp.ReadResponse(0); err == nil {
		t.Fatal("connection still open after an over-long line")
	}
}

// TestIdleClient checks a client silent for Idle_Time gets 421 4.4.2 and is
// disconnected, in a command and in the middle of a message, and nothing is
// queued from the half message.
func TestIdleClient(t *testing.T) {
	l := listen()
	l.IdleTime = 200 * time.Millisecond
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.want(421, "4.4.2")

	c = dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.do("DATA", 354, "")
	c.send("Subject: half")
	c.want(421, "4.4.2")
	if n := len(q.all()); n != 0 {
		t.Fatalf("%d messages queued from a stalled client", n)
	}
}

// TestListenerSessions checks the connection past Listener_Sessions gets
// 421 4.4.5 and that the slot comes back when a client leaves.
func TestListenerSessions(t *testing.T) {
	l := listen()
	l.Sessions = 1
	addr := serve(t, l, Options{})
	first := dial(t, addr)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(nc).ReadString('\n')
	if !strings.HasPrefix(line, "421 4.4.5 ") {
		t.Fatalf("second connection got %q, want 421 4.4.5", line)
	}
	first.do("QUIT", 221, "")
	first.nc.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(nc).ReadString('\n')
		nc.Close()
		if strings.HasPrefix(line, "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot never came back: %q", line)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQueueFailureIsTemporary checks a spool that cannot write (a full
// disk) makes DATA answer 452 4.3.1, so the client keeps the message.
func TestQueueFailureIsTemporary(t *testing.T) {
	q := &queue{fail: &status.Error{Protocol: status.Spool, Code: 452, Enhanced: "4.3.1", Text: "insufficient system storage", Temporary: true,
		Err: errors.New("write spool.db: no space left on device")}}
	addr := serve(t, listen(), Options{Queue: q})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	msg := c.dataReply(body)
	if msg.code != 452 || msg.text != "4.3.1 insufficient system storage" {
		t.Fatalf("full spool answered %d %q", msg.code, msg.text)
	}
}

type replyLine struct {
	code int
	text string
}

func (c *client) dataReply(body string) replyLine {
	c.t.Helper()
	c.do("DATA", 354, "")
	w := c.tp.DotWriter()
	w.Write([]byte(body))
	w.Close()
	code, msg := c.reply()
	return replyLine{code, msg}
}

// phases records the policy phases called and refuses as a test sets.
type phases struct {
	AcceptAll
	mu      sync.Mutex
	calls   []string
	refuse  map[string]error // phase or phase:recipient → refusal
	discard string           // recipient whose copy is discarded
}

func (p *phases) note(phase, detail string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, phase+" "+detail)
	if err, ok := p.refuse[phase+":"+detail]; ok {
		return err
	}
	return p.refuse[phase]
}

func (p *phases) set(key string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse[key] = err
}

func (p *phases) Connect(_ context.Context, c *Conn) error {
	c.Context["seen"] = "yes"
	return p.note("connect", c.Remote.Addr().String())
}
func (p *phases) Ehlo(_ context.Context, c *Conn, name string) error { return p.note("ehlo", name) }
func (p *phases) MailFrom(_ context.Context, c *Conn, from string) error {
	return p.note("mailfrom", from)
}
func (p *phases) RcptTo(_ context.Context, c *Conn, m *message.Message, rcpt string) error {
	return p.note("rcptto", rcpt)
}
func (p *phases) Data(_ context.Context, c *Conn, m *message.Message) error {
	return p.note("data", m.MailFrom)
}
func (p *phases) DataSpool(_ context.Context, c *Conn, m *message.Message) error {
	m.Context["spooled"] = "1"
	return p.note("data_spool", m.BatchID)
}
func (p *phases) DataSpoolEachRcpt(_ context.Context, c *Conn, m *message.Message) error {
	if m.RcptTo == p.discard {
		m.Discarded = true
	}
	m.RoutingDomain = "routed.example"
	return p.note("each_rcpt", m.RcptTo)
}
func (p *phases) SetBinding(_ context.Context, c *Conn, m *message.Message) error {
	m.Binding = "b1"
	return p.note("set_binding", m.RcptTo)
}
func (p *phases) FinalValidation(_ context.Context, c *Conn, m *message.Message) error {
	return p.note("final", m.RcptTo)
}

// TestPolicyPhases checks every phase is asked in Momentum's order with the
// state so far, that what a phase changes reaches the queued copies, and
// that refusals get the policy's reply.
func TestPolicyPhases(t *testing.T) {
	p := &phases{refuse: map[string]error{
		"rcptto:blocked@example.net": status.Permanentf(status.Policy, 550, "5.7.1", "No such address"),
		"each_rcpt:late@example.net": status.Permanentf(status.Policy, 554, "5.7.1", "refused late"),
	}, discard: "gone@example.net"}
	q := &queue{}
	rec := &spool.Recorder{}
	addr := serve(t, listen(), Options{Queue: q, Policy: p, Bouncer: rec})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<blocked@example.net>", 550, "5.7.1 No such address")
	c.do("RCPT TO:<ok@example.net>", 250, "")
	c.do("RCPT TO:<late@example.net>", 250, "")
	c.do("RCPT TO:<gone@example.net>", 250, "")
	c.data(body, 250, "")
	want := []string{
		"connect 127.0.0.1", "ehlo client.test", "mailfrom a@example.com",
		"rcptto blocked@example.net", "rcptto ok@example.net", "rcptto late@example.net", "rcptto gone@example.net",
		"data a@example.com", "data_spool 00/01-00001-00000001",
		"each_rcpt ok@example.net", "set_binding ok@example.net", "final ok@example.net",
		"each_rcpt late@example.net",
		"each_rcpt gone@example.net", "set_binding gone@example.net", "final gone@example.net",
	}
	p.mu.Lock()
	calls := append([]string(nil), p.calls...)
	p.mu.Unlock()
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("phases:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	got := q.all()
	if len(got) != 1 || got[0].RcptTo != "ok@example.net" || got[0].RoutingDomain != "routed.example" || got[0].Binding != "b1" ||
		got[0].Context["spooled"] != "1" || got[0].ConnContext["seen"] != "yes" {
		t.Fatalf("queued %+v", got)
	}
	_, bounces := rec.Take()
	if len(bounces) != 1 || bounces[0].To != "a@example.com" || bounces[0].Message.RcptTo != "late@example.net" || bounces[0].Err.Code != 554 {
		t.Fatalf("bounces for the refused recipient: %+v", bounces)
	}

	// Every recipient refused after DATA: the refusal is the reply.
	p.set("each_rcpt", status.Permanentf(status.Policy, 550, "5.7.0", "discarded by policy"))
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<ok@example.net>", 250, "")
	c.data(body, 550, "5.7.0 discarded by policy")

	// A refusal at connect is the greeting, and the connection closes.
	p.set("connect", status.Temporaryf(status.Policy, 421, "4.7.0", "try later"))
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(nc)
	line, _ := r.ReadString('\n')
	if line != "421 4.7.0 try later\r\n" {
		t.Fatalf("connect refusal %q", line)
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection open after a connect refusal")
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
