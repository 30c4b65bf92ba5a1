// Package embedded is the default mstore backend: one bbolt file under the
// data directory. Writes go through a group commit (lib/groupcommit) that
// batches every pending save and delete into one bbolt transaction, so
// concurrent writers share one fsync while Save still returns only once its
// record is durable. A time
// index (bucket "expiry") lets the retention sweep visit only expired
// records. The file layout is described in ../FORMAT.md.
package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/groupcommit"
	"msyshost/lib/mstore"
)

var _ mstore.Store = (*Store)(nil)
var _ mstore.Sweeper = (*Store)(nil)

// Bucket names of the file layout (FORMAT.md, "Embedded store").
var (
	bucketRecords = []byte("records")
	bucketExpiry  = []byte("expiry")
	bucketMeta    = []byte("meta")
	keyLayout     = []byte("layout")
)

// layoutVersion is the version of the bucket layout, kept in meta/layout.
const layoutVersion = 1

// Options configure a Store. The zero value is the production default.
type Options struct {
	// Retention applies to records saved with a zero Expires: they expire
	// this long after they were saved. Zero means mstore.DefaultRetention.
	Retention time.Duration
	// Now is the clock expiry is judged by; nil means time.Now.
	Now func() time.Time
	// Logger receives sweep results and failures; nil means slog.Default().
	Logger *slog.Logger
	// SweepInterval is how often the background sweep runs; zero means one
	// minute, negative disables it (Sweep can still be called).
	SweepInterval time.Duration
	// SweepBatch bounds how many index entries one sweep transaction
	// visits; zero means 1000.
	SweepBatch int
	// LockTimeout is how long Open waits for another process holding the
	// file; zero means five seconds.
	LockTimeout time.Duration
}

// Store is the embedded bbolt backend.
type Store struct {
	db        *bolt.DB
	path      string
	backend   string
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	sweepN    int

	// mu guards closed: reads and sweeps take it shared while they touch
	// the database, Close takes it exclusively. Writes go through w, which
	// keeps its own closed state.
	mu     sync.RWMutex
	closed bool

	w      *groupcommit.Writer
	stop   chan struct{}
	sweeps sync.WaitGroup
}

// Open opens or creates the store file at path.
func Open(path string, opts Options) (*Store, error) {
	s := &Store{
		path:      path,
		backend:   "embedded " + path,
		retention: opts.Retention,
		now:       opts.Now,
		log:       opts.Logger,
		sweepN:    opts.SweepBatch,
		stop:      make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.sweepN <= 0 {
		s.sweepN = 1000
	}
	db, err := groupcommit.Open("mstore", path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	s.db = db
	if err := s.initLayout(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening mstore %s: %w", path, err)
	}
	s.w = groupcommit.New(db)
	interval := opts.SweepInterval
	if interval == 0 {
		interval = time.Minute
	}
	if interval > 0 {
		s.sweeps.Go(func() { s.sweepLoop(interval) })
	}
	return s, nil
}

func (s *Store) initLayout() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketExpiry, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyLayout); {
		case v == nil:
			return meta.Put(keyLayout, []byte{layoutVersion})
		case len(v) != 1 || v[0] != layoutVersion:
			return fmt.Errorf("unsupported store layout %x (this build reads layout %d)", v, layoutVersion)
		}
		return nil
	})
}

// Save stores r durably: it returns once the transaction holding r has been
// committed and synced. A zero Created is set to now, a zero Expires to now
// plus the retention; the caller's record is not modified.
func (s *Store) Save(ctx context.Context, r *mstore.Record) error {
	if err := mstore.PrecheckSave(ctx, s.backend, r); err != nil {
		return err
	}
	rec := mstore.Stamp(r, s.now(), s.retention)
	enc, err := mstore.Encode(&rec)
	if err != nil {
		return s.fail("save", r.Key, err)
	}
	exp := expiryNanos(rec.Expires)
	val := make([]byte, 8+len(enc))
	binary.BigEndian.PutUint64(val, exp)
	copy(val[8:], enc)
	return s.submit(ctx, &op{key: r.Key, rk: recordKey(r.Key), val: val, exp: exp})
}

// Load returns the record under k, or ErrNotFound when there is none or it
// has expired (whether or not a sweep has removed it yet).
func (s *Store) Load(ctx context.Context, k mstore.Key) (*mstore.Record, error) {
	if err := mstore.Precheck(ctx, "load", s.backend, k); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, s.fail("load", k, mstore.ErrClosed)
	}
	now := expiryNanos(s.now())
	var r *mstore.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRecords).Get(recordKey(k))
		if v == nil {
			return mstore.ErrNotFound
		}
		if len(v) < 8 {
			return fmt.Errorf("%w: %d-byte value in bucket %q", mstore.ErrCorrupt, len(v), bucketRecords)
		}
		if binary.BigEndian.Uint64(v) <= now {
			return mstore.ErrNotFound
		}
		var err error
		r, err = mstore.Decode(k, v[8:])
		return err
	})
	if err != nil {
		return nil, s.fail("load", k, err)
	}
	return r, nil
}

// Delete removes the record under k. An expired record is removed too, but
// reported as ErrNotFound, as Load would have.
func (s *Store) Delete(ctx context.Context, k mstore.Key) error {
	if err := mstore.Precheck(ctx, "delete", s.backend, k); err != nil {
		return err
	}
	return s.submit(ctx, &op{key: k, rk: recordKey(k), del: true})
}

// Close commits every operation already accepted, stops the sweep and
// closes the file. Calls made afterwards return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.w.Close()
	close(s.stop)
	s.sweeps.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing mstore %s: %w", s.path, err)
	}
	return nil
}

func (s *Store) fail(op string, k mstore.Key, err error) error {
	return &mstore.Error{Op: op, Key: k, Backend: s.backend, Err: err}
}

// recordKey is the key of k in bucket "records": uvarint(len(bucket)),
// bucket, id. The length prefix keeps "a/b"+"c" apart from "a"+"b/c".
func recordKey(k mstore.Key) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(k.Bucket)+len(k.ID))
	b = binary.AppendUvarint(b, uint64(len(k.Bucket)))
	b = append(b, k.Bucket...)
	return append(b, k.ID...)
}

// expiryKey is the key in bucket "expiry": big-endian expiry, then the
// record key, so a cursor walks records in expiry order.
func expiryKey(exp uint64, rk []byte) []byte {
	b := make([]byte, 8, 8+len(rk))
	binary.BigEndian.PutUint64(b, exp)
	return append(b, rk...)
}

// expiryNanos is mstore.ExpiryNanos as the unsigned big-endian key of the
// expiry index, so byte order is time order.
func expiryNanos(t time.Time) uint64 { return uint64(mstore.ExpiryNanos(t)) }

// op is one save or delete.
type op struct {
	key mstore.Key
	rk  []byte
	val []byte // save: 8-byte expiry then the encoded record
	exp uint64
	del bool
}

// submit applies o through the group commit and waits for its commit.
func (s *Store) submit(ctx context.Context, o *op) error {
	name := "save"
	if o.del {
		name = "delete"
	}
	var result error
	err := s.w.Do(ctx, len(o.val), func(tx *bolt.Tx) error {
		result = apply(tx, o, expiryNanos(s.now()))
		if errors.Is(result, mstore.ErrNotFound) {
			return nil // the delete's answer, not a failure of the batch
		}
		return result
	})
	if errors.Is(err, groupcommit.ErrClosed) {
		err = mstore.ErrClosed
	}
	if err == nil {
		err = result
	}
	if err != nil {
		return s.fail(name, o.key, err)
	}
	return nil
}
