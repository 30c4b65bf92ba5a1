package riak

import (
	"cmp"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

// realRiakEnv names real Riak servers, space-separated as in the config
// (e.g. "127.0.0.1:8098 pb://127.0.0.1:8087"), to run the suite against.
const realRiakEnv = "MSYSHOST_RIAK"

// crossStore is two msyshost nodes sharing one Riak cluster, one
// configured with an HTTP server and one with a PB server: route picks
// which of them serves the n-th call of op.
type crossStore struct {
	nodes [2]mstore.Store
	route func(op string, n int) int

	mu sync.Mutex
	n  int
}

func (c *crossStore) pick(op string) mstore.Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.nodes[c.route(op, c.n)]
}

func (c *crossStore) Save(ctx context.Context, r *mstore.Record) error {
	return c.pick("save").Save(ctx, r)
}

func (c *crossStore) Load(ctx context.Context, k mstore.Key) (*mstore.Record, error) {
	return c.pick("load").Load(ctx, k)
}

func (c *crossStore) Delete(ctx context.Context, k mstore.Key) error {
	return c.pick("delete").Delete(ctx, k)
}

func (c *crossStore) Close() error {
	return errors.Join(c.nodes[0].Close(), c.nodes[1].Close())
}

// crossForms are the ways two nodes, nodes[0] writing over HTTP and
// nodes[1] over PB, share records: each node's writes read, overwritten
// and deleted by the other.
var crossForms = []struct {
	name  string
	route func(op string, n int) int
}{
	{"pb-writes-http-reads", func(op string, _ int) int { return map[bool]int{true: 1, false: 0}[op == "save"] }},
	{"http-writes-pb-reads", func(op string, _ int) int { return map[bool]int{true: 0, false: 1}[op == "save"] }},
	{"alternating", func(_ string, n int) int { return n % 2 }},
}

// runMixed runs the behaviour suite over servers of one keyspace, among
// them httpAddr and pbAddr: as one store listing them all, and as two
// nodes, one on httpAddr and one on pbAddr, in each of crossForms.
func runMixed(t *testing.T, servers []string, httpAddr, pbAddr string) {
	t.Run("servers", func(t *testing.T) {
		mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
			return open(t, servers, clock)
		})
	})
	for _, f := range crossForms {
		t.Run(f.name, func(t *testing.T) {
			mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
				return &crossStore{nodes: [2]mstore.Store{open(t, []string{httpAddr}, clock), open(t, []string{pbAddr}, clock)}, route: f.route}
			})
		})
	}
}

// TestSuiteMixed is the behaviour suite over HTTP and PB servers of one
// fake cluster, as msyshost nodes with different settings share one: both
// protocols in one store and across two stores, a second node that is
// starting (answering HTML 404 over HTTP, "Unknown message code" over PB)
// beside a running one, and an object Riak refuses as too large.
func TestSuiteMixed(t *testing.T) {
	srv := riaktest.Start(t)
	runMixed(t, []string{srv.HTTPAddr(), srv.PBAddr()}, srv.HTTPAddr(), srv.PBAddr())
	for _, c := range []struct {
		name    string
		servers func(running, starting *riaktest.Server) []string
	}{
		{"http-node-starting", func(running, starting *riaktest.Server) []string {
			return []string{running.PBAddr(), starting.HTTPAddr()}
		}},
		{"pb-node-starting", func(running, starting *riaktest.Server) []string {
			return []string{running.HTTPAddr(), starting.PBAddr()}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
				running := riaktest.Start(t)
				starting := running.Join(t)
				starting.SetPhase(riaktest.KVStarting)
				return open(t, c.servers(running, starting), clock)
			})
		})
	}
	t.Run("too-large", func(t *testing.T) {
		srv := riaktest.Start(t)
		srv.MaxObjectSize(64 << 10)
		tooLarge(t, []string{srv.HTTPAddr(), srv.PBAddr()}, 64<<10, srv.Writes)
	})
}

