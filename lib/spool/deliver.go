package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/channel"
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

// Back-off of new work while state writes fail: the loop takes no new
// message until a write succeeds again, probing (with the removals it
// owes) after minBackoff, doubling up to maxBackoff.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// deferHold is how long a message its channel deferred (its destination
// busy) waits before it is offered again; no attempt is counted. (A
// variable for tests.)
var deferHold = 2 * time.Second

// maxPanics is how many times a channel may panic on one message before
// the message is quarantined: taken out of delivery, kept for an operator.
const maxPanics = 3

// stopGrace is how long Stop waits for cancelled attempts to return (a
// variable for tests).
var stopGrace = 5 * time.Second

// maxDueScan bounds the due entries one look at the queue reads, so a long
// run of held messages does not keep a read transaction open.
const maxDueScan = 10000

// runState is one Start..Stop of delivery.
type runState struct {
	stop    chan struct{}
	work    chan dueItem
	cancel  context.CancelFunc
	loop    sync.WaitGroup
	workers sync.WaitGroup
}

// dueItem is a message taken for delivery, with the due entry it was
// found by.
type dueItem struct {
	id  string
	key []byte
}

// settlement is the outcome of a message that could not be written: it
// was delivered (cause nil) or failed for good, and this process must
// never deliver it again; the loop retries the write.
type settlement struct {
	rec   *record
	msg   *message.Message
	cause *status.Error
	quiet bool
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
	r := &runState{stop: make(chan struct{}), work: make(chan dueItem, s.opts.Workers), cancel: cancel}
	s.run = r
	for range s.opts.Workers {
		r.workers.Go(func() {
			for it := range r.work {
				s.attempt(ctx, it)
				s.release(it.id)
			}
		})
	}
	r.loop.Go(func() { s.loop(r) })
	return nil
}

// Stop stops taking due messages and waits for the attempts under way.
// When ctx ends first they are cancelled: an attempt whose channel had not
// answered leaves its message queued as it was (whether the peer took it
// is unknown, so it is delivered again), one that had is recorded. Stop
// returns after stopGrace even if an attempt ignores its cancellation.
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
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		t := time.NewTimer(stopGrace)
		select {
		case <-done:
		case <-t.C:
			n := s.inFlight()
			s.log.Error("spool: deliveries did not end when cancelled; stopping without them", "deliveries", n)
			err = fmt.Errorf("stopping spool delivery: %d deliveries did not end within %v of being cancelled", n, stopGrace)
		}
		t.Stop()
	}
	r.cancel()
	s.settle(true)
	return err
}

// loop hands due messages to the workers, then sleeps until the next is
// due, something is queued or flushed, or a worker is free again. While
// state writes fail it takes no new message: it retries the removals it
// owes, with back-off.
func (s *Spool) loop(r *runState) {
	for {
		next := time.Time{}
		if s.settle(false) {
			if free := cap(r.work) - s.inFlight(); free > 0 {
				var items []dueItem
				items, next = s.takeDue(free)
				for _, it := range items {
					r.work <- it
				}
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
func (s *Spool) takeDue(n int) (items []dueItem, next time.Time) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var held time.Time // when the first message held back is free again
	defer func() {
		if !held.IsZero() && (next.IsZero() || held.Before(next)) {
			next = held
		}
	}()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		scanned := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if scanned++; scanned > maxDueScan {
				next = now
				return nil
			}
			if len(k) <= 8 {
				continue
			}
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			if at.After(now) {
				next = at
				return nil
			}
			id := string(k[8:])
			if s.unavailable(id, now) {
				if until := s.busy[id]; until.After(now) && (held.IsZero() || until.Before(held)) {
					held = until
				}
				continue
			}
			if len(items) == n {
				next = now
				return nil
			}
			s.busy[id] = time.Time{}
			items = append(items, dueItem{id: id, key: append([]byte(nil), k...)})
		}
		return nil
	})
	if err != nil {
		s.log.Error("spool: reading due messages", "spool", s.path, "error", err)
	}
	return items, next
}

// unavailable reports a message the loop must not take: being delivered,
// held back, claimed by an operator command, or with an outcome still to
// write. s.mu is held.
func (s *Spool) unavailable(id string, now time.Time) bool {
	if until, busy := s.busy[id]; busy && (until.IsZero() || until.After(now)) {
		return true
	}
	return s.claimed[id] || s.unsettled[id] != nil
}

// inFlight counts the deliveries under way: what the workers hold, not
// what operator commands claimed.
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
// it was asked to wait.
func (s *Spool) release(id string) {
	s.mu.Lock()
	if until, ok := s.busy[id]; ok && until.IsZero() {
		delete(s.busy, id)
	}
	s.mu.Unlock()
	s.poke()
}

