package reception_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"msyshost/lib/reception"
	"msyshost/lib/smtpserver"
	"msyshost/lib/tlstest"
	"msyshost/luahost"
)

const contextPolicy = `require("msys.core")
require("msys.extended.message")
local core = msys.core
local mod = {}
function mod:validate_ehlo(str, ac, vctx)
  print("ehlo", tostring(str), vctx:get(core.VCTX_MESS, "mailfrom_string"), vctx:get(core.VCTX_MESS, "tag"))
  return core.VALIDATE_CONT
end
function mod:validate_mailfrom(str, ac, vctx)
  vctx:set(core.VCTX_MESS, "tag", tostring(str))
  return core.VALIDATE_CONT
end
function mod:validate_rcptto(msg, str, ac, vctx)
  if string.find(tostring(str), "^refused@") then
    vctx:set_code(550, "5.1.1 No such address")
    return core.VALIDATE_DONE
  end
  return core.VALIDATE_CONT
end
function mod:validate_data(msg, ac, vctx)
  print("data", vctx:get(core.VCTX_MESS, "rcptto_string"), vctx:get(core.VCTX_MESS, "rcptto_localpart"))
  return core.VALIDATE_CONT
end
msys.registerModule("context", mod)
`

// The message context a hook sees belongs to the transaction under way:
// validate_ehlo after STARTTLS sees no earlier transaction's, and
// validate_data sees the recipient variables of the last recipient
// accepted, not of one refused after it.
func TestMessageContextIsTheTransactions(t *testing.T) {
	script := filepath.Join(t.TempDir(), "context.lua")
	if err := os.WriteFile(script, []byte(contextPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	printed := &printedLines{}
	h := luahost.New(luahost.Options{PoolSize: 1}, &luahost.Services{Print: printed.add})
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "context", Path: script}}); err != nil {
		t.Fatal(err)
	}
	l := smtpserver.Listen{Addr: "in-process", RelayHosts: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageSize: 1 << 20, MaxLineLength: 4096, IdleTime: 10 * time.Second, TLS: tlstest.New(t, "mx.msyshost.test").ServerConfig()}
	q := &smtpserver.Recorder{}
	srv := smtpserver.New(smtpserver.Options{InProcess: &l, Queue: q, Policy: &reception.Policy{Host: h, Log: discard()}, Hostname: "mx.msyshost.test"})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	nc, err := srv.Dial(context.Background(), netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:587"))
	if err != nil {
		t.Fatal(err)
	}
	tp := textproto.NewConn(nc)
	talk := func(line string, code int) {
		t.Helper()
		if line != "" {
			if err := tp.PrintfLine("%s", line); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := tp.ReadResponse(code); err != nil {
			t.Fatalf("%s: %v %s", line, err, msg)
		}
	}
	talk("", 220)
	talk("EHLO first.example", 250)
	talk("MAIL FROM:<a@example.com>", 250)
	talk("RCPT TO:<b@example.com>", 250)
	talk("RCPT TO:<refused@example.com>", 550)
	talk("DATA", 354)
	talk("Subject: x\r\n\r\nhi\r\n.", 250)
	talk("STARTTLS", 220)
	tp = textproto.NewConn(tls.Client(nc, &tls.Config{InsecureSkipVerify: true}))
	talk("EHLO first.example", 250)
	talk("QUIT", 221)
	want := "ehlo\tfirst.example\tnil\tnil\n" +
		"data\tRCPT TO:<b@example.com>\tb\n" +
		"ehlo\tfirst.example\tnil\tnil"
	if got := printed.all(); !strings.HasPrefix(got, want) {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
}
