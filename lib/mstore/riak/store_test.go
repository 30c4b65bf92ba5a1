package riak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testOptions(clock *mstoretest.Clock) Options {
	return Options{
		Now: clock.Now, Logger: quiet(),
		Timeout: 5 * time.Second, ConnectTimeout: time.Second,
		Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	}
}

func open(t *testing.T, servers []string, clock *mstoretest.Clock) *Store {
	t.Helper()
	s, err := Open(servers, testOptions(clock))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuiteHTTP(t *testing.T) {
	mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
		return open(t, []string{riaktest.Start(t).HTTPAddr()}, clock)
	})
}

func TestSuitePB(t *testing.T) {
	mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
		return open(t, []string{riaktest.Start(t).PBAddr()}, clock)
	})
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachable(t *testing.T) {
	for _, proto := range []string{"", "pb://"} {
		addr := proto + closedPort(t)
		t.Run(addr, func(t *testing.T) {
			s := open(t, []string{addr}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			k := mstore.Key{Bucket: "MADR-12345", ID: "abc"}
			err := s.Save(context.Background(), &mstore.Record{Key: k})
			var me *mstore.Error
			if !errors.As(err, &me) || me.Op != "save" || me.Key != k || !strings.Contains(me.Backend, addr) {
				t.Fatalf("save to a closed port: %v, want an *mstore.Error naming save, %s and %s", err, k, addr)
			}
			if errors.Is(err, mstore.ErrNotFound) {
				t.Fatalf("unreachable server reported as not found: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestFailover checks a request moves past a dead server and an overloaded
// one, and that a failed server is skipped during its backoff.
func TestFailover(t *testing.T) {
	srv := riaktest.Start(t)
	dead := closedPort(t)
	s := open(t, []string{dead, srv.HTTPAddr(), srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	ctx := context.Background()
	for i := range 20 {
		k := mstore.Key{Bucket: "MADR-12345", ID: string(rune('a' + i))}
		if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil {
			t.Fatalf("save %d with one dead server: %v", i, err)
		}
		if _, err := s.Load(ctx, k); err != nil {
			t.Fatalf("load %d with one dead server: %v", i, err)
		}
	}
	s.pool.mu.Lock()
	failures := s.pool.servers[0].failures
	s.pool.mu.Unlock()
	if failures == 0 || failures > 3 {
		t.Fatalf("dead server failed %d times over 40 requests, want 1..3 (skipped during backoff)", failures)
	}

	srv.Fail(1)
	k := mstore.Key{Bucket: "MADR-12345", ID: "after-503"}
	if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil {
		t.Fatalf("save with one overloaded answer: %v", err)
	}
}

func TestAllServersFail(t *testing.T) {
	srv := riaktest.Start(t)
	s := open(t, []string{srv.HTTPAddr(), srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	srv.Fail(1000)
	k := mstore.Key{Bucket: "MADR-12345", ID: "x"}
	err := s.Save(context.Background(), &mstore.Record{Key: k})
	if err == nil || !strings.Contains(err.Error(), srv.HTTPAddr()) || !strings.Contains(err.Error(), srv.PBAddr()) {
		t.Fatalf("save with every server failing: %v, want an error naming both", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "; ") || strings.Count(msg, k.String()) != 1 {
		t.Fatalf("save with every server failing: %q, want one line, servers joined by \"; \", naming the key once", msg)
	}
	srv.Fail(0)
	time.Sleep(250 * time.Millisecond) // past MaxBackoff
	if err := s.Save(context.Background(), &mstore.Record{Key: k}); err != nil {
		t.Fatalf("save once the servers recovered: %v", err)
	}
}

// TestTimeout checks a load from a server that stopped answering gives up
// after Timeout (plus the transfer of the largest object at the rate
// allowed, for PB), on a connection already in use.
func TestTimeout(t *testing.T) {
	srv := riaktest.Start(t)
	for _, addr := range []string{srv.HTTPAddr(), srv.PBAddr()} {
		opts := testOptions(mstoretest.NewClock(mstoretest.Start))
		opts.Timeout = 100 * time.Millisecond
		opts.TransferRate = 1 << 30
		s, err := Open([]string{addr}, opts)
		if err != nil {
			t.Fatal(err)
		}
		k := mstore.Key{Bucket: "b", ID: "k"}
		if _, err := s.Load(context.Background(), k); !errors.Is(err, mstore.ErrNotFound) {
			t.Fatal(err)
		}
		srv.Stall(time.Second)
		start := time.Now()
		_, err = s.Load(context.Background(), k)
		srv.Stall(0)
		if err == nil || errors.Is(err, mstore.ErrNotFound) || !errors.Is(err, errUnavailable) || time.Since(start) > 700*time.Millisecond {
			t.Fatalf("%s: load from a stalled server: %v after %v, want a timeout near 100ms", addr, err, time.Since(start))
		}
		t.Log(err)
		s.Close()
	}
}

// TestSiblings checks sibling resolution on both protocols: the latest
// created record wins whatever order Riak lists siblings in, tombstones and
// undecodable siblings are skipped, and the next Save clears them.
func TestSiblings(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			srv.AllowMult(true)
			addr := srv.HTTPAddr()
			if proto == "pb" {
				addr = srv.PBAddr()
			}
			s := open(t, []string{addr}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			ctx := context.Background()
			k := mstore.Key{Bucket: "MADR-12345", ID: "sib:1/2"}
			enc := func(body string, created time.Time) []byte {
				b, err := mstore.Encode(&mstore.Record{Key: k, Raw: []byte(body), Created: created, Expires: created.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			srv.AddSibling(k.Bucket, k.ID, enc("older", mstoretest.Start.Add(-2*time.Minute)), nil, false)
			srv.AddSibling(k.Bucket, k.ID, enc("newest", mstoretest.Start.Add(-time.Minute)), nil, false)
			srv.AddSibling(k.Bucket, k.ID, []byte("garbage"), nil, false)
			srv.AddSibling(k.Bucket, k.ID, enc("deleted", mstoretest.Start), nil, true)
			srv.AddSibling(k.Bucket, k.ID, enc("old", mstoretest.Start.Add(-3*time.Minute)), nil, false)
			r, err := s.Load(ctx, k)
			if err != nil || string(r.Raw) != "newest" {
				t.Fatalf("load with siblings: %v, %v; want the newest", r, err)
			}
			if err := s.Save(ctx, &mstore.Record{Key: k, Raw: []byte("resolved")}); err != nil {
				t.Fatal(err)
			}
			if n := srv.Siblings(k.Bucket, k.ID); n != 1 {
				t.Fatalf("save after load left %d siblings, want 1", n)
			}
			r, err = s.Load(ctx, k)
			if err != nil || string(r.Raw) != "resolved" {
				t.Fatalf("load after resolving save: %v, %v", r, err)
			}
		})
	}
}

// TestCorruptValue checks an undecodable object gives ErrCorrupt naming the
// key, on both protocols.
func TestCorruptValue(t *testing.T) {
	srv := riaktest.Start(t)
	k := mstore.Key{Bucket: "MADR-12345", ID: "bad"}
	srv.AddSibling(k.Bucket, k.ID, []byte{1, 2, 3, 4, 5, 6}, nil, false)
	for _, addr := range []string{srv.HTTPAddr(), srv.PBAddr()} {
		s := open(t, []string{addr}, mstoretest.NewClock(mstoretest.Start))
		_, err := s.Load(context.Background(), k)
		if !errors.Is(err, mstore.ErrCorrupt) || !strings.Contains(err.Error(), "MADR-12345/bad") {
			t.Fatalf("%s: load of a corrupt object: %v", addr, err)
		}
		s.Close()
	}
}

func TestOpenRejects(t *testing.T) {
	for _, servers := range [][]string{nil, {"no-port"}, {"pb://no-port"}} {
		if s, err := Open(servers, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", servers)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"MADR-12345": "MADR-12345",
		"a/b:c":      "a%2Fb%3Ac",
		"..":         "%2E%2E",
		"100% x":     "100%25%20x",
		"\x00\xff":   "%00%FF",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCloseMidFlight closes the store under concurrent writers: every call
// succeeds or fails with ErrClosed, and every acknowledged save is stored.
func TestCloseMidFlight(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			addr := srv.HTTPAddr()
			if proto == "pb" {
				addr = srv.PBAddr()
			}
			clock := mstoretest.NewClock(mstoretest.Start)
			s := open(t, []string{addr}, clock)
			var mu sync.Mutex
			var saved []mstore.Key
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := 0; ; i++ {
						k := mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprint(w, "-", i)}
						err := s.Save(context.Background(), &mstore.Record{Key: k, Raw: []byte("x")})
						if err != nil {
							if !errors.Is(err, mstore.ErrClosed) {
								t.Errorf("save during close: %v, want ErrClosed", err)
							}
							return
						}
						mu.Lock()
						saved = append(saved, k)
						mu.Unlock()
					}
				})
			}
			time.Sleep(50 * time.Millisecond)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			s = open(t, []string{srv.HTTPAddr()}, clock)
			defer s.Close()
			for _, k := range saved {
				if _, err := s.Load(context.Background(), k); err != nil {
					t.Fatalf("%s acknowledged before close: %v", k, err)
				}
			}
			if len(saved) == 0 {
				t.Fatal("no save completed before close")
			}
		})
	}
}

// TestServerGoesAway checks calls fail promptly, naming the server, once a
// server that was serving stops, on both protocols.
func TestServerGoesAway(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			addr := srv.HTTPAddr()
			if proto == "pb" {
				addr = srv.PBAddr()
			}
			s := open(t, []string{addr}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			k := mstore.Key{Bucket: "MADR-12345", ID: "gone"}
			if err := s.Save(context.Background(), &mstore.Record{Key: k}); err != nil {
				t.Fatal(err)
			}
			srv.Close()
			for range 3 {
				start := time.Now()
				_, err := s.Load(context.Background(), k)
				if err == nil || errors.Is(err, mstore.ErrNotFound) || !strings.Contains(err.Error(), addr) {
					t.Fatalf("load from a stopped server: %v, want an error naming %s", err, addr)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Fatalf("load from a stopped server took %v", d)
				}
			}
		})
	}
}

func TestIsMetaExpires(t *testing.T) {
	for key, want := range map[string]bool{
		"mstore-expires":             true,
		"Mstore-Expires":             true,
		"X-Riak-Meta-Mstore-Expires": true,
		"x-riak-meta-mstore-expires": true,
		"X-Riak-Meta-":               false,
		"mstore-expires-x":           false,
		"X-Riak-Meta-Other":          false,
	} {
		if got := isMetaExpires(key); got != want {
			t.Errorf("isMetaExpires(%q) = %v, want %v", key, got, want)
		}
	}
}

// protoAddr is srv's address for proto ("http" or "pb").
func protoAddr(srv *riaktest.Server, proto string) string {
	if proto == "pb" {
		return srv.PBAddr()
	}
	return srv.HTTPAddr()
}

// TestSaveOverTombstone checks a save over a deleted key whose tombstone is
// not yet reaped carries the tombstone's vclock, so it supersedes the
// tombstone instead of becoming its sibling, on both protocols.
func TestSaveOverTombstone(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			srv.AllowMult(true)
			srv.DeleteMode(-1)
			s := open(t, []string{protoAddr(srv, proto)}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			ctx := context.Background()
			k := mstore.Key{Bucket: "MADR-12345", ID: "tomb"}
			if err := s.Save(ctx, &mstore.Record{Key: k, Raw: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
			if n := srv.Siblings(k.Bucket, k.ID); n != 1 {
				t.Fatalf("after delete the fake holds %d siblings, want its tombstone", n)
			}
			if _, err := s.Load(ctx, k); !errors.Is(err, mstore.ErrNotFound) {
				t.Fatalf("load of a tombstone: %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, mstore.ErrNotFound) {
				t.Fatalf("delete of a tombstone: %v, want ErrNotFound", err)
			}
			if err := s.Save(ctx, &mstore.Record{Key: k, Raw: []byte("again")}); err != nil {
				t.Fatal(err)
			}
			if n := srv.Siblings(k.Bucket, k.ID); n != 1 {
				t.Fatalf("save over a tombstone left %d siblings, want 1 (the tombstone's vclock was not sent)", n)
			}
			if r, err := s.Load(ctx, k); err != nil || string(r.Raw) != "again" {
				t.Fatalf("load after saving over a tombstone: %v, %v", r, err)
			}
		})
	}
}

// TestTombstoneReaped checks the fake forgets a tombstone after its
// delete_mode delay, and a save then starts a fresh object.
func TestTombstoneReaped(t *testing.T) {
	srv := riaktest.Start(t)
	srv.AllowMult(true)
	srv.DeleteMode(0)
	s := open(t, []string{srv.HTTPAddr(), srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	ctx := context.Background()
	k := mstore.Key{Bucket: "MADR-12345", ID: "reaped"}
	if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if n := srv.Siblings(k.Bucket, k.ID); n != 0 {
		t.Fatalf("immediate delete_mode left %d siblings", n)
	}
	if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Siblings(k.Bucket, k.ID); n != 1 {
		t.Fatalf("save after reaping made %d siblings, want 1", n)
	}
}

// TestSiblingExpiry checks Load and Delete agree when siblings expire at
// different times: expired siblings are dropped before the latest created
// is chosen, and Delete reports a live record exactly when Load finds one.
func TestSiblingExpiry(t *testing.T) {
	now := mstoretest.Start
	type sib struct {
		body             string
		created, expires time.Duration // from now
	}
	for _, c := range []struct {
		name string
		sibs []sib
		want string // Load's body, "" for ErrNotFound
	}{
		{"newest expired", []sib{{"live", -time.Hour, time.Hour}, {"dead", -time.Minute, -time.Second}}, "live"},
		{"oldest expired", []sib{{"dead", -time.Hour, -time.Second}, {"live", -time.Minute, time.Hour}}, "live"},
		{"expires now", []sib{{"live", -time.Hour, time.Hour}, {"dead", -time.Minute, 0}}, "live"},
		{"all expired", []sib{{"a", -time.Hour, -time.Minute}, {"b", -time.Minute, -time.Second}}, ""},
	} {
		for _, proto := range []string{"http", "pb"} {
			t.Run(c.name+"/"+proto, func(t *testing.T) {
				srv := riaktest.Start(t)
				srv.AllowMult(true)
				s := open(t, []string{protoAddr(srv, proto)}, mstoretest.NewClock(now))
				defer s.Close()
				ctx := context.Background()
				k := mstore.Key{Bucket: "MADR-12345", ID: "sib-expiry"}
				for _, sb := range c.sibs {
					r := &mstore.Record{Key: k, Raw: []byte(sb.body), Created: now.Add(sb.created), Expires: now.Add(sb.expires)}
					data, err := mstore.Encode(r)
					if err != nil {
						t.Fatal(err)
					}
					meta := map[string]string{metaExpires: fmt.Sprint(r.Expires.UnixNano())}
					srv.AddSibling(k.Bucket, k.ID, data, meta, false)
				}
				r, err := s.Load(ctx, k)
				switch {
				case c.want == "" && !errors.Is(err, mstore.ErrNotFound):
					t.Fatalf("load: %v, %v; want ErrNotFound", r, err)
				case c.want != "" && (err != nil || string(r.Raw) != c.want):
					t.Fatalf("load: %v, %v; want %q", r, err, c.want)
				}
				err = s.Delete(ctx, k)
				if (c.want == "") != errors.Is(err, mstore.ErrNotFound) || (c.want != "" && err != nil) {
					t.Fatalf("delete: %v, but load found %q", err, c.want)
				}
				if _, err := s.Load(ctx, k); !errors.Is(err, mstore.ErrNotFound) {
					t.Fatalf("load after delete: %v", err)
				}
			})
		}
	}
}