// hold keeps id from being taken for d.
func (s *Spool) hold(id string, d time.Duration) {
	s.mu.Lock()
	s.busy[id] = s.opts.Now().Add(d)
	s.mu.Unlock()
}

// wrote notes the outcome of a state write: a failure pauses new work
// (doubling the pause each time), a success ends the pause.
func (s *Spool) wrote(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.backoff, s.resumeAt = 0, time.Time{}
		return
	}
	s.backoff = min(max(2*s.backoff, minBackoff), maxBackoff)
	s.resumeAt = s.opts.Now().Add(s.backoff)
}

// unsettle remembers an outcome that could not be written, so this
// process never delivers that message again and retries the write.
func (s *Spool) unsettle(st *settlement) {
	s.mu.Lock()
	s.unsettled[st.rec.ID] = st
	s.mu.Unlock()
}

// settle retries the writes of outcomes that could not be written, unless
// writes are paused (or force). It reports whether delivery may take new
// work: nothing owed and no pause.
func (s *Spool) settle(force bool) bool {
	s.mu.Lock()
	paused := s.opts.Now().Before(s.resumeAt)
	var owed []*settlement
	if !paused || force {
		for _, st := range s.unsettled {
			owed = append(owed, st)
		}
	}
	s.mu.Unlock()
	if paused && !force {
		return false
	}
	ctx := context.Background()
	for _, st := range owed {
		log := s.log.With("id", st.rec.ID)
		var err error
		if st.cause == nil {
			if err = s.remove(ctx, st.rec, nil); err == nil {
				s.counters.delivered.Add(1)
				log.Info("spool: delivered; its removal written on a later try", "attempts", st.rec.Attempts)
			}
		} else {
			err = s.fail(ctx, st.rec, st.msg, st.cause, st.quiet, log)
		}
		if err != nil {
			return false
		}
		// Settled: only now may an operator command or the loop see the
		// id again (it is gone from the file).
		s.mu.Lock()
		delete(s.unsettled, st.rec.ID)
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unsettled) == 0 && !s.opts.Now().Before(s.resumeAt)
}

// attempt delivers one message and records the outcome. The outcome is
// recorded even when ctx ends meanwhile (a shutdown): a peer's answer is
// never thrown away.
func (s *Spool) attempt(ctx context.Context, it dueItem) {
	rec, raw, err := s.load(it.id)
	if errors.Is(err, errGone) {
		s.dropDue(it.key) // failed or delivered by an operator, or an entry left behind
		return
	}
	log := s.log.With("id", it.id)
	if err != nil {
		log.Error("spool: message cannot be read; taken out of delivery, kept for inspection (message details, message fail)", "error", err)
		s.dropDue(it.key)
		return
	}
	m := rec.message(raw)
	log = log.With("from", rec.MailFrom, "to", rec.RcptTo)
	wctx := context.WithoutCancel(ctx)
	if rec.Failed {
		// Failed for good earlier; only its bounce and removal are left.
		s.fail(wctx, rec, m, rec.LastError, rec.Quiet, log)
		return
	}
	sched := s.scheduleOf(rec, log)
	if sched.expired(rec.Created, s.opts.Now()) && sched.NeverAttemptExpired {
		s.fail(wctx, rec, m, status.Permanentf(status.Spool, 554, "5.4.7", "Delivery not attempted (message expired)"), false, log)
		return
	}
	actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
	derr, panicked := s.deliver(actx, m, log)
	cancel()
	if derr == nil {
		rec.Attempts++
		if err := s.remove(wctx, rec, nil); err != nil {
			log.Error("spool: delivered, but its removal could not be written; it is not delivered again, and the removal is retried", "error", err)
			s.unsettle(&settlement{rec: rec})
			return
		}
		s.counters.delivered.Add(1)
		log.Info("spool: delivered", "attempts", rec.Attempts)
		return
	}
	if errors.Is(derr, channel.ErrDeferred) {
		log.Debug("spool: deferred by its channel", "error", derr)
		s.hold(it.id, deferHold)
		return
	}
	if ctx.Err() != nil {
		log.Info("spool: delivery interrupted by shutdown; the message stays queued", "error", derr)
		return
	}
	rec.Attempts++
	st := statusOf(derr)
	if panicked {
		if rec.Panics++; rec.Panics >= maxPanics {
			s.quarantine(wctx, rec, st, log)
			return
		}
	}
	if !st.Temporary {
		s.fail(wctx, rec, m, st, false, log)
		return
	}
	now := s.opts.Now()
	at, again := sched.next(rec.Created, now, rec.Attempts)
	if !again {
		why := "exceeded max retries without delivery"
		if sched.expired(rec.Created, now) {
			why = "message expired without delivery"
		}
		s.fail(wctx, rec, m, &status.Error{Protocol: status.Spool, Code: 554, Enhanced: "5.4.7", Text: why, Err: st}, false, log)
		return
	}
	rec.Next, rec.LastError = at, st
	if err := s.rewrite(wctx, rec); err != nil {
		log.Error("spool: could not record a failed attempt; the message will be tried again", "error", err)
		s.hold(it.id, holdAfterWriteFailure)
		return
	}
	log.Info("spool: delivery failed temporarily; will retry", "attempts", rec.Attempts, "next", at, "error", derr)
}

