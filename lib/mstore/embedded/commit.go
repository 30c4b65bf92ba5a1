package embedded

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/mstore"
)

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
