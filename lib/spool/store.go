package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/message"
)

// errGone is a message no longer in the spool.
var errGone = errors.New("no such message in the spool")

// load reads a message's record and content.
func (s *Spool) load(id string) (rec *record, raw []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMessages).Get([]byte(id))
		if v == nil {
			return errGone
		}
		if rec, err = decodeRecord(id, v); err != nil {
			return err
		}
		c := tx.Bucket(bucketContent).Get([]byte(rec.Content))
		if c == nil {
			return fmt.Errorf("spool content %s of message %s: %w: missing", rec.Content, id, ErrCorrupt)
		}
		raw, err = decodeContent(rec.Content, c)
		return err
	})
	return rec, raw, err
}

// stored reads the record stored under id in tx: nil when there is none.
// A damaged record is an error.
func stored(tx *bolt.Tx, id string) (*record, error) {
	v := tx.Bucket(bucketMessages).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decodeRecord(id, v)
}

// deleteMessage removes the message stored under id in tx: its record,
// its due entry and its share of its content. It goes by the stored
// record, not by what a caller read earlier, so an entry is never left
// behind. It reports false when there is no such message.
func deleteMessage(tx *bolt.Tx, id string) (bool, error) {
	r, err := stored(tx, id)
	if r == nil || err != nil {
		return false, err
	}
	if err := tx.Bucket(bucketMessages).Delete([]byte(id)); err != nil {
		return false, err
	}
	if err := tx.Bucket(bucketDue).Delete(dueKey(r.Next, id)); err != nil {
		return false, err
	}
	return true, releaseContent(tx, r.Content)
}

// releaseContent drops one reference to a content, and the content with
// the last. A content without a "refs" entry has one reference.
func releaseContent(tx *bolt.Tx, key string) error {
	refs := tx.Bucket(bucketRefs)
	k := []byte(key)
	n := uint64(1)
	if v := refs.Get(k); v != nil {
		if x, m := binary.Uvarint(v); m > 0 {
			n = x
		}
	}
	switch {
	case n <= 1:
		if err := refs.Delete(k); err != nil {
			return err
		}
		return tx.Bucket(bucketContent).Delete(k)
	case n == 2:
		return refs.Delete(k)
	default:
		return refs.Put(k, binary.AppendUvarint(nil, n-1))
	}
}

// putRecord stores r over the record under its id, moving its due entry
// from the stored next attempt to r's; a quarantined message gets none.
// It reports false when the message is gone (removed meanwhile).
func putRecord(tx *bolt.Tx, r *record, enc []byte) (bool, error) {
	old, err := stored(tx, r.ID)
	if err != nil || old == nil {
		return false, err
	}
	due := tx.Bucket(bucketDue)
	if err := due.Delete(dueKey(old.Next, r.ID)); err != nil {
		return false, err
	}
	if err := tx.Bucket(bucketMessages).Put([]byte(r.ID), enc); err != nil {
		return false, err
	}
	if r.Quarantined {
		return true, nil
	}
	return true, due.Put(dueKey(r.Next, r.ID), nil)
}

// remove deletes a delivered or failed message, queueing dsn (its bounce,
// when there is one) in the same transaction. dsn gets its id when the
// transaction commits.
func (s *Spool) remove(ctx context.Context, rec *record, dsn *message.Message) error {
	size := 64
	var b *batch
	if dsn != nil {
		var err error
		if b, err = s.newBatch([]*message.Message{dsn}, s.opts.Now()); err != nil {
			return err
		}
		size += b.size
	}
	err := s.w.Do(ctx, size, func(tx *bolt.Tx) error {
		if _, err := deleteMessage(tx, rec.ID); err != nil {
			return err
		}
		if b != nil {
			return b.put(tx)
		}
		return nil
	})
	s.wrote(err)
	if err != nil {
		return s.storageError("removing "+rec.ID, err)
	}
	if b != nil {
		dsn.ID = b.recs[0].ID
		s.counters.received.Add(1)
		s.poke()
	}
	return nil
}

// rewrite stores rec's new state.
func (s *Spool) rewrite(ctx context.Context, rec *record) error {
	enc := encodeRecord(rec)
	err := s.w.Do(ctx, len(enc), func(tx *bolt.Tx) error {
		_, err := putRecord(tx, rec, enc)
		return err
	})
	s.wrote(err)
	if err != nil {
		return s.storageError("rescheduling "+rec.ID, err)
	}
	return nil
}

// dropDue removes one due entry: of a message that is gone, or that cannot
// be read (it is left in the file for an operator).
func (s *Spool) dropDue(key []byte) {
	err := s.w.Do(context.Background(), len(key), func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDue).Delete(key)
	})
	s.wrote(err)
	if err != nil {
		s.log.Error("spool: removing a due entry", "error", err)
	}
}

// forget removes what is left of a message whose record is damaged: the
// record, its due entries and the content stored under its id (a
// content shared by its batch loses one reference). The content of a
// damaged record that was not its batch's first cannot be found; it stays.
func (s *Spool) forget(ctx context.Context, id string) error {
	err := s.w.Do(ctx, 64, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMessages).Get([]byte(id)) == nil {
			return errGone
		}
		if err := tx.Bucket(bucketMessages).Delete([]byte(id)); err != nil {
			return err
		}
		due := tx.Bucket(bucketDue)
		var keys [][]byte
		c := due.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) > 8 && string(k[8:]) == id {
				keys = append(keys, append([]byte(nil), k...))
			}
		}
		for _, k := range keys {
			if err := due.Delete(k); err != nil {
				return err
			}
		}
		if tx.Bucket(bucketContent).Get([]byte(id)) != nil {
			return releaseContent(tx, id)
		}
		return nil
	})
	if errors.Is(err, errGone) {
		return err
	}
	if err != nil {
		return s.storageError("removing damaged message "+id, err)
	}
	return nil
}
