package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"msyshost/lib/mstore"
)

// A long SMS goes out as N segments with N message ids, and its hooks run
// once: negative as soon as one segment fails, positive when every segment
// is delivered. Receipts of its segments may arrive at different nodes and
// across restarts, so a stored message's progress is kept in the store:
// each segment's positive receipt marks its own record delivered (the
// alias, or for the first segment the message), and the receipt that
// finds every segment delivered decides. A message a hook keeps elsewhere
// (MSTORE_DONE) has no aliases; its progress is kept in memory.

// segmentGroup is a long SMS this process knows: while its save is under
// way, and when a hook keeps it elsewhere.
type segmentGroup struct {
	ch        Channel
	primary   mstore.Key
	ids       []string // every segment id, the primary's first
	remaining map[string]bool
	decided   Outcome // Positive or Negative once decided; Intermediate until then
}

func newSegmentGroup(ch Channel, primary mstore.Key, ids []string) *segmentGroup {
	g := &segmentGroup{ch: ch, primary: primary, ids: ids, remaining: map[string]bool{}}
	for _, id := range ids {
		g.remaining[id] = true
	}
	return g
}

// remember maps every segment of g to it. The caller holds c.mu.
func (c *Core) remember(g *segmentGroup) {
	now := c.now()
	for _, id := range g.ids {
		c.segments.put(memKey{g.ch, mstore.Key{Bucket: g.primary.Bucket, ID: id}}, g, now)
	}
}

// storedSegment handles the receipt of one segment of a stored long SMS:
// f.rec is the segment's record (its alias, or the message for the first
// segment). A failed segment is recorded before the message is decided
// negative, so a receipt of any other segment retries a negative decision
// that failed (its bounce could not be queued) instead of waiting for it.
func (c *Core) storedSegment(ctx context.Context, r Receipt, out Outcome, f found, res Result, log *slog.Logger) (Result, error) {
	rec := f.rec
	primary := rec.Key
	var msg *mstore.Record
	if rec.IsAlias() {
		primary.ID = rec.SegmentOf
	} else {
		msg = rec
	}
	ids := rec.Origin.Segments
	res.Key = primary
	if out == Negative {
		if rec.Outcome != Negative.String() {
			failed := *rec
			failed.Outcome = Negative.String()
			if err := c.saveOne(ctx, &failed); err != nil {
				return res, fmt.Errorf("recording segment %s of %s failed: %w", f.key, primary, err)
			}
			if msg != nil {
				msg = &failed
			}
		}
		return c.decide(ctx, r, Negative, primary, msg, ids, res, log)
	}
	if rec.Delivered.IsZero() {
		d := *rec
		d.Delivered = c.now()
		if err := c.saveOne(ctx, &d); err != nil {
			return res, fmt.Errorf("recording segment %s of %s delivered: %w", f.key, primary, err)
		}
		if msg != nil {
			msg = &d
		}
	} else {
		// Sent again: the first time may have stopped before the check
		// below, so it is made again.
		res.Duplicate = true
	}
	msg, st, err := c.progress(ctx, primary, ids, msg, f.key.ID)
	switch {
	case err != nil:
		return res, err
	case st == gone:
		log.Warn("segment receipt for a message no longer stored; recorded, no hook", "message", primary.String())
		return res, nil
	case st == decided:
		return c.duplicate(res, log), nil
	case st == waiting:
		log.Debug("segment receipt recorded; waiting for the other segments", "segment", f.key.ID)
		return res, nil
	case st == failed:
		log.Info("segment receipt of a message with a failed segment: its negative decision is made again")
		res.Duplicate = false
		return c.decide(ctx, r, Negative, primary, msg, ids, res, log)
	}
	res.Duplicate = false
	return c.decide(ctx, r, Positive, primary, msg, ids, res, log)
}

// Where a stored long SMS stands.
type segmentState int

const (
	gone      segmentState = iota // the message is not stored
	decided                       // a receipt marker holds its key
	waiting                       // a segment is not reported delivered yet
	failed                        // a segment failed and the message is not decided yet
	delivered                     // every segment is delivered
)

// progress loads the message under primary (unless msg is it already)
// and reports where its segments stand; seen is the segment just recorded
// delivered.
func (c *Core) progress(ctx context.Context, primary mstore.Key, ids []string, msg *mstore.Record, seen string) (*mstore.Record, segmentState, error) {
	if msg == nil {
		var err error
		msg, err = c.Store.Load(ctx, primary)
		if errors.Is(err, mstore.ErrNotFound) {
			return nil, gone, nil
		}
		if err != nil {
			return nil, gone, fmt.Errorf("looking up %s for its segments: %w", primary, err)
		}
	}
	switch {
	case msg.IsMarker() || !msg.Handled.IsZero():
		return msg, decided, nil
	case msg.IsAlias():
		return nil, gone, nil
	case msg.Outcome == Negative.String():
		return msg, failed, nil
	}
	st := delivered
	if msg.Delivered.IsZero() && seen != primary.ID {
		st = waiting
	}
	for _, id := range ids {
		if id == primary.ID || id == seen {
			continue
		}
		k := mstore.Key{Bucket: primary.Bucket, ID: id}
		a, err := c.Store.Load(ctx, k)
		switch {
		case errors.Is(err, mstore.ErrNotFound):
			st = waiting
		case err != nil:
			return nil, gone, fmt.Errorf("looking up segment %s of %s: %w", k, primary, err)
		case a.Outcome == Negative.String():
			return msg, failed, nil
		case a.Delivered.IsZero():
			st = waiting
		}
	}
	return msg, st, nil
}

// memorySegment handles the receipt of a segment of a long SMS that is
// not in the store: kept elsewhere by a hook, or whose save failed.
func (c *Core) memorySegment(ctx context.Context, r Receipt, out Outcome, f found, res Result, log *slog.Logger) (Result, error) {
	primary, out, act := c.segment(r.Channel, f.key, out)
	res.Key, res.Outcome = primary, out
	if !act {
		log.Debug("segment receipt recorded; waiting for the other segments")
		return res, nil
	}
	return c.decide(ctx, r, out, primary, nil, f.group.ids, res, log)
}

// segment maps a segment id to its message and says whether this receipt
// decides, and with which outcome: a negative one as soon as any segment
// fails, a positive one when every segment is delivered. Once decided,
// every later receipt of the message carries the deciding outcome, so a
// negative decision whose bounce failed is retried as negative, never
// overtaken by a positive segment.
func (c *Core) segment(ch Channel, key mstore.Key, out Outcome) (mstore.Key, Outcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.segments.get(memKey{ch, key})
	if !ok {
		return key, out, true
	}
	if g.decided != Intermediate {
		return g.primary, g.decided, true // the duplicate check answers it
	}
	if out == Negative {
		g.decided = Negative
		return g.primary, Negative, true
	}
	delete(g.remaining, key.ID)
	if len(g.remaining) > 0 {
		return g.primary, out, false
	}
	g.decided = Positive
	return g.primary, Positive, true
}
