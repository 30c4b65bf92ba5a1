package smtpserver

import (
	"bufio"
	"context"
	"io"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// ender is a phases policy that can disconnect, edits the recipient list
// at data_spool and counts End calls.
type ender struct {
	phases
	disconnectAt string // phase:detail whose refusal disconnects
	addAtSpool   string
	endMu        sync.Mutex
	ends         []string
}

func (p *ender) MailFrom(ctx context.Context, c *Conn, from string) error {
	err := p.phases.MailFrom(ctx, c, from)
	if err != nil && p.disconnectAt == "mailfrom:"+from {
		c.Disconnect = true
	}
	return err
}

func (p *ender) DataSpool(ctx context.Context, c *Conn, m *message.Message) error {
	if p.addAtSpool != "" {
		c.Rcpts = append(c.Rcpts, p.addAtSpool)
	}
	return p.phases.DataSpool(ctx, c, m)
}

func (p *ender) End(_ context.Context, c *Conn) {
	p.endMu.Lock()
	defer p.endMu.Unlock()
	p.ends = append(p.ends, c.ID)
}

func (p *ender) ended() []string {
	p.endMu.Lock()
	defer p.endMu.Unlock()
	return append([]string(nil), p.ends...)
}

func (p *ender) called() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.calls, "\n")
}

// A refusal that disconnects: its reply, then the connection closes, and
// commands the client pipelined behind it reach no phase.
func TestDisconnectByPolicy(t *testing.T) {
	p := &ender{phases: phases{refuse: map[string]error{
		"mailfrom:bad@example.com": status.Temporaryf(status.Policy, 421, "4.7.0", "Go away\nand stay away"),
	}}, disconnectAt: "mailfrom:bad@example.com"}
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q, Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	// One write, as a pipelining client sends them.
	if _, err := c.nc.Write([]byte("MAIL FROM:<bad@example.com>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c.tp.R)
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		lines = append(lines, line)
	}
	if got := strings.Join(lines, ""); got != "421-Go away\r\n421 4.7.0 and stay away\r\n" {
		t.Fatalf("after the refusal the client read %q", got)
	}
	if calls := p.called(); strings.Contains(calls, "rcptto") {
		t.Fatalf("a pipelined command reached the policy:\n%s", calls)
	}
	waitFor(t, func() bool { return len(p.ended()) == 1 })
	if len(q.all()) != 0 {
		t.Fatal("queued after a disconnect")
	}
}

// End runs once per connection, however it ends.
func TestEndOncePerConnection(t *testing.T) {
	p := &ender{phases: phases{refuse: map[string]error{}}}
	addr := serve(t, listen(), Options{Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("QUIT", 221, "")
	c2 := dial(t, addr)
	c2.nc.Close()
	waitFor(t, func() bool { return len(p.ended()) == 2 })
	time.Sleep(20 * time.Millisecond)
	if ends := p.ended(); len(ends) != 2 || ends[0] == ends[1] {
		t.Fatalf("ends %v", ends)
	}
}

// A temporary refusal of one recipient's copy refuses the message: no copy
// is queued, the client sends it again.
func TestTemporaryRefusalOfOneCopyRefusesAll(t *testing.T) {
	p := &ender{phases: phases{refuse: map[string]error{
		"each_rcpt:b@example.net": status.Temporaryf(status.Policy, 451, "4.3.0", "script failed"),
	}}}
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q, Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<a@example.net>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(body, 451, "4.3.0 script failed")
	if got := q.all(); len(got) != 0 {
		t.Fatalf("queued %d copies", len(got))
	}
}

// Recipients a policy adds before the copies are made are queued too.
func TestPolicyAddsARecipient(t *testing.T) {
	p := &ender{phases: phases{refuse: map[string]error{}}, addAtSpool: "extra@example.org"}
	q := &queue{}
	addr := serve(t, listen(), Options{Queue: q, Policy: p})
	c := dial(t, addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<a@example.net>", 250, "")
	c.data(body, 250, "")
	got := q.all()
	if len(got) != 2 || got[0].RcptTo != "a@example.net" || got[1].RcptTo != "extra@example.org" {
		t.Fatalf("queued %+v", got)
	}
}

// The in-process listener takes the listener code path, pipelining
// included, without a socket.
func TestInProcessListener(t *testing.T) {
	p := &ender{phases: phases{refuse: map[string]error{}}}
	q := &queue{}
	l := listen()
	l.RelayHosts = append(l.RelayHosts, netip.MustParsePrefix("192.0.2.0/24"))
	s := New(Options{InProcess: &l, Queue: q, Policy: p, Hostname: "mx.msyshost.test"})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	if ls := s.Listeners(); len(ls) != 0 {
		t.Fatalf("the in-process listener is listed as an address: %v", ls)
	}
	nc, err := s.Dial(context.Background(), netip.MustParseAddrPort("192.0.2.7:40001"), netip.MustParseAddrPort("127.0.0.1:25"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tp := textproto.NewConn(nc)
	expect := func(code int) {
		t.Helper()
		if got, msg, err := tp.ReadResponse(code); err != nil {
			t.Fatalf("reply %d %q: %v", got, msg, err)
		}
	}
	expect(220)
	// Many commands at once, and a message body, before reading a reply.
	tp.PrintfLine("EHLO pipe.test")
	for i := range 50 {
		tp.PrintfLine("MAIL FROM:<a%d@example.com>", i)
		tp.PrintfLine("RSET")
	}
	tp.PrintfLine("MAIL FROM:<a@example.com>")
	tp.PrintfLine("RCPT TO:<b@example.net>")
	tp.PrintfLine("DATA")
	expect(250)
	for range 50 {
		expect(250)
		expect(250)
	}
	expect(250)
	expect(250)
	expect(354)
	w := tp.DotWriter()
	io.WriteString(w, body)
	w.Close()
	expect(250)
	got := q.all()
	if len(got) != 1 || !strings.Contains(string(got[0].Raw()), "from pipe.test ([192.0.2.7])") {
		t.Fatalf("queued %+v", got)
	}
	if calls := p.called(); !strings.HasPrefix(calls, "connect 192.0.2.7\nehlo pipe.test") {
		t.Fatalf("phases:\n%s", calls)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
