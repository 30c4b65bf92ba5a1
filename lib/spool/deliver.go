package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

// maxSleep bounds how long the delivery loop sleeps without looking at the
// queue, so a clock that jumps is noticed.
const maxSleep = time.Second

// holdAfterWriteFailure is how long a message whose new state could not be
// written waits before it is tried again, so a failing disk does not turn
// the loop into a busy one.
const holdAfterWriteFailure = time.Minute

// runState is one Start..Stop of delivery.
type runState struct {
	stop    chan struct{}
	work    chan string
	cancel  context.CancelFunc
	loop    sync.WaitGroup
	workers sync.WaitGroup
}

// Name names the spool as a component of the process.
func (s *Spool) Name() string { return "spool" }

// Start starts the delivery loop and its workers. Messages left from an
// earlier run are due at their recorded times; those that were being
// delivered when the process died are due already, and are delivered again.
func (s *Spool) Start(context.Context) error {
	if s.opts.Router == nil {
		return errors.New("starting spool delivery: no router")
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.run != nil {
		return errors.New("starting spool delivery: already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runState{stop: make(chan struct{}), work: make(chan string, s.opts.Workers), cancel: cancel}
	s.run = r
	for range s.opts.Workers {
		r.workers.Go(func() {
			for id := range r.work {
				s.attempt(ctx, id)
				s.release(id)
			}
		})
	}
	r.loop.Go(func() { s.loop(r) })
	return nil
}

// Stop stops taking due messages and waits for the attempts under way;
// when ctx ends first they are cancelled, and a cancelled attempt leaves
// its message due as it was (it is delivered again after a restart).
func (s *Spool) Stop(ctx context.Context) error {
	s.runMu.Lock()
	r := s.run
	s.run = nil
	s.runMu.Unlock()
	if r == nil {
		return nil
	}
	close(r.stop)
	r.loop.Wait()
	close(r.work)
	done := make(chan struct{})
	go func() {
		r.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
	}
	r.cancel()
	return nil
}

// loop hands due messages to the workers, then sleeps until the next is
// due, something is queued or flushed, or a worker is free again.
func (s *Spool) loop(r *runState) {
	for {
		next := time.Time{}
		if free := cap(r.work) - s.inFlight(); free > 0 {
			var ids []string
			ids, next = s.takeDue(free)
			for _, id := range ids {
				r.work <- id
			}
		}
		wait := maxSleep
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.opts.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// takeDue marks up to n due messages as being delivered and returns them,
// with the time the next one is due (now when more are due already).
func (s *Spool) takeDue(n int) (ids []string, next time.Time) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 8 {
				continue
			}
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			if at.After(now) {
				next = at
				return nil
			}
			id := string(k[8:])
			if until, busy := s.busy[id]; busy && (until.IsZero() || until.After(now)) {
				continue
			}
			if len(ids) == n {
				next = now
				return nil
			}
			s.busy[id] = time.Time{}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		s.log.Error("spool: reading due messages", "spool", s.path, "error", err)
	}
	return ids, next
}

func (s *Spool) inFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, until := range s.busy {
		if until.IsZero() {
			n++
		}
	}
	return n
}

// release ends an attempt: the message is free to be taken again, unless
// a failed write asked to hold it back.
func (s *Spool) release(id string) {
	s.mu.Lock()
	if until, ok := s.busy[id]; ok && until.IsZero() {
		delete(s.busy, id)
	}
	s.mu.Unlock()
	s.poke()
}

// hold keeps id from being taken for a while.
func (s *Spool) hold(id string) {
	s.mu.Lock()
	s.busy[id] = s.opts.Now().Add(holdAfterWriteFailure)
	s.mu.Unlock()
}

// attempt delivers one message and records the outcome.
func (s *Spool) attempt(ctx context.Context, id string) {
	rec, raw, err := s.load(id)
	if errors.Is(err, errGone) {
		return // failed or delivered by an operator meanwhile
	}
	log := s.log.With("id", id)
	if err != nil {
		log.Error("spool: message cannot be read; taken out of delivery, kept for inspection", "error", err)
		s.unschedule(id)
		return
	}
	m := rec.message(raw)
	log = log.With("from", rec.MailFrom, "to", rec.RcptTo)
	sched := s.scheduleOf(rec, log)
	if sched.expired(rec.Created, s.opts.Now()) && sched.NeverAttemptExpired {
		s.fail(ctx, rec, m, status.Permanentf(status.Spool, 554, "5.4.7", "Delivery not attempted (message expired)"), false, log)
		return
	}
	actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
	derr := s.opts.Router.Deliver(actx, m)
	cancel()
	if ctx.Err() != nil {
		log.Info("spool: delivery interrupted by shutdown; the message stays queued", "error", derr)
		return
	}
	rec.Attempts++
	if derr == nil {
		if err := s.remove(ctx, rec, nil); err != nil {
			log.Error("spool: delivered, but not removed from the spool; it will be delivered again", "error", err)
			s.hold(id)
			return
		}
		s.counters.delivered.Add(1)
		log.Info("spool: delivered", "attempts", rec.Attempts)
		return
	}
	st := statusOf(derr)
	if !st.Temporary {
		s.fail(ctx, rec, m, st, false, log)
		return
	}
	now := s.opts.Now()
	at, again := sched.next(rec.Created, now, rec.Attempts)
	if !again {
		why := "exceeded max retries without delivery"
		if sched.expired(rec.Created, now) {
			why = "message expired without delivery"
		}
		s.fail(ctx, rec, m, &status.Error{Protocol: status.Spool, Code: 554, Enhanced: "5.4.7", Text: why, Err: st}, false, log)
		return
	}
	old := rec.Next
	rec.Next, rec.LastError = at, st
	if err := s.rewrite(ctx, rec, old); err != nil {
		log.Error("spool: could not record a failed attempt; the message will be tried again", "error", err)
		s.hold(id)
		return
	}
	log.Info("spool: delivery failed temporarily; will retry", "attempts", rec.Attempts, "next", at, "error", derr)
}

// scheduleOf reads the retry schedule of rec's destination.
func (s *Spool) scheduleOf(rec *record, log *slog.Logger) Schedule {
	if s.opts.Config == nil {
		return DefaultSchedule
	}
	sc, err := ScheduleFor(s.opts.Config(), config.Scope{Domain: rec.domain(), Binding: rec.Binding, BindingGroup: rec.BindingGroup})
	if err != nil {
		log.Error("spool: retry options malformed; using the defaults", "error", err)
	}
	return sc
}

// statusOf returns err's status, or a temporary one wrapping it: an error
// that carries no status never bounces a message.
func statusOf(err error) *status.Error {
	if st, ok := status.Of(err); ok {
		return st
	}
	return &status.Error{Protocol: status.Spool, Code: 451, Enhanced: "4.4.0", Text: err.Error(), Temporary: true}
}

// fail ends a message for good: the bounce to its sender (unless quiet,
// the sender is null, or bounces are off) is queued and the message
// removed. When the bounce cannot be queued the message stays, so nothing
// is lost: it is tried again later. It reports whether the message was
// removed.
func (s *Spool) fail(ctx context.Context, rec *record, m *message.Message, cause *status.Error, quiet bool, log *slog.Logger) bool {
	var dsn *message.Message
	b := Bounce{To: rec.MailFrom, Message: m, Reason: reasonOf(cause, rec.Attempts), Err: cause}
	bounce := !quiet && rec.MailFrom != "" && s.opts.Bouncer != nil
	if bounce {
		if r, ok := s.opts.Bouncer.(Renderer); ok {
			var err error
			if dsn, err = r.Render(ctx, b); err != nil {
				s.keepFailed(ctx, rec, cause, fmt.Errorf("rendering bounce: %w", err), log)
				return false
			}
		} else if err := s.opts.Bouncer.Bounce(ctx, b); err != nil {
			s.keepFailed(ctx, rec, cause, fmt.Errorf("bouncing: %w", err), log)
			return false
		}
	}
	if err := s.remove(ctx, rec, dsn); err != nil {
		s.keepFailed(ctx, rec, cause, err, log)
		return false
	}
	s.counters.failed.Add(1)
	switch {
	case dsn != nil:
		log.Info("spool: delivery failed; bounce queued", "bounce", dsn.ID, "status", cause.Error())
	case bounce:
		log.Info("spool: delivery failed; bounced", "status", cause.Error())
	default:
		log.Info("spool: delivery failed; no bounce", "status", cause.Error(), "quiet", quiet, "null_sender", rec.MailFrom == "")
	}
	return true
}

// keepFailed leaves a failed message queued when its bounce or removal
// could not be written, to be tried again after a retry interval.
func (s *Spool) keepFailed(ctx context.Context, rec *record, cause *status.Error, err error, log *slog.Logger) {
	log.Error("spool: message failed, but its bounce could not be queued; kept for another try", "status", cause.Error(), "error", err)
	old := rec.Next
	rec.Next, rec.LastError = s.opts.Now().Add(DefaultSchedule.RetryInterval), cause
	if err := s.rewrite(ctx, rec, old); err != nil {
		s.hold(rec.ID)
	}
}

func reasonOf(cause *status.Error, attempts int) string {
	text := errorText(cause)
	if attempts > 1 {
		text += fmt.Sprintf(" (after %d attempts)", attempts)
	}
	return text
}

// errGone is a message no longer in the spool.
var errGone = errors.New("no such message in the spool")

// load reads a message's record and content.
func (s *Spool) load(id string) (rec *record, raw []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMessages).Get([]byte(id))
		if v == nil {
			return errGone
		}
		if rec, err = decodeRecord(id, v); err != nil {
			return err
		}
		c := tx.Bucket(bucketContent).Get([]byte(id))
		if c == nil {
			return fmt.Errorf("spool content %s: %w: missing", id, ErrCorrupt)
		}
		raw, err = decodeContent(id, c)
		return err
	})
	return rec, raw, err
}

