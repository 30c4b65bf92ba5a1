package smtpserver

import (
	"crypto/tls"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/tlstest"
)

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("smtp.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestListensOf(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	os.WriteFile(pw, []byte("# users\napp:pa:ss\n\nother:x\n"), 0o600)
	cfg := parse(t, `
Relay_Hosts = ( "10.1.0.0/16" )
Relay_Domains = ( "Ours.example" )
ESMTP_Listener {
  Max_Message_Size = 1000
  Idle_Time = 30
  AuthPlainParameters = [ uri = "file://`+pw+`" ]
  Listen ":2525" { }
  Listen "127.0.0.2:2526" {
    Relay_Hosts = ( 192.0.2.1 )
    Max_Message_Size = 5000
    Listener_Sessions = 3
  }
  Listen "127.0.0.3:2527" { Enable = false }
}`)
	ls, err := ListensOf(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d listens, want 2 (one disabled)", len(ls))
	}
	a, b := ls[0], ls[1]
	if a.Addr != "127.0.0.1:2525" || a.MaxMessageSize != 1000 || a.IdleTime != 30*time.Second ||
		len(a.RelayHosts) != 1 || a.RelayHosts[0] != netip.MustParsePrefix("10.1.0.0/16") ||
		a.RelayDomains[0] != "ours.example" || a.Users["app"] != "pa:ss" || len(a.Mechanisms) != 1 ||
		a.Sessions != 1000 || a.SessionsPerIP != 50 || a.MaxRecipients != 100 || a.DataTimeout != 10*time.Minute {
		t.Fatalf("first listen %+v", a)
	}
	if b.Addr != "127.0.0.2:2526" || b.MaxMessageSize != 5000 || b.Sessions != 3 || b.RelayHosts[0] != netip.MustParsePrefix("192.0.2.1/32") || b.MaxLineLength != 65536 {
		t.Fatalf("second listen %+v", b)
	}

	if ls, err := ListensOf(parse(t, `ESMTP_Listener { }`)); err != nil || len(ls) != 1 || ls[0].Addr != DefaultAddr ||
		len(ls[0].RelayHosts) != 2 || !ls[0].RelayHosts[0].Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("bare ESMTP_Listener: %+v %v", ls, err)
	}
	if ls, err := ListensOf(parse(t, ``)); err != nil || ls != nil {
		t.Fatalf("no ESMTP_Listener: %+v %v", ls, err)
	}
	for _, bad := range []struct{ conf, want string }{
		{`ESMTP_Listener { Listen "2525" { } }`, `smtp.conf:1:18: Listen "2525": expected host:port or :port`},
		{`Relay_Hosts = ( "10.0.0.0/33" )` + "\nESMTP_Listener { }", `smtp.conf:1:1: Relay_Hosts: "10.0.0.0/33" is neither`},
		{`ESMTP_Listener { AuthLoginParameters = [ uri = "ldap://x" ] }`, `uri must be file:///`},
		{`ESMTP_Listener { TLS_Key = "k.pem" }`, `needs both TLS_Certificate and TLS_Key`},
		{`ESMTP_Listener { Max_Recipients_Per_Message = -1 }`, `must not be negative`},
	} {
		if _, err := ListensOf(parse(t, bad.conf)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.conf, err, bad.want)
		}
	}
}

// TestSTARTTLS checks STARTTLS is offered with a certificate, that AUTH
// follows it, and that the trace header says ESMTPS.
func TestSTARTTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := tlstest.New(t, "mx.msyshost.test", "127.0.0.1").Files(t, dir, "mx")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l := listen()
	l.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	q := &queue{}
	addr := serve(t, l, Options{Queue: q})
	c := dial(t, addr)
	if ehlo := c.do("EHLO client.test", 250, ""); !strings.Contains(ehlo, "STARTTLS") {
		t.Fatalf("STARTTLS not offered: %q", ehlo)
	}
	c.do("STARTTLS", 220, "")
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.tp = textproto.NewConn(tc)
	if ehlo := c.do("EHLO client.test", 250, ""); strings.Contains(ehlo, "STARTTLS") {
		t.Fatalf("STARTTLS offered again inside TLS: %q", ehlo)
	}
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<b@example.net>", 250, "")
	c.data(body, 250, "")
	if raw := string(q.all()[0].Raw()); !strings.Contains(raw, "with ESMTPS id") {
		t.Fatalf("trace %q", raw)
	}
}

// FuzzPasswords checks the credentials reader never panics and that what
// it accepts has a user for every entry.
func FuzzPasswords(f *testing.F) {
	f.Add([]byte("# c\nuser:pass\n\nx:y:z\r\n"))
	f.Add([]byte(":nouser\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		users, err := parsePasswords(b)
		if err != nil {
			return
		}
		for u := range users {
			if u == "" || strings.ContainsAny(u, "\n") {
				t.Fatalf("user %q read from %q", u, b)
			}
		}
	})
}