// tooLarge saves a record of more than maxSize bytes: Riak's refusal goes
// to the caller, naming it, from the first server asked (writes, when
// given, counts one write), and no server is counted as failed.
func tooLarge(t *testing.T, servers []string, maxSize int, writes func() int64) {
	s := open(t, servers, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	var before int64
	if writes != nil {
		before = writes()
	}
	k := mstore.Key{Bucket: "MADR-MM7", ID: "too-large-" + time.Now().Format("150405.000000")}
	err := s.Save(context.Background(), &mstore.Record{Key: k, Raw: make([]byte, maxSize+1)})
	if err == nil || errors.Is(err, errUnavailable) || !strings.Contains(strings.ToLower(err.Error()), "too_large") {
		t.Fatalf("save past max_object_size: %v, want Riak's {too_large,N} as a request error", err)
	}
	if writes != nil {
		if n := writes() - before; n != 1 {
			t.Errorf("save past max_object_size sent %d writes, want 1 (not resent to the next server)", n)
		}
	}
	for i := range servers {
		if failures, _ := serverState(s.pool, i); failures != 0 {
			t.Errorf("server %s counted %d failures for a too-large object", s.pool.servers[i].ep, failures)
		}
	}
}

// TestSuiteRealRiak runs the suite against the servers MSYSHOST_RIAK names
// (make test-riak): as configured, and, when it names both an HTTP and a PB
// server, in every mixed form and with an object past Riak's default
// max_object_size.
func TestSuiteRealRiak(t *testing.T) {
	servers := strings.Fields(os.Getenv(realRiakEnv))
	if len(servers) == 0 {
		t.Skip("no real Riak: set " + realRiakEnv + `="127.0.0.1:8098 pb://127.0.0.1:8087" to run the suite against one`)
	}
	var httpAddr, pbAddr string
	for _, s := range servers {
		if strings.HasPrefix(s, "pb://") {
			pbAddr = cmp.Or(pbAddr, s)
		} else {
			httpAddr = cmp.Or(httpAddr, s)
		}
	}
	if httpAddr == "" || pbAddr == "" {
		mstoretest.Run(t, func(t *testing.T, clock *mstoretest.Clock) mstore.Store {
			return open(t, servers, clock)
		})
		return
	}
	runMixed(t, servers, httpAddr, pbAddr)
	t.Run("too-large", func(t *testing.T) {
		tooLarge(t, []string{httpAddr, pbAddr}, riakMaxObject, nil)
	})
}

// TestMetadataNames checks a record written over PB, whose expiry metadata
// Riak echoes over HTTP as a bare Mstore-Expires header, is judged from
// that header: an HTTP delete needs only the head fetch and the delete.
func TestMetadataNames(t *testing.T) {
	srv := riaktest.Start(t)
	clock := mstoretest.NewClock(mstoretest.Start)
	pb := open(t, []string{srv.PBAddr()}, clock)
	defer pb.Close()
	h := open(t, []string{srv.HTTPAddr()}, clock)
	defer h.Close()
	ctx := context.Background()
	live, expired := mstore.Key{Bucket: "MADR-12345", ID: "live"}, mstore.Key{Bucket: "MADR-12345", ID: "expired"}
	if err := pb.Save(ctx, &mstore.Record{Key: live}); err != nil {
		t.Fatal(err)
	}
	if err := pb.Save(ctx, &mstore.Record{Key: expired, Expires: mstoretest.Start.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		k    mstore.Key
		want error
	}{{live, nil}, {expired, mstore.ErrNotFound}} {
		before := srv.Requests()
		if err := h.Delete(ctx, c.k); !errors.Is(err, c.want) {
			t.Fatalf("HTTP delete of PB-written %s: %v, want %v", c.k, err, c.want)
		}
		if n := srv.Requests() - before; n != 2 {
			t.Fatalf("HTTP delete of PB-written %s sent %d requests, want 2 (HEAD, DELETE): the bare Mstore-Expires header was not read", c.k, n)
		}
	}
}
