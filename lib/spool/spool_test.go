package spool

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

// router is a channel whose answer per attempt a test decides; it records
// every message it was handed.
type router struct {
	mu     sync.Mutex
	answer func(m *message.Message, attempt int) error
	tries  map[string]int // by recipient
	got    []*message.Message
	ok     chan *message.Message
}

func newRouter(answer func(*message.Message, int) error) *router {
	return &router{answer: answer, tries: map[string]int{}, ok: make(chan *message.Message, 1000)}
}

func (r *router) Deliver(_ context.Context, m *message.Message) error {
	r.mu.Lock()
	r.tries[m.RcptTo]++
	n := r.tries[m.RcptTo]
	r.got = append(r.got, m)
	r.mu.Unlock()
	var err error
	if r.answer != nil {
		err = r.answer(m, n)
	}
	if err == nil {
		r.ok <- m
	}
	return err
}

func (r *router) attempts(rcpt string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tries[rcpt]
}

func (r *router) wait(t *testing.T, n int) []*message.Message {
	t.Helper()
	var out []*message.Message
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case m := <-r.ok:
			out = append(out, m)
		case <-timeout:
			t.Fatalf("%d of %d deliveries after 10s", len(out), n)
		}
	}
	return out
}

func testConfig(t *testing.T, text string) func() *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return func() *config.Config { return cfg }
}

func openTest(t *testing.T, path string, opts Options) *Spool {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "spool.db")
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func start(t *testing.T, s *Spool) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func msg(from, to string) *message.Message {
	m := message.FromRaw(from, to, []byte("Subject: test for "+to+"\r\n\r\nbody\r\n"))
	m.Context["k"] = "v"
	m.ConnContext["peer"] = "127.0.0.1"
	return m
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEnqueueSurvivesReopen checks everything a queued message carries is
// read back after the file is closed and opened again, under a new epoch
// whose ids do not repeat the old ones.
func TestEnqueueSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := msg("a@example.com", "b@example.net")
	m.BatchID, m.ConnID = "batch-1", "conn-1"
	m.RoutingDomain, m.Binding, m.BindingGroup = "relay.example", "b1", "g1"
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	id := m.ID
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, Options{})
	e, raw, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.MailFrom != "a@example.com" || e.RcptTo != "b@example.net" || e.BatchID != "batch-1" ||
		e.Domain != "relay.example" || e.Binding != "b1" || e.BindingGroup != "g1" || e.Attempts != 0 ||
		!e.Active || e.Size != len(raw) || string(raw) != string(m.Raw()) {
		t.Fatalf("read back %+v %q", e, raw)
	}
	rec, _, err := s.load(id)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.message(raw); got.Context["k"] != "v" || got.ConnContext["peer"] != "127.0.0.1" || got.ID != id {
		t.Fatalf("message rebuilt as %+v", got)
	}
	if next := s.NewID(); next == id {
		t.Fatalf("the new epoch repeats id %s", id)
	}
}

// TestDeliversAndRemoves checks due messages reach the router and leave
// the spool once it accepted them.
func TestDeliversAndRemoves(t *testing.T) {
	r := newRouter(nil)
	s := openTest(t, "", Options{Router: r, Workers: 4})
	start(t, s)
	for i := range 50 {
		if err := s.Enqueue(context.Background(), msg("a@example.com", fmt.Sprintf("r%d@example.net", i))); err != nil {
			t.Fatal(err)
		}
	}
	got := r.wait(t, 50)
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.RcptTo] = true
	}
	if len(seen) != 50 {
		t.Fatalf("%d distinct recipients delivered, want 50", len(seen))
	}
	waitFor(t, "an empty spool", func() bool {
		st, _ := s.Stats()
		return st.Active+st.Delayed == 0 && st.Delivered == 50
	})
}

