package riak

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

// TestSlowTransfer saves and loads a record that takes several times
// Timeout to move at the node's pace: the limit grows with the body, so
// the healthy, slow server is neither timed out nor counted as failed, on
// both protocols.
func TestSlowTransfer(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			opts := testOptions(mstoretest.NewClock(mstoretest.Start))
			opts.Timeout = 150 * time.Millisecond
			opts.TransferRate = 1 << 20
			s, err := Open([]string{protoAddr(srv, proto)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			k := mstore.Key{Bucket: "MADR-MM7", ID: "slow"}
			if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil { // connects before the pace is set
				t.Fatal(err)
			}
			r := &mstore.Record{Key: k, Raw: make([]byte, 768<<10)}
			rand.Read(r.Raw)
			srv.Throttle(2 << 20) // 768 KiB take 375 ms each way
			start := time.Now()
			if err := s.Save(ctx, r); err != nil {
				t.Fatalf("slow save: %v", err)
			}
			if d := time.Since(start); d < opts.Timeout {
				t.Fatalf("save took %v: the throttle did not slow it past Timeout", d)
			}
			if proto == "http" {
				// A PB load is allowed the largest object's transfer; over
				// HTTP the answer's Content-Length sets the limit.
				got, err := s.Load(ctx, k)
				if err != nil || len(got.Raw) != len(r.Raw) {
					t.Fatalf("slow load: %v", err)
				}
			}
			if failures, _ := serverState(s.pool, 0); failures != 0 {
				t.Fatalf("a slow but healthy server counted %d failures", failures)
			}
		})
	}
}

// TestUnansweredWrite checks a write that reached the node, which stored
// it and then froze, is reported as of unknown outcome (errors.Is
// ErrOutcomeUnknown, saying the record may or may not be stored), not as
// failed, and does not count against the server; a save then tries the
// next server, a delete does not.
func TestUnansweredWrite(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			opts := testOptions(mstoretest.NewClock(mstoretest.Start))
			opts.Timeout = 200 * time.Millisecond
			s, err := Open([]string{protoAddr(srv, proto)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			k := mstore.Key{Bucket: "MADR-12345", ID: "frozen"}
			if err := s.Save(ctx, &mstore.Record{Key: k, Raw: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			srv.DelayWrites(500 * time.Millisecond)
			err = s.Save(ctx, &mstore.Record{Key: k, Raw: []byte("second")})
			if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may or may not be stored") || errors.Is(err, errUnavailable) {
				t.Fatalf("save whose answer never came: %v, want ErrOutcomeUnknown", err)
			}
			t.Log(err)
			if failures, _ := serverState(s.pool, 0); failures != 0 {
				t.Fatalf("an unanswered write counted %d server failures", failures)
			}
			if r, err := s.Load(ctx, k); err != nil || string(r.Raw) != "second" {
				t.Fatalf("the unanswered save was stored by the node, load says %v, %v", r, err)
			}
			err = s.Delete(ctx, k)
			if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may or may not be deleted") {
				t.Fatalf("delete whose answer never came: %v, want ErrOutcomeUnknown", err)
			}
			t.Log(err)
			srv.DelayWrites(0)
		})
	}
}

// TestUnansweredSaveMovesOn checks a save whose write went unanswered on
// one node is stored through another, and succeeds.
func TestUnansweredSaveMovesOn(t *testing.T) {
	a := riaktest.Start(t)
	b := a.Join(t)
	opts := testOptions(mstoretest.NewClock(mstoretest.Start))
	opts.Timeout = 200 * time.Millisecond
	s, err := Open([]string{a.HTTPAddr(), b.PBAddr()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a.DelayWrites(500 * time.Millisecond)
	b.DelayWrites(500 * time.Millisecond)
	for i := range 6 {
		// Either node may be asked first: with both frozen the outcome is
		// unknown, with one the other stores it.
		if i == 3 {
			b.DelayWrites(0)
		}
		k := mstore.Key{Bucket: "MADR-12345", ID: "moves-on"}
		err := s.Save(context.Background(), &mstore.Record{Key: k})
		if i < 3 && !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("save with both nodes frozen: %v, want ErrOutcomeUnknown", err)
		}
		if i >= 3 && err != nil {
			t.Fatalf("save with one node frozen: %v", err)
		}
	}
}

// TestNoGzip checks the backend never has Riak gzip a value: Riak
// (webmachine) gzips the whole answer for a client that accepts gzip,
// which Go's transport does unless told otherwise.
func TestNoGzip(t *testing.T) {
	srv := riaktest.Start(t)
	s := open(t, []string{srv.HTTPAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	k := mstore.Key{Bucket: "MADR-MM7", ID: "big"}
	r := &mstore.Record{Key: k, Raw: make([]byte, 1<<20)}
	if err := s.Save(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if n := srv.GzipAnswers(); n != 0 {
		t.Fatalf("Riak gzipped %d answers", n)
	}
}
