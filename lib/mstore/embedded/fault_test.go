package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"msyshost/lib/crashtest"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
)

// TestCloseMidFlight closes the store under concurrent writers and readers:
// each call succeeds or fails with ErrClosed naming the store, and every
// save that succeeded is there after reopening.
func TestCloseMidFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mstore.db")
	clock := mstoretest.NewClock(time.Now())
	s := openTest(t, path, clock)
	var (
		mu     sync.Mutex
		saved  []mstore.Key
		closed int
		wg     sync.WaitGroup
	)
	check := func(err error) bool {
		if err == nil {
			return true
		}
		var me *mstore.Error
		if !errors.Is(err, mstore.ErrClosed) || !errors.As(err, &me) || !strings.Contains(err.Error(), path) {
			t.Errorf("call during close: %v, want ErrClosed naming %s", err, path)
		}
		mu.Lock()
		closed++
		mu.Unlock()
		return false
	}
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				r := testRecord(int64(w)<<32 | int64(i))
				if !check(s.Save(context.Background(), r)) {
					return
				}
				mu.Lock()
				saved = append(saved, r.Key)
				mu.Unlock()
				if _, err := s.Load(context.Background(), r.Key); !check(err) {
					return
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if closed != 16 || len(saved) == 0 {
		t.Fatalf("%d writers saw ErrClosed after %d saves, want all 16 after some", closed, len(saved))
	}
	s = openTest(t, path, clock)
	defer s.Close()
	for _, k := range saved {
		if _, err := s.Load(context.Background(), k); err != nil {
			t.Fatalf("%s saved before close: %v", k, err)
		}
	}
}

// TestCorruptValue checks a damaged record gives an error naming bucket and
// message id, not a panic or a partial record.
func TestCorruptValue(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mstore.db"), mstoretest.NewClock(time.Now()))
	defer s.Close()
	r := testRecord(7)
	if err := s.Save(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for _, mangle := range []func([]byte) []byte{
		func(v []byte) []byte { return v[:len(v)-3] },
		func(v []byte) []byte { v = bytes.Clone(v); v[40] ^= 1; return v },
		func(v []byte) []byte { return v[:5] },
	} {
		if err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketRecords)
			return b.Put(recordKey(r.Key), mangle(b.Get(recordKey(r.Key))))
		}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(context.Background(), r.Key)
		if !errors.Is(err, mstore.ErrCorrupt) || strings.Count(err.Error(), "MADR-12345/"+r.ID) != 1 {
			t.Fatalf("load of a damaged record: %v, want ErrCorrupt naming MADR-12345/%s once", err, r.ID)
		}
	}
}

// TestDiskFull runs writers in a child whose file size limit (RLIMIT_FSIZE)
// stands in for a full disk: writes past it fail with EFBIG as they would
// with ENOSPC. Every failure must name the operation, key and file; every
// acknowledged save must load after reopening and no failed one may.
func TestDiskFull(t *testing.T) {
	if path := os.Getenv(diskFullChildEnv); path != "" {
		diskFullChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "mstore.db")
	c := crashtest.Start(t, "TestDiskFull", diskFullChildEnv, path)
	cmd, lines := c.Cmd, c.Lines
	var saved, failed []string
	for lines.Scan() {
		verb, rest, _ := strings.Cut(lines.Text(), " ")
		switch verb {
		case "saved":
			saved = append(saved, rest)
		case "failed":
			id, msg, _ := strings.Cut(rest, " ")
			failed = append(failed, id)
			for _, want := range []string{"mstore save MADR-12345/" + id, "embedded " + path} {
				if !strings.Contains(msg, want) {
					t.Errorf("disk-full error %q does not say %q", msg, want)
				}
			}
			if n := strings.Count(msg, "MADR-12345/"+id); n != 1 {
				t.Errorf("disk-full error %q names the key %d times, want once", msg, n)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if len(saved) == 0 || len(failed) == 0 {
		t.Fatalf("child saved %d and failed %d; want both", len(saved), len(failed))
	}
	s := openTest(t, path, mstoretest.NewClock(time.Now()))
	defer s.Close()
	for _, id := range saved {
		if _, err := s.Load(context.Background(), mstore.Key{Bucket: "MADR-12345", ID: id}); err != nil {
			t.Errorf("%s acknowledged before the disk filled: %v", id, err)
		}
	}
	for _, id := range failed {
		if _, err := s.Load(context.Background(), mstore.Key{Bucket: "MADR-12345", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s failed to save but load gives %v", id, err)
		}
	}
	t.Logf("%d saves acknowledged, %d refused with a full disk", len(saved), len(failed))
}

func diskFullChild(path string) {
	s, err := Open(path, Options{Logger: quiet(), SweepInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	limit := &syscall.Rlimit{Cur: 2 << 20, Max: 2 << 20}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, limit); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var p crashtest.Printer
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				r := testRecord(int64(w)<<32 | int64(i))
				r.Raw = bytes.Repeat(r.Raw, 48)
				if err := s.Save(context.Background(), r); err != nil {
					p.Line("failed %s %v", r.ID, err)
					continue
				}
				p.Line("saved %s", r.ID)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(0)
}