// TestTemporaryFailureRetries checks a temporary failure is recorded
// (attempts, last error, next attempt after Retry_Interval) and retried
// until it succeeds.
func TestTemporaryFailureRetries(t *testing.T) {
	busy := status.Temporaryf(status.SMTP, 451, "4.7.1", "try later")
	r := newRouter(func(m *message.Message, n int) error {
		if n < 3 {
			return busy
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r, Config: testConfig(t, "Retry_Interval = 300ms")})
	start(t, s)
	m := msg("a@example.com", "b@example.net")
	before := time.Now()
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first failure recorded", func() bool {
		e, _, err := s.Get(m.ID)
		return err == nil && e.Attempts == 1 && !e.Delivering
	})
	e, _, _ := s.Get(m.ID)
	if e.LastError == nil || e.LastError.Code != 451 || e.LastError.Enhanced != "4.7.1" || !e.LastError.Temporary || e.Active {
		t.Fatalf("after one temporary failure: %+v (last error %+v)", e, e.LastError)
	}
	if d := e.Next.Sub(before); d < 300*time.Millisecond || d > 3*time.Second {
		t.Fatalf("next attempt %v after queueing, want Retry_Interval (300ms) after the failure", d)
	}
	r.wait(t, 1)
	if n := r.attempts("b@example.net"); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	waitFor(t, "the delivered message removed", func() bool {
		_, _, err := s.Get(m.ID)
		return err != nil
	})
}

// TestRetriesExhaustedBounce checks Max_Retries: after N retries the
// message fails with 5.4.7, carrying the last error, and the sender gets a
// bounce.
func TestRetriesExhaustedBounce(t *testing.T) {
	busy := status.Temporaryf(status.SMTP, 421, "4.4.2", "connection dropped")
	r := newRouter(func(*message.Message, int) error { return busy })
	rec := &Recorder{}
	s := openTest(t, "", Options{Router: r, Bouncer: rec, Config: testConfig(t, `
Domain "example.net" { Retry_Interval = 10ms Max_Retry_Interval = 20ms Max_Retries = 2 }`)})
	start(t, s)
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	var bounces []Bounce
	waitFor(t, "a bounce", func() bool {
		_, b := rec.Take()
		bounces = append(bounces, b...)
		return len(bounces) > 0
	})
	b := bounces[0]
	if n := r.attempts("b@example.net"); n != 3 {
		t.Fatalf("%d attempts, want 1 + Max_Retries (2)", n)
	}
	if b.To != "a@example.com" || b.Message.RcptTo != "b@example.net" || b.Err == nil ||
		b.Err.Enhanced != "5.4.7" || b.Err.Temporary || !errors.Is(b.Err, busy) ||
		!strings.Contains(b.Reason, "exceeded max retries") || !strings.Contains(b.Reason, "connection dropped") {
		t.Fatalf("bounce %+v (status %v)", b, b.Err)
	}
	waitFor(t, "an empty spool", func() bool { st, _ := s.Stats(); return st.Active+st.Delayed == 0 && st.Failed == 1 })
}

// TestExpiryBounce checks Message_Expiration fails a message that keeps
// failing temporarily, whatever Max_Retries says.
func TestExpiryBounce(t *testing.T) {
	r := newRouter(func(*message.Message, int) error { return errors.New("connection refused") })
	rec := &Recorder{}
	s := openTest(t, "", Options{Router: r, Bouncer: rec, Config: testConfig(t, `
Retry_Interval = 40ms
Max_Retry_Interval = 40ms
Max_Retries = none
Message_Expiration = 300ms`)})
	start(t, s)
	queued := time.Now()
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	var b []Bounce
	waitFor(t, "a bounce", func() bool { _, b = rec.Take(); return len(b) > 0 })
	if took := time.Since(queued); took < 300*time.Millisecond {
		t.Fatalf("failed after %v, before Message_Expiration", took)
	}
	if !strings.Contains(b[0].Reason, "message expired") || !strings.Contains(b[0].Reason, "connection refused") || b[0].Err.Enhanced != "5.4.7" {
		t.Fatalf("bounce %+v", b[0])
	}
	if n := r.attempts("b@example.net"); n < 3 {
		t.Fatalf("%d attempts in 300ms at 40ms intervals", n)
	}
}

