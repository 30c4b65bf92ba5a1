package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"msyshost/lib/mstore"
)

// A parked receipt looks for its stored copy after parkPoll, then twice as
// long each time up to parkPollMax: a save at another node shows within
// moments, and a receipt nobody stored does not cost hundreds of loads.
const (
	parkPoll    = 20 * time.Millisecond
	parkPollMax = 500 * time.Millisecond
	// parkPending bounds the wait for a save under way in this process
	// when ParkTimeout is negative: such a save always ends.
	parkPending = 5 * time.Second
)

// found is what park learnt about a receipt's message.
type found struct {
	key      mstore.Key     // the candidate key that named it (the first when none did)
	rec      *mstore.Record // its record in the store: message, alias or marker; nil when none
	external bool           // kept elsewhere by a store hook (MSTORE_DONE)
	group    *segmentGroup  // the long SMS the key is a segment of, when this process knows it
	done     bool           // its receipt was acted on in this process
}

// known reports whether the core knows the message at all.
func (f found) known() bool { return f.rec != nil || f.external || f.group != nil || f.done }

func (c *Core) parkTimeout() time.Duration {
	if c.ParkTimeout == 0 {
		return 5 * time.Second
	}
	return c.ParkTimeout
}

// park holds a receipt until its message is known under one of keys:
// stored (a message, a segment alias or a receipt marker: a duplicate
// needs no wait), being stored here, a segment of a message known here, or
// kept elsewhere by a hook. It gives up after ParkTimeout and returns what
// it found, nothing when the message stayed unknown (the hooks may know
// better). A record of another channel under a key is not the receipt's.
// An error is the store failing or ctx ending: the receipt must be tried
// again.
func (c *Core) park(ctx context.Context, ch Channel, keys []mstore.Key, log *slog.Logger) (found, error) {
	timeout := c.parkTimeout()
	deadline := c.now().Add(max(timeout, 0))
	poll := parkPoll
	waited := false
	for {
		f, wait := c.recall(ch, keys)
		if f.done || f.external {
			return f, nil
		}
		if wait != nil && !waited {
			waited = true
			d := deadline.Sub(c.now())
			if timeout < 0 {
				d = parkPending
			}
			select {
			case <-wait:
			case <-c.after(max(d, 0)):
				log.Warn("receipt waited for its stored copy past the park timeout")
			case <-ctx.Done():
				return f, fmt.Errorf("waiting for the stored copy of %s: %w", f.key, ctx.Err())
			}
			continue
		}
		for _, k := range keys {
			rec, err := c.Store.Load(ctx, k)
			if errors.Is(err, mstore.ErrNotFound) {
				continue
			}
			if err != nil {
				return found{key: k}, fmt.Errorf("looking up %s: %w", k, err)
			}
			if other(rec, ch) {
				log.Debug("a record of another channel under the receipt's key; not its message", "key", k.String(), "record_channel", rec.Origin.Channel)
				continue
			}
			if rec.AliasBucket != "" {
				// A report alias: the message (or its marker) is under
				// the bucket it names.
				target := rec.Target()
				if rec, err = c.Store.Load(ctx, target); errors.Is(err, mstore.ErrNotFound) {
					continue // the alias outlived its message
				} else if err != nil {
					return found{key: k}, fmt.Errorf("looking up %s, which %s names: %w", target, k, err)
				}
				k = target
			}
			f.key, f.rec = k, rec
			c.mu.Lock()
			f.group, _ = c.segments.get(memKey{ch, k})
			c.mu.Unlock()
			return f, nil
		}
		if f.group != nil {
			return f, nil // a segment of a long SMS whose save failed or is still under way
		}
		if timeout < 0 || !c.now().Before(deadline) {
			return f, nil
		}
		select {
		case <-c.after(min(poll, deadline.Sub(c.now()))):
		case <-ctx.Done():
			return f, fmt.Errorf("waiting for the stored copy of %s: %w", f.key, ctx.Err())
		}
		poll = min(2*poll, parkPollMax)
	}
}

// recall is what this process knows of keys, and the save to wait for
// when one of them is being stored.
func (c *Core) recall(ch Channel, keys []mstore.Key) (found, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := found{key: keys[0]}
	var wait <-chan struct{}
	for _, k := range keys {
		primary := k
		g, seg := c.segments.get(memKey{ch, k})
		if seg {
			primary = g.primary
		}
		_, done := c.handled.get(memKey{ch, primary})
		_, ext := c.external.get(memKey{ch, primary})
		if done || ext {
			return found{key: k, group: g, done: done, external: ext}, nil
		}
		if p := c.pending[memKey{ch, primary}]; p != nil && wait == nil {
			f.key, wait = k, p
		}
		if seg && f.group == nil {
			f.key, f.group = k, g
		}
	}
	return f, wait
}
