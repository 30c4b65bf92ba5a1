package dsn

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

const original = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: quarterly figures\r\nMessage-ID: <1@example.com>\r\n\r\nThe figures are attached.\r\n"

func bouncer(t *testing.T, conf string, inj spool.Injector) *Bouncer {
	t.Helper()
	cfg, err := config.Parse("dsn.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	return &Bouncer{
		Injector: inj,
		Config:   func() *config.Config { return cfg },
		Hostname: "mta.example.org",
		Now:      func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) },
	}
}

func failed(to string) spool.Bounce {
	m := message.FromRaw("alice@example.com", to, []byte(original))
	return spool.Bounce{
		To: "alice@example.com", Message: m, Reason: "no such user (after 1 attempt)",
		Err: status.Permanentf(status.SMTP, 550, "5.1.1", "<%s>: no such user", to),
	}
}

// parsed is a DSN as an independent parser (go-message) reads it.
type parsed struct {
	header     gomessage.Header
	parts      []string // content types, in order
	human      string
	perMessage textproto.Header
	perRcpt    textproto.Header
	third      string // the original or its headers, as sent
}

// parse reads raw as RFC 3464 says a DSN is built, failing the test on
// anything out of shape.
func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a MIME message: %v", err)
	}
	ct, params, err := e.Header.ContentType()
	if err != nil || ct != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %q %v (%v), want multipart/report; report-type=delivery-status", ct, params, err)
	}
	p := parsed{header: e.Header}
	mr := e.MultipartReader()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading parts: %v", err)
		}
		pct, _, _ := part.Header.ContentType()
		p.parts = append(p.parts, pct)
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch pct {
		case "text/plain":
			p.human = string(body)
		case "message/delivery-status":
			br := bufio.NewReader(bytes.NewReader(body))
			if p.perMessage, err = textproto.ReadHeader(br); err != nil {
				t.Fatalf("per-message fields: %v", err)
			}
			if p.perRcpt, err = textproto.ReadHeader(br); err != nil {
				t.Fatalf("per-recipient fields: %v", err)
			}
		default:
			p.third = string(body)
		}
	}
	return p
}

