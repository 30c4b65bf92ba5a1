package spool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// dueLeft counts the due entries whose message is gone, and the records.
func dueLeft(t *testing.T, s *Spool) (orphans, records int) {
	t.Helper()
	s.db.View(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		records = msgs.Stats().KeyN
		return tx.Bucket(bucketDue).ForEach(func(k, _ []byte) error {
			if msgs.Get(k[8:]) == nil {
				orphans++
			}
			return nil
		})
	})
	return orphans, records
}

// TestOperatorRacingDeliveries runs `reroute queue all` in a loop while
// 1000 messages fail once and are retried: an operator command must never
// write a state a worker replaced meanwhile. Before the fix (a race: half
// the runs here; 195 of 300 messages on a loaded machine) messages
// left a due entry behind them, which spun the loop.
func TestOperatorRacingDeliveries(t *testing.T) {
	r := newRouter(func(m *message.Message, n int) error {
		if n == 1 {
			return status.Temporaryf(status.SMTP, 451, "4.4.1", "later")
		}
		return nil
	})
	s := openTest(t, "", Options{Router: r, Workers: 16})
	const n = 1000
	var ms []*message.Message
	for i := range n {
		ms = append(ms, msg("a@example.com", fmt.Sprintf("r%d@x.example", i)))
	}
	if err := s.Enqueue(context.Background(), ms...); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if _, err := s.Reroute(context.Background(), "all", "x.example"); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	// Race until half are delivered and every one was tried once, then
	// stop the command and flush what waits: a command running back to
	// back holds its claims most of the time.
	for got, deadline := 0, time.After(5*time.Second); got < n/2; got++ {
		select {
		case <-r.ok:
		case <-deadline:
			got = n
		}
	}
	waitFor(t, "a first attempt of every message", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.tries) == n
	})
	stop.Store(true)
	wg.Wait()
	waitFor(t, "the attempts under way", func() bool { return s.inFlight() == 0 })
	if _, err := s.Flush(context.Background(), "all"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an empty spool", func() bool { _, recs := dueLeft(t, s); return recs == 0 })
	if orphans, _ := dueLeft(t, s); orphans != 0 {
		t.Fatalf("%d due entries left without a message", orphans)
	}
}

// TestOrphanDueEntryRemoved: a due entry whose message is gone (left by an
// earlier build, or a damaged file) is dropped the first time the loop
// meets it. Before the fix it was taken again at every turn of the loop,
// forever: 28% of a CPU per entry.
func TestOrphanDueEntryRemoved(t *testing.T) {
	r := newRouter(nil)
	s := openTest(t, "", Options{Router: r})
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDue).Put(dueKey(time.Unix(1, 0), "ghost"), nil)
	}); err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitFor(t, "the orphan due entry dropped", func() bool { st, _ := s.Stats(); return st.Active == 0 })
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@example.net")); err != nil {
		t.Fatal(err)
	}
	r.wait(t, 1)
}

// blockingRenderer renders bounces, the first one only once released.
type blockingRenderer struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingRenderer) Bounce(context.Context, Bounce) error { return nil }

func (b *blockingRenderer) Render(ctx context.Context, bn Bounce) (*message.Message, error) {
	b.once.Do(func() {
		close(b.started)
		<-b.release
	})
	return nil, nil
}

// TestOperatorCommandLeavesWorkers: an operator command over many
// messages (here `fail domain`, held up by its first bounce) must not take
// the delivery workers: other mail keeps going. Before the fix every
// message it claimed counted as a delivery under way, so 20 claims
// starved 4 workers until the command ended.
func TestOperatorCommandLeavesWorkers(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := newRouter(nil)
	br := &blockingRenderer{started: make(chan struct{}), release: make(chan struct{})}
	s := openTest(t, "", Options{Router: r, Now: c.Now, Bouncer: br, Workers: 4})
	var later []*message.Message
	for i := range 20 {
		later = append(later, msg("a@example.com", fmt.Sprintf("r%d@stuck.example", i)))
	}
	if err := s.Enqueue(context.Background(), later...); err != nil {
		t.Fatal(err)
	}
	// They wait an hour; the fail domain below claims them all.
	for _, m := range later {
		rec, _, _ := s.load(m.ID)
		rec.Next = c.Now().Add(time.Hour)
		if err := s.rewrite(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	start(t, s)
	done := make(chan error, 1)
	go func() {
		_, err := s.FailDomain(context.Background(), "stuck.example", false)
		done <- err
	}()
	<-br.started
	if err := s.Enqueue(context.Background(), msg("a@example.com", "b@other.example")); err != nil {
		t.Fatal(err)
	}
	r.wait(t, 1)
	close(br.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
