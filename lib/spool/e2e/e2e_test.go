// Package e2e drives the daemon's assembly (lib/process, as `msyshost run`
// builds it) over loopback: SMTP in, the spool, the router, SMTP out to
// receiving servers, bounces, a Lua hook's msg:inject and the console's
// mstore reinstate.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"msyshost/lib/message"
	"msyshost/lib/process"
	"msyshost/lib/retry"
	_ "msyshost/lib/route"
	_ "msyshost/lib/smtpclient"
	"msyshost/lib/smtpclient/smtpsink"
	_ "msyshost/lib/smtpserver"
)

// hooks re-routes a failed SMS from reroute@example.com to e-mail with
// msg:inject, and lets every other failure bounce.
const hooks = `
local m = {}
function m:smpp_handle_DR_negative(bucket, msgid)
  local msg = msys.mstore.load(bucket, msgid)
  if msg ~= nil and msg:mailfrom() == "reroute@example.com" then
    msg:inject(msg:mailfrom(), "john@example.net")
    msys.mstore.delete(bucket, msgid)
    return msys.smpp.SMPP_DELIVERED
  end
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("hooks", m)
`

// world is a running daemon with two receiving servers: one for
// example.net (where mail goes) and one for example.com (the senders,
// where bounces go).
type world struct {
	p        *process.Process
	smtpAddr string
	net, com *smtpsink.Sink
}

func start(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{}
	var err error
	if w.net, err = smtpsink.Start(smtpsink.Options{Rcpt: func(to string) error {
		if strings.HasPrefix(to, "nobody@") {
			return smtpsink.Reply(550, [3]int{5, 1, 1}, "no such user here")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.net.Close)
	if w.com, err = smtpsink.Start(smtpsink.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.com.Close)
	if err := os.WriteFile(filepath.Join(dir, "hooks.lua"), []byte(hooks), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := `
Data_Directory = "` + filepath.Join(dir, "data") + `"
Hostname = "mta.msyshost.test"
ESMTP_Listener { Listen "127.0.0.1:0" { } }
scriptlet "scriptlet" { script "hooks" { source = "hooks" } }
Domain "example.net" { Gateway = "` + w.net.Addr + `" }
Domain "example.com" { Gateway = "` + w.com.Addr + `" }
Domain "smpp.example.com" { smpp_registered_delivery = "SMSC_Delivery" }
`
	cfgFile := filepath.Join(dir, "msyshost.conf")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w.p, err = process.Build(ctx, process.Options{Mode: process.Daemon, ConfigFile: cfgFile, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		w.p.Stop(ctx)
	})
	for _, l := range w.p.Listeners() {
		if strings.HasPrefix(l, "127.0.0.1:") {
			w.smtpAddr = l
		}
	}
	if w.smtpAddr == "" {
		t.Fatalf("no SMTP listener among %v", w.p.Listeners())
	}
	return w
}

// send submits a message by SMTP (go-smtp's client).
func (w *world) send(t *testing.T, from string, to []string, body string) {
	t.Helper()
	c, err := smtp.Dial(w.smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(body)); err != nil {
		t.Fatalf("SMTP in refused: %v", err)
	}
	c.Quit()
}

func wait(t *testing.T, s *smtpsink.Sink, n int) []smtpsink.Message {
	t.Helper()
	msgs, ok := s.Wait(n, 15*time.Second)
	if !ok {
		t.Fatalf("%d of %d messages arrived", len(msgs), n)
	}
	return msgs
}

// TestMailThroughTheDaemon sends mail in by SMTP and sees it leave by SMTP
// with its trace header; a recipient the receiving server refuses comes
// back to the sender as an RFC 3464 bounce.
func TestMailThroughTheDaemon(t *testing.T) {
	w := start(t)
	body := "From: alice@example.com\r\nSubject: figures\r\n\r\nsee attached\r\n"
	w.send(t, "alice@example.com", []string{"bob@example.net", "carol@example.net", "nobody@example.net"}, body)

	got := wait(t, w.net, 2)
	rcpts := map[string]bool{}
	for _, m := range got {
		rcpts[m.To[0]] = true
		if m.From != "alice@example.com" || len(m.To) != 1 || !bytes.HasSuffix(m.Data, []byte(body)) ||
			!bytes.HasPrefix(m.Data, []byte("Received: from ")) || !bytes.Contains(m.Data, []byte("by mta.msyshost.test (msyshost) with ESMTP id ")) {
			t.Fatalf("delivered %+v\n%s", m, m.Data)
		}
	}
	if !rcpts["bob@example.net"] || !rcpts["carol@example.net"] {
		t.Fatalf("delivered to %v", rcpts)
	}

	dsn := wait(t, w.com, 1)[0]
	if dsn.From != "" || dsn.To[0] != "alice@example.com" {
		t.Fatalf("bounce envelope <%s> -> %v, want <> -> alice@example.com", dsn.From, dsn.To)
	}
	perRcpt := readDSN(t, dsn.Data)
	for k, want := range map[string]string{
		"Final-Recipient": "rfc822; nobody@example.net", "Action": "failed", "Status": "5.1.1",
		"Diagnostic-Code": "smtp; 550 5.1.1 no such user here",
	} {
		if got := perRcpt.Get(k); got != want {
			t.Errorf("bounce %s: %q, want %q", k, got, want)
		}
	}
	waitEmpty(t, w.p)
}

// readDSN parses a bounce as RFC 3464 describes it and returns its
// per-recipient fields.
func readDSN(t *testing.T, raw []byte) textproto.Header {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("bounce is not MIME: %v", err)
	}
	if ct, params, _ := e.Header.ContentType(); ct != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("bounce Content-Type %q %v", ct, params)
	}
	if from := e.Header.Get("From"); from != "mailer-daemon@mta.msyshost.test" {
		t.Errorf("bounce From %q", from)
	}
	mr := e.MultipartReader()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			t.Fatal("bounce without a message/delivery-status part")
		}
		if err != nil {
			t.Fatal(err)
		}
		if ct, _, _ := part.Header.ContentType(); ct != "message/delivery-status" {
			continue
		}
		b, _ := io.ReadAll(part.Body)
		r := bufio.NewReader(bytes.NewReader(b))
		perMsg, err := textproto.ReadHeader(r)
		if err != nil || perMsg.Get("Reporting-MTA") != "dns; mta.msyshost.test" {
			t.Fatalf("per-message fields %v (%v)", perMsg.Map(), err)
		}
		perRcpt, err := textproto.ReadHeader(r)
		if err != nil {
			t.Fatal(err)
		}
		return perRcpt
	}
}

