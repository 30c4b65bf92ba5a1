package riak

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

// TestStartingNode checks a node that is starting (HTTP: webmachine's HTML
// 404 for every path; PB: "Unknown message code: N") is server trouble on
// both protocols and in both phases of its start: a load or delete of a
// record it will serve once up never says not found, and a save is not
// reported stored.
func TestStartingNode(t *testing.T) {
	t.Parallel()
	for _, phase := range []riaktest.Phase{riaktest.APIStarting, riaktest.KVStarting} {
		for _, proto := range []string{"http", "pb"} {
			t.Run(fmt.Sprint(proto, "/phase-", int(phase)), func(t *testing.T) {
				srv := riaktest.Start(t)
				k := mstore.Key{Bucket: "MADR-12345", ID: "kept"}
				ctx := context.Background()
				seed := open(t, []string{srv.HTTPAddr()}, mstoretest.NewClock(mstoretest.Start))
				if err := seed.Save(ctx, &mstore.Record{Key: k}); err != nil {
					t.Fatal(err)
				}
				seed.Close()
				srv.Restart(t, phase)
				s := open(t, []string{protoAddr(srv, proto)}, mstoretest.NewClock(mstoretest.Start))
				defer s.Close()
				_, err := s.Load(ctx, k)
				starting(t, "load", err)
				starting(t, "delete", s.Delete(ctx, k))
				time.Sleep(250 * time.Millisecond) // past MaxBackoff
				starting(t, "save", s.Save(ctx, &mstore.Record{Key: mstore.Key{Bucket: "MADR-12345", ID: "new"}}))

				srv.SetPhase(riaktest.Running)
				time.Sleep(250 * time.Millisecond)
				if _, err := s.Load(ctx, k); err != nil {
					t.Fatalf("load once the node is up: %v", err)
				}
			})
		}
	}
}

func starting(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil || errors.Is(err, mstore.ErrNotFound) || !errors.Is(err, errUnavailable) {
		t.Fatalf("%s from a starting node: %v, want server trouble, never not found", op, err)
	}
	t.Log(err)
}

// TestNodeRestart restarts one node of two while records are loaded and
// deleted and new ones saved: while it starts its servers are skipped, no
// answer is a false not-found, and once it is up it serves again.
func TestNodeRestart(t *testing.T) {
	a := riaktest.Start(t)
	b := a.Join(t)
	s := open(t, []string{a.HTTPAddr(), a.PBAddr(), b.HTTPAddr(), b.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	ctx := context.Background()
	key := func(i int) mstore.Key { return mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprint("r", i)} }
	const n = 60
	for i := range n {
		if err := s.Save(ctx, &mstore.Record{Key: key(i)}); err != nil {
			t.Fatal(err)
		}
	}
	b.Restart(t, riaktest.KVStarting)
	for i := range n {
		if _, err := s.Load(ctx, key(i)); err != nil {
			t.Fatalf("load %d while a node starts: %v", i, err)
		}
		if i%3 == 0 {
			if err := s.Delete(ctx, key(i)); err != nil {
				t.Fatalf("delete %d while a node starts: %v", i, err)
			}
		}
		if err := s.Save(ctx, &mstore.Record{Key: key(n + i)}); err != nil {
			t.Fatalf("save %d while a node starts: %v", n+i, err)
		}
	}
	b.SetPhase(riaktest.Running)
	time.Sleep(250 * time.Millisecond) // past MaxBackoff
	before := b.Requests()
	for i := range 2 * n {
		_, err := s.Load(ctx, key(i))
		if i < n && i%3 == 0 {
			if !errors.Is(err, mstore.ErrNotFound) {
				t.Fatalf("load %d after its delete: %v", i, err)
			}
		} else if err != nil {
			t.Fatalf("load %d after the restart: %v", i, err)
		}
	}
	if b.Requests() == before {
		t.Fatal("the restarted node served nothing once up")
	}
}
