package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/status"
)

// scanChunk is how many keys one read transaction of an operator command
// reads: bbolt cannot reuse pages freed while a read transaction is open,
// so a long one would hold back the writers (and grow the file).
const scanChunk = 1000

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
	// Failed: failed for good, its bounce or removal still to do.
	Failed bool
	// Quarantined: out of delivery after its channel panicked on it.
	Quarantined bool
	// Damaged says why the stored record or content cannot be read; the
	// other fields hold what could be.
	Damaged string
}

func (s *Spool) entry(r *record, now time.Time) Entry {
	s.mu.Lock()
	until, busy := s.busy[r.ID]
	owed := s.unsettled[r.ID]
	s.mu.Unlock()
	failed := r.Failed || owed != nil && owed.cause != nil
	delivering := busy && until.IsZero()
	return Entry{
		ID: r.ID, BatchID: r.BatchID, MailFrom: r.MailFrom, RcptTo: r.RcptTo,
		Domain: r.domain(), Binding: r.Binding, BindingGroup: r.BindingGroup,
		Created: r.Created, Next: r.Next, Attempts: r.Attempts, LastError: r.LastError, Size: r.Size,
		Active:     delivering || !r.Quarantined && !r.Next.After(now),
		Delivering: delivering, Failed: failed, Quarantined: r.Quarantined,
	}
}

