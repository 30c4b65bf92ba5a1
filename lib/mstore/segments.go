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
// when that is a segment alias, the message it belongs to. An alias whose
// message is gone is ErrNotFound.
func LoadMessage(ctx context.Context, s Store, k Key) (*Record, error) {
	rec, err := s.Load(ctx, k)
	if err != nil || !rec.IsAlias() {
		return rec, err
	}
	msg, err := s.Load(ctx, Key{Bucket: k.Bucket, ID: rec.SegmentOf})
	if err != nil {
		return nil, fmt.Errorf("%s is a segment of %s/%s: %w", k, k.Bucket, rec.SegmentOf, err)
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
	msgKey, segments := k, rec.Origin.Segments
	if rec.IsAlias() {
		msgKey = Key{Bucket: k.Bucket, ID: rec.SegmentOf}
	}
	var errs []error
	if err := s.Delete(ctx, msgKey); err != nil && !errors.Is(err, ErrNotFound) {
		errs = append(errs, err)
	}
	for _, id := range segments {
		if ak := (Key{Bucket: k.Bucket, ID: id}); ak != msgKey {
			if err := s.Delete(ctx, ak); err != nil && !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	return msgKey, errors.Join(errs...)
}
