package riak

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	riakclient "github.com/basho/riak-go-client"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

// stubEndpoint is a server the pool tests drive through the fn they pass.
type stubEndpoint string

func (e stubEndpoint) fetch(context.Context, mstore.Key, bool) (*object, error) { return nil, nil }
func (e stubEndpoint) store(context.Context, mstore.Key, []byte, value) error   { return nil }
func (e stubEndpoint) remove(context.Context, mstore.Key, []byte) error         { return nil }
func (e stubEndpoint) close() error                                             { return nil }
func (e stubEndpoint) String() string                                           { return string(e) }

func serverState(p *pool, i int) (failures int, downFor time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.servers[i].failures, time.Until(p.servers[i].downUntil)
}

// TestBackoffOnePerOutage sends concurrent requests while one server
// refuses connections: they all fail together, as one outage, so the
// backoff stays at its first step instead of doubling per request.
func TestBackoffOnePerOutage(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			opts := testOptions(mstoretest.NewClock(mstoretest.Start))
			opts.Backoff, opts.MaxBackoff = 10*time.Second, time.Hour
			dead := closedPort(t)
			if proto == "pb" {
				dead = "pb://" + dead
			}
			s, err := Open([]string{dead, protoAddr(srv, proto)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					<-start
					s.Load(context.Background(), mstore.Key{Bucket: "b", ID: "k"})
				})
			}
			close(start)
			wg.Wait()
			if failures, downFor := serverState(s.pool, 0); failures != 1 || downFor > opts.Backoff {
				t.Fatalf("dead server after 32 concurrent requests: %d failures, down for %v; want 1 and at most %v", failures, downFor, opts.Backoff)
			}
		})
	}
}

// TestStaleSuccessKeepsBackoff checks an answer to a request sent before a
// server's failure was counted does not clear its backoff.
func TestStaleSuccessKeepsBackoff(t *testing.T) {
	p := newPool([]endpoint{stubEndpoint("a")}, time.Minute, time.Hour, quiet())
	ctx := context.Background()
	sent, answer := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := p.do(ctx, false, func(endpoint) error {
			close(sent)
			<-answer
			return nil
		})
		done <- err
	}()
	<-sent
	if _, err := p.do(ctx, false, func(endpoint) error { return unavailable(errors.New("connection refused")) }); err == nil {
		t.Fatal("failing request succeeded")
	}
	close(answer)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if failures, downFor := serverState(p, 0); failures != 1 || downFor <= 0 {
		t.Fatalf("after a stale success: %d failures, down for %v; want the backoff kept", failures, downFor)
	}
	if _, err := p.do(ctx, false, func(endpoint) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if failures, downFor := serverState(p, 0); failures != 0 || downFor > 0 {
		t.Fatalf("after a fresh success: %d failures, down for %v; want the backoff cleared", failures, downFor)
	}
}

// TestCanceledKeepsState checks a request its caller gave up on neither
// counts against the server nor clears its backoff.
func TestCanceledKeepsState(t *testing.T) {
	p := newPool([]endpoint{stubEndpoint("a")}, time.Minute, time.Hour, quiet())
	p.do(context.Background(), false, func(endpoint) error { return unavailable(errors.New("refused")) })
	ctx, cancel := context.WithCancel(context.Background())
	time.Sleep(time.Millisecond)
	p.do(ctx, false, func(endpoint) error { cancel(); return ctx.Err() })
	if failures, downFor := serverState(p, 0); failures != 1 || downFor <= 0 {
		t.Fatalf("after a canceled request: %d failures, down for %v; want the backoff kept", failures, downFor)
	}
}

// TestRequestErrorKeepsServer checks Riak's refusal of an object past
// max_object_size (HTTP: 500 "Error:\n{too_large,N}"; PB: errmsg
// "{too_large,N}") is returned to the caller without marking the server
// unavailable, on both protocols.
func TestRequestErrorKeepsServer(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			srv.MaxObjectSize(1000)
			s := open(t, []string{protoAddr(srv, proto)}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			k := mstore.Key{Bucket: "MADR-MM7", ID: "big"}
			err := s.Save(context.Background(), &mstore.Record{Key: k, Raw: make([]byte, 2000)})
			if err == nil || errors.Is(err, errUnavailable) || !strings.Contains(err.Error(), "{too_large,") {
				t.Fatalf("save past max_object_size: %v, want Riak's too-large answer", err)
			}
			if failures, _ := serverState(s.pool, 0); failures != 0 {
				t.Fatalf("a request error counted as %d server failures", failures)
			}
			t.Log(err)
		})
	}
}

func TestServerTrouble(t *testing.T) {
	for err, want := range map[error]bool{
		errors.New("dial tcp: connection refused"):        true,
		riakclientError("overload"):                       true,
		riakclientError("timeout"):                        true,
		riakclientError("{insufficient_vnodes,0,need,2}"): true,
		riakclientError("{too_large,2170}"):               false,
		riakclientError("Unknown message code: 9"):        true,
		riakclient.ClientError{Errmsg: "all retries exhausted", InnerError: riakclientError("{too_large,2170}")}: false,
		riakclient.ClientError{Errmsg: "all retries exhausted", InnerError: riakclientError("overload")}:         true,
		riakclient.ClientError{Errmsg: "no nodes available"}:                                                     true,
		riakclientError("Bucket and key are required"):                                                           false,
		riakclientError("{precommit_fail,<<\"hook said no\">>}"):                                                 false,
	} {
		if got := serverTrouble(err); got != want {
			t.Errorf("serverTrouble(%v) = %v, want %v", err, got, want)
		}
	}
}

func riakclientError(msg string) error { return riakclient.RiakError{Errcode: 0, Errmsg: msg} }

// TestConnectHonoursContext checks the first request to a PB server, which
// starts a client and pings with it, returns when its context ends, and so
// do requests waiting for that start.
func TestConnectHonoursContext(t *testing.T) {
	t.Parallel()
	srv := riaktest.Start(t)
	s := open(t, []string{srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	srv.Stall(1500 * time.Millisecond)
	defer srv.Stall(0)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := s.Load(ctx, mstore.Key{Bucket: "b", ID: "k"})
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 700*time.Millisecond {
				t.Errorf("first load with a 100ms deadline: %v after %v, want the deadline honoured", err, time.Since(start))
			}
		})
	}
	wg.Wait()
}

// TestPBReconnects checks a PB server that went away and came back is used
// again once its backoff ends: the client that lost its connection is
// replaced by a fresh one.
func TestPBReconnects(t *testing.T) {
	srv := riaktest.Start(t)
	s := open(t, []string{srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	k := mstore.Key{Bucket: "b", ID: "k"}
	if err := s.Save(context.Background(), &mstore.Record{Key: k}); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t, riaktest.Running)
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := s.Load(context.Background(), k)
		if err == nil {
			break
		}
		if errors.Is(err, mstore.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("load after the server restarted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
