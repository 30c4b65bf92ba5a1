package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/groupcommit"
	"msyshost/lib/mstore"
)

// Sweep removes every record expired by the store's clock. It walks the
// expiry index from its oldest entry and stops at the first live one, so
// its cost is the number of expired records, not the size of the store;
// each transaction visits at most Options.SweepBatch index entries, so
// writers are never held up for long. Its writes go through the group
// commit like every other, sharing its transactions and fsyncs.
func (s *Store) Sweep(ctx context.Context) (removed int, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		n, more, err := s.sweepOnce(ctx)
		removed += n
		if err != nil || !more {
			return removed, err
		}
	}
}

func (s *Store) sweepOnce(ctx context.Context) (removed int, more bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, false, s.fail("sweep", mstore.Key{}, mstore.ErrClosed)
	}
	// The group commit may apply a write more than once (alone, after its
	// batch failed): what it reports is set afresh each time.
	err = s.w.Do(ctx, 64*s.sweepN, func(tx *bolt.Tx) error {
		removed, more = 0, false
		now := expiryNanos(s.now())
		recs, idx := tx.Bucket(bucketRecords), tx.Bucket(bucketExpiry)
		// Collect first: deleting under a bbolt cursor makes it skip keys.
		var stale [][]byte
		c := idx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(stale) == s.sweepN {
				more = true
				break
			}
			if len(k) >= 8 && binary.BigEndian.Uint64(k) > now {
				break
			}
			stale = append(stale, bytes.Clone(k))
		}
		for _, k := range stale {
			if err := idx.Delete(k); err != nil {
				return err
			}
			if len(k) < 8 {
				continue
			}
			rk := k[8:]
			// Only the record the entry was written for: a later save
			// under the same key has its own entry and stays.
			if v := recs.Get(rk); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
				if err := recs.Delete(rk); err != nil {
					return err
				}
				removed++
			}
		}
		return nil
	})
	if errors.Is(err, groupcommit.ErrClosed) {
		err = mstore.ErrClosed
	}
	if err != nil {
		return 0, false, s.fail("sweep", mstore.Key{}, err)
	}
	return removed, more, nil
}

// sweepLoop runs Sweep every interval until Close.
func (s *Store) sweepLoop(interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweepTick(ctx)
		}
	}
}

// sweepTick runs one background sweep and logs its outcome. A sweep that
// Close overtook (its context ended, or the store closed between the tick
// and the sweep's transaction) is not a failure.
func (s *Store) sweepTick(ctx context.Context) {
	n, err := s.Sweep(ctx)
	switch {
	case err != nil && ctx.Err() == nil && !errors.Is(err, mstore.ErrClosed):
		s.log.Error("mstore retention sweep failed", "store", s.path, "removed", n, "err", err)
	case n > 0:
		s.log.Info("mstore retention sweep", "store", s.path, "removed", n)
	}
}