// remove deletes a delivered or failed message, queueing dsn (its bounce,
// when there is one) in the same transaction.
func (s *Spool) remove(ctx context.Context, rec *record, dsn *message.Message) error {
	var add func(*bolt.Tx) error
	size := 64
	if dsn != nil {
		if err := checkEnvelope(dsn); err != nil {
			return err
		}
		dsn.ID = s.NewID()
		raw := dsn.Raw()
		dr := recordOf(dsn, len(raw), s.opts.Now())
		enc, body := encodeRecord(dr), encodeContent(raw)
		size += len(enc) + len(body)
		add = func(tx *bolt.Tx) error {
			id := []byte(dr.ID)
			if err := tx.Bucket(bucketMessages).Put(id, enc); err != nil {
				return err
			}
			if err := tx.Bucket(bucketContent).Put(id, body); err != nil {
				return err
			}
			return tx.Bucket(bucketDue).Put(dueKey(dr.Next, dr.ID), nil)
		}
	}
	err := s.w.Do(ctx, size, func(tx *bolt.Tx) error {
		id := []byte(rec.ID)
		for _, del := range []struct {
			b []byte
			k []byte
		}{{bucketMessages, id}, {bucketContent, id}, {bucketDue, dueKey(rec.Next, rec.ID)}} {
			if err := tx.Bucket(del.b).Delete(del.k); err != nil {
				return err
			}
		}
		if add != nil {
			return add(tx)
		}
		return nil
	})
	if err != nil {
		return s.storageError("removing "+rec.ID, err)
	}
	if dsn != nil {
		s.counters.received.Add(1)
		s.poke()
	}
	return nil
}

// rewrite stores rec's new state, moving its due entry from old.
func (s *Spool) rewrite(ctx context.Context, rec *record, old time.Time) error {
	enc := encodeRecord(rec)
	err := s.w.Do(ctx, len(enc), func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		if msgs.Get([]byte(rec.ID)) == nil {
			return nil // removed meanwhile; nothing to reschedule
		}
		due := tx.Bucket(bucketDue)
		if err := due.Delete(dueKey(old, rec.ID)); err != nil {
			return err
		}
		if err := msgs.Put([]byte(rec.ID), enc); err != nil {
			return err
		}
		return due.Put(dueKey(rec.Next, rec.ID), nil)
	})
	if err != nil {
		return s.storageError("rescheduling "+rec.ID, err)
	}
	return nil
}

// unschedule takes a message that cannot be read out of delivery, leaving
// what is left of it for an operator.
func (s *Spool) unschedule(id string) {
	err := s.w.Do(context.Background(), 64, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		var stale [][]byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) >= 8 && string(k[8:]) == id {
				stale = append(stale, append([]byte(nil), k...))
			}
		}
		for _, k := range stale {
			if err := tx.Bucket(bucketDue).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.hold(id)
	}
}
