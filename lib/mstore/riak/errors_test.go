package riak

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/mstore/mstoretest"
	"msyshost/lib/mstore/riak/riaktest"
)

// TestErrorTexts checks a failure says what the server said or why it
// could not be asked: an answer to HEAD has no body, so its error names
// what it has instead of ending in a colon; a PB server that went away is
// named with the connection error, also on the requests after the first.
func TestErrorTexts(t *testing.T) {
	srv := riaktest.Start(t)
	k := mstore.Key{Bucket: "MADR-12345", ID: "x"}
	ctx := context.Background()

	s := open(t, []string{srv.HTTPAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	srv.Fail(1)
	err := s.Save(ctx, &mstore.Record{Key: k}) // a save starts with HEAD
	if err == nil || strings.HasSuffix(strings.TrimSpace(err.Error()), ":") || !strings.Contains(err.Error(), "HEAD answered 500") {
		t.Fatalf("failed HEAD: %q, want the status and no empty cause", err)
	}
	t.Log(err)
	time.Sleep(250 * time.Millisecond) // past MaxBackoff
	srv.Fail(1)
	_, err = s.Load(ctx, k)
	if err == nil || !strings.Contains(err.Error(), "overload") {
		t.Fatalf("failed GET: %v, want Riak's body (overload)", err)
	}

	p := open(t, []string{srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer p.Close()
	if err := p.Save(ctx, &mstore.Record{Key: k}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for i := range 3 {
		_, err := p.Load(ctx, k)
		if err == nil || strings.Contains(err.Error(), "ClientError") || !strings.Contains(err.Error(), "connection") {
			t.Fatalf("load %d from a PB server that went away: %v, want the connection's error", i, err)
		}
		t.Log(err)
		time.Sleep(100 * time.Millisecond)
	}
}

// clientLogEnv makes the test binary run TestClientLogging's outage in a
// child process, whose stderr the parent reads.
const clientLogEnv = "MSYSHOST_RIAK_LOG_CHILD"

// TestClientLogging runs a PB server's outage, with requests going on, in
// a child process and counts what riak-go-client printed to its stderr:
// nothing (its own loggers cannot be redirected, so the backend keeps it
// from logging, see the package doc).
func TestClientLogging(t *testing.T) {
	t.Parallel()
	if os.Getenv(clientLogEnv) != "" {
		clientOutage(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClientLogging$", "-test.count=1")
	cmd.Env = append(os.Environ(), clientLogEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("outage in a child process: %v\n%s\n%s", err, out, stderr.String())
	}
	if n := strings.Count(stderr.String(), "[ERROR]") + strings.Count(stderr.String(), "[WARNING]"); n > 0 {
		t.Fatalf("riak-go-client wrote %d lines to stderr during a 1 s outage:\n%s", n, stderr.String())
	}
}

// clientOutage loads every 50 ms from a PB server that stops for a second
// and comes back, and checks it serves again.
func clientOutage(t *testing.T) {
	srv := riaktest.Start(t)
	s := open(t, []string{srv.PBAddr()}, mstoretest.NewClock(mstoretest.Start))
	defer s.Close()
	k := mstore.Key{Bucket: "MADR-12345", ID: "x"}
	ctx := context.Background()
	if err := s.Save(ctx, &mstore.Record{Key: k}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		s.Load(ctx, k)
		time.Sleep(50 * time.Millisecond)
	}
	srv.Restart(t, riaktest.Running)
	time.Sleep(250 * time.Millisecond) // past MaxBackoff
	if _, err := s.Load(ctx, k); err != nil && !errors.Is(err, mstore.ErrNotFound) {
		t.Fatalf("load once the server is back: %v", err)
	}
}
