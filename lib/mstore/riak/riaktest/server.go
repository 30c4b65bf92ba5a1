// Package riaktest is an in-process fake Riak KV node for tests: the subset
// of Riak's HTTP API (fetch, store, delete object; ping) and Protocol
// Buffers API (ping, server info, get, put, del) that lib/mstore/riak uses,
// written from Riak's protocol documentation (docs.riak.com "HTTP API" and
// "Protocol Buffers Client API"). Both listeners serve one in-memory
// keyspace. It models vclocks and siblings: a write carrying the object's
// current vclock replaces all siblings, any other write to an existing
// object adds a sibling when AllowMult is set and replaces the object
// otherwise (last write wins, Riak's default bucket behaviour).
//
// Deletes behave as Riak's do (docs.riak.com, "Object Deletion Reference"):
// a delete writes a tombstone (an empty value marked deleted) under a new
// vclock, as a write would, so a delete carrying a stale vclock leaves the
// tombstone beside the live siblings when AllowMult is set. An object whose
// siblings are all tombstones reads as not found, but a fetch still returns
// its vclock (HTTP: a 404 carrying X-Riak-Vclock; PB: an RpbGetResp with
// only a vclock when the request sets deletedvclock), so a write can
// supersede it. It is reaped, and forgotten, after the delete_mode delay:
// three seconds by default, set with DeleteMode.
package riaktest

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a fake Riak node with an HTTP and a PB listener.
type Server struct {
	// AllowMult makes conflicting writes create siblings.
	AllowMult atomic.Bool

	mu      sync.Mutex
	objects map[location]*object
	clock   uint64 // source of vclocks and vtags
	fail    int    // answer this many more requests with an error
	stall   time.Duration
	reap    time.Duration // delete_mode: tombstone lifetime, negative keeps them
	maxSize int           // largest value a write may store, 0 for no limit

	httpLn, pbLn net.Listener
	httpSrv      *http.Server
	conns        sync.WaitGroup
	pbMu         sync.Mutex
	pbConns      map[net.Conn]struct{}
	requests     atomic.Int64
}

type location struct{ bucket, key string }

type object struct {
	vclock    []byte
	siblings  []*sibling
	deletedAt time.Time // when the last live sibling was deleted
}

// dead reports an object whose siblings are all tombstones.
func (o *object) dead() bool {
	for _, sb := range o.siblings {
		if !sb.deleted {
			return false
		}
	}
	return true
}

type sibling struct {
	value       []byte
	contentType string
	meta        map[string]string // user metadata, names lower-case
	vtag        string
	lastMod     time.Time
	deleted     bool
}

// Start starts a server on loopback ports and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{objects: map[location]*object{}, pbConns: map[net.Conn]struct{}{}, reap: 3 * time.Second}
	var err error
	if s.httpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if s.pbLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.httpSrv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP)}
	go s.httpSrv.Serve(s.httpLn)
	s.conns.Go(s.servePB)
	t.Cleanup(s.Close)
	return s
}

// HTTPAddr is the HTTP listener's host:port, as mstore config names it.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// PBAddr is the PB listener as mstore config names it: pb://host:port.
func (s *Server) PBAddr() string { return "pb://" + s.pbLn.Addr().String() }

// Close stops both listeners and drops every connection.
func (s *Server) Close() {
	s.httpSrv.Close()
	s.pbLn.Close()
	s.pbMu.Lock()
	for c := range s.pbConns {
		c.Close()
	}
	s.pbMu.Unlock()
	s.conns.Wait()
}

// Fail makes the next n requests, on either protocol, fail as an
// overloaded node does: HTTP 503, or an RpbErrorResp.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Stall delays every request by d, to exercise client timeouts.
func (s *Server) Stall(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = d
}

// DeleteMode sets how long a tombstone outlives its delete before it is
// reaped, as Riak's delete_mode does: 0 is "immediate", a negative d is
// "keep". The default is Riak's: three seconds.
func (s *Server) DeleteMode(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reap = d
}

// MaxObjectSize makes writes of values larger than n bytes fail as Riak's
// do past max_object_size (HTTP 413, PB "Object too large"); 0 lifts it.
func (s *Server) MaxObjectSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxSize = n
}

