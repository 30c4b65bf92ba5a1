package embedded

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t *testing.T, path string, clock *mstoretest.Clock) *Store {
	t.Helper()
	s, err := Open(path, Options{Now: clock.Now, Logger: quiet(), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
		return openTest(t, filepath.Join(t.TempDir(), "mstore.db"), clock)
	})
}

// TestSweepBounded checks a sweep removes exactly the expired records over
// several bounded transactions and leaves later ones alone.
func TestSweepBounded(t *testing.T) {
	clock := mstoretest.NewClock(mstoretest.Start)
	s, err := Open(filepath.Join(t.TempDir(), "mstore.db"), Options{Now: clock.Now, Logger: quiet(), SweepInterval: -1, SweepBatch: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range 1200 {
		r := testRecord(int64(i))
		r.Expires = mstoretest.Start.Add(time.Duration(1+i%2) * time.Hour)
		if err := s.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	n, more, err := s.sweepOnce(ctx)
	if err != nil || n != 100 || !more {
		t.Fatalf("one sweep transaction removed %d (more %v, %v), want 100 of a bounded pass", n, more, err)
	}
	n, err = s.Sweep(ctx)
	if err != nil || n != 500 {
		t.Fatalf("sweep removed %d (%v), want the other 500", n, err)
	}
	for i := range 1200 {
		_, err := s.Load(ctx, testRecord(int64(i)).Key)
		if live := i%2 == 1; live != (err == nil) {
			t.Fatalf("record %d after sweep: %v", i, err)
		}
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(bucketExpiry).Stats().KeyN; got != 600 {
			t.Errorf("%d index entries left, want 600", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundSweep checks the sweep runs by itself.
func TestBackgroundSweep(t *testing.T) {
	clock := mstoretest.NewClock(mstoretest.Start)
	s, err := Open(filepath.Join(t.TempDir(), "mstore.db"), Options{Now: clock.Now, Logger: quiet(), SweepInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := testRecord(1)
	if err := s.Save(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	clock.Advance(mstore.DefaultRetention)
	for range 200 {
		var present bool
		s.db.View(func(tx *bolt.Tx) error {
			present = tx.Bucket(bucketRecords).Get(recordKey(r.Key)) != nil
			return nil
		})
		if !present {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("background sweep did not remove an expired record within a second")
}

// TestSweepAfterClose checks a background sweep that Close overtakes logs
// nothing at error level: the store closing is not a failed sweep.
func TestSweepAfterClose(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := Open(filepath.Join(t.TempDir(), "mstore.db"), Options{Logger: log, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.sweepTick(context.Background())
	if logged.Len() > 0 {
		t.Fatalf("a sweep after close logged: %s", logged.String())
	}
	_, err = s.Sweep(context.Background())
	if !errors.Is(err, mstore.ErrClosed) || strings.Contains(err.Error(), "/ on") || !strings.HasPrefix(err.Error(), "mstore sweep on embedded ") {
		t.Fatalf("sweep after close: %v, want ErrClosed without a key", err)
	}
}