// TestPermanentFailureBounces checks a permanent failure bounces at once
// with the peer's status, and never for the null sender.
func TestPermanentFailureBounces(t *testing.T) {
	unknown := status.Permanentf(status.SMTP, 550, "5.1.1", "no such user")
	r := newRouter(func(*message.Message, int) error { return unknown })
	rec := &Recorder{}
	s := openTest(t, "", Options{Router: r, Bouncer: rec})
	start(t, s)
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net"), msg("", "c@example.net")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both failed", func() bool { st, _ := s.Stats(); return st.Failed == 2 })
	_, b := rec.Take()
	if len(b) != 1 {
		t.Fatalf("%d bounces, want 1 (none for the null sender)", len(b))
	}
	if b[0].To != "a@example.com" || b[0].Err != unknown || r.attempts("b@example.net") != 1 {
		t.Fatalf("bounce %+v after %d attempts", b[0], r.attempts("b@example.net"))
	}
}

// renderer is a Bouncer that renders its bounces for the spool to queue.
type renderer struct{ off bool }

func (renderer) Bounce(context.Context, Bounce) error {
	return errors.New("the spool must queue rendered bounces itself")
}

func (r renderer) Render(_ context.Context, b Bounce) (*message.Message, error) {
	if r.off {
		return nil, nil
	}
	return message.FromRaw("", b.To, []byte("Subject: failed: "+b.Reason+"\r\n\r\n")), nil
}

// TestRenderedBounceQueuedWithRemoval checks a rendered bounce is queued by
// the spool (in the transaction that removes the failed message) and
// delivered like any other message.
func TestRenderedBounceQueuedWithRemoval(t *testing.T) {
	r := newRouter(func(m *message.Message, _ int) error {
		if m.RcptTo == "b@example.net" {
			return status.Permanentf(status.SMTP, 554, "5.7.1", "rejected")
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r, Bouncer: renderer{}})
	start(t, s)
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	dsn := r.wait(t, 1)[0]
	if dsn.RcptTo != "a@example.com" || dsn.MailFrom != "" || !strings.Contains(string(dsn.Raw()), "rejected") {
		t.Fatalf("bounce delivered as %q from <%s> to <%s>", dsn.Raw(), dsn.MailFrom, dsn.RcptTo)
	}
	waitFor(t, "an empty spool", func() bool { st, _ := s.Stats(); return st.Active+st.Delayed == 0 })
}

// TestBouncesOffInScope checks a renderer answering nil (Generate_Bounces
// off) removes the failed message without a bounce.
func TestBouncesOffInScope(t *testing.T) {
	r := newRouter(func(*message.Message, int) error { return status.Permanentf(status.SMTP, 550, "5.1.1", "no") })
	s := openTest(t, "", Options{Router: r, Bouncer: renderer{off: true}})
	start(t, s)
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure", func() bool { st, _ := s.Stats(); return st.Failed == 1 && st.Active+st.Delayed == 0 })
	if n := len(r.got); n != 1 {
		t.Fatalf("%d deliveries, want 1 (no bounce)", n)
	}
}

// TestBadEnvelopeRefused checks what no channel could carry is refused at
// enqueue with a permanent status, and nothing is queued: among them an
// address that would smuggle an SMTP parameter into MAIL or RCPT (before
// the fix "b@example.net> NOTIFY=NEVER" was queued and sent as such).
func TestBadEnvelopeRefused(t *testing.T) {
	s := openTest(t, "", Options{})
	for _, m := range []*message.Message{
		msg("a@example.com", ""),
		msg("a@example.com\r\nRCPT TO:<x@y>", "b@example.net"),
		msg("a@example.com", "b@example.net> NOTIFY=NEVER"),
		msg("a@example.com> SIZE=1", "b@example.net"),
		msg("a@example.com", "b c@example.net"),
		msg("a@example.com", "\"unterminated@example.net"),
	} {
		err := s.Enqueue(context.Background(), msg("a@example.com", "ok@example.net"), m)
		if st, ok := status.Of(err); !ok || st.Temporary || st.Code != 554 {
			t.Fatalf("bad envelope %q -> %q: %v", m.MailFrom, m.RcptTo, err)
		}
	}
	if st, _ := s.Stats(); st.Active != 0 {
		t.Fatalf("%d queued after refused batches", st.Active)
	}
	for _, ok := range []string{"\"john smith\"@example.net", "15551234@smpp.example.com", "üser@exämple.de", ""} {
		if err := s.Enqueue(context.Background(), msg(ok, "b@example.net")); err != nil {
			t.Errorf("sender %q refused: %v", ok, err)
		}
	}
}
