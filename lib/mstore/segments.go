package mstore

import (
	"context"
	"errors"
	"fmt"
)

// A long SMS is stored once, under the message id of its first segment;
// each further segment id holds a segment alias (Record.SegmentOf) naming
// that first id, so a receipt for any segment finds the message. Callers
// that mean "the message" (the Lua API, the console) go through
// LoadMessage and DeleteMessage, which follow an alias to its message.

// LoadMessage loads the message k names: the record stored under k, or,
// when that is an alias (of a segment, or a report alias), the message it
// names. An alias whose message is gone is ErrNotFound.
func LoadMessage(ctx context.Context, s Store, k Key) (*Record, error) {
	rec, err := s.Load(ctx, k)
	if err != nil || !rec.IsAlias() {
		return rec, err
	}
	msg, err := s.Load(ctx, rec.Target())
	if err != nil {
		what := "a segment"
		if rec.AliasBucket != "" {
			what = "a report alias"
		}
		return nil, fmt.Errorf("%s is %s of %s: %w", k, what, rec.Target(), err)
	}
	return msg, nil
}

// DeleteMessage deletes the message k names (following an alias) and
// every segment alias of it. It returns the message's key; ErrNotFound
// when neither the message nor an alias is stored.
func DeleteMessage(ctx context.Context, s Store, k Key) (Key, error) {
	rec, err := s.Load(ctx, k)
	if err != nil {
		return k, err
	}
	msgKey, segments := rec.Target(), rec.Origin.Segments
	var errs []error
	if err := s.Delete(ctx, msgKey); err != nil && !errors.Is(err, ErrNotFound) {
		errs = append(errs, err)
	}
	if rec.AliasBucket != "" {
		// A report alias goes with its message.
		if err := s.Delete(ctx, k); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	for _, id := range segments {
		if ak := (Key{Bucket: msgKey.Bucket, ID: id}); ak != msgKey {
			if err := s.Delete(ctx, ak); err != nil && !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	return msgKey, errors.Join(errs...)
}
