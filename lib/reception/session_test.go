package reception_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"msyshost/lib/hook"
	"msyshost/lib/reception"
	"msyshost/lib/smtpserver"
	"msyshost/lib/tlstest"
	"msyshost/luahost"
)

const sessionPolicy = `require("msys.core")
local core = msys.core
local mod = {}
function mod:validate_ehlo(str, ac, vctx)
  print("ehlo", tostring(str), ac.tls, ac.auth_user, vctx:get(core.VCTX_CONN, "tls"))
  return core.VALIDATE_CONT
end
function mod:validate_mailfrom(str, ac, vctx)
  print("mailfrom", ac.tls, ac.auth_user, ac.ehlo, vctx:get(core.VCTX_CONN, "auth_user"), vctx:get(core.VCTX_CONN, "tls"))
  return core.VALIDATE_CONT
end
function mod:validate_connect(ac, vctx) return core.VALIDATE_CONT end
function mod:validate_rcptto(msg, str, ac, vctx) return core.VALIDATE_CONT end
function mod:validate_data(msg, ac, vctx) return core.VALIDATE_CONT end
function mod:validate_data_spool(msg, ac, vctx) return core.VALIDATE_CONT end
function mod:validate_data_spool_each_rcpt(msg, ac, vctx) return core.VALIDATE_CONT end
function mod:validate_set_binding(msg) return core.VALIDATE_CONT end
function mod:core_final_validation(msg, ac, vctx) return core.VALIDATE_CONT end
function mod:validate_dealloc() print("dealloc") end
msys.registerModule("session", mod)
`

type printedLines struct {
	mu    sync.Mutex
	lines []string
}

func (p *printedLines) add(_, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
}

func (p *printedLines) all() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// The accept construct follows the session through STARTTLS and AUTH, and
// every hook is called with as many arguments as the hook catalog lists.
func TestSessionThroughTLSAndAuth(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "session.lua")
	if err := os.WriteFile(script, []byte(sessionPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	printed := &printedLines{}
	h := luahost.New(luahost.Options{PoolSize: 2}, &luahost.Services{Print: printed.add})
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "session", Path: script}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var arity []string
	pol := &reception.Policy{Host: h, Log: discard(), Observe: func(name string, args []any, res luahost.Result) {
		spec, ok := hook.Lookup(name)
		mu.Lock()
		defer mu.Unlock()
		if !ok || len(spec.Args) != len(args) {
			arity = append(arity, name)
		}
		for _, c := range res.Calls {
			if c.Err != "" {
				arity = append(arity, name+": "+c.Err)
			}
		}
	}}
	l := smtpserver.Listen{Addr: "in-process", RelayHosts: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageSize: 1 << 20, MaxLineLength: 4096, IdleTime: 10 * time.Second,
		TLS: tlstest.New(t, "mx.msyshost.test").ServerConfig(), Users: map[string]string{"carol": "secret"}, Mechanisms: []string{"PLAIN"}}
	q := &smtpserver.Recorder{}
	srv := smtpserver.New(smtpserver.Options{InProcess: &l, Queue: q, Policy: pol, Hostname: "mx.msyshost.test"})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	nc, err := srv.Dial(context.Background(), netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:587"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClientStartTLS(nc, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "carol", "secret")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("carol@example.com", []string{"dave@example.net"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(printed.all(), "dealloc") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	want := "ehlo\tlocalhost\tfalse\t\tnil\n" +
		"ehlo\tlocalhost\ttrue\t\ttrue\n" +
		"mailfrom\ttrue\tcarol\tlocalhost\tcarol\ttrue\n" +
		"dealloc"
	if got := printed.all(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
	if got := q.Take(); len(got) != 1 || got[0].RcptTo != "dave@example.net" {
		t.Errorf("queued %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arity) > 0 {
		t.Errorf("hooks called off their catalog entry: %v", arity)
	}
}
