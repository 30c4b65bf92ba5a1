package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/mstore"
)

func testRecord(i int64) *mstore.Record {
	raw := make([]byte, 1024)
	for j := range raw {
		raw[j] = byte('a' + j%26)
	}
	return &mstore.Record{
		Key:      mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprintf("%016x", i)},
		MailFrom: "alice@example.com",
		RcptTo:   "15551234@smpp.example.com",
		Raw:      raw,
		Origin:   mstore.Origin{Channel: "smpp", Binding: "smsc_a", Domain: "smpp.example.com", Shortcode: "12345"},
	}
}

// runOps runs b.N calls of op spread over writers goroutines and reports
// calls per second in unit.
func runOps(b *testing.B, writers int, unit string, op func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit)
}

// BenchmarkSaveDelete measures durable save+delete pairs per second: the
// group-committing Store, next to plain bbolt with one transaction per
// operation through db.Batch, and the naive baseline, db.Update (one fsync
// per operation).
func BenchmarkSaveDelete(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("group/writers=%d", writers), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "mstore.db"), Options{Logger: quiet(), SweepInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			runOps(b, writers, "pairs/s", func(i int64) error {
				r := testRecord(i)
				if err := s.Save(ctx, r); err != nil {
					return err
				}
				return s.Delete(ctx, r.Key)
			})
		})
		b.Run(fmt.Sprintf("boltbatch/writers=%d", writers), func(b *testing.B) {
			benchPlainBolt(b, writers, (*bolt.DB).Batch)
		})
		b.Run(fmt.Sprintf("naive/writers=%d", writers), func(b *testing.B) {
			benchPlainBolt(b, writers, (*bolt.DB).Update)
		})
	}
}

// benchPlainBolt runs save+delete pairs as one bbolt transaction per
// operation, through update: db.Update (one fsync per operation, the naive
// baseline) or db.Batch (bbolt's own coalescing, which waits up to
// MaxBatchDelay, 10ms, for company).
func benchPlainBolt(b *testing.B, writers int, update func(*bolt.DB, func(*bolt.Tx) error) error) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "plain.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	name := []byte("records")
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(name)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	runOps(b, writers, "pairs/s", func(i int64) error {
		r := testRecord(i)
		val, err := mstore.Encode(r)
		if err != nil {
			return err
		}
		k := recordKey(r.Key)
		if err := update(db, func(tx *bolt.Tx) error { return tx.Bucket(name).Put(k, val) }); err != nil {
			return err
		}
		return update(db, func(tx *bolt.Tx) error { return tx.Bucket(name).Delete(k) })
	})
}

// BenchmarkBytesOnDisk stores b.N records with a 1 KiB message and reports
// the file size, and the size bbolt has in use, per stored record.
func BenchmarkBytesOnDisk(b *testing.B) {
	path := filepath.Join(b.TempDir(), "mstore.db")
	s, err := Open(path, Options{Logger: quiet(), SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	runOps(b, 64, "saves/s", func(i int64) error { return s.Save(ctx, testRecord(i)) })
	var used int64
	if err := s.db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/float64(b.N), "file-B/msg")
	b.ReportMetric(float64(used)/float64(b.N), "used-B/msg")
}
