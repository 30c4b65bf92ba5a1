// Package retry owns the channel-independent retry flow of the mobile
// channels: a submission the SMSC or MMSC accepted is offered to the
// *_store_submit hook and stored; a delivery receipt is classified, offered
// to the *_handle_DR_* hooks, and when they continue on a negative receipt
// the original sender gets a bounce. The SMPP and MM7 channels and the
// scenario runner drive the same two calls, Submitted and Receipt.
package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/spool"
)

// Hook return values, as msys.mstore / msys.smpp / msys.mms publish them.
const (
	MstoreContinue = 0
	MstoreDone     = 1
	SMPPContinue   = 0
	SMPPDelivered  = 3
	MM7Continue    = 0
	MM7Delivered   = 3
)

// Hooks dispatches a hook to the loaded scripts and returns the deciding
// code (0 when every module continued or none defines the hook).
type Hooks interface {
	Dispatch(ctx context.Context, hook string, args ...any) int
}

// Core runs the retry flow.
type Core struct {
	Store   mstore.Store
	Hooks   Hooks
	Bouncer spool.Bouncer
	Log     *slog.Logger
	Now     func() time.Time
	// ParkTimeout bounds how long a receipt waits for its submission's
	// stored copy to become durable; default 10s.
	ParkTimeout time.Duration

	mu       sync.Mutex
	pending  map[mstore.Key]chan struct{} // saves in flight
	segments map[mstore.Key]*segmentGroup // segment id → its message
	handled  map[mstore.Key]time.Time     // final receipts already acted on
}

type segmentGroup struct {
	primary   mstore.Key
	remaining map[string]bool
	decided   bool
}

// Submission is a message the SMSC or MMSC accepted.
type Submission struct {
	Channel Channel
	Message *message.Message
	// IDs are the message ids the peer returned, one per segment; the
	// first names the stored copy.
	IDs       []string
	Shortcode string
	Binding   string
	Domain    string
	// UseShortcode is mm7_mstore_bucket_use_shortcode (SMPP always uses it).
	UseShortcode bool
	// Save is false when mm7_mstore_save_message is off: no hook, no store.
	Save bool
}

// Submitted runs the store-submit hook and, unless a module returned
// MSTORE_DONE, stores the message under (bucket, first id). An error means
// the message is not stored: the channel must keep it for retry rather
// than forget it.
func (c *Core) Submitted(ctx context.Context, s Submission) (mstore.Key, error) {
	if len(s.IDs) == 0 || s.IDs[0] == "" {
		return mstore.Key{}, errors.New("submission without a message id")
	}
	key := mstore.Key{Bucket: Bucket(s.Channel, s.Shortcode, s.UseShortcode || s.Channel == SMPP), ID: s.IDs[0]}
	if !s.Save {
		return key, nil
	}
	done := c.beginSave(key, s.IDs)
	defer done()
	hook := "smpp_store_submit"
	if s.Channel == MM7 {
		hook = "mm7_store_submit_hook"
	}
	if code := c.Hooks.Dispatch(ctx, hook, s.Message, key.Bucket, key.ID); code == MstoreDone {
		c.log().Info("store skipped by hook", "hook", hook, "key", key.String())
		return key, nil
	}
	rec := RecordOf(s.Message, key, mstore.Origin{
		Channel: string(s.Channel), Binding: s.Binding, Domain: s.Domain,
		Shortcode: s.Shortcode, Segments: s.IDs,
	}, c.now())
	if err := c.Store.Save(ctx, rec); err != nil {
		return key, fmt.Errorf("storing submitted message %s: %w", key, err)
	}
	return key, nil
}

// beginSave records a save in flight (and the segment ids of a long SMS)
// so receipts that overtake it wait; the returned func ends it.
func (c *Core) beginSave(key mstore.Key, ids []string) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[mstore.Key]chan struct{}{}
		c.segments = map[mstore.Key]*segmentGroup{}
	}
	if len(ids) > 1 {
		g := &segmentGroup{primary: key, remaining: map[string]bool{}}
		for _, id := range ids {
			g.remaining[id] = true
			c.segments[mstore.Key{Bucket: key.Bucket, ID: id}] = g
		}
	}
	ch := make(chan struct{})
	c.pending[key] = ch
	return func() {
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
		close(ch)
	}
}

// Receipt is a delivery receipt (SMPP) or delivery report (MM7).
type Receipt struct {
	Channel Channel
	Bucket  string
	ID      string
	// Status is the SMPP stat word or message_state number, or the MM7
	// MMStatus.
	Status string
	// Detail is what the bounce says went wrong (err: code, StatusText).
	Detail string
	// Trx is the MM7 transaction passed to the MM7 hooks.
	Trx map[string]string
}

// Result tells the channel what was done with a receipt.
type Result struct {
	Outcome   Outcome
	Key       mstore.Key // the stored message it concerned
	Code      int        // the deciding hook return
	Bounced   bool
	Duplicate bool
}

