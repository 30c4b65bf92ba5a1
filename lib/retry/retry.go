// Package retry owns the channel-independent retry flow of the mobile
// channels: a submission the SMSC or MMSC accepted is offered to the
// *_store_submit hook and stored; a delivery receipt is classified, offered
// to the *_handle_DR_* hooks, and when they continue on a negative receipt
// the original sender gets a bounce. The SMPP and MM7 channels and the
// scenario runner drive the same two calls, Submitted and Receipt.
//
// The store is the only shared truth: a receipt may arrive at another
// node, or after a restart. What a receipt did is written to the store
// before the channel answers the peer (a receipt marker, FORMAT.md in
// lib/mstore), and so is the progress of a long SMS's segments, so a
// receipt sent again finds its work done wherever it arrives.
package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
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
	pending  map[memKey]chan struct{}       // saves under way
	segments *memory[memKey, *segmentGroup] // segment id → its message, while saved and when kept elsewhere
	external *memory[memKey, struct{}]      // kept elsewhere by a hook (MSTORE_DONE)
	handled  *memory[memKey, struct{}]      // final receipts acted on here
	claimed  map[memKey]struct{}            // final receipts being acted on
}

// memKey is a key as the core's memory holds it: with its channel. SMPP
// and MM7 share the MADR-<shortcode> buckets and an id an SMSC handed out
// may be one an MMSC handed out too; a receipt of one channel must not
// find what the core remembers of the other's message, as it does not
// find the other's stored record (other).
type memKey struct {
	ch Channel
	mstore.Key
}

// What the core remembers in memory about receipts and segments is bounded
// by age and count. It spares store reads for what this process did; the
// store's receipt markers are what stop a late duplicate for good.
const (
	memoryPeriod  = 12 * time.Hour
	memoryEntries = 1 << 20
)

