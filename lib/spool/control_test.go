package spool

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// delayedSpool returns a spool (delivery stopped) holding two messages for
// slow.example that failed once and wait an hour, one due for
// other.example, and the clock.
func delayedSpool(t *testing.T, bouncer Bouncer) (*Spool, *clock, []*message.Message) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := openTest(t, "", Options{Now: c.Now, Bouncer: bouncer})
	ms := []*message.Message{msg("a@example.com", "x@slow.example"), msg("a@example.com", "y@SLOW.example"), msg("b@example.com", "z@other.example")}
	if err := s.Enqueue(context.Background(), ms...); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		rec, _, err := s.load(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec.Attempts, rec.Next = 1, c.Now().Add(time.Hour)
		rec.LastError = status.Temporaryf(status.SMTP, 451, "4.4.1", "no answer from host")
		if err := s.rewrite(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	return s, c, ms
}

func TestStatsAndList(t *testing.T) {
	s, _, ms := delayedSpool(t, nil)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Active != 1 || st.Delayed != 2 || st.Received != 3 {
		t.Fatalf("stats %+v, want 1 active, 2 delayed, 3 received", st)
	}
	list, err := s.List("slow.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Active || list[0].Attempts != 1 || list[0].LastError.Code != 451 || list[0].Domain != "slow.example" {
		t.Fatalf("slow.example: %+v", list)
	}
	all, _ := s.List("all")
	if len(all) != 3 {
		t.Fatalf("all: %+v", all)
	}
	for _, e := range all {
		if e.ID == ms[2].ID && (!e.Active || e.Domain != "other.example") {
			t.Fatalf("due message listed as %+v", e)
		}
	}
}

func TestFlushAndRetry(t *testing.T) {
	s, c, ms := delayedSpool(t, nil)
	n, err := s.Flush(context.Background(), "slow.example")
	if err != nil || n != 2 {
		t.Fatalf("flush: %d, %v; want 2 requeued", n, err)
	}
	if st, _ := s.Stats(); st.Active != 3 {
		t.Fatalf("after flush: %+v", st)
	}
	if n, _ := s.Flush(context.Background(), "all"); n != 0 {
		t.Fatalf("second flush requeued %d, want 0 (all due already)", n)
	}
	// Make one wait again, then retry it alone.
	rec, _, _ := s.load(ms[0].ID)
	rec.Next = c.Now().Add(time.Hour)
	if err := s.rewrite(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(context.Background(), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := s.Get(ms[0].ID); !e.Active || !e.Next.Equal(c.Now()) {
		t.Fatalf("after retry: %+v", e)
	}
	if err := s.Retry(context.Background(), "00/00-00000-00000000"); err == nil || !strings.Contains(err.Error(), "no message 00/00-00000-00000000") {
		t.Fatalf("retry of an unknown id: %v", err)
	}
}

func TestFailAndFailDomain(t *testing.T) {
	rec := &Recorder{}
	s, _, ms := delayedSpool(t, rec)
	if err := s.Fail(context.Background(), ms[2].ID, true); err != nil {
		t.Fatal(err)
	}
	if _, b := rec.Take(); len(b) != 0 {
		t.Fatalf("quiet fail bounced: %+v", b)
	}
	n, err := s.FailDomain(context.Background(), "slow.example", false)
	if err != nil || n != 2 {
		t.Fatalf("fail domain: %d, %v", n, err)
	}
	_, b := rec.Take()
	if len(b) != 2 || b[0].To != "a@example.com" || b[0].Err.Code != 554 || !strings.Contains(b[0].Reason, "manually purged") {
		t.Fatalf("bounces %+v", b)
	}
	if st, _ := s.Stats(); st.Active+st.Delayed != 0 || st.Failed != 3 {
		t.Fatalf("after failing everything: %+v", st)
	}
}

func TestReroute(t *testing.T) {
	s, _, _ := delayedSpool(t, nil)
	n, err := s.Reroute(context.Background(), "slow.example", "relay.example")
	if err != nil || n != 2 {
		t.Fatalf("reroute: %d, %v", n, err)
	}
	list, _ := s.List("relay.example")
	if len(list) != 2 || !list[0].Active || !strings.HasSuffix(list[0].RcptTo, "slow.example") && !strings.HasSuffix(list[0].RcptTo, "SLOW.example") {
		t.Fatalf("rerouted: %+v", list)
	}
	if l, _ := s.List("slow.example"); len(l) != 0 {
		t.Fatalf("%d left under the old domain", len(l))
	}
}

// TestBusyMessageRefused checks an operator cannot fail or retry a message
// while it is being delivered.
func TestBusyMessageRefused(t *testing.T) {
	s, _, ms := delayedSpool(t, nil)
	s.mu.Lock()
	s.busy[ms[2].ID] = time.Time{}
	s.mu.Unlock()
	if err := s.Fail(context.Background(), ms[2].ID, false); err == nil || !strings.Contains(err.Error(), "being delivered") {
		t.Fatalf("fail of a message being delivered: %v", err)
	}
	if err := s.Retry(context.Background(), ms[2].ID); err == nil || !strings.Contains(err.Error(), "being delivered") {
		t.Fatalf("retry of a message being delivered: %v", err)
	}
}