// Receipt classifies r, runs the receipt hooks and the default action.
// It is safe to call for duplicates and for receipts of deleted or expired
// messages: those are logged, never bounced twice.
func (c *Core) Receipt(ctx context.Context, r Receipt) (Result, error) {
	var out Outcome
	if r.Channel == MM7 {
		out = MM7Outcome(r.Status)
	} else {
		out = SMPPOutcome(r.Status)
	}
	key := mstore.Key{Bucket: r.Bucket, ID: r.ID}
	res := Result{Outcome: out, Key: key}
	log := c.log().With("channel", string(r.Channel), "key", key.String(), "status", r.Status)
	switch out {
	case Unrecognised:
		log.Warn("receipt status not recognised; treated as intermediate")
		return res, nil
	case Intermediate:
		log.Debug("intermediate receipt")
		return res, nil
	}
	c.waitForSave(ctx, key)
	key, act := c.segment(key, out)
	res.Key = key
	if !act {
		log.Debug("segment receipt recorded; waiting for the other segments")
		return res, nil
	}
	if c.alreadyHandled(key) {
		res.Duplicate = true
		log.Info("duplicate receipt ignored")
		return res, nil
	}
	hook := map[Channel]map[Outcome]string{
		SMPP: {Positive: "smpp_handle_DR_positive", Negative: "smpp_handle_DR_negative"},
		MM7:  {Positive: "mm7_handle_DR_positive", Negative: "mm7_handle_DR_negative"},
	}[r.Channel][out]
	if r.Channel == MM7 {
		res.Code = c.Hooks.Dispatch(ctx, hook, r.Trx, key.Bucket, key.ID)
	} else {
		res.Code = c.Hooks.Dispatch(ctx, hook, key.Bucket, key.ID)
	}
	c.markHandled(key)
	if out != Negative || res.Code != SMPPContinue {
		return res, nil
	}
	// Default action on a negative receipt: bounce to the original sender.
	rec, err := c.Store.Load(ctx, key)
	if errors.Is(err, mstore.ErrNotFound) {
		log.Warn("negative receipt: no stored copy to bounce")
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("loading %s to bounce it: %w", key, err)
	}
	m := MessageOf(rec)
	reason := fmt.Sprintf("%s delivery receipt: %s", map[Channel]string{SMPP: "SMPP", MM7: "MM7"}[r.Channel], r.Status)
	if r.Detail != "" {
		reason += " (" + r.Detail + ")"
	}
	if m.MailFrom == "" {
		log.Info("negative receipt for a message from the null sender: no bounce")
	} else if err := c.Bouncer.Bounce(ctx, spool.Bounce{To: m.MailFrom, Message: m, Reason: reason}); err != nil {
		return res, fmt.Errorf("bouncing %s: %w", key, err)
	} else {
		res.Bounced = true
	}
	if err := c.Store.Delete(ctx, key); err != nil && !errors.Is(err, mstore.ErrNotFound) {
		return res, fmt.Errorf("deleting bounced %s: %w", key, err)
	}
	return res, nil
}

// waitForSave parks a receipt whose submission is still being stored.
func (c *Core) waitForSave(ctx context.Context, key mstore.Key) {
	c.mu.Lock()
	ch := c.pending[key]
	if g := c.segments[key]; g != nil && ch == nil {
		ch = c.pending[g.primary]
	}
	c.mu.Unlock()
	if ch == nil {
		return
	}
	d := c.ParkTimeout
	if d <= 0 {
		d = 10 * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		c.log().Warn("receipt waited for its stored copy past the park timeout", "key", key.String())
	case <-ctx.Done():
	}
}

// segment maps a segment id to its message and says whether this receipt
// decides: a negative one as soon as any segment fails, a positive one when
// every segment is delivered.
func (c *Core) segment(key mstore.Key, out Outcome) (mstore.Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.segments[key]
	if g == nil {
		return key, true
	}
	if g.decided {
		return g.primary, true // the duplicate check answers it
	}
	if out == Negative {
		g.decided = true
		return g.primary, true
	}
	delete(g.remaining, key.ID)
	if len(g.remaining) > 0 {
		return g.primary, false
	}
	g.decided = true
	return g.primary, true
}

const handledMemory = 24 * time.Hour

func (c *Core) alreadyHandled(key mstore.Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.handled[key]
	return ok && c.now().Sub(at) < handledMemory
}

func (c *Core) markHandled(key mstore.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handled == nil {
		c.handled = map[mstore.Key]time.Time{}
	}
	now := c.now()
	if len(c.handled) > 100000 {
		for k, at := range c.handled {
			if now.Sub(at) >= handledMemory {
				delete(c.handled, k)
			}
		}
	}
	c.handled[key] = now
}

func (c *Core) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Core) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}
