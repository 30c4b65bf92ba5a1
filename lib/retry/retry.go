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

	"msyshost/lib/hook"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/spool"
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
	// stored copy to appear (a receipt can overtake the save, or arrive at
	// another node of a shared store first); zero means 5s. Negative waits
	// only for saves already under way in this process.
	ParkTimeout time.Duration
	// After is the clock's timer, for parking; nil is time.After. Tests
	// and scenarios give the clock that Now reads.
	After func(time.Duration) <-chan time.Time

	once     sync.Once
	mu       sync.Mutex
	pending  map[mstore.Key]chan struct{}       // saves under way
	segments *memory[mstore.Key, *segmentGroup] // segment id → its message
	external *memory[mstore.Key, struct{}]      // kept elsewhere by a hook (MSTORE_DONE)
	handled  *memory[mstore.Key, struct{}]      // final receipts acted on
	claimed  map[mstore.Key]struct{}            // final receipts being acted on
}

// What the core remembers in memory about receipts and segments is bounded
// by age and count; the stored copy, deleted once a receipt is acted on,
// is what stops a late duplicate for good.
const (
	memoryPeriod  = 12 * time.Hour
	memoryEntries = 1 << 20
)

func (c *Core) init() {
	c.once.Do(func() {
		c.pending = map[mstore.Key]chan struct{}{}
		c.claimed = map[mstore.Key]struct{}{}
		c.segments = newMemory[mstore.Key, *segmentGroup](memoryPeriod, memoryEntries)
		c.external = newMemory[mstore.Key, struct{}](memoryPeriod, memoryEntries)
		c.handled = newMemory[mstore.Key, struct{}](memoryPeriod, memoryEntries)
	})
}

type segmentGroup struct {
	primary   mstore.Key
	ids       []string // every segment id, the primary's first
	remaining map[string]bool
	decided   Outcome // Positive or Negative once decided; Intermediate until then
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
	c.init()
	key := mstore.Key{Bucket: Bucket(s.Channel, s.Shortcode, s.UseShortcode || s.Channel == SMPP), ID: s.IDs[0]}
	if !s.Save {
		return key, nil
	}
	done := c.beginSave(key, s.IDs)
	defer done()
	origin := mstore.Origin{
		Channel: string(s.Channel), Binding: s.Binding, Domain: s.Domain,
		Shortcode: s.Shortcode, Segments: s.IDs,
	}
	if code := c.Hooks.Dispatch(ctx, storeHooks[s.Channel], s.Message, key.Bucket, key.ID); code == hook.MstoreDone {
		c.log().Info("store skipped by hook", "hook", storeHooks[s.Channel], "key", key.String())
		c.mu.Lock()
		c.external.put(key, struct{}{}, c.now())
		c.mu.Unlock()
		return key, nil
	}
	return key, c.save(ctx, RecordOf(s.Message, key, origin, c.now()))
}

// mm7Bucket is where every MM7 delivery report can find its message: the
// message itself, or its report alias (see save).
var mm7Bucket = Bucket(MM7, "", false)

