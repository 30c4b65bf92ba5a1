package reception_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"msyshost/lib/config"
	"msyshost/lib/process"
	"msyshost/lib/route"
	"msyshost/lib/smtpserver"

	_ "msyshost/lib/msys"
	_ "msyshost/lib/reception"
	_ "msyshost/lib/smtpclient"
)

// logLines keeps the daemon's log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func (l *logLines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// The daemon's assembly: SMTP in on a real socket asks the config's
// scripts (the shipped examples/reception.lua) at every phase and queues
// what policy accepted to the spool.
func TestDaemonRunsThePolicyOnLiveSessions(t *testing.T) {
	dir := t.TempDir()
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "test.conf"), []byte(`
Binding "bulk" { }
ESMTP_Listener { Listen "127.0.0.1:0" { } }
scriptlet "scriptlet" { script "reception" { source = "reception" } }
Control_Listener { Listen "`+filepath.Join(dir, "control.sock")+`" { } }
`))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logLines{}
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{
		Mode: process.Daemon, Config: cfg, DataDir: dir, SearchPath: []string{examples},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p.Stop(sctx)
	}()
	var srv *smtpserver.Server
	var q *route.QueueStage
	for _, c := range p.Components() {
		switch c := c.(type) {
		case *smtpserver.Server:
			srv = c
		case *route.QueueStage:
			q = c
		}
	}
	if srv == nil || q == nil || len(srv.Listeners()) != 1 {
		t.Fatalf("components: smtp in %v, spool %v", srv, q)
	}
	c, err := smtp.Dial(srv.Listeners()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@bulk.example", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Rcpt("nobody@example.net", nil); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) || se.Message != "No such address" {
		t.Fatalf("refused recipient: %v", err)
	}
	if err := c.Rcpt("bob@example.net", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: live\r\n\r\nhello\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	entries, err := q.Spool.List("")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].RcptTo != "bob@example.net" || entries[0].Binding != "bulk" {
		t.Fatalf("spool holds %+v", entries)
	}
	_, raw, err := q.Spool.Get(entries[0].ID)
	if err != nil || !strings.Contains(string(raw), "X-Reception-Policy: checked for bob@example.net") {
		t.Fatalf("queued message (%v):\n%s", err, raw)
	}
	if !logs.has("reception: refused by policy") {
		t.Error("no log line for the refusal")
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