// Requests counts the requests served on both protocols.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Siblings returns how many siblings (tombstones included) the object has.
func (s *Server) Siblings(bucket, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.lookup(location{bucket, key}); o != nil {
		return len(o.siblings)
	}
	return 0
}

// lookup returns the object at loc, first reaping it if it is a tombstone
// past the delete_mode delay. The caller holds s.mu.
func (s *Server) lookup(loc location) *object {
	o := s.objects[loc]
	if o != nil && o.dead() && s.reap >= 0 && !time.Now().Before(o.deletedAt.Add(s.reap)) {
		delete(s.objects, loc)
		return nil
	}
	return o
}

// AddSibling adds a sibling to the object as a concurrent writer would,
// creating the object if needed.
func (s *Server) AddSibling(bucket, key string, value []byte, meta map[string]string, deleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	loc := location{bucket, key}
	o := s.lookup(loc)
	if o == nil {
		o = &object{}
		s.objects[loc] = o
	}
	o.siblings = append(o.siblings, s.newSibling(value, "application/octet-stream", meta, deleted))
	o.vclock = s.nextVclock()
	if o.dead() {
		o.deletedAt = time.Now()
	}
}

// admit counts a request, applies the stall and reports whether the
// request must fail.
func (s *Server) admit() (fail bool) {
	s.requests.Add(1)
	s.mu.Lock()
	stall := s.stall
	if s.fail > 0 {
		s.fail--
		fail = true
	}
	s.mu.Unlock()
	time.Sleep(stall)
	return fail
}

func (s *Server) nextVclock() []byte {
	s.clock++
	return []byte("fake-vclock-" + strconv.FormatUint(s.clock, 10))
}

func (s *Server) newSibling(value []byte, ct string, meta map[string]string, deleted bool) *sibling {
	s.clock++
	return &sibling{
		value: value, contentType: ct, meta: meta, deleted: deleted,
		vtag: "vtag" + strconv.FormatUint(s.clock, 36), lastMod: time.Now(),
	}
}

// get returns the object's vclock and siblings, tombstones included;
// found is false when there is no object or only tombstones, whose vclock
// is still returned until they are reaped.
func (s *Server) get(loc location) (vclock []byte, sibs []*sibling, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookup(loc)
	if o == nil {
		return nil, nil, false
	}
	if o.dead() {
		return o.vclock, nil, false
	}
	return o.vclock, append([]*sibling(nil), o.siblings...), true
}

// errTooLarge is the answer to a write past MaxObjectSize.
var errTooLarge = errors.New("Object too large")

// put stores a value. A write carrying the current vclock supersedes every
// sibling, tombstones included; otherwise it is concurrent with them.
func (s *Server) put(loc location, vclock, value []byte, ct string, meta map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxSize > 0 && len(value) > s.maxSize {
		return errTooLarge
	}
	s.write(loc, vclock, s.newSibling(value, ct, meta, false))
	return nil
}

// write adds sb to the object at loc as a write carrying vclock does.
func (s *Server) write(loc location, vclock []byte, sb *sibling) {
	o := s.lookup(loc)
	switch {
	case o == nil:
		o = &object{}
		s.objects[loc] = o
		o.siblings = []*sibling{sb}
	case string(vclock) == string(o.vclock) || !s.AllowMult.Load():
		o.siblings = []*sibling{sb}
	default:
		o.siblings = append(o.siblings, sb)
	}
	o.vclock = s.nextVclock()
	if o.dead() {
		o.deletedAt = time.Now()
	}
}

// del writes a tombstone over the object; found reports whether it had a
// live sibling. Without a vclock the delete covers the current object, as
// Riak's does (it reads the vclock first); with a stale one it is a
// concurrent write like any other.
func (s *Server) del(loc location, vclock []byte) (found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookup(loc)
	if o == nil || o.dead() {
		return false
	}
	if vclock == nil {
		vclock = o.vclock
	}
	s.write(loc, vclock, s.newSibling(nil, "", nil, true))
	return true
}
