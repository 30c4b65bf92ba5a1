package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/status"
)

// Entry is one queued message as an operator sees it.
type Entry struct {
	ID, BatchID      string
	MailFrom, RcptTo string
	// Domain routes the message: the routing domain, else the recipient's.
	Domain       string
	Binding      string
	BindingGroup string
	Created      time.Time
	Next         time.Time
	Attempts     int
	LastError    *status.Error
	Size         int
	// Active is true for a message due now or being delivered; the rest
	// wait for a retry (Momentum's active and delayed queues).
	Active     bool
	Delivering bool
}

func (s *Spool) entry(r *record, now time.Time) Entry {
	s.mu.Lock()
	until, busy := s.busy[r.ID]
	s.mu.Unlock()
	delivering := busy && until.IsZero()
	return Entry{
		ID: r.ID, BatchID: r.BatchID, MailFrom: r.MailFrom, RcptTo: r.RcptTo,
		Domain: r.domain(), Binding: r.Binding, BindingGroup: r.BindingGroup,
		Created: r.Created, Next: r.Next, Attempts: r.Attempts, LastError: r.LastError, Size: r.Size,
		Active: delivering || !r.Next.After(now), Delivering: delivering,
	}
}

// List returns the queued messages whose routing domain is domain ("" or
// "all" for every domain), oldest first.
func (s *Spool) List(domain string) ([]Entry, error) {
	var out []Entry
	now := s.opts.Now()
	err := s.scan(func(r *record) error {
		if matchDomain(r, domain) {
			out = append(out, s.entry(r, now))
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// Get returns one queued message and its content.
func (s *Spool) Get(id string) (Entry, []byte, error) {
	rec, raw, err := s.load(id)
	if errors.Is(err, errGone) {
		return Entry{}, nil, fmt.Errorf("no message %s in the spool", id)
	}
	if err != nil {
		return Entry{}, nil, err
	}
	return s.entry(rec, s.opts.Now()), raw, nil
}

// Stats are the spool's counts for `summary`.
type Stats struct {
	Active, Delayed int
	Delivering      int
	// Since Open: messages queued (bounces included), delivered, failed.
	Received, Delivered, Failed int64
	Started                     time.Time
}

// Stats counts the queue from its due index, without reading records.
func (s *Spool) Stats() (Stats, error) {
	st := Stats{
		Received:  s.counters.received.Load(),
		Delivered: s.counters.delivered.Load(),
		Failed:    s.counters.failed.Load(),
		Started:   s.started,
	}
	now := dueNanos(s.opts.Now())
	st.Delivering = s.inFlight()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) >= 8 && binary.BigEndian.Uint64(k[:8]) <= now {
				st.Active++
			} else {
				st.Delayed++
			}
		}
		return nil
	})
	return st, err
}

// Retry makes one message due now (`message retry`).
func (s *Spool) Retry(ctx context.Context, id string) error {
	n, err := s.update(ctx, func(r *record) bool { return r.ID == id }, func(r *record) { r.Next = s.opts.Now() }, id)
	if err == nil && n == 0 {
		return fmt.Errorf("no message %s waiting in the spool", id)
	}
	return err
}

// Flush makes every waiting message of domain ("all" for every domain)
// due now (`flush domain`) and returns how many it moved.
func (s *Spool) Flush(ctx context.Context, domain string) (int, error) {
	now := s.opts.Now()
	return s.update(ctx, func(r *record) bool { return matchDomain(r, domain) && r.Next.After(now) },
		func(r *record) { r.Next = now }, "")
}

// Reroute gives every queued message of domain from ("all" for every
// domain) the routing domain to and makes it due now (`reroute queue`).
func (s *Spool) Reroute(ctx context.Context, from, to string) (int, error) {
	now := s.opts.Now()
	return s.update(ctx, func(r *record) bool { return matchDomain(r, from) },
		func(r *record) { r.RoutingDomain, r.Next = strings.ToLower(to), now }, "")
}