// List returns the queued messages whose routing domain is domain ("" or
// "all" for every domain), oldest first.
func (s *Spool) List(domain string) ([]Entry, error) {
	var out []Entry
	now := s.opts.Now()
	err := s.scan(func(_ string, r *record) {
		if matchDomain(r, domain) {
			out = append(out, s.entry(r, now))
		}
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// Get returns one queued message and its content. A message whose record
// or content is damaged is returned with Damaged saying how, and what of
// it could be read.
func (s *Spool) Get(id string) (Entry, []byte, error) {
	rec, raw, err := s.load(id)
	switch {
	case errors.Is(err, errGone):
		return Entry{}, nil, fmt.Errorf("no message %s in the spool", id)
	case errors.Is(err, ErrCorrupt):
		e := Entry{ID: id, Damaged: err.Error()}
		if rec != nil {
			e = s.entry(rec, s.opts.Now())
			e.Damaged = err.Error()
		}
		return e, nil, nil
	case err != nil:
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
	err := s.chunks(bucketDue, func(k, _ []byte) {
		if len(k) >= 8 && binary.BigEndian.Uint64(k[:8]) <= now {
			st.Active++
		} else {
			st.Delayed++
		}
	})
	return st, err
}

// Retry makes one message due now (`message retry`), a quarantined one
// included.
func (s *Spool) Retry(ctx context.Context, id string) error {
	now := s.opts.Now()
	n, err := s.update(ctx, func(r *record) bool { return r.ID == id }, func(r *record) {
		r.Next, r.Quarantined, r.Panics = now, false, 0
	}, id)
	if err == nil && n == 0 {
		return fmt.Errorf("no message %s waiting in the spool", id)
	}
	return err
}

// Flush makes every waiting message of domain ("all" for every domain)
// due now (`flush domain`) and returns how many it moved.
func (s *Spool) Flush(ctx context.Context, domain string) (int, error) {
	now := s.opts.Now()
	return s.update(ctx, func(r *record) bool { return matchDomain(r, domain) && r.Next.After(now) && !r.Quarantined },
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
// bounce unless quiet (`message fail`, `message fail quiet`). A message
// whose record is damaged is removed without a bounce: whom to send one
// to cannot be read.
func (s *Spool) Fail(ctx context.Context, id string, quiet bool) error {
	if rec, _, err := s.load(id); rec == nil && errors.Is(err, ErrCorrupt) {
		return s.failDamaged(ctx, id)
	}
	n, err := s.failWhere(ctx, func(r *record) bool { return r.ID == id }, "554 manually failed", quiet)
	if err == nil && n == 0 {
		return fmt.Errorf("no message %s waiting in the spool", id)
	}
	return err
}

func (s *Spool) failDamaged(ctx context.Context, id string) error {
	ids, busy := s.claim([]string{id})
	defer s.unclaim(ids)
	if busy > 0 {
		return fmt.Errorf("message %s is being delivered", id)
	}
	if err := s.forget(ctx, id); err != nil {
		return err
	}
	s.counters.failed.Add(1)
	s.log.Warn("spool: damaged message removed by an operator, without a bounce", "id", id)
	return nil
}

// FailDomain fails every queued message of domain ("all" for every
// domain), with bounces unless quiet (`fail domain`), and returns how many.
func (s *Spool) FailDomain(ctx context.Context, domain string, quiet bool) (int, error) {
	return s.failWhere(ctx, func(r *record) bool { return matchDomain(r, domain) }, "Message manually purged.", quiet)
}

// failWhere fails the matching messages that are not being delivered. It
// reads each again once claimed, so it fails what is stored, and returns
// the first failure to remove one (the message stays queued, marked
// failed, and is tried again).
func (s *Spool) failWhere(ctx context.Context, match func(*record) bool, text string, quiet bool) (int, error) {
	found, err := s.matching(match)
	if err != nil {
		return 0, err
	}
	ids, busy := s.claim(found)
	defer s.unclaim(ids)
	if len(ids) == 0 && busy > 0 {
		return 0, fmt.Errorf("%d matching messages are being delivered; try again when the attempt is over", busy)
	}
	n := 0
	var first error
	for _, id := range ids {
		rec, raw, err := s.load(id)
		switch {
		case errors.Is(err, errGone):
			continue
		case rec != nil && errors.Is(err, ErrCorrupt):
			// The content is damaged: the bounce goes without it.
			s.log.Error("spool: failing a message whose content is damaged", "id", id, "error", err)
		case err != nil:
			return n, err
		}
		if !match(rec) {
			continue
		}
		cause := status.Permanentf(status.Spool, 554, "5.0.0", "%s", text)
		if err := s.fail(ctx, rec, rec.message(raw), cause, quiet, s.log.With("id", id, "by", "operator")); err != nil {
			if first == nil {
				first = fmt.Errorf("failing %s: %w", id, err)
			}
			continue
		}
		n++
	}
	return n, first
}

// update applies change to every matching message that is not being
// delivered, in transactions of up to scanChunk messages, and returns how
// many it changed. Each is read, matched and changed inside the
// transaction that writes it, so a state a worker wrote meanwhile is never
// overwritten. busyID names a message whose being delivered is an error.
func (s *Spool) update(ctx context.Context, match func(*record) bool, change func(*record), busyID string) (int, error) {
	found, err := s.matching(match)
	if err != nil {
		return 0, err
	}
	ids, busy := s.claim(found)
	defer s.unclaim(ids)
	if busyID != "" && busy > 0 {
		return 0, fmt.Errorf("message %s is being delivered", busyID)
	}
	n := 0
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), scanChunk)]
		ids = ids[len(chunk):]
		changed := 0
		err := s.w.Do(ctx, 256*len(chunk), func(tx *bolt.Tx) error {
			changed = 0
			for _, id := range chunk {
				r, err := stored(tx, id)
				if r == nil || err != nil || !match(r) {
					continue // gone, damaged, or no longer matching
				}
				change(r)
				ok, err := putRecord(tx, r, encodeRecord(r))
				if err != nil {
					return err
				}
				if ok {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return n, s.storageError("updating queued messages", err)
		}
		n += changed
	}
	s.poke()
	return n, nil
}

// matching returns the ids of the readable records match accepts.
func (s *Spool) matching(match func(*record) bool) ([]string, error) {
	var ids []string
	err := s.scan(func(id string, r *record) {
		if match(r) {
			ids = append(ids, id)
		}
	})
	return ids, err
}

// claim keeps the delivery loop off ids while an operator command changes
// them, and counts those it cannot have: being delivered, claimed by
// another command, or with an outcome still to write. Claims are not
// deliveries: they take no worker.
func (s *Spool) claim(ids []string) (claimed []string, busy int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if until, ok := s.busy[id]; ok && until.IsZero() || s.claimed[id] || s.unsettled[id] != nil {
			busy++
			continue
		}
		s.claimed[id] = true
		claimed = append(claimed, id)
	}
	return claimed, busy
}

func (s *Spool) unclaim(ids []string) {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.claimed, id)
	}
	s.mu.Unlock()
	s.poke()
}

// scan calls f for every readable record, reading scanChunk records per
// read transaction and calling f outside it; unreadable ones are logged.
func (s *Spool) scan(f func(id string, r *record)) error {
	type item struct {
		id string
		r  *record
	}
	var items []item
	err := s.chunks(bucketMessages, func(k, v []byte) {
		r, err := decodeRecord(string(k), v)
		if err != nil {
			s.log.Error("spool: unreadable message record", "error", err.Error())
			return
		}
		items = append(items, item{string(k), r})
	}, func() {
		for _, it := range items {
			f(it.id, it.r)
		}
		items = items[:0]
	})
	return err
}

// chunks walks a bucket scanChunk keys per read transaction, calling each
// for every entry inside it and then (when given) after, outside it.
func (s *Spool) chunks(bucket []byte, each func(k, v []byte), after ...func()) error {
	var last []byte
	for {
		n := 0
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if last != nil {
				if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
					k, v = c.Next()
				}
			}
			for ; k != nil && n < scanChunk; k, v = c.Next() {
				each(k, v)
				last = append(last[:0], k...)
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, f := range after {
			f()
		}
		if n < scanChunk {
			return nil
		}
	}
}

func matchDomain(r *record, domain string) bool {
	return domain == "" || strings.EqualFold(domain, "all") || strings.EqualFold(r.domain(), domain)
}
