package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"msyshost/lib/hook"
	"msyshost/lib/mstore"
	"msyshost/lib/spool"
)

// Receipt is a delivery receipt (SMPP) or delivery report (MM7).
type Receipt struct {
	Channel Channel
	Bucket  string
	ID      string
	// Also are further keys the message may be stored under, tried after
	// Bucket/ID: the buckets of other domains bound to the same SMSC
	// account, the id written another way. The first one stored is the
	// receipt's message.
	Also []mstore.Key
	// Status is the SMPP stat word or message_state number, or the MM7
	// MMStatus.
	Status string
	// Detail is what the bounce says went wrong (err: code, StatusText).
	Detail string
	// Trx is the MM7 transaction passed to the MM7 hooks.
	Trx map[string]string
}

// keys are the receipt's candidate keys, in order, without repeats.
func (r Receipt) keys() []mstore.Key {
	keys := []mstore.Key{{Bucket: r.Bucket, ID: r.ID}}
	for _, k := range r.Also {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Result tells the channel what was done with a receipt.
type Result struct {
	Outcome   Outcome
	Key       mstore.Key // the stored message it concerned
	Code      int        // the deciding hook return
	Bounced   bool
	Duplicate bool
}

var (
	storeHooks   = map[Channel]string{SMPP: "smpp_store_submit", MM7: "mm7_store_submit_hook"}
	receiptHooks = map[Channel]map[Outcome]string{
		SMPP: {Positive: "smpp_handle_DR_positive", Negative: "smpp_handle_DR_negative"},
		MM7:  {Positive: "mm7_handle_DR_positive", Negative: "mm7_handle_DR_negative"},
	}
	channelNames = map[Channel]string{SMPP: "SMPP", MM7: "MM7"}
)

func init() {
	for _, n := range storeHooks {
		hook.CalledBy("retry", n)
	}
	for _, byOutcome := range receiptHooks {
		for _, n := range byOutcome {
			hook.CalledBy("retry", n)
		}
	}
}

// Receipt classifies r, runs the receipt hooks and the default action,
// and records in the store that it did, before it returns: a receipt the
// peer sends again, here after a restart or at another node, is then a
// duplicate. It is safe to call for duplicates, concurrently or not, and
// for receipts of deleted or expired messages: those are logged, never
// bounced twice. On an error nothing is marked done, so the receipt can be
// retried.
func (c *Core) Receipt(ctx context.Context, r Receipt) (Result, error) {
	c.init()
	var out Outcome
	if r.Channel == MM7 {
		out = MM7Outcome(r.Status)
	} else {
		out = SMPPOutcome(r.Status)
	}
	keys := r.keys()
	res := Result{Outcome: out, Key: keys[0]}
	log := c.log().With("channel", string(r.Channel), "key", keys[0].String(), "status", r.Status)
	switch out {
	case Unrecognised:
		log.Warn("receipt status not recognised; treated as intermediate")
		return res, nil
	case Intermediate:
		log.Debug("intermediate receipt")
		return res, nil
	}
	f, err := c.park(ctx, r.Channel, keys, log)
	res.Key = f.key
	if err != nil {
		return res, err
	}
	switch {
	case f.done:
		return c.duplicate(res, log), nil
	case f.rec != nil && (f.rec.IsMarker() || !f.rec.Handled.IsZero()):
		return c.duplicate(res, log), nil
	case f.rec != nil && (f.rec.IsAlias() || len(f.rec.Origin.Segments) > 1):
		return c.storedSegment(ctx, r, out, f, res, log)
	case f.rec == nil && f.group != nil:
		return c.memorySegment(ctx, r, out, f, res, log)
	case !f.known():
		log.Info("receipt for a message not in the store; hooks run without a stored copy")
	}
	return c.decide(ctx, r, out, f.key, f.rec, nil, res, log)
}

// other reports a stored record of the other channel: SMPP and MM7 share
// the MADR-<shortcode> buckets, and an id one SMSC handed out may be one
// an MMSC handed out too. Such a record is not this receipt's message.
func other(rec *mstore.Record, ch Channel) bool {
	return rec != nil && rec.Origin.Channel != "" && rec.Origin.Channel != string(ch)
}

func (c *Core) duplicate(res Result, log *slog.Logger) Result {
	res.Duplicate = true
	log.Info("duplicate receipt ignored")
	return res
}

// decide acts on the final receipt of the message stored under primary
// (rec, when read already; segs, the ids of a long SMS's segments) once,
// however many receipts ask at the same time, and marks it done.
func (c *Core) decide(ctx context.Context, r Receipt, out Outcome, primary mstore.Key, rec *mstore.Record, segs []string, res Result, log *slog.Logger) (Result, error) {
	res.Key, res.Outcome = primary, out
	if !c.claim(r.Channel, primary) {
		return c.duplicate(res, log), nil
	}
	drop, err := c.act(ctx, r, out, rec, &res, log)
	if err == nil && !res.Duplicate {
		c.mark(ctx, primary, rec, segs, out, drop, log)
	}
	c.settle(r.Channel, primary, err == nil)
	return res, err
}

// act runs the receipt hook and, for a negative receipt the hooks
// continued, the bounce. rec is the stored copy when park already read it.
// drop says the stored copy is done with (bounced, or from the null
// sender) and goes whatever the hook left.
func (c *Core) act(ctx context.Context, r Receipt, out Outcome, rec *mstore.Record, res *Result, log *slog.Logger) (drop bool, err error) {
	key := res.Key
	// The copy to bounce is read before the hook runs: a hook that deletes
	// it and then fails still leaves the bounce owed.
	if out == Negative && rec == nil {
		rec, err = c.Store.Load(ctx, key)
		switch {
		case errors.Is(err, mstore.ErrNotFound):
		case err != nil:
			return false, fmt.Errorf("loading %s before its negative receipt: %w", key, err)
		case rec.IsMarker() || !rec.Handled.IsZero():
			res.Duplicate = true
			log.Info("duplicate receipt ignored: handled at another node")
			return false, nil
		}
		if err != nil || !rec.IsMessage() || other(rec, r.Channel) {
			rec = nil
		}
	}
	name := receiptHooks[r.Channel][out]
	if r.Channel == MM7 {
		res.Code = c.Hooks.Dispatch(ctx, name, r.Trx, key.Bucket, key.ID)
	} else {
		res.Code = c.Hooks.Dispatch(ctx, name, key.Bucket, key.ID)
	}
	// SMPP_CONTINUE and MM7_CONTINUE are both hook.Continue.
	if out != Negative || res.Code != hook.Continue {
		return false, nil
	}
	if rec == nil {
		log.Warn("negative receipt: no stored copy to bounce")
		return false, nil
	}
	m := MessageOf(rec)
	reason := fmt.Sprintf("%s delivery receipt: %s", channelNames[r.Channel], r.Status)
	if r.Detail != "" {
		reason += " (" + r.Detail + ")"
	}
	if m.MailFrom == "" {
		log.Info("negative receipt for a message from the null sender: no bounce")
	} else if err := c.Bouncer.Bounce(ctx, spool.Bounce{To: m.MailFrom, Message: m, Reason: reason}); err != nil {
		return false, fmt.Errorf("bouncing %s: %w", key, err)
	} else {
		res.Bounced = true
	}
	// The bounce is out: the receipt is done whatever happens to the copy,
	// which the receipt marker replaces (mark). A receipt retried after
	// this would bounce twice.
	return true, nil
}

// mark records in the store that the final receipt of the message under
// primary was acted on, before the channel answers the peer: a message a
// hook kept is marked handled, a message gone (deleted by a hook, or
// bounced: dropped) leaves a receipt marker, and so does every further
// segment id of a long SMS. A marker that cannot be written is logged: the
// receipt is answered all the same (an answered receipt is not sent
// again), and this process remembers it.
func (c *Core) mark(ctx context.Context, primary mstore.Key, rec *mstore.Record, segs []string, out Outcome, dropped bool, log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
	now := c.now()
	var origin mstore.Origin
	if rec != nil {
		origin = rec.Origin
	}
	var m *mstore.Record
	cur, err := c.Store.Load(ctx, primary)
	switch {
	case err == nil && cur.IsMarker():
	case err == nil && cur.IsMessage() && !dropped:
		m = cur
		m.Handled, m.Outcome = now, out.String()
	case err == nil || errors.Is(err, mstore.ErrNotFound):
		if err == nil {
			origin = cur.Origin
		}
		m = &mstore.Record{Key: primary, Origin: origin, Marker: true, Handled: now, Outcome: out.String()}
	default:
		log.Error("receipt acted on, but not marked in the store: sent again after a restart it would run its hook again", "error", err)
		return
	}
	ids := []string{primary.ID}
	for _, id := range segs {
		if id != primary.ID {
			ids = append(ids, id)
		}
	}
	if a, ok := reportAlias(primary, Channel(origin.Channel)); ok {
		// The report alias becomes a marker too: a repeated report that
		// names no short code is then a duplicate at once, here, after a
		// restart or at another node.
		am := &mstore.Record{Key: a, Origin: origin, Marker: true, Handled: now, Outcome: out.String()}
		if err := c.saveOne(ctx, am); err != nil {
			log.Warn("report alias not marked; a repeated report naming no short code waits for the park timeout", "alias", a.String(), "error", err)
		}
	}
	c.each(ids, func(i int, id string) {
		r := m
		if i > 0 {
			r = &mstore.Record{Key: mstore.Key{Bucket: primary.Bucket, ID: id}, Origin: origin, Marker: true, Handled: now, Outcome: out.String()}
		}
		if r == nil {
			return
		}
		if err := c.saveOne(ctx, r); err != nil {
			log.Error("receipt acted on, but not marked in the store: sent again after a restart it would run its hook again",
				"marker", r.Key.String(), "error", err)
		}
	})
}

// claim marks a final receipt as being acted on; false means it is, or was,
// already.
func (c *Core) claim(ch Channel, primary mstore.Key) bool {
	key := memKey{ch, primary}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, busy := c.claimed[key]; busy {
		return false
	}
	if _, done := c.handled.get(key); done {
		return false
	}
	c.claimed[key] = struct{}{}
	return true
}

// settle ends a claim; a receipt that failed can be tried again.
func (c *Core) settle(ch Channel, primary mstore.Key, done bool) {
	key := memKey{ch, primary}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.claimed, key)
	if done {
		c.handled.put(key, struct{}{}, c.now())
	}
}
