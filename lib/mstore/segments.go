package mstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A long SMS is stored once, under the message id of its first segment;
// each further segment id holds a segment alias (Record.SegmentOf) naming
// that first id, so a receipt for any segment finds the message. Once a
// message's final receipt is acted on, its key holds a receipt marker
// (Record.Marker) unless a hook kept the message, which is then marked
// handled. Callers that mean "the message" (the Lua API, the console, the
// scenario runner) go through LoadMessage and DeleteMessage, which follow
// an alias to its message and never return a marker.

// LoadMessage loads the message k names: the record stored under k, or,
// when that is an alias (of a segment, or a report alias), the message it
// names. An alias whose message is gone, and a receipt marker, are
// ErrNotFound (a marker's error says when its receipt was handled).
func LoadMessage(ctx context.Context, s Store, k Key) (*Record, error) {
	rec, err := s.Load(ctx, k)
	if err != nil {
		return nil, err
	}
	if rec.IsMarker() {
		return nil, markerGone(k, rec)
	}
	if !rec.IsAlias() {
		return rec, nil
	}
	msg, err := s.Load(ctx, rec.Target())
	if err == nil && msg.IsMarker() {
		err = markerGone(msg.Key, msg)
	}
	if err != nil {
		what := "a segment"
		if rec.AliasBucket != "" {
			what = "a report alias"
		}
		return nil, fmt.Errorf("%s is %s of %s: %w", k, what, rec.Target(), err)
	}
	return msg, nil
}

// markerGone is the ErrNotFound of a key that holds a receipt marker.
func markerGone(k Key, m *Record) error {
	return fmt.Errorf("%s: %w (its %s receipt was handled at %s)", k, ErrNotFound, m.Outcome, m.Handled.UTC().Format(time.RFC3339))
}

// DeleteMessage deletes the message k names (following an alias) and
// every segment alias of it. It returns the message's key; ErrNotFound
// when neither the message nor an alias is stored, or k holds a receipt
// marker. A message whose receipt was already handled (a hook kept it)
// leaves a receipt marker in its place, so the receipt sent again is
// still known as a duplicate.
func DeleteMessage(ctx context.Context, s Store, k Key) (Key, error) {
	rec, err := s.Load(ctx, k)
	if err != nil {
		return k, err
	}
	if rec.IsMarker() {
		return k, markerGone(k, rec)
	}
	msgKey, segments := rec.Target(), rec.Origin.Segments
	msg := rec
	if rec.IsAlias() {
		if msg, err = s.Load(ctx, msgKey); err != nil && !errors.Is(err, ErrNotFound) {
			return msgKey, err
		}
		if err == nil && msg.IsMarker() {
			return msgKey, markerGone(msgKey, msg)
		}
	}
	var errs []error
	if msg != nil && msg.IsMessage() && !msg.Handled.IsZero() {
		if err := s.Save(ctx, MarkerOf(msg, msg.Handled, msg.Outcome)); err != nil {
			errs = append(errs, err)
		}
	} else if err := s.Delete(ctx, msgKey); err != nil && !errors.Is(err, ErrNotFound) {
		errs = append(errs, err)
	}
	if rec.AliasBucket != "" {
		// A report alias goes with its message.
		if err := s.Delete(ctx, k); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	// Only the aliases go: once the receipt was handled, the segment ids
	// hold markers, which stay.
	for _, id := range segments {
		ak := Key{Bucket: msgKey.Bucket, ID: id}
		if ak == msgKey {
			continue
		}
		if a, err := s.Load(ctx, ak); err != nil || !a.IsAlias() {
			if err != nil && !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		if err := s.Delete(ctx, ak); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return msgKey, errors.Join(errs...)
}

// MarkerOf returns the receipt marker that replaces r, a message whose
// final receipt said outcome and was acted on at handled: its key,
// origin and times, no message.
func MarkerOf(r *Record, handled time.Time, outcome string) *Record {
	return &Record{Key: r.Key, Origin: r.Origin, Created: r.Created, Marker: true, Handled: handled, Outcome: outcome}
}