func TestRFC3464Fields(t *testing.T) {
	b := bouncer(t, "", nil)
	m, err := b.Render(context.Background(), failed("bob@example.net"))
	if err != nil {
		t.Fatal(err)
	}
	if m.MailFrom != "" || m.RcptTo != "alice@example.com" {
		t.Fatalf("envelope <%s> -> <%s>, want <> -> <alice@example.com>", m.MailFrom, m.RcptTo)
	}
	p := parse(t, m.Raw())
	if got := strings.Join(p.parts, " "); got != "text/plain message/delivery-status text/rfc822-headers" {
		t.Fatalf("parts %s", got)
	}
	for k, want := range map[string]string{
		"From": "mailer-daemon@mta.example.org", "To": "<alice@example.com>",
		"Subject": "Delivery failure: quarterly figures", "Auto-Submitted": "auto-replied",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if got := p.perMessage.Get("Reporting-MTA"); got != "dns; mta.example.org" {
		t.Errorf("Reporting-MTA %q", got)
	}
	for k, want := range map[string]string{
		"Final-Recipient": "rfc822; bob@example.net",
		"Action":          "failed",
		"Status":          "5.1.1",
		"Diagnostic-Code": "smtp; 550 5.1.1 <bob@example.net>: no such user",
	} {
		if got := p.perRcpt.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(p.human, "bob@example.net") || !strings.Contains(p.human, "no such user") {
		t.Errorf("human part %q does not say who and why", p.human)
	}
	if !strings.Contains(p.third, "Subject: quarterly figures") || strings.Contains(p.third, "figures are attached") {
		t.Errorf("Bounces_Inline_Original = headers (the default) sent %q", p.third)
	}
}

func TestInlineOriginal(t *testing.T) {
	for _, tc := range []struct{ conf, ctype, has, hasNot string }{
		{`Bounces_Inline_Original = all`, "message/rfc822", "The figures are attached.", ""},
		{`Domain "example.net" { Bounces_Inline_Original = none }`, "", "", ""},
	} {
		m, err := bouncer(t, tc.conf, nil).Render(context.Background(), failed("bob@example.net"))
		if err != nil {
			t.Fatal(err)
		}
		p := parse(t, m.Raw())
		if tc.ctype == "" {
			if len(p.parts) != 2 {
				t.Errorf("%s: parts %v, want no original", tc.conf, p.parts)
			}
			continue
		}
		if len(p.parts) != 3 || p.parts[2] != tc.ctype || !strings.Contains(p.third, tc.has) {
			t.Errorf("%s: parts %v, third %q", tc.conf, p.parts, p.third)
		}
	}
	if _, err := bouncer(t, "Bounces_Inline_Original = some", nil).Render(context.Background(), failed("b@x.example")); err == nil || !strings.Contains(err.Error(), "dsn.conf:1:1") {
		t.Errorf("bad Bounces_Inline_Original: %v", err)
	}
}

// TestNoBounce checks the cases that owe none: a null-sender original and
// Generate_Bounces = false in the original's scope.
func TestNoBounce(t *testing.T) {
	rec := &spool.Recorder{}
	b := bouncer(t, `Domain "quiet.example" { Generate_Bounces = false }`, rec)
	null := failed("bob@example.net")
	null.To = ""
	for _, bn := range []spool.Bounce{null, failed("bob@quiet.example")} {
		if err := b.Bounce(context.Background(), bn); err != nil {
			t.Fatal(err)
		}
	}
	if inj, _ := rec.Take(); len(inj) != 0 {
		t.Fatalf("%d bounces queued, want none", len(inj))
	}
	if err := b.Bounce(context.Background(), failed("bob@loud.example")); err != nil {
		t.Fatal(err)
	}
	if inj, _ := rec.Take(); len(inj) != 1 || inj[0].RcptTo != "alice@example.com" {
		t.Fatalf("queued %v", inj)
	}
}

// TestMailerDaemonAndNonSMTPFailure checks the mailerdaemon option sets From,
// and a failure that no SMTP server gave (an SMPP receipt, an expiry) is
// reported with its reason and a class-5 status.
func TestMailerDaemonAndNonSMTPFailure(t *testing.T) {
	b := bouncer(t, `mailerdaemon = "postmaster@example.org"`, nil)
	bn := failed("15551234@smpp.example.com")
	bn.Reason, bn.Err = "SMPP delivery receipt: UNDELIV (err:001)", nil
	m, err := b.Render(context.Background(), bn)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, m.Raw())
	if p.header.Get("From") != "postmaster@example.org" || p.perRcpt.Get("Status") != "5.0.0" ||
		p.perRcpt.Get("Diagnostic-Code") != "X-msyshost; SMPP delivery receipt: UNDELIV (err:001)" {
		t.Fatalf("From %q, Status %q, Diagnostic-Code %q", p.header.Get("From"), p.perRcpt.Get("Status"), p.perRcpt.Get("Diagnostic-Code"))
	}
	// An expiry: the spool's 5.4.7 around the last temporary SMTP reply.
	bn.Err = &status.Error{Protocol: status.Spool, Code: 554, Enhanced: "5.4.7", Text: "message expired without delivery",
		Err: status.Temporaryf(status.SMTP, 451, "4.4.1", "no answer")}
	m, _ = b.Render(context.Background(), bn)
	p = parse(t, m.Raw())
	if p.perRcpt.Get("Status") != "5.4.7" || p.perRcpt.Get("Diagnostic-Code") != "smtp; 451 4.4.1 no answer" {
		t.Fatalf("expiry: Status %q, Diagnostic-Code %q", p.perRcpt.Get("Status"), p.perRcpt.Get("Diagnostic-Code"))
	}
}

// TestLongAndUnusualInput: long Subject and Diagnostic-Code are folded so
// no line passes 998 octets (before the fix a 2000-octet subject made a
// 2000-octet line); an original with a line over 998 octets is inlined as
// binary, not 8bit; a non-ASCII recipient is reported as a utf-8 address
// (RFC 6533); and the header section of an original with bare LF line
// ends stops at its own blank line, not at a later CRLF one.
func TestLongAndUnusualInput(t *testing.T) {
	b := bouncer(t, "Bounces_Inline_Original = all", nil)
	long := strings.Repeat("word ", 400)
	bn := failed("bob@example.net")
	bn.Message = message.FromRaw("alice@example.com", "bob@example.net",
		[]byte("Subject: "+long+"\r\n\r\n"+strings.Repeat("y", 1200)+"\r\n"))
	bn.Err = status.Permanentf(status.SMTP, 550, "5.7.1", "%s", long)
	m, err := b.Render(context.Background(), bn)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(m.Raw())
	head := raw[:strings.Index(raw, "\r\n--=_msyshost_")]
	fields := raw[strings.Index(raw, "message/delivery-status"):strings.Index(raw, "message/rfc822")]
	for _, section := range []string{head, fields} {
		for _, line := range strings.Split(section, "\r\n") {
			if len(line) > 998 {
				t.Fatalf("a header line of %d octets", len(line))
			}
		}
	}
	p := parse(t, m.Raw())
	if got := p.perRcpt.Get("Diagnostic-Code"); got != "smtp; 550 5.7.1 "+strings.TrimSpace(long) {
		t.Errorf("Diagnostic-Code unfolded to %d octets, want the whole reply", len(got))
	}
	if !strings.Contains(raw, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: binary\r\n") {
		t.Errorf("an original with a 1200-octet line not inlined as binary")
	}

	m, err = bouncer(t, "", nil).Render(context.Background(), failed("jöran+tag@exämple.de"))
	if err != nil {
		t.Fatal(err)
	}
	pr := parse(t, m.Raw())
	if got := pr.perRcpt.Get("Final-Recipient"); got != `utf-8; j\x{F6}ran\x{2B}tag@ex\x{E4}mple.de` {
		t.Errorf("non-ASCII Final-Recipient %q", got)
	}

	bn = failed("bob@example.net")
	bn.Message = message.FromRaw("alice@example.com", "bob@example.net",
		[]byte("Subject: lf\nX-A: 1\n\nbody line\r\n\r\nSecret: not a header\r\n"))
	m, err = bouncer(t, "", nil).Render(context.Background(), bn)
	if err != nil {
		t.Fatal(err)
	}
	if third := parse(t, m.Raw()).third; !strings.Contains(third, "X-A: 1") || strings.Contains(third, "Secret") {
		t.Errorf("headers of a bare-LF original: %q", third)
	}
}

// FuzzFold: a folded field has no line over 998 octets, and unfolding it
// (RFC 5322 2.2.3) gives the field back, unless a word had to be cut.
func FuzzFold(f *testing.F) {
	f.Add("Subject: " + strings.Repeat("word ", 50))
	f.Add("Diagnostic-Code: smtp; " + strings.Repeat("x", 2000))
	f.Fuzz(func(t *testing.T, field string) {
		if strings.ContainsAny(field, "\r\n") {
			return
		}
		folded := fold(field)
		for _, line := range strings.Split(folded, "\r\n") {
			if len(line) > 998 {
				t.Fatalf("line of %d octets", len(line))
			}
		}
		cut := false
		for _, w := range strings.Split(field, " ") {
			cut = cut || len(w) > 997
		}
		if unfolded := strings.ReplaceAll(folded, "\r\n", ""); !cut && unfolded != field {
			t.Fatalf("%q folded to %q", field, folded)
		}
	})
}
