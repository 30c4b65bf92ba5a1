package console

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// stuckQueue returns a console over a spool in which the two messages for
// stuck.example failed once (451) and wait an hour, and one for
// fresh.example waits its first attempt; delivery is stopped.
func stuckQueue(t *testing.T, bouncer spool.Bouncer) (*Console, *spool.Spool, map[string]string) {
	t.Helper()
	cfg, err := config.Parse("q.conf", []byte(`Retry_Interval = 1h`))
	if err != nil {
		t.Fatal(err)
	}
	router := channel.Func(func(_ context.Context, m *message.Message) error {
		return status.Temporaryf(status.SMTP, 451, "4.4.1", "no answer from mx.stuck.example")
	})
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{Router: router, Bouncer: bouncer, Config: func() *config.Config { return cfg }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	ids := map[string]string{}
	ctx := context.Background()
	if err := sp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"a@stuck.example", "b@stuck.example"} {
		m := message.FromRaw("sender@example.com", rcpt, []byte("Subject: for "+rcpt+"\r\n\r\nbody\r\n"))
		if err := sp.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[rcpt] = m.ID
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, _ := sp.Stats(); st.Delayed == 2 && st.Delivering == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first attempts did not fail")
		}
	}
	sp.Stop(ctx)
	m := message.FromRaw("other@example.com", "c@fresh.example", []byte("Subject: fresh\r\n\r\n"))
	if err := sp.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	ids["c@fresh.example"] = m.ID
	c := New()
	c.AddQueue(sp)
	return c, sp, ids
}

func exec(t *testing.T, c *Console, line string, want ...string) string {
	t.Helper()
	out, err := c.Exec(context.Background(), line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("%s:\n%s\nlacks %q", line, out, w)
		}
	}
	return out
}

func TestQueueInspection(t *testing.T) {
	c, _, ids := stuckQueue(t, nil)
	exec(t, c, "summary", "Active Queue Size: 1\n", "Delayed Queue Size: 2\n", "Total Queue Size: 3\n", "Received Messages: 3\n")
	out := exec(t, c, "mailq", "default/default", "stuck.example", "fresh.example")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "stuck.example") && !strings.HasSuffix(line, "      0       2") {
			t.Fatalf("mailq line %q: want 0 active, 2 delayed", line)
		}
	}
	if out := exec(t, c, "mailq -d fresh.example"); strings.Contains(out, "stuck.example") {
		t.Fatalf("mailq -d fresh.example shows stuck.example:\n%s", out)
	}
	exec(t, c, "showqueue stuck.example",
		"[delayed/default] "+ids["a@stuck.example"]+" Created: ",
		"  From: <sender@example.com> To: <a@stuck.example>",
		"  Attempts: 1 Next: ", "Last: 451 4.4.1 no answer from mx.stuck.example")
	if out := exec(t, c, "showqueue stuck.example 1,1"); strings.Count(out, "[delayed/") != 1 || !strings.Contains(out, "b@stuck.example") {
		t.Fatalf("showqueue with limit,offset:\n%s", out)
	}
	exec(t, c, "showqueue all", "[active/default] "+ids["c@fresh.example"])
	exec(t, c, "showqueue binding other stuck.example", "No messages queued for stuck.example")
	exec(t, c, "message details "+ids["a@stuck.example"], "Message: "+ids["a@stuck.example"], "Recipient: a@stuck.example",
		"Retries: 0", "Attempts: 1", "Code: 451 4.4.1 no answer")
	exec(t, c, "message details body "+ids["a@stuck.example"], "Subject: for a@stuck.example")
	if _, err := c.Exec(context.Background(), "message details 00/00-00000-00000000"); err == nil || !strings.Contains(err.Error(), "no message 00/00-00000-00000000") {
		t.Fatalf("details of an unknown id: %v", err)
	}
}

func TestQueueControl(t *testing.T) {
	rec := &spool.Recorder{}
	c, sp, ids := stuckQueue(t, rec)
	exec(t, c, "flush domain stuck.example", "stuck.example flushed.  2 messages requeued.")
	exec(t, c, "summary", "Active Queue Size: 3\n", "Delayed Queue Size: 0\n")
	exec(t, c, "message retry "+ids["c@fresh.example"], "Message requeued for delivery")
	exec(t, c, "reroute queue fresh.example relay.example", "Moved 1 messages from 'fresh.example' to 'relay.example'")
	if l, _ := sp.List("relay.example"); len(l) != 1 || l[0].RcptTo != "c@fresh.example" {
		t.Fatalf("after reroute: %+v", l)
	}
	exec(t, c, "message fail quiet "+ids["c@fresh.example"], "failed")
	exec(t, c, "fail domain stuck.example", "stuck.example purged. 2 messages failed.")
	_, bounces := rec.Take()
	if len(bounces) != 2 || bounces[0].To != "sender@example.com" || !strings.Contains(bounces[0].Reason, "Message manually purged.") {
		t.Fatalf("bounces %+v (want two, none for the quiet fail)", bounces)
	}
	exec(t, c, "summary", "Total Queue Size: 0\n", "Failed Messages: 3\n")
	if _, err := c.Exec(context.Background(), "message fail "+ids["a@stuck.example"]); err == nil {
		t.Fatal("failing a message no longer queued succeeded")
	}
}
