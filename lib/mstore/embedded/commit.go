package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/mstore"
)

// A batch holds at most this many operations or bytes of values, beyond the
// first operation, so one huge message never waits behind a huge batch.
const (
	maxBatchOps   = 1024
	maxBatchBytes = 16 << 20
)

// commitLoop is the only writer of records. It takes whatever operations are
// pending, applies them in one bbolt transaction (one fsync), answers every
// waiter, and repeats. A lone writer waits for nothing but its own commit;
// under load, operations arriving during a commit form the next batch.
func (s *Store) commitLoop() {
	defer close(s.loopDone)
	var carry *op
	batch := make([]*op, 0, maxBatchOps)
	for {
		batch = batch[:0]
		if carry != nil {
			batch, carry = append(batch, carry), nil
		} else {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			case <-s.stop:
				s.drain(batch)
				return
			}
		}
		// Let writers just woken by the previous commit enqueue their next
		// operation; with nobody else runnable this returns at once.
		runtime.Gosched()
		size := len(batch[0].val)
	gather:
		for len(batch) < maxBatchOps {
			select {
			case o := <-s.ops:
				if size+len(o.val) > maxBatchBytes {
					carry = o
					break gather
				}
				size += len(o.val)
				batch = append(batch, o)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// drain commits what Close found queued: Close forbids new operations
// before it stops the loop, so this empties the queue for good.
func (s *Store) drain(batch []*op) {
	for {
		select {
		case o := <-s.ops:
			batch = append(batch, o)
			if len(batch) == maxBatchOps {
				s.commit(batch)
				batch = batch[:0]
			}
		default:
			if len(batch) > 0 {
				s.commit(batch)
			}
			return
		}
	}
}

// commit applies the live operations of batch in one transaction and
// answers each. If the transaction fails as a whole with more than one
// operation in it, each is retried alone, so one bad operation cannot fail
// its neighbours; a failure of the file itself then fails each in turn.
func (s *Store) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if o.state.CompareAndSwap(opPending, opTaken) {
			live = append(live, o)
		}
	}
	if len(live) == 0 {
		return
	}
	results := make([]error, len(live))
	err := s.db.Update(func(tx *bolt.Tx) error {
		now := expiryNanos(s.now())
		for i, o := range live {
			if err := apply(tx, o, now); errors.Is(err, mstore.ErrNotFound) {
				results[i] = err
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	// A failed batch is retried one operation at a time, so the error an
	// operation gets back is its own, and the caller names its key.
	if err != nil && len(live) > 1 {
		for _, o := range live {
			o.state.Store(opPending)
			s.commit([]*op{o})
		}
		return
	}
	for i, o := range live {
		if err != nil {
			o.done <- fmt.Errorf("committing: %w", err)
		} else {
			o.done <- results[i]
		}
	}
}

// apply performs o inside tx. A save replaces any older record and its
// index entry; a delete removes both and reports ErrNotFound when there was
// nothing, or nothing live, to delete.
func apply(tx *bolt.Tx, o *op, now uint64) error {
	recs, idx := tx.Bucket(bucketRecords), tx.Bucket(bucketExpiry)
	old := recs.Get(o.rk)
	if old != nil && len(old) >= 8 {
		if err := idx.Delete(expiryKey(binary.BigEndian.Uint64(old), o.rk)); err != nil {
			return err
		}
	}
	if o.del {
		if old == nil {
			return mstore.ErrNotFound
		}
		expired := len(old) >= 8 && binary.BigEndian.Uint64(old) <= now
		if err := recs.Delete(o.rk); err != nil {
			return err
		}
		if expired {
			return mstore.ErrNotFound
		}
		return nil
	}
	if err := recs.Put(o.rk, o.val); err != nil {
		return err
	}
	return idx.Put(expiryKey(o.exp, o.rk), nil)
}