// Fail fails one message as if its delivery had failed for good, with a
// bounce unless quiet (`message fail`, `message fail quiet`).
func (s *Spool) Fail(ctx context.Context, id string, quiet bool) error {
	n, err := s.failWhere(ctx, func(r *record) bool { return r.ID == id }, "554 manually failed", quiet)
	if err == nil && n == 0 {
		return fmt.Errorf("no message %s waiting in the spool", id)
	}
	return err
}

// FailDomain fails every queued message of domain ("all" for every
// domain), with bounces unless quiet (`fail domain`), and returns how many.
func (s *Spool) FailDomain(ctx context.Context, domain string, quiet bool) (int, error) {
	return s.failWhere(ctx, func(r *record) bool { return matchDomain(r, domain) }, "Message manually purged.", quiet)
}

func (s *Spool) failWhere(ctx context.Context, match func(*record) bool, text string, quiet bool) (int, error) {
	recs, busy, err := s.claim(match)
	defer s.unclaim(recs)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 && busy > 0 {
		return 0, fmt.Errorf("%d matching messages are being delivered; try again when the attempt is over", busy)
	}
	n := 0
	for _, r := range recs {
		_, raw, err := s.load(r.ID)
		if errors.Is(err, errGone) {
			continue
		}
		if err != nil {
			return n, err
		}
		if s.fail(ctx, r, r.message(raw), status.Permanentf(status.Spool, 554, "5.0.0", "%s", text), quiet, s.log.With("id", r.ID, "by", "operator")) {
			n++
		}
	}
	return n, nil
}

// update applies change to every matching message that is not being
// delivered, in transactions of up to 1000 messages, and returns how many
// it changed. busyID names a message whose being delivered is an error.
func (s *Spool) update(ctx context.Context, match func(*record) bool, change func(*record), busyID string) (int, error) {
	recs, busy, err := s.claim(match)
	defer s.unclaim(recs)
	if err != nil {
		return 0, err
	}
	if busyID != "" && busy > 0 {
		return 0, fmt.Errorf("message %s is being delivered", busyID)
	}
	n := 0
	for len(recs) > 0 {
		chunk := recs[:min(len(recs), 1000)]
		recs = recs[len(chunk):]
		size := 0
		encs := make([][]byte, len(chunk))
		olds := make([]time.Time, len(chunk))
		for i, r := range chunk {
			olds[i] = r.Next
			change(r)
			encs[i] = encodeRecord(r)
			size += len(encs[i])
		}
		err := s.w.Do(ctx, size, func(tx *bolt.Tx) error {
			msgs, due := tx.Bucket(bucketMessages), tx.Bucket(bucketDue)
			for i, r := range chunk {
				if msgs.Get([]byte(r.ID)) == nil {
					continue
				}
				if err := due.Delete(dueKey(olds[i], r.ID)); err != nil {
					return err
				}
				if err := msgs.Put([]byte(r.ID), encs[i]); err != nil {
					return err
				}
				if err := due.Put(dueKey(r.Next, r.ID), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, s.storageError("updating queued messages", err)
		}
		n += len(chunk)
	}
	s.poke()
	return n, nil
}

// claim marks the matching messages not being delivered as busy, so the
// delivery loop leaves them alone while an operator command changes them,
// and counts the matching ones that are being delivered.
func (s *Spool) claim(match func(*record) bool) (recs []*record, busy int, err error) {
	err = s.scan(func(r *record) error {
		if !match(r) {
			return nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if until, ok := s.busy[r.ID]; ok && until.IsZero() {
			busy++
			return nil
		}
		s.busy[r.ID] = time.Time{}
		recs = append(recs, r)
		return nil
	})
	return recs, busy, err
}

func (s *Spool) unclaim(recs []*record) {
	s.mu.Lock()
	for _, r := range recs {
		delete(s.busy, r.ID)
	}
	s.mu.Unlock()
	s.poke()
}

// scan calls f for every readable record; unreadable ones are logged.
func (s *Spool) scan(f func(*record) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(string(k), v)
			if err != nil {
				s.log.Error("spool: unreadable message record", slog.String("error", err.Error()))
				return nil
			}
			return f(r)
		})
	})
}

func matchDomain(r *record, domain string) bool {
	return domain == "" || strings.EqualFold(domain, "all") || strings.EqualFold(r.domain(), domain)
}
