package smtpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/status"
)

// How sessions end: at shutdown, after a disconnect by policy, when the
// policy panics, and what the policy's End may hold.

// A client still sending a message at Stop's deadline is dropped, not
// left connected to a server whose policy is gone; its message is not
// acknowledged. (An idle client is told 421 4.3.2 at once.)
func TestStopDropsSessionsLeftAtItsDeadline(t *testing.T) {
	l := listen()
	l.IdleTime = time.Minute
	q := &queue{}
	s := New(Options{Listens: []Listen{l}, Queue: q, Hostname: "mx.msyshost.test"})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	idle := dial(t, s.Listeners()[0])
	idle.do("EHLO client.test", 250, "")
	c := dial(t, s.Listeners()[0])
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.do("DATA", 354, "")
	if _, err := c.nc.Write([]byte("Subject: half\r\n\r\nthe first line\r\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	done := make(chan struct{})
	go func() { s.Stop(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after its deadline with a message still coming in")
	}
	cancel()
	idle.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := idle.tp.ReadLine(); err != nil || !strings.HasPrefix(line, "421 4.3.2") {
		t.Fatalf("the idle client read %q, %v; want 421 4.3.2", line, err)
	}
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := c.tp.ReadLine(); !errors.Is(err, io.EOF) {
		t.Fatalf("after Stop the client sending a message read %q, %v; want the connection closed", line, err)
	}
	if n := len(q.all()); n != 0 {
		t.Fatalf("%d messages queued from a message cut short", n)
	}
}

// endBlocker is a policy whose End waits until released, and whose Ehlo or
// Connect can disconnect or panic.
type endBlocker struct {
	ender
	release chan struct{}
	panicAt string
}

func (p *endBlocker) Connect(ctx context.Context, c *Conn) error {
	if p.panicAt == "connect" {
		panic("a policy bug")
	}
	return p.ender.Connect(ctx, c)
}

func (p *endBlocker) Ehlo(ctx context.Context, c *Conn, name string) error {
	err := p.ender.Ehlo(ctx, c, name)
	if err != nil && p.disconnectAt == "ehlo:"+name {
		c.Disconnect = true
	}
	return err
}

func (p *endBlocker) End(ctx context.Context, c *Conn) {
	if p.release != nil {
		<-p.release
	}
	p.ender.End(ctx, c)
}

// The socket closes and the Listener_Sessions slot comes back before the
// policy's End runs: a slow validate_dealloc keeps neither.
func TestEndRunsAfterTheConnectionIsClosedAndFreed(t *testing.T) {
	p := &endBlocker{ender: ender{phases: phases{refuse: map[string]error{}}}, release: make(chan struct{})}
	defer close(p.release)
	l := listen()
	l.Sessions = 1
	addr := serve(t, l, Options{Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("QUIT", 221, "")
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := c.tp.ReadLine(); !errors.Is(err, io.EOF) {
		t.Fatalf("after QUIT, with End still running, the client read %q, %v; want the connection closed", line, err)
	}
	c2 := dial(t, addr) // 220, not 421 4.4.5: the slot is free
	c2.do("EHLO client.test", 250, "")
}

// Greetings pipelined behind a greeting policy disconnected reach no
// phase: the client reads the refusal, then the connection closes.
func TestGreetingsPipelinedAfterADisconnect(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	p := &endBlocker{ender: ender{phases: phases{refuse: map[string]error{
		"ehlo:bad.example": status.Permanentf(status.Policy, 554, "5.7.1", "go away"),
	}}, disconnectAt: "ehlo:bad.example"}}
	addr := serve(t, listen(), Options{Policy: p, Logger: slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))})
	c := dial(t, addr)
	if _, err := c.nc.Write([]byte("EHLO bad.example\r\nEHLO good.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c.tp.R)
	if string(got) != "554 5.7.1 go away\r\n" {
		t.Fatalf("the client read %q", got)
	}
	waitFor(t, func() bool { return len(p.ended()) == 1 })
	if calls := p.called(); strings.Contains(calls, "good.example") || strings.Contains(calls, "mailfrom") {
		t.Fatalf("a pipelined command reached the policy:\n%s", calls)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// A policy that panics at connect loses that connection, logged with its
// id; the server goes on serving.
func TestPanicAtConnectClosesTheConnection(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	p := &endBlocker{ender: ender{phases: phases{refuse: map[string]error{}}}, panicAt: "connect"}
	addr := serve(t, listen(), Options{Policy: p, Logger: slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))})
	for range 2 {
		c := newClient(t, addr)
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if line, err := c.tp.ReadLine(); !errors.Is(err, io.EOF) {
			t.Fatalf("the client read %q, %v; want the connection closed", line, err)
		}
	}
	waitFor(t, func() bool { return len(p.ended()) == 2 })
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "panic admitting a connection") || !strings.Contains(logs.String(), "conn=2") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// A refused connection is greeted only with what RFC 5321 4.3.2 allows:
// a permanent refusal becomes 554 (the client may still QUIT, and is told
// 503 before), a temporary one 421, which closes at once; the policy's
// text and enhanced code are kept.
func TestConnectRefusalGreetings(t *testing.T) {
	for _, c := range []struct {
		refusal error
		greet   string
	}{
		{status.Permanentf(status.Policy, 550, "5.7.1", "not from you"), "554 5.7.1 not from you"},
		{status.Temporaryf(status.Policy, 451, "4.7.1", "later"), "421 4.7.1 later"},
	} {
		p := &phases{refuse: map[string]error{"connect": c.refusal}}
		addr := serve(t, listen(), Options{Policy: p})
		cl := newClient(t, addr)
		if line, err := cl.tp.ReadLine(); err != nil || line != c.greet {
			t.Fatalf("greeting %q, %v; want %q", line, err, c.greet)
		}
		if strings.HasPrefix(c.greet, "554") {
			cl.do("EHLO client.test", 503, "5.5.1")
			cl.do("MAIL FROM:<a@example.com>", 503, "5.5.1")
			cl.do("QUIT", 221, "")
		}
		if line, err := cl.tp.ReadLine(); !errors.Is(err, io.EOF) {
			t.Fatalf("after %q the client read %q, %v; want the connection closed", c.greet, line, err)
		}
		p.mu.Lock()
		calls := strings.Join(p.calls, ",")
		p.mu.Unlock()
		if strings.Contains(calls, "ehlo") || strings.Contains(calls, "mailfrom") {
			t.Fatalf("a command after the refused greeting reached the policy: %s", calls)
		}
	}
}

// A 421 a policy answers to a command ends the session (RFC 5321 3.8),
// whether or not it asked to disconnect: what the client pipelined after
// it reaches no phase.
func TestA421FromPolicyCloses(t *testing.T) {
	p := &phases{refuse: map[string]error{"rcptto:b@example.net": status.Temporaryf(status.Policy, 421, "4.7.0", "enough")}}
	addr := serve(t, listen(), Options{Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.send("RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>")
	c.want(421, "4.7.0 enough")
	if line, err := c.tp.ReadLine(); !errors.Is(err, io.EOF) {
		t.Fatalf("after 421 the client read %q, %v; want the connection closed", line, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if calls := strings.Join(p.calls, ","); strings.Contains(calls, "c@example.net") {
		t.Fatalf("a command after the 421 reached the policy: %s", calls)
	}
}

// The addresses a policy may add are those RCPT TO can carry: a local
// part may hold spaces and angle brackets (go-smtp unquotes a quoted one),
// nothing may hold a control character, and a domain is needed.
func TestCheckAddress(t *testing.T) {
	for addr, ok := range map[string]bool{
		"a@example.com":                  true,
		"john doe@example.com":           true,
		"a <b>@example.com":              true,
		"a@example.com\r\nRCPT TO:<b@x>": false,
		"a\x00@example.com":              false,
		"a\x7f@example.com":              false,
		"nodomain":                       false,
	} {
		if err := checkAddress(addr); (err == nil) != ok {
			t.Errorf("checkAddress(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

// A quoted local part with a space is an address RCPT TO takes.
func TestRcptQuotedLocalPart(t *testing.T) {
	q := &queue{}
	c := dial(t, serve(t, listen(), Options{Queue: q}))
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do(`RCPT TO:<"john doe"@example.net>`, 250, "")
	c.data(body, 250, "")
	if got := q.all(); len(got) != 1 || got[0].RcptTo != "john doe@example.net" {
		t.Fatalf("queued %v", got)
	}
}

// A client greeted with 554 that never QUITs does not hold Stop: the wait
// for its QUIT ends with the server.
func TestStopEndsTheWaitForQuit(t *testing.T) {
	p := &phases{refuse: map[string]error{"connect": status.Permanentf(status.Policy, 550, "5.7.1", "not from you")}}
	l := listen()
	l.IdleTime = time.Minute
	s := New(Options{Listens: []Listen{l}, Queue: &queue{}, Policy: p, Hostname: "mx.msyshost.test"})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s.Listeners()[0])
	if line, err := c.tp.ReadLine(); err != nil || !strings.HasPrefix(line, "554 ") {
		t.Fatalf("greeting %q, %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	s.Stop(ctx)
	if line, err := c.tp.ReadLine(); !errors.Is(err, io.EOF) {
		t.Fatalf("after Stop the client read %q, %v; want the connection closed", line, err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("the connection waiting for QUIT closed %v after Stop", d)
	}
}
