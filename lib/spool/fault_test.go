package spool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// faultyWriter stands in for a disk that refuses writes while fail is set,
// as an I/O error would: every write fails and nothing is committed.
type faultyWriter struct {
	writer
	fail atomic.Bool
}

func (f *faultyWriter) Do(ctx context.Context, size int, apply func(*bolt.Tx) error) error {
	if f.fail.Load() {
		return fmt.Errorf("writing the spool: %w", syscall.EIO)
	}
	return f.writer.Do(ctx, size, apply)
}

func faulty(s *Spool) *faultyWriter {
	f := &faultyWriter{writer: s.w}
	s.w = f
	return f
}

// TestDeliveredNotResentWhenRemovalFails: a message its peer accepted,
// whose removal cannot be written, is never handed to the channel again
// by this process, however long the disk fails; no new message is taken
// while it does; once writes succeed the removal is written. Before the
// fix the peer got the message again every minute (4 times in 3 minutes).
func TestDeliveredNotResentWhenRemovalFails(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	gate := make(chan struct{})
	r := newRouter(func(m *message.Message, n int) error {
		if m.RcptTo == "first@example.net" && n == 1 {
			<-gate
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r, Now: c.Now, Workers: 1})
	fw := faulty(s)
	first, second := msg("a@example.com", "first@example.net"), msg("a@example.com", "second@example.net")
	if err := s.Enqueue(context.Background(), first, second); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitFor(t, "the first attempt", func() bool { return r.attempts("first@example.net") == 1 })
	fw.fail.Store(true)
	close(gate)
	for range 4 {
		time.Sleep(50 * time.Millisecond)
		c.add(61 * time.Second)
		s.poke()
	}
	time.Sleep(100 * time.Millisecond)
	if n, m := r.attempts("first@example.net"), r.attempts("second@example.net"); n != 1 || m != 0 {
		t.Fatalf("while writes failed: the delivered message was handed over %d times (want 1), a new one %d times (want 0)", n, m)
	}
	if _, _, err := s.Get(first.ID); err != nil {
		t.Fatalf("delivered message while its removal is owed: %v", err)
	}
	fw.fail.Store(false)
	c.add(2 * time.Minute)
	s.poke()
	waitFor(t, "the removal and the next message", func() bool {
		st, _ := s.Stats()
		return st.Delivered == 2 && st.Active+st.Delayed == 0
	})
	if n, m := r.attempts("first@example.net"), r.attempts("second@example.net"); n != 1 || m != 1 {
		t.Fatalf("handed over %d and %d times, want once each", n, m)
	}
}

// TestFailedNotDeliveredWhenRemovalFails: a message that failed for good
// whose bounce and removal cannot be written is never delivered later, and
// `message fail` on a failing disk says it failed. Before the fix the
// failed message went to its channel again after a retry interval, and
// `message fail` answered "no message ... waiting".
func TestFailedNotDeliveredWhenRemovalFails(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var fw *faultyWriter
	r := newRouter(func(m *message.Message, n int) error {
		if m.RcptTo == "b@example.net" && n == 1 {
			fw.fail.Store(true) // the disk fails as the peer refuses
			return status.Permanentf(status.SMTP, 550, "5.1.1", "no such user")
		}
		return nil // a delivery after the refusal would succeed: none must happen
	})
	s := openTest(t, "", Options{Router: r, Now: c.Now, Bouncer: renderer{}, Workers: 1})
	fw = faulty(s)
	m := msg("a@example.com", "b@example.net")
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitFor(t, "the refusal", func() bool { return r.attempts("b@example.net") == 1 })
	for range 4 {
		time.Sleep(50 * time.Millisecond)
		c.add(30 * time.Minute)
		s.poke()
	}
	time.Sleep(100 * time.Millisecond)
	if n := r.attempts("b@example.net"); n != 1 {
		t.Fatalf("a message that failed for good was delivered %d times in all", n)
	}
	if err := s.Fail(context.Background(), m.ID, false); err == nil || strings.Contains(err.Error(), "no message") {
		t.Fatalf("message fail on a failing disk: %v", err)
	}
	fw.fail.Store(false)
	c.add(2 * time.Minute)
	s.poke()
	dsn := r.wait(t, 1)[0]
	if dsn.RcptTo != "a@example.com" || !strings.Contains(string(dsn.Raw()), "no such user") {
		t.Fatalf("bounce %q to <%s>", dsn.Raw(), dsn.RcptTo)
	}
	waitFor(t, "the failed message removed", func() bool { st, _ := s.Stats(); return st.Failed == 1 && st.Active+st.Delayed == 0 })
	if n := r.attempts("b@example.net"); n != 1 {
		t.Fatalf("failed message delivered %d times in all", n)
	}
}

// failingRenderer cannot make bounces until ok is set.
type failingRenderer struct{ ok atomic.Bool }

func (f *failingRenderer) Bounce(context.Context, Bounce) error { return errors.New("unused") }

func (f *failingRenderer) Render(ctx context.Context, b Bounce) (*message.Message, error) {
	if !f.ok.Load() {
		return nil, errors.New("bounce template unreadable")
	}
	return renderer{}.Render(ctx, b)
}

// TestFailedKeptAcrossRestart: a message whose bounce cannot be made is
// kept marked failed, waits the retry interval of its own scope, and after
// a restart is bounced, not delivered. Before the fix it waited the
// global default (20 minutes) and the restarted spool delivered it.
func TestFailedKeptAcrossRestart(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := t.TempDir() + "/spool.db"
	cfg := testConfig(t, `Domain "example.net" { Retry_Interval = 90 }`)
	refuse := newRouter(func(*message.Message, int) error { return status.Permanentf(status.SMTP, 554, "5.7.1", "refused") })
	fr := &failingRenderer{}
	s, err := Open(path, Options{Router: refuse, Now: c.Now, Bouncer: fr, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	m := msg("a@example.com", "b@example.net")
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	var e Entry
	waitFor(t, "the message kept as failed", func() bool { e, _, _ = s.Get(m.ID); return e.Failed && !e.Delivering })
	if want := c.Now().Add(90 * time.Second); !e.Next.Equal(want) {
		t.Fatalf("kept failed until %v, want the scope's Retry_Interval: %v", e.Next, want)
	}
	s.Close()

	accept := newRouter(nil)
	fr.ok.Store(true)
	s = openTest(t, path, Options{Router: accept, Now: c.Now, Bouncer: fr, Config: cfg})
	c.add(2 * time.Minute)
	start(t, s)
	got := accept.wait(t, 1)[0]
	if got.RcptTo != "a@example.com" || accept.attempts("b@example.net") != 0 {
		t.Fatalf("after the restart %s got a message; the failed one was handed over %d times", got.RcptTo, accept.attempts("b@example.net"))
	}
}

// TestEnqueueFailureKeepsID: a refused Enqueue leaves the messages as they
// were. Before the fix each had been given an id that was never queued.
func TestEnqueueFailureKeepsID(t *testing.T) {
	s := openTest(t, "", Options{})
	faulty(s).fail.Store(true)
	m := msg("a@example.com", "b@example.net")
	id := m.ID
	if err := s.Enqueue(context.Background(), m); err == nil {
		t.Fatal("enqueue on a failing disk succeeded")
	}
	if m.ID != id {
		t.Fatalf("a refused enqueue changed the id from %s to %s", id, m.ID)
	}
}

// TestUnaddressableBounceDoesNotStallDelivery: a message whose stored
// sender the envelope check now refuses (what an older release let in)
// fails for good, goes without a bounce, and the spool goes on. Before
// the fix its bounce was owed for ever, retried every second, and the
// loop took no other message.
func TestUnaddressableBounceDoesNotStallDelivery(t *testing.T) {
	r := newRouter(func(m *message.Message, _ int) error {
		if m.RcptTo == "gone@example.net" {
			return status.Permanentf(status.SMTP, 550, "5.1.1", "no such user")
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r, Bouncer: renderer{}})
	first := msg("a@example.com", "gone@example.net")
	if err := s.Enqueue(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := stored(tx, first.ID)
		if err != nil {
			return err
		}
		rec.MailFrom = "a@example.com> NOTIFY=NEVER"
		return tx.Bucket(bucketMessages).Put([]byte(first.ID), encodeRecord(rec))
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitFor(t, "the failed message removed", func() bool { _, _, err := s.Get(first.ID); return err != nil })
	if err := s.Enqueue(context.Background(), msg("c@example.com", "later@example.net")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a later message delivered", func() bool { return r.attempts("later@example.net") == 1 })
	if n := r.attempts("a@example.com> NOTIFY=NEVER"); n != 0 {
		t.Errorf("a bounce to the refused sender was delivered %d times", n)
	}
}
