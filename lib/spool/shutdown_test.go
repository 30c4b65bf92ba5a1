package spool

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/channel"
	"msyshost/lib/message"
)

// TestShutdownKeepsAnswer: an attempt whose peer accepted the message just
// as the shutdown cancelled it is recorded as delivered, so the restarted
// spool does not send it again. Before the fix the success was dropped
// ("interrupted by shutdown") and the removal failed on the cancelled
// context: the message was delivered a second time after the restart.
func TestShutdownKeepsAnswer(t *testing.T) {
	path := t.TempDir() + "/spool.db"
	started, answer := make(chan struct{}), make(chan struct{})
	slow := channel.Func(func(ctx context.Context, m *message.Message) error {
		close(started)
		<-answer // the peer's 250 arrives after the shutdown began
		return nil
	})
	s, err := Open(path, Options{Router: slow})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no budget left for the spool: attempts are cancelled at once
	stopped := make(chan struct{})
	go func() {
		s.Stop(ctx)
		close(stopped)
	}()
	time.Sleep(50 * time.Millisecond)
	close(answer)
	<-stopped
	s.Close()
	again := newRouter(nil)
	s = openTest(t, path, Options{Router: again})
	if st, _ := s.Stats(); st.Active+st.Delayed != 0 {
		t.Fatalf("%d messages queued after a shutdown that saw the peer accept the only one", st.Active+st.Delayed)
	}
}

// TestStopBounded: Stop returns, with an error, when an attempt ignores
// its cancellation. Before the fix it waited for the attempt forever.
func TestStopBounded(t *testing.T) {
	old := stopGrace
	stopGrace = 100 * time.Millisecond
	defer func() { stopGrace = old }()
	started, never := make(chan struct{}), make(chan struct{})
	defer close(never)
	var once sync.Once
	stuck := channel.Func(func(context.Context, *message.Message) error {
		once.Do(func() { close(started) })
		<-never
		return nil
	})
	s := openTest(t, "", Options{Router: stuck})
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Stop(ctx) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "did not end") {
			t.Fatalf("Stop with a stuck attempt: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop still waiting for an attempt that ignores its cancellation")
	}
}

// TestPanickingChannel: a channel that panics fails the attempt
// temporarily (the daemon lives on); after maxPanics the message is
// quarantined, out of delivery, until `message retry`. Before the fix the
// first panic took the process down, and again at every restart.
func TestPanickingChannel(t *testing.T) {
	var mu sync.Mutex
	panics := true
	calls := 0
	ch := channel.Func(func(_ context.Context, m *message.Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if panics {
			panic("nil map in the channel")
		}
		return nil
	})
	s := openTest(t, "", Options{Router: ch, Config: testConfig(t, "Retry_Interval = 10ms\nMax_Retry_Interval = 10ms")})
	m := msg("a@example.com", "b@example.net")
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	var e Entry
	waitFor(t, "quarantine", func() bool { e, _, _ = s.Get(m.ID); return e.Quarantined && !e.Delivering })
	if e.Attempts != maxPanics || e.Active || e.LastError == nil || !e.LastError.Temporary || !strings.Contains(e.LastError.Text, "panicked") {
		t.Fatalf("quarantined as %+v (last error %v)", e, e.LastError)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if calls != maxPanics {
		t.Fatalf("the channel was called %d times, want %d then quarantine", calls, maxPanics)
	}
	panics = false
	mu.Unlock()
	if err := s.Retry(context.Background(), m.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after message retry", func() bool { st, _ := s.Stats(); return st.Delivered == 1 })
}

// TestDeferredIsNotAnAttempt: a channel that did not try a message
// (channel.ErrDeferred: its destination at its connection limit) has it
// offered again shortly, with no attempt counted and nothing written.
func TestDeferredIsNotAnAttempt(t *testing.T) {
	old := deferHold
	deferHold = 50 * time.Millisecond
	defer func() { deferHold = old }()
	busy := fmt.Errorf("not tried: 32 deliveries under way: %w", channel.ErrDeferred)
	r := newRouter(func(m *message.Message, n int) error {
		if n <= 2 {
			return busy
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r})
	m := msg("a@example.com", "b@example.net")
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	r.wait(t, 1)
	if n := r.attempts("b@example.net"); n != 3 {
		t.Fatalf("offered %d times, want 3 (two deferrals)", n)
	}
	waitFor(t, "the delivery recorded", func() bool { st, _ := s.Stats(); return st.Delivered == 1 })
}

// TestListingsInChunks: listings, counts and operator commands read the
// file a chunk at a time and still see every message.
func TestListingsInChunks(t *testing.T) {
	s := openTest(t, "", Options{})
	var ms []*message.Message
	for i := range 2*scanChunk + 7 {
		ms = append(ms, msg("a@example.com", fmt.Sprintf("r%d@example.net", i)))
	}
	if err := s.Enqueue(context.Background(), ms...); err != nil {
		t.Fatal(err)
	}
	all, err := s.List("all")
	if st, _ := s.Stats(); err != nil || len(all) != len(ms) || st.Active != len(ms) {
		t.Fatalf("listed %d, counted %d active, of %d (%v)", len(all), st.Active, len(ms), err)
	}
	if n, err := s.Reroute(context.Background(), "example.net", "relay.example"); err != nil || n != len(ms) {
		t.Fatalf("rerouted %d of %d (%v)", n, len(ms), err)
	}
	if moved, _ := s.List("relay.example"); len(moved) != len(ms) {
		t.Fatalf("%d listed under the new domain", len(moved))
	}
}
