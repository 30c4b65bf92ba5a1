package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("b")

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "w.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bucket)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte(k)) }
}

func has(t *testing.T, db *bolt.DB, k string) bool {
	t.Helper()
	var ok bool
	if err := db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucket).Get([]byte(k)) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestConcurrentWritersShareCommits checks every write of many concurrent
// writers is there once Do returned, and that they took fewer transactions
// than writes (the point of the package).
func TestConcurrentWritersShareCommits(t *testing.T) {
	db := openDB(t)
	w := New(db)
	defer w.Close()
	var mu sync.Mutex
	txs := map[int]bool{}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 50 {
				k := fmt.Sprintf("%d-%d", g, i)
				if err := w.Do(context.Background(), 10, func(tx *bolt.Tx) error {
					mu.Lock()
					txs[tx.ID()] = true
					mu.Unlock()
					return put(k)(tx)
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for g := range 32 {
		for i := range 50 {
			if !has(t, db, fmt.Sprintf("%d-%d", g, i)) {
				t.Fatalf("write %d-%d acknowledged but absent", g, i)
			}
		}
	}
	commits := len(txs)
	t.Logf("1600 writes in %d transactions", commits)
	if commits >= 1600 {
		t.Fatalf("1600 concurrent writes took %d transactions; none were shared", commits)
	}
}

// TestBadWriteFailsAlone checks a write whose apply fails gets its own
// error while the writes batched with it commit.
func TestBadWriteFailsAlone(t *testing.T) {
	db := openDB(t)
	w := New(db)
	defer w.Close()
	// Hold the writer lock so the writes below queue up into one batch.
	tx, err := db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			apply := put(fmt.Sprint(i))
			if i == 4 {
				apply = func(*bolt.Tx) error { return boom }
			}
			errs[i] = w.Do(context.Background(), 1, apply)
		})
	}
	time.Sleep(50 * time.Millisecond)
	tx.Rollback()
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == 4 && !errors.Is(err, boom):
			t.Errorf("bad write: %v, want its own error", err)
		case i != 4 && err != nil:
			t.Errorf("write %d failed with its neighbour: %v", i, err)
		case i != 4 && !has(t, db, fmt.Sprint(i)):
			t.Errorf("write %d acknowledged but absent", i)
		}
	}
}

// TestAbandonedWrite checks a write whose context ends before the loop
// takes it is never applied, and one already taken is waited for.
func TestAbandonedWrite(t *testing.T) {
	db := openDB(t)
	w := New(db)
	defer w.Close()
	// Hold the writer lock so the loop blocks on its current batch.
	tx, err := db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	first := &op{apply: put("first"), size: 1, done: make(chan error, 1)}
	firstDone := make(chan error, 1)
	go func() { firstDone <- w.submit(context.Background(), first) }()
	for first.state.Load() != taken {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.Do(ctx, 1, put("second")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write with an expiring context: %v, want DeadlineExceeded", err)
	}
	tx.Rollback()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if has(t, db, "second") {
		t.Fatal("abandoned write was applied")
	}
	if !has(t, db, "first") {
		t.Fatal("taken write was not applied")
	}
}

// TestCloseCommitsAccepted checks Close commits every write Do accepted and
// that Do refuses afterwards.
func TestCloseCommitsAccepted(t *testing.T) {
	db := openDB(t)
	w := New(db)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok []string
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := fmt.Sprintf("%d-%d", g, i)
				err := w.Do(context.Background(), 1, put(k))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ok = append(ok, k)
				mu.Unlock()
			}
		})
	}
	time.Sleep(30 * time.Millisecond)
	w.Close()
	wg.Wait()
	if len(ok) == 0 {
		t.Fatal("no write committed before Close")
	}
	for _, k := range ok {
		if !has(t, db, k) {
			t.Fatalf("%s acknowledged but absent", k)
		}
	}
	if err := w.Do(context.Background(), 1, put("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v, want ErrClosed", err)
	}
}