// save stores a submitted message and then, for a long SMS, a segment
// alias (mstore.Record.SegmentOf) under each further segment id, so a
// receipt for any segment finds its message after a restart or at another
// node sharing the store. Aliases are written only once their message is
// stored, concurrently so the store commits them together; any failure
// fails the submission's storing.
func (c *Core) save(ctx context.Context, msg *mstore.Record) error {
	if err := c.saveOne(ctx, msg); err != nil {
		return fmt.Errorf("storing submitted message %s: %w", msg.Key, err)
	}
	if msg.Origin.Channel == string(MM7) && msg.Bucket != mm7Bucket {
		// A report alias (mstore.Record.AliasBucket): a report whose
		// sender the relay rewrote names no short code bucket.
		a := &mstore.Record{Key: mstore.Key{Bucket: mm7Bucket, ID: msg.ID}, Origin: msg.Origin, Created: msg.Created,
			SegmentOf: msg.ID, AliasBucket: msg.Bucket}
		if err := c.saveOne(ctx, a); err != nil {
			return fmt.Errorf("storing the report alias of %s, %s: %w", msg.Key, a.Key, err)
		}
	}
	segs := msg.Origin.Segments
	if len(segs) < 2 {
		return nil
	}
	errs := make([]error, len(segs)-1)
	var wg sync.WaitGroup
	for i, id := range segs[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &mstore.Record{Key: mstore.Key{Bucket: msg.Bucket, ID: id}, Origin: msg.Origin, Created: msg.Created, SegmentOf: msg.ID}
			if err := c.saveOne(ctx, a); err != nil {
				errs[i] = fmt.Errorf("storing segment alias of %s, %s: %w", msg.Key, a.Key, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// saveOne saves r. A save whose outcome the store could not tell (sent,
// not answered) is sent once more: saving the same record twice is
// harmless, and failing the submission would make the channel send the
// message to the handset again.
func (c *Core) saveOne(ctx context.Context, r *mstore.Record) error {
	err := c.Store.Save(ctx, r)
	if errors.Is(err, mstore.ErrOutcomeUnknown) {
		c.log().Warn("store did not answer a save; sending it again", "key", r.Key.String(), "error", err)
		err = c.Store.Save(ctx, r)
	}
	return err
}

// deleteAliases removes a long SMS's aliases once its receipt is acted on;
// what fails here is left to retention.
func (c *Core) deleteAliases(ctx context.Context, g *segmentGroup) {
	var wg sync.WaitGroup
	for _, id := range g.ids[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := mstore.Key{Bucket: g.primary.Bucket, ID: id}
			if err := c.Store.Delete(ctx, k); err != nil && !errors.Is(err, mstore.ErrNotFound) {
				c.log().Warn("segment alias not deleted; retention will remove it", "key", k.String(), "error", err)
			}
		}()
	}
	wg.Wait()
}

func newSegmentGroup(primary mstore.Key, ids []string) *segmentGroup {
	g := &segmentGroup{primary: primary, ids: ids, remaining: map[string]bool{}}
	for _, id := range ids {
		g.remaining[id] = true
	}
	return g
}

// remember maps every segment of g to it. The caller holds c.mu.
func (c *Core) remember(g *segmentGroup) {
	now := c.now()
	for _, id := range g.ids {
		c.segments.put(mstore.Key{Bucket: g.primary.Bucket, ID: id}, g, now)
	}
}

// recall rebuilds the segment map of a long SMS from its stored record or
// alias, when memory no longer has it (a restart, another node). Segments
// delivered before are not known again, so a positive outcome then waits
// for receipts that may never come and the copy ages out: never a false
// positive, and a failing segment still decides.
func (c *Core) recall(rec *mstore.Record) {
	if rec == nil || len(rec.Origin.Segments) < 2 {
		return
	}
	primary := rec.Key
	if rec.IsAlias() {
		primary.ID = rec.SegmentOf
	}
	if primary.ID != rec.Origin.Segments[0] {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.segments.get(rec.Key); !known {
		c.remember(newSegmentGroup(primary, rec.Origin.Segments))
	}
}

// beginSave records a save in flight (and the segment ids of a long SMS)
// so receipts that overtake it wait; the returned func ends it.
func (c *Core) beginSave(key mstore.Key, ids []string) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(ids) > 1 {
		c.remember(newSegmentGroup(key, ids))
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

// Receipt classifies r, runs the receipt hooks and the default action.
// It is safe to call for duplicates, concurrently or not, and for receipts
// of deleted or expired messages: those are logged, never bounced twice.
// On an error nothing is marked done, so the receipt can be retried.
func (c *Core) Receipt(ctx context.Context, r Receipt) (Result, error) {
	c.init()
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
	if c.seen(key) {
		res.Duplicate = true
		log.Info("duplicate receipt ignored")
		return res, nil
	}
	rec := c.park(ctx, key, r.Channel, log)
	c.recall(rec)
	key, out, act := c.segment(key, out)
	res.Key, res.Outcome = key, out
	if rec != nil && (rec.Key != key || rec.IsAlias()) {
		rec = nil // an alias, or another segment's record: not the copy to bounce
	}
	if !act {
		log.Debug("segment receipt recorded; waiting for the other segments")
		return res, nil
	}
	if !c.claim(key) {
		res.Duplicate = true
		log.Info("duplicate receipt ignored")
		return res, nil
	}
	err := c.act(ctx, r, out, rec, &res, log)
	c.settle(key, err == nil)
	if err == nil {
		c.mu.Lock()
		g, seg := c.segments.get(key)
		c.mu.Unlock()
		if seg {
			c.deleteAliases(ctx, g)
		}
		if r.Channel == MM7 && key.Bucket != mm7Bucket {
			// The alias goes, and memory answers for it: a repeated
			// report that names no short code is then a duplicate at
			// once rather than an unknown message looked for until the
			// park timeout.
			a := mstore.Key{Bucket: mm7Bucket, ID: key.ID}
			c.mu.Lock()
			c.handled.put(a, struct{}{}, c.now())
			c.mu.Unlock()
			if err := c.Store.Delete(ctx, a); err != nil && !errors.Is(err, mstore.ErrNotFound) {
				log.Warn("report alias not deleted; retention will remove it", "alias", a.String(), "error", err)
			}
		}
	}
	return res, err
}

// other reports a stored record of the other channel: SMPP and MM7 share
// the MADR-<shortcode> buckets, and an id one SMSC handed out may be one
// an MMSC handed out too. Such a record is not this receipt's message.
func other(rec *mstore.Record, ch Channel) bool {
	return rec != nil && rec.Origin.Channel != "" && rec.Origin.Channel != string(ch)
}

// act runs the receipt hook and, for a negative receipt the hooks
// continued, the bounce. rec is the stored copy when park already read it.
func (c *Core) act(ctx context.Context, r Receipt, out Outcome, rec *mstore.Record, res *Result, log *slog.Logger) error {
	key := res.Key
	// The copy to bounce is read before the hook runs: a hook that deletes
	// it and then fails still leaves the bounce owed.
	if out == Negative && rec == nil {
		var err error
		rec, err = c.Store.Load(ctx, key)
		if err != nil && !errors.Is(err, mstore.ErrNotFound) {
			return fmt.Errorf("loading %s before its negative receipt: %w", key, err)
		}
		if other(rec, r.Channel) || rec != nil && rec.IsAlias() {
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
		return nil
	}
	if rec == nil {
		log.Warn("negative receipt: no stored copy to bounce")
		return nil
	}
	m := MessageOf(rec)
	reason := fmt.Sprintf("%s delivery receipt: %s", channelNames[r.Channel], r.Status)
	if r.Detail != "" {
		reason += " (" + r.Detail + ")"
	}
	if m.MailFrom == "" {
		log.Info("negative receipt for a message from the null sender: no bounce")
	} else if err := c.Bouncer.Bounce(ctx, spool.Bounce{To: m.MailFrom, Message: m, Reason: reason}); err != nil {
		return fmt.Errorf("bouncing %s: %w", key, err)
	} else {
		res.Bounced = true
	}
	// The bounce is out: the receipt is done whatever happens to the copy.
	// One left behind is harmless (retention removes it; a repeated receipt
	// is a duplicate), a receipt retried after it would bounce twice.
	if err := c.Store.Delete(ctx, key); err != nil && !errors.Is(err, mstore.ErrNotFound) {
		log.Error("bounced, but the stored copy could not be deleted; retention will remove it", "error", err)
	}
	return nil
}

// claim marks a final receipt as being acted on; false means it is, or was,
// already.
func (c *Core) claim(key mstore.Key) bool {
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

// seen reports a receipt for a message already acted on, directly or
// through one of its segments.
func (c *Core) seen(key mstore.Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, done := c.handled.get(key); done {
		return true
	}
	if g, ok := c.segments.get(key); ok {
		_, done := c.handled.get(g.primary)
		return done
	}
	return false
}

// settle ends a claim; a receipt that failed can be tried again.
func (c *Core) settle(key mstore.Key, done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.claimed, key)
	if done {
		c.handled.put(key, struct{}{}, c.now())
	}
}

// A parked receipt looks for its stored copy after parkPoll, then twice as
// long each time up to parkPollMax: a save at another node shows within
// moments, and a receipt nobody stored does not cost hundreds of loads.
const (
	parkPoll    = 20 * time.Millisecond
	parkPollMax = 500 * time.Millisecond
)

// park holds a receipt until its message is known: stored, being stored,
// a segment of a known message, or kept elsewhere by a hook. It gives up
// after ParkTimeout, and the receipt goes on (the hooks may know better).
// It returns the stored record (or alias) when it read one.
func (c *Core) park(ctx context.Context, key mstore.Key, channel Channel, log *slog.Logger) *mstore.Record {
	timeout := c.ParkTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	deadline := c.now().Add(max(timeout, 0))
	poll := parkPoll
	for {
		c.mu.Lock()
		ch := c.pending[key]
		g, seg := c.segments.get(key)
		if seg && ch == nil {
			ch = c.pending[g.primary]
		}
		_, ext := c.external.get(key)
		c.mu.Unlock()
		if ch != nil {
			wait := deadline.Sub(c.now())
			if timeout < 0 {
				wait = 5 * time.Second // a save under way here always finishes
			}
			select {
			case <-ch:
			case <-c.after(max(wait, 0)):
				log.Warn("receipt waited for its stored copy past the park timeout")
			case <-ctx.Done():
			}
			return nil
		}
		if seg || ext {
			return nil
		}
		rec, err := c.Store.Load(ctx, key)
		if other(rec, channel) {
			log.Warn("the stored record under this key is another channel's message; not this receipt's", "stored_channel", rec.Origin.Channel)
			return nil
		}
		if !errors.Is(err, mstore.ErrNotFound) {
			return rec // there, or the store is failing: the action will say so
		}
		if timeout < 0 || !c.now().Before(deadline) || ctx.Err() != nil {
			if timeout >= 0 {
				log.Info("receipt for a message not in the store; hooks run without a stored copy")
			}
			return nil
		}
		select {
		case <-c.after(min(poll, deadline.Sub(c.now()))):
		case <-ctx.Done():
		}
		poll = min(2*poll, parkPollMax)
	}
}

// segment maps a segment id to its message and says whether this receipt
// decides, and with which outcome: a negative one as soon as any segment
// fails, a positive one when every segment is delivered. Once decided,
// every later receipt of the message carries the deciding outcome, so a
// negative decision whose bounce failed is retried as negative, never
// overtaken by a positive segment.
func (c *Core) segment(key mstore.Key, out Outcome) (mstore.Key, Outcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.segments.get(key)
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

func (c *Core) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Core) after(d time.Duration) <-chan time.Time {
	if c.After != nil {
		return c.After(d)
	}
	return time.After(d)
}

func (c *Core) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}
