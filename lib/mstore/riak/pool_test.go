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
		_, err := p.do(ctx, func(endpoint) error {
			close(sent)
			<-answer
			return nil
		})
		done <- err
	}()
	<-sent
	if _, err := p.do(ctx, func(endpoint) error { return unavailable(errors.New("connection refused")) }); err == nil {
		t.Fatal("failing request succeeded")
	}
	close(answer)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if failures, downFor := serverState(p, 0); failures != 1 || downFor <= 0 {
		t.Fatalf("after a stale success: %d failures, down for %v; want the backoff kept", failures, downFor)
	}
	if _, err := p.do(ctx, func(endpoint) error { return nil }); err != nil {
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
	p.do(context.Background(), func(endpoint) error { return unavailable(errors.New("refused")) })
	ctx, cancel := context.WithCancel(context.Background())
	time.Sleep(time.Millisecond)
	p.do(ctx, func(endpoint) error { cancel(); return ctx.Err() })
	if failures, downFor := serverState(p, 0); failures != 1 || downFor <= 0 {
		t.Fatalf("after a canceled request: %d failures, down for %v; want the backoff kept", failures, downFor)
	}
}

// TestRequestErrorKeepsServer checks an error response about the request
// itself (here Riak's "Object too large") is returned to the caller without
// marking the server unavailable, on both protocols.
func TestRequestErrorKeepsServer(t *testing.T) {
	for _, proto := range []string{"http", "pb"} {
		t.Run(proto, func(t *testing.T) {
			srv := riaktest.Start(t)
			srv.MaxObjectSize(1000)
			s := open(t, []string{protoAddr(srv, proto)}, mstoretest.NewClock(mstoretest.Start))
			defer s.Close()
			k := mstore.Key{Bucket: "MADR-MM7", ID: "big"}
			err := s.Save(context.Background(), &mstore.Record{Key: k, Raw: make([]byte, 2000)})
			if err == nil || errors.Is(err, errUnavailable) || !strings.Contains(strings.ToLower(err.Error()), "too large") {
				t.Fatalf("save past max_object_size: %v, want Riak's too-large answer", err)
			}
			if failures, _ := serverState(s.pool, 0); failures != 0 {
				t.Fatalf("a request error counted as %d server failures", failures)
			}
		})
	}
}

func TestServerTrouble(t *testing.T) {
	for err, want := range map[error]bool{
		errors.New("dial tcp: connection refused"):        true,
		riakclientError("overload"):                       true,
		riakclientError("timeout"):                        true,
		riakclientError("{insufficient_vnodes,0,need,2}"): true,
		riakclientError("Object too large"):               false,
		riakclient.ClientError{Errmsg: "all retries exhausted", InnerError: riakclientError("Object too large")}: false,
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

// TestPrimeHonoursContext checks the first request to a PB server, which
// primes the client with a ping, returns when its context ends, and so do
// requests waiting for that ping.
func TestPrimeHonoursContext(t *testing.T) {
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

// TestPrimeRetried checks a failed priming ping does not count as primed:
// the next request pings again before its own command.
func TestPrimeRetried(t *testing.T) {
	srv := riaktest.Start(t)
	s := open(t, []string{srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	k := mstore.Key{Bucket: "b", ID: "k"}
	srv.Fail(1)
	if _, err := s.Load(context.Background(), k); err == nil || errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("load with the priming ping refused: %v", err)
	}
	before := srv.Requests()
	if _, err := s.Load(context.Background(), k); !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("load after the server recovered: %v", err)
	}
	if n := srv.Requests() - before; n != 2 {
		t.Fatalf("load after a failed priming ping sent %d requests, want a ping and a get", n)
	}
}
