package reception_test

import (
	"context"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"msyshost/lib/reception"
	"msyshost/lib/smtpserver"
	"msyshost/lib/status"
	"msyshost/luahost"
)

// Sessions across a reload, a host that closes, and a command after the
// session ended.

// inProcess starts SMTP in with the reception policy over h, in process.
func inProcess(t *testing.T, h *luahost.Host) (*smtpserver.Server, *smtpserver.Recorder) {
	t.Helper()
	l := smtpserver.Listen{Addr: "in-process", RelayHosts: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageSize: 1 << 20, MaxLineLength: 4096, IdleTime: 30 * time.Second}
	q := &smtpserver.Recorder{}
	srv := smtpserver.New(smtpserver.Options{InProcess: &l, Queue: q, Policy: &reception.Policy{Host: h, Log: discard()}, Hostname: "mx.test"})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return srv, q
}

type smtpConn struct {
	t  *testing.T
	tp *textproto.Conn
}

func dialIn(t *testing.T, srv *smtpserver.Server, port uint16) *smtpConn {
	t.Helper()
	nc, err := srv.Dial(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), netip.MustParseAddrPort("127.0.0.1:25"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &smtpConn{t: t, tp: textproto.NewConn(nc)}
	c.do("", "220")
	return c
}

// do sends line (none when "") and wants a reply starting with want.
func (c *smtpConn) do(line, want string) string {
	c.t.Helper()
	if line != "" {
		c.tp.PrintfLine("%s", line)
	}
	code, msg, err := c.tp.ReadResponse(0)
	got := strings.TrimSpace(strconv.Itoa(code) + " " + msg)
	if err != nil && code == 0 {
		got = "error: " + err.Error()
	}
	if !strings.HasPrefix(got, want) {
		c.t.Fatalf("%q: reply %q, want %q", line, got, want)
	}
	return got
}

func writeScript(t *testing.T, dir, name, src string) luahost.Script {
	t.Helper()
	p := filepath.Join(dir, name+".lua")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return luahost.Script{Name: name, Path: p}
}

// A reload between two commands: the session finishes with the scripts
// and the self it started with; the next session gets the new scripts.
func TestReloadMidSessionKeepsTheSessionsScripts(t *testing.T) {
	printed := &printedLines{}
	h := luahost.New(luahost.Options{}, &luahost.Services{Print: printed.add})
	defer h.Close()
	dir := t.TempDir()
	old := writeScript(t, dir, "count", `require("msys.core")
local mod = {}
function mod:validate_connect(ac, vctx) self.rcpts = 0 return msys.core.VALIDATE_CONT end
function mod:validate_rcptto(msg, str, ac, vctx)
  self.rcpts = self.rcpts + 1   -- set at connect: a fresh self would raise
  print("old", self.rcpts)
  return msys.core.VALIDATE_CONT
end
msys.registerModule("count", mod)`)
	if err := h.Load(context.Background(), []luahost.Script{old}); err != nil {
		t.Fatal(err)
	}
	srv, q := inProcess(t, h)
	c := dialIn(t, srv, 40001)
	c.do("EHLO c.example", "250")
	c.do("MAIL FROM:<a@example.com>", "250")
	c.do("RCPT TO:<b@example.com>", "250")
	newer := writeScript(t, t.TempDir(), "count", `require("msys.core")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx) print("new") return msys.core.VALIDATE_CONT end
msys.registerModule("count", mod)`)
	if err := h.Load(context.Background(), []luahost.Script{newer}); err != nil {
		t.Fatal(err)
	}
	c.do("RCPT TO:<c@example.com>", "250")
	c.do("DATA", "354")
	c.do("Subject: x\r\n\r\nhi\r\n.", "250")
	c2 := dialIn(t, srv, 40002)
	c2.do("EHLO c.example", "250")
	c2.do("MAIL FROM:<a@example.com>", "250")
	c2.do("RCPT TO:<b@example.com>", "250")
	if got := printed.all(); got != "old\t1\nold\t2\nnew" {
		t.Fatalf("printed:\n%s", got)
	}
	if n := len(q.Take()); n != 2 {
		t.Fatalf("queued %d copies, want 2", n)
	}
}

// The Lua host closes under a live session (shutdown past its deadline):
// the next command is refused with 421 and nothing is queued.
func TestHostClosedUnderASessionFailsClosed(t *testing.T) {
	h := luahost.New(luahost.Options{}, nil)
	deny := writeScript(t, t.TempDir(), "deny", `require("msys.core")
local mod = {}
function mod:validate_rcptto(msg, str, ac, vctx)
  vctx:set_code(550, "5.7.1 nobody gets in")
  return msys.core.VALIDATE_DONE
end
msys.registerModule("deny", mod)`)
	if err := h.Load(context.Background(), []luahost.Script{deny}); err != nil {
		t.Fatal(err)
	}
	srv, q := inProcess(t, h)
	c := dialIn(t, srv, 40003)
	c.do("EHLO c.example", "250")
	c.do("MAIL FROM:<a@example.com>", "250")
	c.do("RCPT TO:<b@example.com>", "550 5.7.1 nobody gets in")
	h.Close()
	c.do("RCPT TO:<b@example.com>", "421 4.3.0")
	if _, err := c.tp.ReadLine(); err == nil {
		t.Fatal("the connection stayed open after the 421")
	}
	if n := len(q.Take()); n != 0 {
		t.Fatalf("queued %d copies", n)
	}
}

// A phase asked after End (a command go-smtp had buffered) runs no hook.
func TestPhaseAfterEndRunsNoHook(t *testing.T) {
	printed := &printedLines{}
	h := luahost.New(luahost.Options{}, &luahost.Services{Print: printed.add})
	defer h.Close()
	sc := writeScript(t, t.TempDir(), "p", `require("msys.core")
local mod = {}
function mod:validate_connect(ac, vctx) print("connect") return msys.core.VALIDATE_CONT end
function mod:validate_mailfrom(str, ac, vctx) print("mailfrom") return msys.core.VALIDATE_CONT end
function mod:validate_dealloc() print("dealloc") end
msys.registerModule("p", mod)`)
	if err := h.Load(context.Background(), []luahost.Script{sc}); err != nil {
		t.Fatal(err)
	}
	p := &reception.Policy{Host: h, Log: discard()}
	c := &smtpserver.Conn{ID: "1", Remote: netip.MustParseAddrPort("127.0.0.1:40000"), Local: netip.MustParseAddrPort("127.0.0.1:25"), Context: map[string]string{}}
	ctx := context.Background()
	if err := p.Connect(ctx, c); err != nil {
		t.Fatal(err)
	}
	p.End(ctx, c)
	p.End(ctx, c)
	err := p.MailFrom(ctx, c, "a@example.com")
	if st, ok := status.Of(err); !ok || st.Code != 421 || !c.Disconnect {
		t.Fatalf("MAIL FROM after End: %v (disconnect %v)", err, c.Disconnect)
	}
	if got := printed.all(); got != "connect\ndealloc" {
		t.Fatalf("printed:\n%s", got)
	}
}