func (c *Core) init() {
	c.once.Do(func() {
		c.pending = map[memKey]chan struct{}{}
		c.claimed = map[memKey]struct{}{}
		c.segments = newMemory[memKey, *segmentGroup](memoryPeriod, memoryEntries)
		c.external = newMemory[memKey, struct{}](memoryPeriod, memoryEntries)
		c.handled = newMemory[memKey, struct{}](memoryPeriod, memoryEntries)
	})
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
// the message is not stored, and nothing of it is left in the store: the
// channel keeps the accepted ids and calls Submitted again, rather than
// send the message again or forget it.
func (c *Core) Submitted(ctx context.Context, s Submission) (mstore.Key, error) {
	if len(s.IDs) == 0 || s.IDs[0] == "" {
		return mstore.Key{}, errors.New("submission without a message id")
	}
	c.init()
	key := mstore.Key{Bucket: Bucket(s.Channel, s.Shortcode, s.UseShortcode || s.Channel == SMPP), ID: s.IDs[0]}
	if !s.Save {
		return key, nil
	}
	done := c.beginSave(s.Channel, key, s.IDs)
	defer done()
	origin := mstore.Origin{
		Channel: string(s.Channel), Binding: s.Binding, Domain: s.Domain,
		Shortcode: s.Shortcode, Segments: s.IDs,
	}
	if code := c.Hooks.Dispatch(ctx, storeHooks[s.Channel], s.Message, key.Bucket, key.ID); code == hook.MstoreDone {
		c.log().Info("store skipped by hook", "hook", storeHooks[s.Channel], "key", key.String())
		c.mu.Lock()
		c.external.put(memKey{s.Channel, key}, struct{}{}, c.now())
		c.mu.Unlock()
		return key, nil
	}
	return key, c.save(ctx, RecordOf(s.Message, key, origin, c.now()))
}

// MM7AliasBucket holds the report aliases: where every MM7 delivery
// report can find its message when its sender names no bucket (see
// save). A bucket of their own, apart from MADR-MM7's messages, so an
// alias never overwrites a message another MMSC gave the same id, nor a
// message an alias.
const MM7AliasBucket = "MADR-MM7-ALIAS"

// reportAlias is the key of the report alias of an MM7 message stored
// under key, when it has one: every MM7 message not stored under MADR-MM7
// itself.
func reportAlias(key mstore.Key, ch Channel) (mstore.Key, bool) {
	if ch != MM7 || key.Bucket == Bucket(MM7, "", false) {
		return mstore.Key{}, false
	}
	return mstore.Key{Bucket: MM7AliasBucket, ID: key.ID}, true
}

// save stores a submitted message and then, for a long SMS, a segment
// alias (mstore.Record.SegmentOf) under each further segment id, so a
// receipt for any segment finds its message after a restart or at another
// node sharing the store. Aliases are written only once their message is
// stored, concurrently so the store commits them together. Any failure
// fails the storing, and what was written of it is deleted again: a
// message stored under its first id only would take a receipt for it as
// the message's while the channel sends it again.
func (c *Core) save(ctx context.Context, msg *mstore.Record) error {
	if err := c.saveOne(ctx, msg); err != nil {
		return fmt.Errorf("storing submitted message %s: %w", msg.Key, err)
	}
	if ak, ok := reportAlias(msg.Key, Channel(msg.Origin.Channel)); ok {
		// A report alias (mstore.Record.AliasBucket): a report whose
		// sender the relay rewrote names no short code bucket.
		a := &mstore.Record{Key: ak, Origin: msg.Origin, Created: msg.Created,
			SegmentOf: msg.ID, AliasBucket: msg.Bucket}
		if err := c.saveOne(ctx, a); err != nil {
			c.unsave(context.WithoutCancel(ctx), msg)
			return fmt.Errorf("storing the report alias of %s, %s: %w", msg.Key, a.Key, err)
		}
	}
	segs := msg.Origin.Segments
	if len(segs) < 2 {
		return nil
	}
	errs := make([]error, len(segs)-1)
	c.each(segs[1:], func(i int, id string) {
		a := &mstore.Record{Key: mstore.Key{Bucket: msg.Bucket, ID: id}, Origin: msg.Origin, Created: msg.Created, SegmentOf: msg.ID}
		if err := c.saveOne(ctx, a); err != nil {
			errs[i] = fmt.Errorf("storing segment alias of %s, %s: %w", msg.Key, a.Key, err)
		}
	})
	err := errors.Join(errs...)
	if err != nil {
		c.unsave(context.WithoutCancel(ctx), msg)
	}
	return err
}

// unsave deletes a message and its aliases after its storing failed.
// What cannot be deleted is logged: retention removes it, and the
// channel's next try writes it again.
func (c *Core) unsave(ctx context.Context, msg *mstore.Record) {
	keys := []mstore.Key{msg.Key}
	for _, id := range msg.Origin.Segments {
		if k := (mstore.Key{Bucket: msg.Bucket, ID: id}); k != msg.Key {
			keys = append(keys, k)
		}
	}
	if a, ok := reportAlias(msg.Key, Channel(msg.Origin.Channel)); ok {
		keys = append(keys, a)
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.String()
	}
	c.each(names, func(i int, _ string) {
		k := keys[i]
		if err := c.Store.Delete(ctx, k); err != nil && !errors.Is(err, mstore.ErrNotFound) {
			c.log().Warn("part of a message whose storing failed is left in the store", "key", k.String(), "error", err)
		}
	})
}

// each runs f for every id concurrently, so the store commits the writes
// together, and waits for all. A panic in f is recovered and logged, so
// one bad record cannot take the process down.
func (c *Core) each(ids []string, f func(i int, id string)) {
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.recoverPanic("store write", id)
			f(i, id)
		}()
	}
	wg.Wait()
}

// recoverPanic logs a panic of a goroutine the core started, with what it
// was doing, instead of ending the process.
func (c *Core) recoverPanic(doing, id string) {
	if p := recover(); p != nil {
		c.log().Error("panic recovered", "doing", doing, "id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	}
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

// beginSave records a save in flight (and the segment ids of a long SMS)
// so receipts that overtake it wait; the returned func ends it.
func (c *Core) beginSave(channel Channel, key mstore.Key, ids []string) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(ids) > 1 {
		c.remember(newSegmentGroup(channel, key, ids))
	}
	ch := make(chan struct{})
	c.pending[memKey{channel, key}] = ch
	return func() {
		c.mu.Lock()
		delete(c.pending, memKey{channel, key})
		c.mu.Unlock()
		close(ch)
	}
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