// TestInjectAndReinstateReachTheSink checks the two ways back into the
// spool from the retry feature: a negative receipt whose hook calls
// msg:inject, and `mstore reinstate` on the console; and that a hook that
// continues bounces the stored copy to its sender.
func TestInjectAndReinstateReachTheSink(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	submit := func(from, id string) {
		m := message.FromRaw(from, "15551234@smpp.example.com", []byte("Subject: sms\r\n\r\nhello by SMS\r\n"))
		if _, err := w.p.Retry.Submitted(ctx, retry.Submission{Channel: retry.SMPP, Message: m, IDs: []string{id}, Shortcode: "12345", Save: true}); err != nil {
			t.Fatal(err)
		}
	}
	submit("reroute@example.com", "id-1")
	submit("alice@example.com", "id-2")

	// msg:inject from the negative-receipt hook.
	if _, err := w.p.Retry.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "id-1", Status: "UNDELIV"}); err != nil {
		t.Fatal(err)
	}
	m := wait(t, w.net, 1)[0]
	if m.From != "reroute@example.com" || m.To[0] != "john@example.net" || !bytes.Contains(m.Data, []byte("hello by SMS")) {
		t.Fatalf("injected copy arrived as %+v", m)
	}

	// mstore reinstate from the console, to a new recipient.
	out, err := w.p.Console.Exec(ctx, "mstore reinstate MADR-12345 id-2 mary@example.net")
	if err != nil || !strings.Contains(out, "Reinstated MADR-12345/id-2") {
		t.Fatalf("mstore reinstate: %q %v", out, err)
	}
	got := wait(t, w.net, 2)
	if r := got[1]; r.From != "alice@example.com" || r.To[0] != "mary@example.net" || !bytes.Contains(r.Data, []byte("hello by SMS")) {
		t.Fatalf("reinstated copy arrived as %+v", r)
	}

	// The hook continues for alice's message: the retry core bounces it.
	if _, err := w.p.Retry.Receipt(ctx, retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: "id-2", Status: "UNDELIV", Detail: "err:001"}); err != nil {
		t.Fatal(err)
	}
	dsn := wait(t, w.com, 1)[0]
	perRcpt := readDSN(t, dsn.Data)
	if perRcpt.Get("Final-Recipient") != "rfc822; 15551234@smpp.example.com" || perRcpt.Get("Action") != "failed" ||
		!strings.Contains(perRcpt.Get("Diagnostic-Code"), "UNDELIV") {
		t.Fatalf("receipt bounce fields %v", perRcpt.Map())
	}
	waitEmpty(t, w.p)
	out, err = w.p.Console.Exec(ctx, "summary")
	if err != nil || !strings.Contains(out, "Successfully Delivered Messages: 3") {
		t.Fatalf("summary after three deliveries:\n%s%v", out, err)
	}
}

// waitEmpty waits for the queue to drain, as the console shows it.
func waitEmpty(t *testing.T, p *process.Process) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := p.Console.Exec(context.Background(), "summary")
		if err == nil && strings.Contains(out, "Total Queue Size: 0\n") && strings.Contains(out, "Being Delivered: 0\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not empty:\n%s", out)
		}
	}
}
