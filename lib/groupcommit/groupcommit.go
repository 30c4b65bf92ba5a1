// Package groupcommit owns the write path of msyshost's bbolt files (the
// embedded mstore and the spool): one goroutine applies every pending write
// in one bbolt transaction, so concurrent writers share one fsync, while
// each call still returns only once its own write is durable. A lone writer
// waits for nothing but its own commit; under load, writes arriving during a
// commit form the next batch.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("closed")

// A batch holds at most this many writes or bytes, beyond the first write,
// so one huge write never waits behind a huge batch.
const (
	maxBatchOps   = 1024
	maxBatchBytes = 16 << 20
)

// Writer applies writes to one bbolt file through its commit loop.
type Writer struct {
	db *bolt.DB

	// mu guards closed: Do holds it shared while it enqueues, Close takes
	// it exclusively, so nothing is enqueued after the loop's final drain.
	mu     sync.RWMutex
	closed bool

	ops      chan *op
	stop     chan struct{}
	loopDone chan struct{}
}

// op is one write waiting for the commit loop.
type op struct {
	apply func(*bolt.Tx) error
	size  int

	// state moves from pending to taken (the loop will apply it) or to
	// abandoned (the caller's context ended first; the loop skips it).
	state atomic.Int32
	done  chan error
}

const (
	pending int32 = iota
	taken
	abandoned
)

// New starts the commit loop of db. The caller keeps db open until Close
// returns.
func New(db *bolt.DB) *Writer {
	w := &Writer{
		db:       db,
		ops:      make(chan *op, 4096),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	go w.loop()
	return w
}

// Do applies apply in a transaction of the commit loop and returns once
// that transaction is committed and synced (nil) or has failed. size is
// roughly the bytes apply writes; it bounds batches.
//
// apply returns an error only to fail its transaction: when a batch fails,
// each of its writes is retried alone in a transaction of its own, so one
// bad write cannot fail its neighbours, and the error a caller gets back is
// its own. apply may therefore run more than once; an outcome that must not
// fail the transaction (a record not found) is for the caller to note in a
// variable apply sets afresh on every run.
//
// If ctx ends before the loop takes the write, it is never applied and Do
// returns ctx.Err(); once taken, Do waits for its commit.
func (w *Writer) Do(ctx context.Context, size int, apply func(*bolt.Tx) error) error {
	return w.submit(ctx, &op{apply: apply, size: size, done: make(chan error, 1)})
}

func (w *Writer) submit(ctx context.Context, o *op) error {
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.ops <- o:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		if o.state.CompareAndSwap(pending, abandoned) {
			return ctx.Err()
		}
		return <-o.done
	}
}

// Close commits every write already accepted and stops the loop; Do
// returns ErrClosed afterwards. It does not close the database.
func (w *Writer) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.loopDone
}

// loop is the only writer through w. It takes whatever writes are pending,
// applies them in one transaction, answers every waiter, and repeats.
func (w *Writer) loop() {
	defer close(w.loopDone)
	var carry *op
	batch := make([]*op, 0, maxBatchOps)
	for {
		batch = batch[:0]
		if carry != nil {
			batch, carry = append(batch, carry), nil
		} else {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			case <-w.stop:
				w.drain(batch)
				return
			}
		}
		// Let writers just woken by the previous commit enqueue their next
		// write; with nobody else runnable this returns at once.
		runtime.Gosched()
		size := batch[0].size
	gather:
		for len(batch) < maxBatchOps {
			select {
			case o := <-w.ops:
				if size+o.size > maxBatchBytes {
					carry = o
					break gather
				}
				size += o.size
				batch = append(batch, o)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// drain commits what Close found queued: Close forbids new writes before
// it stops the loop, so this empties the queue for good.
func (w *Writer) drain(batch []*op) {
	for {
		select {
		case o := <-w.ops:
			batch = append(batch, o)
			if len(batch) == maxBatchOps {
				w.commit(batch)
				batch = batch[:0]
			}
		default:
			if len(batch) > 0 {
				w.commit(batch)
			}
			return
		}
	}
}

// commit applies the live writes of batch in one transaction and answers
// each. A failed batch of more than one write is retried one write at a
// time; a failure of the file itself then fails each in turn.
func (w *Writer) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if o.state.CompareAndSwap(pending, taken) {
			live = append(live, o)
		}
	}
	if len(live) == 0 {
		return
	}
	err := w.db.Update(func(tx *bolt.Tx) error {
		for _, o := range live {
			if err := o.apply(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(live) > 1 {
		for _, o := range live {
			o.state.Store(pending)
			w.commit([]*op{o})
		}
		return
	}
	if err != nil {
		err = fmt.Errorf("committing: %w", err)
	}
	for _, o := range live {
		o.done <- err
	}
}

// DefaultLockTimeout is how long Open waits for another process that
// holds the file.
const DefaultLockTimeout = 5 * time.Second

// Open opens or creates the bbolt file at path as msyshost's stores keep
// theirs: readable by the owner only, the free list kept in memory (not
// synced, rebuilt at open: cheaper commits). what names the store in
// errors; a file another process holds past lockTimeout (0 means
// DefaultLockTimeout) is an error that says so.
func Open(what, path string, lockTimeout time.Duration) (*bolt.DB, error) {
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        lockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s %s is locked by another process (another msyshost on the same data directory?): %w", what, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s %s: %w", what, path, err)
	}
	return db, nil
}