// deliver hands m to the router. A panic in the channel is the channel's
// bug, not the message's: it is logged with the id and counts as a
// temporary failure, so one bad delivery cannot take the daemon down on
// every restart.
func (s *Spool) deliver(ctx context.Context, m *message.Message, log *slog.Logger) (err error, panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("spool: the channel panicked delivering the message", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = &status.Error{Protocol: status.Spool, Code: 451, Enhanced: "4.3.0", Temporary: true, Component: "spool",
				Text: fmt.Sprintf("internal error: the channel panicked: %v", p)}
			panicked = true
		}
	}()
	return s.opts.Router.Deliver(ctx, m), false
}

// quarantine takes a message its channel keeps panicking on out of
// delivery; `message retry` puts it back, `message fail` ends it.
func (s *Spool) quarantine(ctx context.Context, rec *record, st *status.Error, log *slog.Logger) {
	rec.Quarantined, rec.LastError = true, st
	if err := s.rewrite(ctx, rec); err != nil {
		log.Error("spool: could not quarantine the message", "error", err)
		s.hold(rec.ID, holdAfterWriteFailure)
		return
	}
	log.Error("spool: the channel panicked on the message too often; quarantined (message retry or message fail)", "panics", rec.Panics)
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
// removed, in one transaction when the bouncer renders. It returns nil
// once the message is gone. Otherwise nothing is lost and the message is
// never delivered again: when the bounce cannot be made, the message is
// kept marked failed and tried again after its retry interval; when the
// removal cannot be written, this process retries it (and marks the
// record failed if the disk lets it).
func (s *Spool) fail(ctx context.Context, rec *record, m *message.Message, cause *status.Error, quiet bool, log *slog.Logger) error {
	var dsn *message.Message
	b := Bounce{To: rec.MailFrom, Message: m, Reason: reasonOf(cause, rec.Attempts), Err: cause}
	bounce := !quiet && rec.MailFrom != "" && s.opts.Bouncer != nil
	if bounce {
		var err error
		if r, ok := s.opts.Bouncer.(Renderer); ok {
			if dsn, err = r.Render(ctx, b); err != nil {
				err = fmt.Errorf("rendering the bounce: %w", err)
			}
		} else if err = s.opts.Bouncer.Bounce(ctx, b); err != nil {
			err = fmt.Errorf("bouncing: %w", err)
		}
		if err != nil {
			s.keepFailed(ctx, rec, m, cause, quiet, err, log)
			return err
		}
		// A bounce whose recipient (the message's sender) is no address
		// can never be queued; trying again would only repeat the refusal
		// (a sender stored by an older release's laxer check). The
		// message goes without one, as an MTA drops a bounce it cannot
		// address.
		if dsn != nil {
			if err := checkEnvelope(dsn); err != nil {
				log.Error("spool: delivery failed and its bounce cannot be addressed; removed without one", "sender", rec.MailFrom, "status", cause.Error(), "error", err)
				dsn = nil
			}
		}
	}
	if err := s.remove(ctx, rec, dsn); err != nil {
		s.unsettle(&settlement{rec: rec, msg: m, cause: cause, quiet: quiet})
		s.keepFailed(ctx, rec, m, cause, quiet, err, log)
		return err
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
	return nil
}

// keepFailed leaves a failed message queued, marked failed so it is never
// delivered again, to have its bounce and removal tried again after the
// retry interval of its scope. When even that cannot be written, this
// process remembers the failure.
func (s *Spool) keepFailed(ctx context.Context, rec *record, m *message.Message, cause *status.Error, quiet bool, err error, log *slog.Logger) {
	log.Error("spool: message failed, but its bounce or removal could not be done; kept, never delivered again, for another try", "status", cause.Error(), "error", err)
	rec.Failed, rec.Quiet, rec.LastError = true, quiet, cause
	rec.Next = s.opts.Now().Add(s.scheduleOf(rec, log).RetryInterval)
	if err := s.rewrite(ctx, rec); err != nil {
		s.unsettle(&settlement{rec: rec, msg: m, cause: cause, quiet: quiet})
	}
}

func reasonOf(cause *status.Error, attempts int) string {
	text := errorText(cause)
	if attempts > 1 {
		text += fmt.Sprintf(" (after %d attempts)", attempts)
	}
	return text
}
